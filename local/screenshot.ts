/**
 * `npm run screenshot`: docs/dashboard.png, the dashboard over 180 days of synthetic history in a
 * throw-away local pipeline, taken with Debian's headless Chromium, so the picture stays current.
 */
import { join } from "node:path";
import { type Command, runMain } from "../command-kit/command-runner";
import { launchChromium } from "../dashboard-app/chromium";
import { startSandbox } from "./sandbox";
import { seed } from "./seed";

const OUT = join(__dirname, "..", "docs", "dashboard.png");

export const screenshotCommand: Command = {
  usage:
    "usage: npm run screenshot\n  Writes docs/dashboard.png: the dashboard over 180 days of synthetic history, in headless Chromium.",
  async run({ io }) {
    const now = new Date();
    io.stderr("starting a throw-away local pipeline and Chromium …");
    const sandbox = await startSandbox();
    const browser = await launchChromium({ width: 1280, height: 900 }).catch(async (error: unknown) => {
      await sandbox.close();
      throw error;
    });
    try {
      io.stderr("appending 180 days of synthetic history …");
      await seed({ url: sandbox.url, token: sandbox.storeToken, days: 180, seed: 7, now });
      // Up to today: the week holding it is drawn apart (hatched, dashed), as a user sees it.
      const page = await browser.context.newPage();
      await page.goto(`${sandbox.url}/?days=120&granularity=week`);
      await page.waitForSelector('body[data-loaded="true"]');
      await page.screenshot({ path: OUT, fullPage: true });
      io.stdout(`wrote ${OUT}`);
    } finally {
      await browser.close();
      await sandbox.close();
    }
  },
};

if (require.main === module) void runMain(screenshotCommand);

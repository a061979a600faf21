/**
 * `npm run screenshot`: docs/dashboard.png, the dashboard over 180 days of synthetic history in a
 * throw-away local pipeline, taken with Debian's headless Chromium, so the picture stays current.
 */
import { join } from "node:path";
import { launchChromium } from "../dashboard-app/chromium";
import { startSandbox } from "./sandbox";
import { seed } from "./seed";

const OUT = join(__dirname, "..", "docs", "dashboard.png");
const DAY = 86_400_000;

async function main(): Promise<void> {
  const now = new Date();
  const sandbox = await startSandbox();
  const browser = await launchChromium({ width: 1280, height: 900 }).catch(async (error: unknown) => {
    await sandbox.close();
    throw error;
  });
  try {
    await seed({ url: sandbox.url, token: sandbox.storeToken, days: 180, seed: 7, now });
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    // Up to yesterday: today is a partial day, whose DAU would dip however late it is.
    const page = await browser.context.newPage();
    await page.goto(
      `${sandbox.url}/?start_date=${day(now.getTime() - 120 * DAY)}&end_date=${day(now.getTime() - DAY)}&granularity=week`,
    );
    await page.waitForSelector('body[data-loaded="true"]');
    await page.screenshot({ path: OUT, fullPage: true });
    process.stdout.write(`wrote ${OUT}\n`);
  } finally {
    await browser.close();
    await sandbox.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run screenshot: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

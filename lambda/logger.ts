/**
 * A structured JSON logger in the shape of AWS Powertools' (level, timestamp, service, message, then
 * flat keys), one line per call. It writes straight to stdout rather than through `console`, which
 * Lambda's runtime rewrites with a tab-separated prefix that CloudWatch Logs Insights can't parse
 * as JSON. It logs only the fields it is given: callers never hand it a token, secret, signature,
 * body or personal data.
 */
import type { LogLevel } from "./outcome";

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

export interface JsonLoggerOptions {
  service: string;
  /** Where each line goes (without its newline); stdout by default. */
  write?: (line: string) => void;
  /** The lowest level written; `LOG_LEVEL` by default, else info. */
  minLevel?: LogLevel;
  now?: () => number;
}

const RANK: Record<LogLevel, number> = { info: 1, warn: 2, error: 3 };

export function parseLogLevel(value: string | undefined): LogLevel {
  const level = value?.toLowerCase();
  return level === "warn" || level === "error" ? level : "info";
}

export function createJsonLogger(options: JsonLoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const minRank = RANK[options.minLevel ?? parseLogLevel(process.env.LOG_LEVEL)];
  const now = options.now ?? Date.now;
  return {
    log(level, message, fields = {}) {
      if (RANK[level] < minRank) return;
      const timestamp = new Date(now()).toISOString();
      write(JSON.stringify({ level, timestamp, service: options.service, message, ...fields }));
    },
  };
}

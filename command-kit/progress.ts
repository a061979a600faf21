/**
 * One progress line on stderr for long work, redrawn in place at most every `intervalMs`; nothing at
 * all when stderr is not a terminal (CI logs and pipes get the summary only). Commands get one from
 * the runner (command-runner.ts), which ends its line before any message.
 */

/** What progress needs of time: tests pass a virtual clock. */
export interface Clock {
  now(): number;
}

export interface Terminal {
  write(text: string): void;
  isTTY: boolean;
}

/** Where a long-running command writes: lines on stdout, progress and messages on stderr. */
export interface CliIO {
  stdout: (line: string) => void;
  stderr: Terminal;
}

export interface ProgressState {
  /** What is being worked on, e.g. "users". */
  phase: string;
  listed: number;
  stored: number;
  /** Everything to store in this phase, when known. */
  total?: number;
  /** Stored since the start, across phases: the rate is measured on it. */
  storedOverall?: number;
}

/** Draws the line for a state, given the time since the start. */
export type Describe<S> = (state: S, elapsedMs: number) => string;

export class Progress<S = ProgressState> {
  private readonly started: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly terminal: Terminal,
    private readonly clock: Clock,
    private readonly intervalMs = 500,
    private readonly describe: Describe<S> = describeProgress as unknown as Describe<S>,
  ) {
    this.started = clock.now();
  }

  update(state: S, force = false): void {
    if (!this.terminal.isTTY) return;
    const now = this.clock.now();
    if (!force && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    this.drawn = true;
    this.terminal.write(`\r\x1b[K${this.describe(state, now - this.started)}`);
  }

  /** Ends the line so what follows starts on its own. */
  finish(): void {
    if (this.drawn) this.terminal.write("\n");
    this.drawn = false;
  }
}

export function describeProgress(state: ProgressState, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? ((state.storedOverall ?? state.stored) * 1000) / elapsedMs : 0;
  const of = state.total !== undefined ? ` of ${count(state.total)}` : "";
  const eta =
    state.total !== undefined && rate > 0 && state.total > state.stored
      ? ` · ETA ${duration(((state.total - state.stored) / rate) * 1000)}`
      : "";
  return `${state.phase}: ${count(state.listed)} listed, ${count(state.stored)}${of} stored · ${count(Math.round(rate))} rows/s${eta}`;
}

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

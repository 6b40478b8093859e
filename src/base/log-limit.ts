// Rate-limited warnings: a packet anyone can send must not be able to fill the log.

import type { Logger } from './log.js';

export interface LogLimitOptions {
  /** Lines of one kind logged per interval; the rest are counted. Default 10. */
  burst?: number;
  /** Length of a window, ms. Default 10 000. */
  intervalMs?: number;
  /** Milliseconds clock; default Date.now (tests inject one). */
  now?: () => number;
  /** Start a timer that says a window's count when it ends (default true; tests drive tick()). */
  timer?: boolean;
}

interface Window { start: number; logged: number; suppressed: number }

/**
 * Warnings that anyone can cause with a packet (a bad TSIG, a refused transfer or update) are
 * rate limited per kind: the first `burst` of a window are logged, the rest counted, and when the
 * window ends one line says how many were left out. 20,000 forged packets make a few lines, not
 * 20,000, and the first of each kind still shows who and why.
 */
export class LogLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** Lines of each kind logged and left out since the start, for the stats and tests. */
  readonly counts = { logged: 0, suppressed: 0 };

  constructor(private readonly log: Pick<Logger, 'warn'>, private readonly opts: LogLimitOptions = {}) {
    this.burst = opts.burst ?? 10;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Log `msg` unless `kind` has had its burst in this window. */
  warn(kind: string, msg: string): void {
    const now = this.now();
    this.tick(now);
    let w = this.windows.get(kind);
    if (!w) {
      w = { start: now, logged: 0, suppressed: 0 };
      this.windows.set(kind, w);
    }
    if (w.logged < this.burst) {
      w.logged++;
      this.counts.logged++;
      this.log.warn(msg);
      return;
    }
    w.suppressed++;
    this.counts.suppressed++;
    this.arm();
  }

  /** End the windows that are over: one summary line for each that left lines out. */
  tick(now = this.now()): void {
    for (const [kind, w] of this.windows) {
      if (now - w.start < this.intervalMs) continue;
      this.windows.delete(kind);
      this.summarize(kind, w);
    }
  }

  /** Say what is still counted (at shutdown) and stop the timer. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [kind, w] of this.windows) this.summarize(kind, w);
    this.windows.clear();
  }

  private summarize(kind: string, w: Window): void {
    if (w.suppressed === 0) return;
    this.log.warn(`suppressed ${w.suppressed} more ${kind} line(s) in the last ${Math.round(this.intervalMs / 1000)} s`);
  }

  /** A timer to the end of the oldest window with lines left out, so its summary is not held until the next packet. */
  private arm(): void {
    if (this.timer || this.opts.timer === false) return;
    let end = Infinity;
    for (const w of this.windows.values()) if (w.suppressed > 0) end = Math.min(end, w.start + this.intervalMs);
    if (end === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
      this.arm();
    }, Math.max(0, end - this.now()));
    this.timer.unref();
  }
}

// A Progress shown on a stream: on a terminal one line redrawn in place (at most ten times a
// second, and once at the end); elsewhere (a pipe, a log file) a plain line per zone, so logs
// and scripts get whole lines and no control characters.

import type { Progress } from '../base/progress.js';

export interface ProgressOut {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** Show `p` on `out` (stderr, say); returns a function that ends the display. */
export function showProgress(p: Progress, out: ProgressOut, opts: { everyMs?: number; now?: () => number } = {}): () => void {
  const now = opts.now ?? Date.now;
  const every = opts.everyMs ?? 100;
  let last = -Infinity;
  let drawn = false;
  let width = 0;
  let stopped = false;
  p.onChange(() => {
    if (stopped) return;
    if (out.isTTY !== true) {
      if (p.snapshot().done > 0 || !p.running) out.write(`${p.line()}\n`);
      return;
    }
    const t = now();
    if (p.running && t - last < every) return;
    last = t;
    // No escape sequences (the CLI writes none): spaces cover what is left of a longer last line.
    const line = p.line();
    out.write(`\r${line}${' '.repeat(Math.max(0, width - line.length))}${p.running ? '' : '\n'}`);
    width = line.length;
    drawn = p.running;
  });
  return () => {
    if (stopped) return;
    stopped = true;
    if (drawn && out.isTTY === true) out.write('\n');
  };
}

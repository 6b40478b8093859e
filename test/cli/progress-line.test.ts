// A long task's progress on a stream: redrawn in place on a terminal (at most every everyMs,
// always at the end, then a newline), and as whole plain lines elsewhere.

import t from 'tap';
import { Progress } from '../../src/base/progress.js';
import { showProgress } from '../../src/cli/progress-line.js';

t.test('on a terminal: one line redrawn, throttled, ended with a newline', async (t) => {
  let clock = 0;
  const p = new Progress('directory crawl', 'zones', 'agents', () => clock);
  const out: string[] = [];
  const end = showProgress(p, { isTTY: true, write: (s: string) => out.push(s) }, { everyMs: 100, now: () => clock });
  p.start(3);
  clock = 50;
  p.step(5, 0);
  clock = 150;
  p.step(4, 1);
  p.step(0, 0);
  p.finish();
  end();
  t.ok(out.every((s) => s.startsWith('\r')), 'every write redraws the line');
  t.notOk(out.some((s) => s.includes('\x1b')), 'with no escape sequences');
  t.equal(out.length, 3, 'the start, one redraw 100 ms later, the end (the step at 50 ms and the third are skipped)');
  // Spaces cover what is left of the longer line before it.
  t.match(out.at(-1), /^\rdirectory crawl: 3\/3 zones, 9 agents, 1 error, 0\.1 s, done *\n$/);
  const widths = out.map((s) => s.replace(/\n$/, '').length);
  t.ok(widths.every((w, i) => i === 0 || w >= widths[i - 1]!), 'no line shorter than the one it covers');
});

t.test('not a terminal: a plain line per step', async (t) => {
  const p = new Progress('directory crawl');
  const out: string[] = [];
  showProgress(p, { write: (s: string) => out.push(s) });
  p.start(2);
  p.step(5, 0);
  p.step(4, 2);
  p.finish();
  t.equal(out.length, 3, 'two steps and the end; nothing for the start');
  t.ok(out.every((s) => s.endsWith('\n') && !s.includes('\r') && !s.includes('\x1b')), 'whole lines, no control characters');
  t.match(out[0], /^directory crawl: 1\/2 zones, 5 agents, 0 errors, /);
  t.match(out[2], /2\/2 zones, 9 agents, 2 errors, [\d.]+ s, done\n$/);
});

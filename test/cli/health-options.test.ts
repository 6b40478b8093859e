// The built CLI: `aop serve --health-probe` refuses settings out of range with exit status 1 and
// a message naming the option; without --health-probe the other --health-* options are not checked.

import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../helpers/peers.js';
import { healthConfig } from '../../src/cli/options/health.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const aop = (...args: string[]) => run(process.execPath, [path.join(root, 'bin', 'aop.js'), ...args]);

t.test('aop serve --health-probe says what is wrong', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--health-interval', '5'], /--health-interval 5 is not a whole number in 100\.\.86400000/],
    [['--health-timeout', '2.5'], /--health-timeout 2\.5 is not a whole number in 10\.\.600000/],
    [['--health-fall', '0'], /--health-fall 0 is not a whole number in 1\.\.100/],
    [['--health-rise', 'many'], /--health-rise NaN is not a whole number in 1\.\.100/],
    [['--workers', '2'], /--health-probe needs --workers 1/],
  ];
  for (const [args, re] of cases) {
    const r = await aop('serve', '--listen', '127.0.0.1:0', '--health-probe', ...args);
    t.equal(r.code, 1, args.join(' '));
    t.match(r.stderr, re, args.join(' '));
  }
});

t.test('the daemon config', async (t) => {
  t.same(healthConfig({ 'health-probe': false, 'health-interval': 5 }), {}, 'off: nothing');
  t.same(healthConfig({ 'health-probe': true, 'health-interval': 1000, 'health-timeout': 500, 'health-fall': 2, 'health-rise': 1 }),
    { health: { intervalMs: 1000, timeoutMs: 500, fall: 2, rise: 1 } });
  t.same(healthConfig({ 'health-probe': true }), { health: { intervalMs: 10000, timeoutMs: 3000, fall: 3, rise: 2 } }, 'the defaults (a --config file gives no defaults)');
});

// The built `aop serve` (npm run build) refuses bad dnstap and query log options with a clear message and exit status 1.

import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../helpers/peers.js';
import { parseDnstapTarget } from '../../src/server/dnstap/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const aop = (...args: string[]) => run(process.execPath, [path.join(root, 'bin', 'aop.js'), ...args]);

t.test('targets', async (t) => {
  t.same(parseDnstapTarget('unix:/run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
  t.same(parseDnstapTarget('file:/var/log/x.fstrm'), { kind: 'file', path: '/var/log/x.fstrm' });
  t.same(parseDnstapTarget('/run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
  for (const bad of ['ftp:x', 'unix:', 'x.sock', `unix:/${'a'.repeat(120)}`]) {
    t.throws(() => parseDnstapTarget(bad), { code: 'ERR_DNSTAP_TARGET' }, bad);
  }
});

t.test('aop serve says what is wrong', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--dnstap', 'ftp:x'], /--dnstap 'ftp:x': want unix:/],
    [['--dnstap', 'unix:/nonexistent-folder/x.sock'], /folder \/nonexistent-folder does not exist/],
    [['--dnstap', 'file:/tmp/x.fstrm', '--workers', '2'], /needs --workers 1/],
    [['--query-log', '--query-log-sample', '0'], /--query-log-sample must be a whole number, at least 1/],
    [['--query-log', '--query-log-rate', '-1'], /--query-log-rate must be a whole number/],
  ];
  for (const [args, re] of cases) {
    const r = await aop('serve', '--listen', '127.0.0.1:0', ...args);
    t.equal(r.code, 1, args.join(' '));
    t.match(r.stderr, re, args.join(' '));
  }
});

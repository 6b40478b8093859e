// `aop serve`'s abuse options refuse bad values at the edge, through the built program: exit 1
// and a line naming the option, before anything is bound.

import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');

function aop(args: string[]): Promise<{ code: number; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_OPTIONS') env[k] = v;
  env.AOP_STATE_FILE = path.join(root, 'no-such-dir', 'daemon.json');
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, cwd: root, timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr: String(stderr) });
    });
  });
}

if (!existsSync(path.join(root, 'dist', 'cli', 'options', 'abuse.js'))) {
  t.fail('dist/ is out of date: run `npm run build` first');
} else {
  const cases: [string[], RegExp][] = [
    [['--rrl-rate', '-1'], /--rrl-rate must be a whole number/],
    [['--rrl-rate', '2.5'], /--rrl-rate must be a whole number/],
    [['--rrl-slip', '-2'], /--rrl-slip must be a whole number/],
    [['--rrl-burst', '0'], /--rrl-burst must be a whole number/],
    [['--rrl-ipv4-prefix', '33'], /--rrl-ipv4-prefix must be 0 to 32/],
    [['--rrl-ipv6-prefix', '129'], /--rrl-ipv6-prefix must be 0 to 128/],
    [['--rrl-exempt', '10.0.0.0/40'], /--rrl-exempt: .*prefix length/],
    [['--rrl-exempt', 'not-a-net'], /--rrl-exempt: .*not an IP address/],
    [['--cookie-secret', 'abcd'], /--cookie-secret 'abcd': want 32 hex digits/],
  ];
  for (const [args, want] of cases) {
    t.test(args.join(' '), async (t) => {
      const r = await aop(['serve', '--zones', path.join(root, 'zones'), '--listen', '127.0.0.1:0', ...args]);
      t.equal(r.code, 1, 'a usage error');
      t.match(r.stderr, want);
    });
  }
}

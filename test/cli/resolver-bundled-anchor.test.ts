// A resolver started on its own (`aop serve --resolver`, the bundled root hints, no
// --trust-anchor) finds the bundled root's anchor that `aop serve` wrote beside the state file,
// and says it validates with it; without that file it says, once, that it does not validate; a
// file that is there but broken stops the start with an error naming it.

import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';

const NET = await leaseNet(t);
const bin = path.join(root, 'bin', 'aop.js');
const DS = `agents. 3600 IN DS 12345 13 2 ${'ab'.repeat(32)}\n`;

/** `aop serve --resolver` with XDG_RUNTIME_DIR=runtime until its log matches `until` or it exits. */
function resolverLog(runtime: string, until: RegExp): Promise<{ log: string; code: number | null }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['AOP_RESOLVER', 'NODE_OPTIONS', 'AOP_STATE_FILE'].includes(k)) env[k] = v;
  env.XDG_RUNTIME_DIR = runtime;
  const child = spawn(process.execPath, [bin, 'serve', '--resolver', '--listen', `${NET.host(1)}:0`, '--no-metrics', '--no-control', '--warm-up', '0', '--log-format', 'text'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (until.test(log)) child.kill('SIGTERM');
    });
    child.once('exit', (code) => { clearTimeout(timer); resolve({ log, code }); });
  });
}

function runtimeDir(t: { teardown(fn: () => unknown): void }, anchor?: string): { runtime: string; file: string } {
  const runtime = mkdtempSync(path.join(os.tmpdir(), 'aop-apart-'));
  t.teardown(() => rmSync(runtime, { recursive: true, force: true }));
  const file = path.join(runtime, 'aop', 'dnssec', 'anchor');
  if (anchor !== undefined) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, anchor);
  }
  return { runtime, file };
}

t.test('the anchor npm start wrote: validating with it', async (t) => {
  const { runtime, file } = runtimeDir(t, DS);
  const { log } = await resolverLog(runtime, /validating with|not validating|serving/);
  t.match(log, `validating with the bundled root's anchor ${file}`);
  t.notMatch(log, /not validating/);
});

t.test('no anchor yet: it says it does not validate', async (t) => {
  const { runtime, file } = runtimeDir(t);
  const { log } = await resolverLog(runtime, /validating with|not validating/);
  t.match(log, `not validating: no --trust-anchor, and the bundled root's anchor ${file} is not there yet`);
});

t.test('a broken anchor file: the start fails naming it', async (t) => {
  const { runtime, file } = runtimeDir(t, 'agents. IN DS not a ds record\n');
  const { log, code } = await resolverLog(runtime, /validating with/);
  t.not(code, 0, 'the daemon did not start');
  t.match(log, file, log);
});

// `aop reload`: SIGHUP to the aop serve its state file (or a pid file) names, and to nothing else:
// a missing or stale state file, a pid file that does not hold a pid, and a pid that is not
// aop serve are refused with one line and exit 1. Loopback 127.0.131.x.

import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../helpers/peers.js';
import { readDaemonState, writeDaemonState } from '../../src/cli/daemon-state.js';
import { reloadTarget } from '../../src/cli/reload.js';
import { exchange } from '../../src/transport/index.js';
import { encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');
const HOST = '127.0.131.2';

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete e.NODE_OPTIONS;
  if (extra.AOP_STATE_FILE === undefined) delete e.AOP_STATE_FILE;
  return e;
}
const aop = (args: string[], extra: Record<string, string> = {}) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
  const c = spawn(process.execPath, [bin, ...args], { env: childEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  c.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
});

function tmp(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('which daemon: refusals', async (t) => {
  const dir = tmp(t);
  const none = path.join(dir, 'none.json');
  t.throws(() => reloadTarget({ stateFile: none }), { code: 'ERR_RELOAD', message: /no running aop serve announces itself in .*none\.json: start it with npm start or --state-file FILE, or give --pid-file FILE/ });
  t.throws(() => reloadTarget({}, { AOP_STATE_FILE: none }), { code: 'ERR_RELOAD', message: /none\.json/ }, 'the usual place, from the environment');
  const dead = spawn(process.execPath, ['-e', '']);
  await once(dead, 'exit');
  const stale = path.join(dir, 'stale.json');
  writeDaemonState(stale, { pid: dead.pid!, dns: { address: '127.0.0.1', port: 5300 }, started: '' });
  t.throws(() => reloadTarget({ stateFile: stale }), { message: new RegExp(`the daemon of .*stale\\.json \\(pid ${dead.pid}\\) is not running`) });
  // This test process is alive, but it is not aop serve: a pid taken over by another program.
  const mine = path.join(dir, 'mine.json');
  writeDaemonState(mine, { pid: process.pid, dns: { address: '127.0.0.1', port: 5300 }, started: '' });
  t.throws(() => reloadTarget({ stateFile: mine }), { message: new RegExp(`process ${process.pid} \\(from .*mine\\.json\\) is not aop serve`) });
  const pidFile = path.join(dir, 'aop.pid');
  writeFileSync(pidFile, 'twelve\n');
  t.throws(() => reloadTarget({ pidFile }), { message: /pid file .*aop\.pid holds "twelve", not a process id/ });
  writeFileSync(pidFile, `${dead.pid}\n`);
  t.throws(() => reloadTarget({ pidFile }), { message: new RegExp(`no process ${dead.pid} \\(from .*aop\\.pid\\): the daemon is not running`) });
  t.throws(() => reloadTarget({ pidFile: path.join(dir, 'missing.pid') }), { message: /cannot read pid file .*missing\.pid: ENOENT/ });

  const cli = await aop(['reload'], { AOP_STATE_FILE: none });
  t.equal(cli.code, 1);
  t.match(cli.stderr, /^aop: no running aop serve announces itself in /);
  t.equal(cli.stderr.trim().split('\n').length, 1, 'one line');
  const both = await aop(['reload', '--state-file', none, '--pid-file', pidFile]);
  t.equal(both.code, 1, 'one of --state-file and --pid-file');
});

t.test('aop reload signals the daemon of the state file, which reloads its zones', async (t) => {
  const dir = tmp(t);
  const zones = path.join(dir, 'zones');
  cpSync(path.join(root, 'zones'), zones, { recursive: true });
  const runtime = path.join(dir, 'run');
  const env = { XDG_RUNTIME_DIR: runtime };
  // --state-file alone: its usual place, as npm start's.
  const child = spawn(process.execPath, [bin, 'serve', '--zones', zones, '--listen', `${HOST}:0`, '--state-file'], { env: childEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const stateFile = path.join(runtime, 'aop', 'daemon.json');
  for (let i = 0; i < 600 && !readDaemonState(stateFile) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  const state = readDaemonState(stateFile);
  if (!state) throw new Error(`no state file:\n${log}`);
  const serial = async () => {
    const r = await exchange({ address: HOST, port: state.dns.port }, encodeQuery('acme.agents.', RRType.SOA, { rd: false }), { timeout: 10_000 });
    return r.message.answers[0]!.rdata.readUInt32BE(r.message.answers[0]!.rdata.length - 20);
  };
  t.equal(await serial(), 2026112501);

  const file = path.join(zones, 'acme.agents.zone');
  writeFileSync(file, readFileSync(file, 'utf8').replace('2026112501 ; serial', '2026112502 ; serial'));
  const r = await aop(['reload'], env);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `sent SIGHUP to aop serve pid ${child.pid} (DNS ${HOST}:${state.dns.port}), from ${stateFile}: it reloads its zones; its log says what loaded\n`);
  for (let i = 0; i < 200 && !/SIGHUP: reloading zones/.test(log); i++) await new Promise((r) => setTimeout(r, 25));
  t.match(log, /SIGHUP: reloading zones/);
  t.equal(await serial(), 2026112502, 'the new serial is served');

  // The same daemon by --state-file and by --pid-file.
  writeFileSync(file, readFileSync(file, 'utf8').replace('2026112502 ; serial', '2026112503 ; serial'));
  const byFile = await aop(['reload', '--state-file', stateFile]);
  t.equal(byFile.code, 0, byFile.stderr);
  const pidFile = path.join(dir, 'aop.pid');
  writeFileSync(pidFile, `${child.pid}\n`);
  const byPid = await aop(['reload', '--pid-file', pidFile]);
  t.equal(byPid.code, 0, byPid.stderr);
  t.equal(byPid.stdout, `sent SIGHUP to aop serve pid ${child.pid}, from ${pidFile}: it reloads its zones; its log says what loaded\n`);
  for (let i = 0; i < 200 && (log.match(/SIGHUP: reloading zones/g) ?? []).length < 3; i++) await new Promise((r) => setTimeout(r, 25));
  t.equal(await serial(), 2026112503);

  child.kill('SIGTERM');
  await once(child, 'exit');
});

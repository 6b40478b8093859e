// `aop cache flush|stats|dump` against a real `aop serve --resolver --control` process resolving
// through the bundled hierarchy on a leased loopback /24, with dig as the client; and its error messages.

import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canBind53, startTopology } from '../helpers/topology.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { sendCommand } from '../../src/server/control.js';
import { control, controlPath, flushLine, formatDump, formatFlush, formatStats } from '../../src/cli/cache.js';
import { readDaemonState, writeDaemonState } from '../../src/cli/daemon-state.js';
import { privateRuntimeEnv } from '../helpers/runtime-env.js';
import { waitForLog } from '../helpers/wait.js';

// This file's own loopback /24 (the hierarchy listens on port 53 in it), leased for its life.
const NET = await leaseNet(t);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');

interface Run { stdout: string; stderr: string; code: number }

/** The environment for the processes we start: AOP_CONTROL (and AOP_STATE_FILE) unset unless given, and without tap's NODE_OPTIONS hooks (slow to load). */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // XDG_RUNTIME_DIR a folder of this process's own unless given: no one else's state file or socket.
  const env = { ...privateRuntimeEnv(), ...extra };
  if (extra.AOP_CONTROL === undefined) delete env.AOP_CONTROL;
  if (extra.AOP_STATE_FILE === undefined) delete env.AOP_STATE_FILE;
  delete env.NODE_OPTIONS;
  return env;
}

/** Run `aop ARGS` (the built CLI). */
function aop(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: childEnv(env), timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
  });
}


function tmpDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Rows of `aop cache dump` as arrays of cells (the header and count lines start with ';'). */
function rows(out: string): string[][] {
  return out.split('\n').filter((l) => l !== '' && !l.startsWith(';')).map((l) => l.trim().split(/\s+/));
}

t.before(() => {
  if (!existsSync(path.join(root, 'dist', 'cli', 'cache.js'))) throw new Error('dist/ lacks the cache command: run `npm run build` first');
});

t.test('control path: --control, else AOP_CONTROL, else the state file\'s, else a clear error', async (t) => {
  const dir = tmpDir(t);
  const none = path.join(dir, 'none.json');
  t.equal(controlPath('/run/a.sock', { AOP_CONTROL: '/run/b.sock' }, none), '/run/a.sock');
  t.equal(controlPath(undefined, { AOP_CONTROL: '/run/b.sock' }, none), '/run/b.sock');
  t.throws(() => controlPath(undefined, {}, none), { code: 'ERR_CONTROL', message: /no control socket given: pass --control PATH .* or set AOP_CONTROL; no running aop serve announces one in .*none\.json/ });
  t.throws(() => controlPath('', { AOP_CONTROL: '' }, none), { code: 'ERR_CONTROL' }, 'empty counts as unset');
  // A live daemon's state file (this process stands in for it).
  const state = path.join(dir, 'daemon.json');
  writeDaemonState(state, { pid: process.pid, dns: { address: '127.0.0.1', port: 5300 }, control: '/run/aop-test/control.sock', started: 'now' });
  t.equal(controlPath(undefined, {}, state), '/run/aop-test/control.sock', 'the socket the state file names');
  t.equal(controlPath(undefined, { AOP_CONTROL: '/run/b.sock' }, state), '/run/b.sock', 'AOP_CONTROL still wins');
  t.equal(controlPath(undefined, { AOP_STATE_FILE: state }), '/run/aop-test/control.sock', 'the state file from the environment, as aop dig finds it');
  writeDaemonState(state, { pid: process.pid, dns: { address: '127.0.0.1', port: 5300 }, started: 'now' });
  t.throws(() => controlPath(undefined, {}, state), { message: new RegExp(`the daemon of .*daemon\\.json \\(pid ${process.pid}\\) has none`) });
});

t.test('flush arguments become one checked control line', async (t) => {
  t.equal(flushLine('writer.acme.agents', {}), 'flush name writer.acme.agents.');
  t.equal(flushLine('Acme.Agents.', { zone: true }), 'flush zone Acme.Agents.');
  t.equal(flushLine(undefined, { all: true }), 'flush all');
  t.equal(flushLine('.', { zone: true }), 'flush zone .');
  // Whitespace and newlines are escaped by parseName, so a name cannot add words or commands.
  t.equal(flushLine('a b\nstats', {}), 'flush name a\\032b\\010stats.');
  t.throws(() => flushLine(undefined, {}), { code: 'ERR_CONTROL', message: /name what to flush: NAME, NAME --zone, or --all/ });
  t.throws(() => flushLine(undefined, { zone: true }), { code: 'ERR_CONTROL', message: /name what to flush/ });
  t.throws(() => flushLine('x.agents', { all: true }), { message: /--all flushes everything: give no NAME/ });
  t.throws(() => flushLine(undefined, { all: true, zone: true }), { message: /--all flushes everything/ });
  t.throws(() => flushLine('a..b', {}), { code: 'ERR_CONTROL', message: /^bad name "a\.\.b": empty label/ });
  t.throws(() => flushLine(`${'x'.repeat(64)}.agents`, {}), { message: /^bad name/ });
});

t.test('output formats', async (t) => {
  t.equal(formatFlush({ ok: true, flushed: 'name', name: 'writer.acme.agents.', removed: 3 }), 'flushed writer.acme.agents. (3 entries)');
  t.equal(formatFlush({ ok: true, flushed: 'name', name: 'writer.acme.agents.', removed: 1 }), 'flushed writer.acme.agents. (1 entry)');
  t.equal(formatFlush({ ok: true, flushed: 'zone', name: 'acme.agents.', removed: 0 }), 'flushed acme.agents. and everything below it (0 entries)');
  t.equal(formatFlush({ ok: true, flushed: 'all' }), 'flushed the whole cache (server RTT and lameness are kept)');

  t.equal(formatStats({ ok: true, stats: { server: { queries: 4, rcodes: { 0: 3, 3: 1 } }, resolver: { questions: 2 } }, cache: { infra: { hosts: 1 } } }),
    'server.queries=4\nserver.rcodes.0=3\nserver.rcodes.3=1\nresolver.questions=2\ncache.infra.hosts=1\n');
  t.equal(formatStats({ ok: true, stats: { server: { queries: 0 } } }), 'server.queries=0\n', 'no cache: no cache lines');

  t.equal(formatDump({ ok: true, entries: [] }), ';; the cache is empty\n');
  const out = formatDump({ ok: true, entries: [
    { kind: 'delegation', name: 'acme.agents.', type: 2, class: 1, ttl: 86399, originalTtl: 86400, rank: 1, stale: false },
    { kind: 'nxdomain', name: 'nobody.acme.agents.', type: 0, class: 1, ttl: 290, originalTtl: 300, stale: false },
    { kind: 'nodata', name: 'writer.acme.agents.', type: 28, class: 1, ttl: 30, originalTtl: 300, stale: true },
    { kind: 'rrset', name: 'writer.acme.agents.', type: 64, class: 1, ttl: 5, originalTtl: 300, rank: 5, stale: false },
    { nonsense: true },
  ] });
  t.equal(out, [
    ';; 4 entries',
    ';NAME                  TTL  CLASS  TYPE  KIND        RANK        STALE',
    'acme.agents.         86399  IN     NS    delegation  Additional  no',
    'nobody.acme.agents.    290  IN     -     nxdomain    -           no',
    'writer.acme.agents.      0  IN     AAAA  nodata      -           yes',
    'writer.acme.agents.      5  IN     SVCB  rrset       AnswerAuth  no',
    '',
  ].join('\n'));
});

t.test('connection errors say what is wrong', async (t) => {
  const dir = tmpDir(t);
  await t.rejects(control(path.join(dir, 'none.sock'), 'stats'), { code: 'ERR_CONTROL', message: /^no control socket at .*none\.sock: is the daemon running with --control .*none\.sock\?$/ });
  const file = path.join(dir, 'plain');
  writeFileSync(file, '');
  await t.rejects(control(file, 'stats'), { code: 'ERR_CONTROL', message: /plain is not a socket: pass the path given to `aop serve --control`/ });
  // A process killed with SIGKILL cannot remove its socket file.
  const sock = path.join(dir, 'dead.sock');
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv() });
  await new Promise((r) => child.stdout.once('data', r));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.ok(existsSync(sock), 'socket file left behind');
  await t.rejects(control(sock, 'stats'), { code: 'ERR_CONTROL', message: /^the daemon is not running: nothing listens on .*dead\.sock/ });
});

t.test('the command line: one line on stderr and exit 1 on failure', async (t) => {
  const dir = tmpDir(t);
  // In parallel: each run starts a node process.
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['cache', 'stats'], { AOP_STATE_FILE: path.join(dir, 'none.json') }, /^aop: no control socket given: pass --control PATH /],
    [['cache', 'flush', '--control', path.join(dir, 'x.sock')], {}, /^aop: name what to flush/],
    [['cache', 'frob'], {}, /^aop: unknown command 'aop cache frob'/],
    [['cache', 'stats', '--timeout', '0'], {}, /^aop: --timeout must be 1 to 600000 ms/],
  ];
  const results = await Promise.all(cases.map(([args, env]) => aop(args, env)));
  cases.forEach(([args, , re], i) => {
    const r = results[i]!;
    t.equal(r.code, 1, args.join(' '));
    t.match(r.stderr, re, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.equal(r.stdout, '');
  });
});

t.test('flush, stats and dump against a running resolver', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  if (!(await canBind53(NET))) {
    if (process.env.CI === 'true') t.fail(`cannot bind port 53 on ${NET.net}x; CI runs as root`);
    else t.skip('binding port 53 on loopback needs root (glue carries addresses, not ports)', () => {});
    return;
  }
  const topo = await startTopology(NET);
  t.teardown(() => topo.close());
  const dir = tmpDir(t);
  const hints = path.join(dir, 'root.hints');
  writeFileSync(hints, topo.hintsText);
  const sock = path.join(dir, 'control.sock');
  const child = spawn(process.execPath, [bin, 'serve', '--resolver', '--root-hints', hints, '--listen', '127.0.0.1:0', '--control', sock, '--warm-up', '0'], { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv() });
  let log = '';
  child.stderr.on('data', (d) => { log += String(d); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const port = Number((await waitForLog(() => log, /listening on 127\.0\.0\.1:(\d+)/))[1]);
  await waitForLog(() => log, /control socket /);
  const ctl = (...args: string[]) => aop(['cache', ...args, '--control', sock]);
  const entries = async () => (await sendCommand(sock, 'dump')).entries as Array<{ name: string }>;
  const rec = (name: string, type: string) => dig(port, ['+rec', '+time=6', name, type]);

  t.same(await entries(), [], 'the cache starts empty');

  const first = await rec('writer.acme.agents', 'SVCB');
  t.equal(first.status, 'NOERROR');
  t.equal(first.answer.length, 3, 'writer: https, then two plain-http endpoints');

  // The dump shows the answer, the delegations that led to it, and a header.
  const dump = await ctl('dump');
  t.equal(dump.code, 0, dump.stderr);
  const lines = dump.stdout.split('\n');
  t.match(lines[0], /^;; \d+ entries$/);
  t.match(lines[1], /^;NAME\s+TTL\s+CLASS\s+TYPE\s+KIND\s+RANK\s+STALE$/);
  const table = rows(dump.stdout);
  const writer = table.find((r) => r[0] === 'writer.acme.agents.' && r[3] === 'SVCB');
  t.ok(writer, 'writer SVCB listed');
  t.match(writer, ['writer.acme.agents.', /^\d+$/, 'IN', 'SVCB', 'rrset', 'AnswerAuth', 'no']);
  t.ok(Number(writer![1]) > 0 && Number(writer![1]) <= 3600, 'remaining TTL');
  t.ok(table.some((r) => r[0] === 'acme.agents.' && r[3] === 'NS' && r[4] === 'delegation'), 'acme.agents. delegation listed');
  t.equal((await entries()).length, table.length, 'the table has one row per entry');

  // Flushing the name: the next question reaches acme's servers again, but not the root.
  let before = topo.upstreamQueries();
  await rec('writer.acme.agents', 'SVCB');
  t.equal(topo.upstreamQueries(), before, 'cached: no upstream query');
  const flushed = await ctl('flush', 'WRITER.acme.agents');
  t.equal(flushed.code, 0, flushed.stderr);
  t.match(flushed.stdout, /^flushed WRITER\.acme\.agents\. \(1 entry\)\n$/, 'names are matched without case');
  t.notOk((await entries()).some((e) => e.name === 'writer.acme.agents.'), 'gone from the dump');
  before = topo.upstreamQueries();
  let rootBefore = topo.root.stats.queries;
  const again = await rec('writer.acme.agents', 'SVCB');
  t.equal(again.status, 'NOERROR');
  t.ok(topo.upstreamQueries() > before, 'asked upstream again');
  t.equal(topo.root.stats.queries, rootBefore, 'the acme.agents. delegation is still cached');

  // Flushing the zone takes the delegation too: the root is asked again.
  await rec('nobody.acme.agents', 'SVCB'); // a negative entry below the zone
  await rec('planner.globex.agents', 'SVCB');
  const zone = await ctl('flush', 'acme.agents', '--zone');
  t.equal(zone.code, 0, zone.stderr);
  const m = /^flushed acme\.agents\. and everything below it \((\d+) entries\)\n$/.exec(zone.stdout);
  t.ok(m && Number(m[1]) >= 3, `writer, nobody and the delegation at least: ${zone.stdout}`);
  const left = await entries();
  t.notOk(left.some((e) => e.name.toLowerCase().endsWith('acme.agents.')), 'nothing at or below acme.agents. left');
  t.ok(left.some((e) => e.name === 'planner.globex.agents.'), 'other zones untouched');
  rootBefore = topo.root.stats.queries;
  await rec('writer.acme.agents', 'SVCB');
  t.ok(topo.root.stats.queries > rootBefore, 'the root is asked for acme.agents. again');

  // Stats: key=value lines from the server, resolver and cache; AOP_CONTROL works in place of --control.
  const stats = await aop(['cache', 'stats'], { AOP_CONTROL: sock });
  t.equal(stats.code, 0, stats.stderr);
  t.match(stats.stdout, /^server\.queries=\d+$/m);
  t.match(stats.stdout, /^resolver\.questions=\d+$/m);
  t.match(stats.stdout, /^resolver\.upstreamQueries=\d+$/m);
  t.match(stats.stdout, /^cache\.rrset\.entries=[1-9]\d*$/m);
  t.match(stats.stdout, /^cache\.infra\.hosts=\d+$/m);
  t.ok(stats.stdout.trim().split('\n').every((l) => /^[\w.]+=[\w.-]+$/.test(l)), 'every line is key=value');

  const all = await ctl('flush', '--all');
  t.equal(all.code, 0, all.stderr);
  t.equal(all.stdout, 'flushed the whole cache (server RTT and lameness are kept)\n');
  const json = await ctl('dump', '--json');
  t.same(JSON.parse(json.stdout), { ok: true, entries: [] }, '--json prints the reply: the cache is empty');
  rootBefore = topo.root.stats.queries;
  t.equal((await rec('editor.acme.agents', 'SVCB')).status, 'NOERROR');
  t.ok(topo.root.stats.queries > rootBefore, 'after --all the walk starts at the root');

  // A second daemon on the same socket is refused and the first keeps its socket.
  const second = await aop(['serve', '--resolver', '--root-hints', hints, '--listen', '127.0.0.1:0', '--control', sock]);
  t.equal(second.code, 10);
  t.match(second.stderr, /control socket .* is in use by another daemon/);
  t.equal((await sendCommand(sock, 'stats')).ok, true, 'the first daemon still answers');

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'clean exit');
  t.notOk(existsSync(sock), 'socket removed at shutdown');
});

t.test('the embedded default (npm start) opens a control socket beside its state file: aop cache needs no flags', async (t) => {
  const runtime = tmpDir(t);
  const env = { XDG_RUNTIME_DIR: runtime };
  const stateFile = path.join(runtime, 'aop', 'daemon.json');
  const sock = path.join(runtime, 'aop', 'control.sock');
  // No --zones, no --resolver: the embedded default, on free ports and without the demo agents' fixed ones.
  const args = ['serve', '--listen', `${NET.host(200)}:0`, '--mcp', `${NET.host(200)}:0`, '--metrics', `${NET.host(200)}:0`, '--no-demo-agents', '--warm-up', '0'];
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv(env) });
  let log = '';
  child.stderr.on('data', (d) => { log += String(d); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  await waitForLog(() => log, /announced in /);
  const state = readDaemonState(stateFile);
  t.equal(state?.pid, child.pid);
  t.equal(state?.control, sock, 'the state file names the socket');
  t.ok(statSync(sock).isSocket());
  t.equal(statSync(sock).mode & 0o777, 0o600, 'mode 0600');
  t.equal(statSync(path.dirname(sock)).mode & 0o777, 0o700, 'in a folder of the owner only');
  t.match(log, /announced in .*: aop dig and aop call use .* with no flags, aop cache the control socket /);

  const stats = await aop(['cache', 'stats'], env);
  t.equal(stats.code, 0, stats.stderr);
  t.match(stats.stdout, /^server\.queries=\d+$/m);
  t.match(stats.stdout, /^cache\.rrset\.entries=\d+$/m, 'the embedded resolver\'s cache');
  const flushed = await aop(['cache', 'flush', '--all'], env);
  t.equal(flushed.code, 0, flushed.stderr);

  // A second copy beside it starts all the same, without a socket of its own.
  const second = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv(env) });
  let log2 = '';
  second.stderr.on('data', (d) => { log2 += String(d); });
  t.teardown(() => { if (second.exitCode === null) second.kill('SIGKILL'); });
  await waitForLog(() => log2, /announced in /);
  t.match(log2, /control socket .*control\.sock is in use by another daemon: this one runs without one/);
  t.notOk(readDaemonState(stateFile)?.control, 'its state file names no socket');
  t.equal((await sendCommand(sock, 'stats')).ok, true, 'the first daemon keeps its socket');
  second.kill('SIGTERM');
  await new Promise((r) => second.once('exit', r));

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'clean exit');
  t.notOk(existsSync(sock), 'socket removed at shutdown');
});

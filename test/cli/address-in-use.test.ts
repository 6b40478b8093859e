// `aop serve` on an address another socket holds: the DNS listeners', the MCP gateway's, a demo
// agent's. One line naming the address and, when the state file announces a live aop daemon, its
// pid and addresses; exit 1, no stack trace, and before the resolver's warm-up. Every port is one
// this test took itself on port 0, so a second copy of the suite can run beside it.

import t from 'tap';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDaemonState } from '../../src/cli/daemon-state.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');

interface Run { code: number; stdout: string; stderr: string; ms: number }

function aop(args: string[], stateFile: string): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['AOP_RESOLVER', 'AOP_STATE_FILE', 'NODE_OPTIONS'].includes(k)) env[k] = v;
  env.AOP_STATE_FILE = stateFile;
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - started });
    });
  });
}

async function udpPort(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  t.teardown(() => s.close());
  return s.address().port;
}

async function tcpPort(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const s = net.createServer((c) => c.destroy());
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  return (s.address() as net.AddressInfo).port;
}

/** The last line of stderr, and that it is the only `aop:` line and no stack trace. */
function verdict(t: { notMatch(a: string, b: RegExp, m: string): void; equal(a: unknown, b: unknown, m: string): void }, r: Run): string {
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  t.equal(r.stderr.split('\n').filter((l) => l.startsWith('aop:')).length, 1, 'one aop: line');
  return r.stderr.trimEnd().split('\n').pop()!;
}

if (!existsSync(path.join(root, 'dist', 'cli', 'common.js'))) {
  t.fail('dist/ is out of date: run `npm run build` first');
} else {
  t.test('the DNS address, before the warm-up; with the aop daemon that has it', async (t) => {
    const dir = t.testdir({});
    const stateFile = path.join(dir, 'daemon.json');
    const port = await udpPort(t);
    // A resolver with a long warm-up: a start that warmed up first would take seconds.
    const args = ['serve', '--zones', 'zones', '--resolver', '--warm-up', '100000', '--listen', `127.0.0.1:${port}`, '--no-mcp', '--log-level', 'debug'];
    const other = await aop(args, stateFile);
    t.equal(other.code, 1, 'a usage error');
    t.equal(verdict(t, other), `aop: 127.0.0.1:${port} is in use by another program (udp); stop it or pick another --listen`);
    t.notMatch(other.stderr, /warmed up/, 'said before the warm-up');
    t.ok(other.ms < 15_000, `at once (${other.ms} ms)`);

    // The state file announces a live aop daemon (this test's pid) at that address.
    writeDaemonState(stateFile, { pid: process.pid, dns: { address: '127.0.0.1', port }, mcp: 'http://127.0.0.1:8053/mcp', started: '2026-12-06T20:41:18.765Z' });
    const ours = await aop(args, stateFile);
    t.equal(ours.code, 1);
    t.equal(verdict(t, ours), `aop: 127.0.0.1:${port} is in use by aop (pid ${process.pid}, started 2026-12-06T20:41:18.765Z, DNS 127.0.0.1:${port}, MCP http://127.0.0.1:8053/mcp); stop it or pick another --listen`);
    const wild = await aop(['serve', '--zones', 'zones', '--listen', `0.0.0.0:${port}`, '--no-mcp'], stateFile);
    t.match(verdict(t, wild), new RegExp(`^aop: 0\\.0\\.0\\.0:${port} is in use by aop \\(pid ${process.pid}, `), 'a wildcard address meets the daemon on loopback');

    // With --workers the primary finds it before forking (the workers bind with SO_REUSEPORT);
    // the command exits 1 as one process does.
    const workers = await aop(['serve', '--zones', 'zones', '--workers', '2', '--listen', `127.0.0.1:${port}`], path.join(dir, 'none.json'));
    t.equal(workers.code, 1, '--workers 2: exit 1');
    t.match(workers.stderr, new RegExp(`aop: 127\\.0\\.0\\.1:${port} is in use by another program \\(udp\\); stop it or pick another --listen\n$`));
    t.notMatch(workers.stderr, /workers serving/, 'no worker was started');
    t.notMatch(workers.stderr, /\n\s+at /, 'no stack trace');

    // A live daemon elsewhere: still named, but not as the holder.
    const port2 = await udpPort(t);
    const elsewhere = await aop(['serve', '--zones', 'zones', '--listen', `127.0.0.1:${port2}`, '--no-mcp'], stateFile);
    t.equal(verdict(t, elsewhere), `aop: 127.0.0.1:${port2} is in use (udp); an aop daemon is running (pid ${process.pid}, started 2026-12-06T20:41:18.765Z, DNS 127.0.0.1:${port}, MCP http://127.0.0.1:8053/mcp); stop it or pick another --listen`);
  });

  t.test('the MCP gateway address', async (t) => {
    const dir = t.testdir({});
    const stateFile = path.join(dir, 'daemon.json');
    const mcp = await tcpPort(t);
    const args = ['serve', '--zones', 'zones', '--listen', '127.0.0.1:0', '--mcp', `127.0.0.1:${mcp}`, '--no-demo-agents', '--no-state-file'];
    const other = await aop(args, stateFile);
    t.equal(other.code, 1);
    t.equal(verdict(t, other), `aop: the MCP gateway's address 127.0.0.1:${mcp} is in use by another program (tcp); stop it, pick another --mcp, or run with --no-mcp`);
    writeDaemonState(stateFile, { pid: process.pid, dns: { address: '127.0.0.1', port: 5300 }, mcp: `http://127.0.0.1:${mcp}/mcp`, started: 'then' });
    const ours = await aop(args, stateFile);
    t.equal(verdict(t, ours), `aop: the MCP gateway's address 127.0.0.1:${mcp} is in use by aop (pid ${process.pid}, started then, DNS 127.0.0.1:5300, MCP http://127.0.0.1:${mcp}/mcp); stop it, pick another --mcp, or run with --no-mcp`);
  });

  t.test('a demo agent port suggests --no-demo-agents', async (t) => {
    const busy = await tcpPort(t);
    const zone = readFileSync(path.join(root, 'test', 'fixtures', 'agent-zones', 'clean.agents.zone'), 'utf8').replaceAll('18101', String(busy));
    const dir = t.testdir({ 'clean.agents.zone': zone });
    const r = await aop(['serve', '--zones', dir, '--listen', '127.0.0.1:0', '--demo-agents', '--no-mcp', '--no-state-file'], path.join(dir, 'daemon.json'));
    t.equal(r.code, 1);
    t.equal(verdict(t, r), `aop: the demo agent port 127.0.0.1:${busy} is in use by another program (tcp); stop it or run with --no-demo-agents`);
  });
}

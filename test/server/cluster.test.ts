// `aop serve --workers 2` (the built CLI) on a leased loopback /24: every worker answers, a SIGHUP reload
// reaches every worker, control commands (stats, flush) reach every worker and are merged.

import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWorkers, sumReplies } from '../../src/server/cluster.js';
import { sendCommand } from '../../src/server/control.js';
import { decodeMessage, encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { startDaemon } from '../helpers/server.js';
import { udpExchange } from '../helpers/udp.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool } from '../helpers/peers.js';
import { privateRuntimeEnv } from '../helpers/runtime-env.js';
import { spawnServe } from '../helpers/aop-serve.js';
import { waitForLog } from '../helpers/wait.js';

// This file's own loopback /24, leased for its life: the workers share a fixed port (5300) in it.
const NET = (await leaseNet(t)).net;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');
const PORT = 5300;

function tmpDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-cluster-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Start `aop serve ARGS` and wait for the primary to say every worker is serving. */
const serve = (t: { teardown(fn: () => unknown): void }, args: string[]) => spawnServe(t, args, /\d+ workers serving/);

type Stats = { stats: { server: { queries: number }; workers: number; perWorker: Record<string, { pid: number; queries: number }> }; cache?: { rrset: { entries: number } } };

async function stats(sock: string): Promise<Stats> {
  const r = await sendCommand(sock, 'stats');
  if (r.ok !== true) throw new Error(`stats failed: ${JSON.stringify(r)}`);
  return r as unknown as Stats;
}

const counts = (s: Stats) => Object.values(s.stats.perWorker).map((w) => w.queries);

/**
 * Ask `name TXT` in rounds of 20 at once (each from its own socket, so from its own port) until
 * every worker's query count has grown past `from`; at most 100 rounds. Returns the TXT texts seen.
 */
async function askUntilAllWorkers(sock: string, host: string, port: number, name: string, rd: boolean, from: number[]): Promise<{ texts: Set<string>; grew: boolean[] }> {
  const texts = new Set<string>();
  let grew = from.map(() => false);
  for (let round = 0; round < 100 && !grew.every(Boolean); round++) {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => udpExchange(port, encodeQuery(name, RRType.TXT, { id: round * 20 + i, rd }), 2000, host)));
    for (const r of replies) {
      if (!r) continue;
      const m = decodeMessage(r);
      for (const a of m.answers) if (a.type === RRType.TXT) texts.add(a.rdata.subarray(1).toString());
    }
    const now = counts(await stats(sock));
    grew = now.map((n, i) => n > (from[i] ?? 0));
  }
  return { texts, grew };
}

const zone = (serial: number, txt: string) => `$TTL 300\n@ IN SOA ns h ${serial} 3600 600 86400 60\n@ IN NS ns\nns IN A ${NET}1\nw IN TXT "${txt}"\n`;

t.test('--workers', async (t) => {
  t.equal(parseWorkers('1'), 1);
  t.equal(parseWorkers(3), 3);
  t.ok(parseWorkers('auto') >= 1, 'auto: one per CPU');
  for (const bad of ['0', '65', '-1', '1.5', 'two', 'auto2']) t.throws(() => parseWorkers(bad), { code: 'ERR_WORKERS' }, bad);
  t.same(sumReplies([{ ok: true, a: 1, b: { c: 2 }, l: [1] }, { ok: true, a: 3, b: { c: 4, d: 1 }, l: [2] }]), { ok: true, a: 4, b: { c: 6, d: 1 }, l: [1, 2] });
});

t.test('authoritative: every worker answers, a reload reaches every worker', async (t) => {
  if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
    t.fail('dist/ is missing: run npm run build first');
    return;
  }
  const dir = tmpDir(t);
  const zones = path.join(dir, 'zones');
  const sock = path.join(dir, 'ctl.sock');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(zones);
  writeFileSync(path.join(zones, 'clu.test.zone'), zone(1, 'one'));
  const host = `${NET}1`;
  const { child, log } = await serve(t, ['--workers', '2', '--zones', zones, '--listen', `${host}:${PORT}`, '--control', sock, '--log-level', 'info', '--warm-up', '0']);
  const before = await stats(sock);
  t.equal(before.stats.workers, 2, 'two workers report');
  t.equal(new Set(Object.values(before.stats.perWorker).map((w) => w.pid)).size, 2, 'two processes');
  await t.test("each worker owns its UDP socket (SO_REUSEPORT), not the primary's shared handle", async (t) => {
    if (!requireTool(t, 'ss', 'iproute2')) return;
    const ss = spawnSync('ss', ['-Hulnp'], { encoding: 'utf8' });
    const lines = ss.stdout.split('\n').filter((l) => l.includes(` ${host}:${PORT} `));
    const owners = lines.map((l) => [...l.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])).sort());
    const workers = Object.values(before.stats.perWorker).map((w) => w.pid).sort();
    t.equal(lines.length, 2, `two sockets on ${host}:${PORT}:\n${lines.join('\n')}`);
    t.same(owners.map((o) => o.length), [1, 1], 'each held by one process');
    t.same(owners.flat().sort(), workers, 'the two workers');
    // A second cluster of the same user could join that reuseport group and take half the queries.
    const second = spawnSync(process.execPath, [bin, 'serve', '--workers', '2', '--zones', zones, '--listen', `${host}:${PORT}`], { encoding: 'utf8', env: { ...privateRuntimeEnv(), NODE_OPTIONS: '' }, timeout: 60_000 });
    t.equal(second.status, 1, 'a second --workers 2 on the same address: exit 1');
    t.match(second.stderr, new RegExp(`${host.replaceAll('.', '\\.')}:${PORT} is in use`), second.stderr);
    t.notMatch(second.stderr, /worker \d+ exited/, 'refused by its primary before any worker joined the group');
  });

  const first = await askUntilAllWorkers(sock, host, PORT, 'w.clu.test.', false, counts(before));
  t.same(first.grew, [true, true], 'both workers answered');
  t.same([...first.texts], ['one']);
  const mid = await stats(sock);
  t.equal(mid.stats.server.queries, counts(mid).reduce((a, b) => a + b, 0), 'the total is the sum of the workers');

  writeFileSync(path.join(zones, 'clu.test.zone'), zone(2, 'two'));
  child.kill('SIGHUP');
  await waitForLog(log, /reload: 2 workers reloaded \(1 zones loaded, 0 failed\)/, 30_000);
  const after = await askUntilAllWorkers(sock, host, PORT, 'w.clu.test.', false, counts(await stats(sock)));
  t.same(after.grew, [true, true], 'both workers answered after the reload');
  t.same([...after.texts], ['two'], 'and every answer has the new data');
});

t.test('resolver: a flush reaches every worker', async (t) => {
  const dir = tmpDir(t);
  const zones = path.join(dir, 'zones');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(zones);
  // The authoritative side: `agents.` in-process, on an ephemeral port.
  writeFileSync(path.join(zones, 'agents.zone'), `$ORIGIN agents.\n$TTL 300\n@ IN SOA a.root h 1 3600 600 86400 60\n@ IN NS a.root\na.root IN A ${NET}2\nw IN TXT "up"\n`);
  const { port: upstream } = await startDaemon(t, { zonesDir: zones, listen: [{ host: `${NET}2`, port: 0, family: 4 }] });
  const hints = path.join(dir, 'hints');
  writeFileSync(hints, `agents. 3600000 IN NS a.root.agents.\na.root.agents. 3600000 IN A ${NET}2\n`);
  const sock = path.join(dir, 'ctl.sock');
  const host = `${NET}3`;
  await serve(t, ['--workers', '2', '--resolver', '--root-hints', hints, '--upstream-port', String(upstream), '--listen', `${host}:${PORT}`, '--control', sock, '--log-level', 'info', '--warm-up', '0']);

  const filled = await askUntilAllWorkers(sock, host, PORT, 'w.agents.', true, [0, 0]);
  t.same(filled.grew, [true, true], 'both workers resolved');
  t.same([...filled.texts], ['up']);
  const full = await stats(sock);
  t.ok(full.cache!.rrset.entries >= 2, `${full.cache!.rrset.entries} RRsets cached in all`);
  const before = await sendCommand(sock, 'dump');
  const copies = (before.entries as { name: string; type: number }[]).filter((e) => e.name === 'w.agents.' && e.type === RRType.TXT);
  t.equal(copies.length, 2, 'each worker cached the answer: the dump lists one copy per worker');

  const flushed = await sendCommand(sock, 'flush all');
  t.match(flushed, { ok: true, flushed: 'all', workers: 2 }, 'the flush went to both workers');
  const empty = await stats(sock);
  t.equal(empty.cache!.rrset.entries, 0, 'no worker keeps an entry');

  const dump = await sendCommand(sock, 'dump');
  t.match(dump, { ok: true, workers: 2, entries: [] });
  const bad = await sendCommand(sock, 'flush name bad..name');
  t.equal(bad.ok, false, 'a bad command fails as it does with one process');
});

t.test('a worker that cannot start stops the cluster with its error', async (t) => {
  const dir = tmpDir(t);
  const env = privateRuntimeEnv();
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [bin, 'serve', '--workers', '2', '--zones', dir, '--listen', `${NET}4:${PORT}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  t.teardown(() => { clearTimeout(timer); child.kill('SIGKILL'); });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  t.equal(code, 10, 'the status one process would give');
  t.match(log, /no \*\.zone files in/, 'the worker\'s own error');
  t.match(log, /ERR_WORKERS|exited \(code 10\) before it was serving/, 'and the primary says which worker');
  t.notMatch(log, /starting a replacement/, 'no restart loop at start-up');
});

// The control channel: runCommand on a real cache (flush name/zone/all, stats, dump, bad input),
// and the Unix socket server (round trips, a stale socket file replaced, a live one refused).

import t from 'tap';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ControlError, ControlServer, runCommand, sendCommand, type ControlTarget } from '../../src/server/control.js';
import { DnsCache, Rank } from '../../src/cache/index.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { nameToWire } from '../../src/wire/name.js';
import { RRType } from '../../src/wire/types.js';

function soa(zone: string) {
  const times = Buffer.alloc(20);
  [2026112501, 7200, 3600, 1209600, 300].forEach((v, i) => times.writeUInt32BE(v, i * 4));
  return { name: zone, type: RRType.SOA, class: 1, ttl: 300, rdata: [Buffer.concat([nameToWire(`ns1.${zone}`), nameToWire(`hostmaster.${zone}`), times])] };
}

const a = (name: string, last: number) => ({ name, type: RRType.A, class: 1, ttl: 300, rdata: [Buffer.from([192, 0, 2, last])] });

/** A cache holding: the acme.agents. and globex.agents. cuts, two acme names (one with two types), an NXDOMAIN, a globex name. */
function filledCache(): DnsCache {
  const cache = new DnsCache();
  cache.putDelegation({ zone: 'acme.agents.', nameservers: ['ns1.acme.agents.'], glue: new Map([['ns1.acme.agents.', ['192.0.2.53']]]), ttl: 86400, rank: Rank.Additional });
  cache.putDelegation({ zone: 'globex.agents.', nameservers: ['ns1.globex.agents.'], ttl: 86400, rank: Rank.Additional });
  cache.putRRset(a('writer.acme.agents.', 1), Rank.AnswerAuth);
  cache.putRRset({ name: 'writer.acme.agents.', type: RRType.TXT, class: 1, ttl: 300, rdata: [Buffer.from('\x02hi')] }, Rank.AnswerAuth);
  cache.putRRset(a('editor.acme.agents.', 2), Rank.AnswerAuth);
  cache.putNegative({ kind: 'nxdomain', name: 'nobody.acme.agents.', soa: soa('acme.agents.') });
  cache.putRRset(a('planner.globex.agents.', 3), Rank.AnswerAuth);
  cache.infra.record('192.0.2.53', 12);
  return cache;
}

function tmpDir(t: { teardown(fn: () => unknown): void }): string {
  // Short: a Unix socket path has a limit of about 107 bytes.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-ctl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const names = (cache: DnsCache) => cache.dump().map((e) => `${e.name} ${e.kind}`);

t.test('runCommand: stats and dump', async (t) => {
  const cache = filledCache();
  const target: ControlTarget = { cache, stats: () => ({ server: { queries: 7 } }) };
  const stats = runCommand(target, 'stats');
  t.equal(stats.ok, true);
  t.same(stats.stats, { server: { queries: 7 } });
  t.match(stats.cache, { rrset: { entries: 4 }, negative: { entries: 1 }, delegation: { entries: 2 }, infra: { hosts: 1 } });
  const dump = runCommand(target, '  dump \n');
  t.equal(dump.ok, true);
  t.same((dump.entries as Array<{ name: string }>).map((e) => e.name), [
    'acme.agents.', 'editor.acme.agents.', 'nobody.acme.agents.', 'writer.acme.agents.', 'writer.acme.agents.', 'globex.agents.', 'planner.globex.agents.',
  ].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
  t.match(dump.entries, [{ name: 'acme.agents.', kind: 'delegation', type: RRType.NS, rank: Rank.Additional, stale: false }]);
});

t.test('runCommand: flush name, zone, all', async (t) => {
  const cache = filledCache();
  const target: ControlTarget = { cache, stats: () => ({}) };
  // Every type at the name, matched without case, with or without the trailing dot.
  t.same(runCommand(target, 'flush name WRITER.acme.agents'), { ok: true, flushed: 'name', name: 'WRITER.acme.agents.', removed: 2 });
  t.notOk(names(cache).some((n) => n.startsWith('writer.')));
  t.same(runCommand(target, 'flush name absent.acme.agents.'), { ok: true, flushed: 'name', name: 'absent.acme.agents.', removed: 0 });
  // flush name at a cut removes the cut only, not the names below it.
  t.equal(runCommand(target, 'flush name globex.agents').removed, 1);
  t.ok(names(cache).includes('planner.globex.agents. rrset'));
  // flush zone: the name, everything below, negatives and the delegation.
  t.same(runCommand(target, 'flush zone acme.agents'), { ok: true, flushed: 'zone', name: 'acme.agents.', removed: 3 });
  t.same(names(cache), ['planner.globex.agents. rrset']);
  const again = filledCache();
  t.same(runCommand({ cache: again, stats: () => ({}) }, 'flush all'), { ok: true, flushed: 'all' });
  t.same(again.dump(), []);
  t.equal(again.snapshot().infra.hosts, 1, 'server RTTs survive flush all');
  const root = filledCache();
  t.equal(runCommand({ cache: root, stats: () => ({}) }, 'flush zone .').removed, 7, 'flush zone . empties the name caches');
});

t.test('runCommand: bad names and unknown commands are errors, not crashes', async (t) => {
  const cache = filledCache();
  const target: ControlTarget = { cache, stats: () => ({}) };
  const before = cache.dump().length;
  t.match(runCommand(target, 'flush name a..b'), { ok: false, error: /^bad name "a\.\.b": empty label/ });
  t.match(runCommand(target, `flush zone ${'x'.repeat(64)}.agents`), { ok: false, error: /^bad name "x+\.agents": / });
  t.match(runCommand(target, `flush name ${'abcdefg.'.repeat(40)}`), { ok: false, error: /^bad name/ });
  for (const line of ['', '   ', 'frob', 'flush', 'flush name', 'flush zone', 'flush name a b', 'flush all now', 'flush everything', 'FLUSH all', 'flush\tall\tx']) {
    t.match(runCommand(target, line), { ok: false, error: /^unknown command ".*"; use: flush all \| flush name NAME \| flush zone NAME \| stats \| dump$/ }, JSON.stringify(line));
  }
  t.equal(cache.dump().length, before, 'nothing flushed by a bad command');
});

t.test('runCommand: a daemon without a resolver has no cache', async (t) => {
  const target: ControlTarget = { stats: () => ({ server: { queries: 1 } }) };
  t.same(runCommand(target, 'stats'), { ok: true, stats: { server: { queries: 1 } }, cache: undefined });
  for (const line of ['dump', 'flush all', 'flush name writer.acme.agents', 'flush zone acme.agents']) {
    t.same(runCommand(target, line), { ok: false, error: 'this daemon runs no resolver, so it has no cache' }, line);
  }
  t.match(runCommand(target, 'flush'), { ok: false, error: /no resolver/ }, 'checked before the arguments');
});

t.test('ControlServer: commands over the socket', async (t) => {
  const dir = tmpDir(t);
  const sock = path.join(dir, 'c.sock');
  const cache = filledCache();
  const server = new ControlServer(sock, { cache, stats: () => ({ server: { queries: 3 } }) });
  await server.start();
  t.teardown(() => server.close());
  t.match(await sendCommand(sock, 'stats'), { ok: true, stats: { server: { queries: 3 } }, cache: { rrset: { entries: 4 } } });
  t.match(await sendCommand(sock, 'flush name writer.acme.agents'), { ok: true, removed: 2 });
  t.match(await sendCommand(sock, 'nonsense'), { ok: false, error: /unknown command "nonsense"/ });

  // Several lines on one connection get one reply each, in order.
  const replies = await new Promise<string[]>((resolve, reject) => {
    const c = net.connect(sock);
    let buf = '';
    c.setEncoding('utf8');
    c.on('connect', () => c.write('dump\nflush all\ndu'));
    c.on('data', (d: string) => {
      buf += d;
      if (buf.split('\n').length === 3) c.write('mp\n');
      if (buf.split('\n').length === 4) { c.end(); resolve(buf.trim().split('\n')); }
    });
    c.on('error', reject);
  });
  const [first, second, third] = replies.map((l) => JSON.parse(l) as { ok: boolean; entries?: unknown[]; flushed?: string });
  t.equal(first!.entries!.length, 5);
  t.equal(second!.flushed, 'all');
  t.same(third!.entries, [], 'a line split across writes is joined');

  // A line over 4 KiB without a newline: the daemon drops the connection, the client says so at
  // once (the message is not the timeout's).
  await t.rejects(sendCommand(sock, 'x'.repeat(5000)), { code: 'ERR_CONTROL', message: /closed the connection without replying/ });
  t.equal((await sendCommand(sock, 'stats')).ok, true, 'still serving');

  await server.close();
  t.notOk(existsSync(sock), 'socket file removed on close');
  const err = await sendCommand(sock, 'stats').then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof ControlError);
  t.equal((err as ControlError).code, 'ERR_CONTROL');
  t.match((err as ControlError).message, /^cannot reach the daemon at .*c\.sock: connect ENOENT/);
  t.equal(((err as ControlError).cause as NodeJS.ErrnoException).code, 'ENOENT', 'the socket error is the cause');
});

t.test('ControlServer: a stale socket file is replaced, a live one refused', async (t) => {
  const dir = tmpDir(t);
  const sock = path.join(dir, 'c.sock');
  // A daemon killed with SIGKILL leaves its socket file behind; nothing listens on it.
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // tap's hooks are slow to load and not needed here
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'], env });
  await new Promise((r) => child.stdout.once('data', r));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.ok(existsSync(sock), 'stale socket file present');

  const first = new ControlServer(sock, { stats: () => ({ who: 'first' }) });
  await first.start();
  t.teardown(() => first.close());
  t.match(await sendCommand(sock, 'stats'), { ok: true, stats: { who: 'first' } }, 'the stale file was replaced');

  const second = new ControlServer(sock, { stats: () => ({ who: 'second' }) });
  await t.rejects(second.start(), { code: 'ERR_CONTROL', message: `control socket ${sock} is in use by another daemon` });
  t.match(await sendCommand(sock, 'stats'), { ok: true, stats: { who: 'first' } }, 'the live daemon keeps its socket');

  // A missing folder is made, for the owner only (`--control /run/aop/control.sock`).
  const made = new ControlServer(path.join(dir, 'missing', 'c.sock'), { stats: () => ({ who: 'made' }) });
  await made.start();
  t.teardown(() => made.close());
  t.equal(statSync(path.join(dir, 'missing')).mode & 0o777, 0o700);
  t.match(await sendCommand(path.join(dir, 'missing', 'c.sock'), 'stats'), { ok: true, stats: { who: 'made' } });
  writeFileSync(path.join(dir, 'plain'), '');
  const nowhere = new ControlServer(path.join(dir, 'plain', 'c.sock'), { stats: () => ({}) });
  await t.rejects(nowhere.start(), { code: 'ERR_CONTROL', message: /^cannot open control socket .*plain.*: / });
});

t.test('the daemon: control socket without a resolver', async (t) => {
  const dir = tmpDir(t);
  const sock = path.join(dir, 'd.sock');
  const daemon = new Daemon({ zonesDir: bundledZonesDir, listen: [parseListen('127.0.0.1:0')], controlPath: sock });
  await daemon.start();
  t.teardown(() => daemon.close());
  t.same(await sendCommand(sock, 'dump'), { ok: false, error: 'this daemon runs no resolver, so it has no cache' });
  const stats = await sendCommand(sock, 'stats');
  t.equal(stats.ok, true);
  t.match(stats.stats, { server: { queries: 0 } });
  t.notOk('resolver' in (stats.stats as object), 'no resolver counters');
  t.notOk('cache' in stats, 'no cache in the reply (undefined is left out of JSON)');
  await daemon.close();
  t.notOk(existsSync(sock), 'socket removed at shutdown');
});

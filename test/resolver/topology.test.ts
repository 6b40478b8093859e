// The resolver against the bundled hierarchy on loopback (root, two acme servers, globex), with
// dig as the client: iteration, caching, expiry, negative caching, failover, serve-stale,
// TCP after truncation, lying servers, delegation loops and the recursion ACL.

import t from 'tap';
import dgram from 'node:dgram';
import { canBind53, startResolver, startTopology, type Topology } from '../helpers/topology.js';
import { dig as digRaw } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitUntil } from '../helpers/wait.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import { RRType } from '../../src/wire/types.js';

// This file's own loopback /24, leased for its life: port 53 in it is ours alone.
const NET = await leaseNet(t);

const rec = (port: number, ...args: string[]) => digRaw(port, ['+rec', '+time=6', ...args]);

async function setup(t: { teardown(fn: () => unknown): void }, opts: Parameters<typeof startTopology>[1] = {}): Promise<Topology> {
  const topo = await startTopology(NET, opts);
  t.teardown(() => topo.close());
  return topo;
}

/** What dig measured for the question (";; Query time: N msec"): for the log, and for lower bounds only. */
const queryTime = (r: { raw: string }): number => Number(/Query time: (\d+) msec/.exec(r.raw)?.[1] ?? NaN);

/** A UDP socket on `${net}${host}:53` that reads every query and never answers (no ICMP either). */
async function blackHole(t: { teardown(fn: () => unknown): void }, topo: Topology, host: number): Promise<{ count: number }> {
  if (host === 3) await topo.acme1.close();
  if (host === 4) await topo.acme2.close();
  const hole = { count: 0 };
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(53, `${topo.net}${host}`, r));
  s.on('message', () => { hole.count++; });
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  return hole;
}

/**
 * A third server of acme's zone on `${net}${host}:53` whose replies are held back until
 * `release()`: what the resolver gets before then cannot have come from it.
 */
async function gated(t: { teardown(fn: () => unknown): void }, topo: Topology, host: number): Promise<{ asked: number; answered: number; release(): void }> {
  const { Daemon } = await import('../../src/server/daemon.js');
  const { parseListen } = await import('../../src/server/listen.js');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-slow-'));
  writeFileSync(path.join(dir, 'acme.agents.zone'), topo.texts['acme.agents']!);
  const real = new Daemon({ zonesDir: dir, listen: [parseListen(`${topo.net}${host}:0`)] });
  await real.start();
  const realPort = real.listeners[0]!.address.port;
  const held: Array<() => void> = [];
  let open = false;
  const out = {
    asked: 0,
    answered: 0,
    release() {
      open = true;
      for (const send of held.splice(0)) send();
    },
  };
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(53, `${topo.net}${host}`, r));
  s.on('message', (buf, rinfo) => {
    out.asked++;
    const c = dgram.createSocket('udp4');
    c.on('message', (reply) => {
      c.close();
      const send = () => s.send(reply, rinfo.port, rinfo.address, () => { out.answered++; });
      if (open) send();
      else held.push(send);
    });
    c.send(buf, realPort, `${topo.net}${host}`);
  });
  t.teardown(async () => {
    await new Promise<void>((r) => s.close(() => r()));
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return out;
}

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (s: number) => { now += s * 1000; } };
}

t.before(async () => {
  if (!(await canBind53(NET))) {
    if (process.env.CI === 'true') throw new Error(`cannot bind port 53 on ${NET.net}x; CI runs as root`);
  }
});

t.test('resolver topology', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  if (!(await canBind53(NET))) {
    t.skip('binding port 53 on loopback needs root (glue carries addresses, not ports)', () => {});
    return;
  }

  t.test('resolves through the hierarchy, then answers from the cache', async (t) => {
    const topo = await setup(t);
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    const r = await rec(port, 'writer.acme.agents', 'SVCB');
    t.equal(r.status, 'NOERROR');
    t.ok(r.flags.has('ra'), 'RA set');
    t.notOk(r.flags.has('aa'), 'not authoritative');
    t.equal(r.answer.length, 3, 'every SVCB record (https, then the plain-http failover pair)');
    t.match(r.answer[0], /^writer\.acme\.agents\. \d+ IN SVCB \d mcp(-backup)?\.acme\.agents\. alpn="mcp"/);
    t.ok(topo.root.stats.queries >= 1, 'root asked');
    t.ok(topo.acme1.stats.queries + topo.acme2.stats.queries >= 1, 'acme asked');
    const before = topo.upstreamQueries();
    const again = await rec(port, 'writer.acme.agents', 'SVCB');
    t.same(again.answer.map((l) => l.replace(/ \d+ IN /, ' IN ')), r.answer.map((l) => l.replace(/ \d+ IN /, ' IN ')));
    t.equal(topo.upstreamQueries(), before, 'a cache hit reaches no server');
    // The delegation is cached: another acme name goes straight to acme's servers.
    const rootBefore = topo.root.stats.queries;
    const ed = await rec(port, 'editor.acme.agents', 'SVCB');
    t.equal(ed.status, 'NOERROR');
    t.equal(topo.root.stats.queries, rootBefore, 'the root is not asked again');
    const gx = await rec(port, 'planner.globex.agents', 'SVCB');
    t.equal(gx.status, 'NOERROR');
    t.equal(gx.answer.length, 2);
  });

  t.test('CNAME and AliasMode chains across zones', async (t) => {
    const topo = await setup(t);
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    const c = await rec(port, 'proofreader.acme.agents', 'SVCB');
    t.equal(c.status, 'NOERROR');
    t.match(c.answer[0], /proofreader\.acme\.agents\. \d+ IN CNAME editor\.acme\.agents\./);
    t.match(c.answer[1], /editor\.acme\.agents\. \d+ IN SVCB /);
    const a = await rec(port, 'mcp.acme.agents', 'A');
    t.match(a.answer[0], /mcp\.acme\.agents\. \d+ IN A 127\.0\.0\.1/);
  });

  t.test('TTLs count down and expire', async (t) => {
    const topo = await setup(t);
    const c = clock();
    const { daemon, port } = await startResolver(topo, { cache: { now: c.now } });
    t.teardown(() => daemon.close());
    const first = await rec(port, 'editor.acme.agents', 'SVCB');
    const ttl0 = Number(first.answer[0]!.split(' ')[1]);
    c.advance(100);
    const later = await rec(port, 'editor.acme.agents', 'SVCB');
    t.equal(Number(later.answer[0]!.split(' ')[1]), ttl0 - 100, 'TTL counted down by the time cached');
    const before = topo.upstreamQueries();
    c.advance(ttl0);
    const expired = await rec(port, 'editor.acme.agents', 'SVCB');
    t.equal(expired.status, 'NOERROR');
    t.ok(topo.upstreamQueries() > before, 'expired data is fetched again');
    t.equal(Number(expired.answer[0]!.split(' ')[1]), ttl0, 'fresh TTL');
  });

  t.test('negative answers are cached (RFC 2308)', async (t) => {
    const topo = await setup(t);
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    const nx = await rec(port, 'nobody.acme.agents', 'SVCB');
    t.equal(nx.status, 'NXDOMAIN');
    t.match(nx.authority[0], /^acme\.agents\. \d+ IN SOA /);
    const before = topo.upstreamQueries();
    const again = await rec(port, 'nobody.acme.agents', 'SVCB');
    t.equal(again.status, 'NXDOMAIN');
    t.equal(topo.upstreamQueries(), before, 'NXDOMAIN from the cache');
    const below = await rec(port, 'x.nobody.acme.agents', 'A');
    t.equal(below.status, 'NXDOMAIN', 'names below a cached NXDOMAIN (RFC 8020)');
    t.equal(topo.upstreamQueries(), before);
    const nodata = await rec(port, 'writer.acme.agents', 'AAAA');
    t.equal(nodata.status, 'NOERROR');
    t.equal(nodata.answer.length, 0);
    const n2 = topo.upstreamQueries();
    await rec(port, 'writer.acme.agents', 'AAAA');
    t.equal(topo.upstreamQueries(), n2, 'NODATA from the cache');
    const outside = await rec(port, 'example.com', 'A');
    t.equal(outside.status, 'REFUSED', 'names outside agents. are refused without --forward');
  });

  t.test('failover when one acme server is down; serve-stale when both are', async (t) => {
    const topo = await setup(t);
    const c = clock();
    const { daemon, port } = await startResolver(topo, { cache: { now: c.now } });
    t.teardown(() => daemon.close());
    await topo.acme1.close();
    for (const name of ['writer', 'editor', 'translator', 'researcher']) {
      const r = await rec(port, `${name}.acme.agents`, 'SVCB');
      t.equal(r.status, 'NOERROR', `${name} resolved with ns1 down`);
    }
    t.ok(topo.acme2.stats.queries >= 4, 'ns2 answered');
    await topo.acme2.close();
    c.advance(3600 * 2);
    const stale = await rec(port, 'writer.acme.agents', 'SVCB');
    t.equal(stale.status, 'NOERROR', 'stale data served');
    t.equal(stale.answer.length, 3);
    t.equal(Number(stale.answer[0]!.split(' ')[1]), 30, 'stale TTL is 30 (RFC 8767)');
    t.ok(daemon.resolver!.stats.staleAnswers >= 1);
    const never = await rec(port, 'never-seen.acme.agents', 'SVCB');
    t.equal(never.status, 'SERVFAIL', 'nothing stale to serve');
  });

  t.test('DNAME: the DNAME, the synthesized CNAME and the target, from upstream and from the cache', async (t) => {
    const topo = await setup(t, { extra: { 'acme.agents': 'old.acme.agents. 300 IN DNAME globex.agents.\n' } });
    const c = clock();
    const { daemon, port } = await startResolver(topo, { cache: { now: c.now } });
    t.teardown(() => daemon.close());
    const auth = await digRaw(53, ['coder.old.acme.agents', 'SVCB'], `${topo.net}3`);
    t.same(auth.answer.slice(0, 2), ['old.acme.agents. 300 IN DNAME globex.agents.', 'coder.old.acme.agents. 300 IN CNAME coder.globex.agents.'], 'the authoritative server sends the DNAME and the CNAME (sanity)');
    const want = (ttl: number) => [
      `old.acme.agents. ${ttl} IN DNAME globex.agents.`,
      `coder.old.acme.agents. ${ttl} IN CNAME coder.globex.agents.`,
    ];
    const first = await rec(port, 'coder.old.acme.agents', 'SVCB');
    t.equal(first.status, 'NOERROR');
    t.same(first.answer.slice(0, 2), want(300), 'from upstream: the DNAME, then the CNAME with its TTL');
    t.match(first.answer[2], /^coder\.globex\.agents\. \d+ IN SVCB /, 'then the target');
    t.equal(first.answer.length, 4, 'the target is an SVCB set of two (https, http)');
    const before = topo.upstreamQueries();
    for (const what of ['from the cache', 'from the encoded answer']) {
      const again = await rec(port, 'coder.old.acme.agents', 'SVCB');
      t.same(again.answer, first.answer, what);
    }
    t.equal(topo.upstreamQueries(), before, 'no server asked');
    t.ok(Number(daemon.stats.snapshot().answerCacheHits) >= 1, 'the encoded answer was used');
    c.advance(100);
    const later = await rec(port, 'coder.old.acme.agents', 'SVCB');
    t.same(later.answer.slice(0, 2), want(200), 'the CNAME counts down with the DNAME');
    const other = await rec(port, 'CODER.old.acme.agents', 'SVCB');
    t.same(other.answer.slice(0, 2).map((l) => l.toLowerCase()), want(200).map((l) => l.toLowerCase()), 'any spelling');
    // Another name below the DNAME: synthesised from the cached DNAME, acme is not asked.
    const acme = () => topo.acme1.stats.queries + topo.acme2.stats.queries;
    const acmeBefore = acme();
    const planner = await rec(port, 'planner.old.acme.agents', 'SVCB');
    t.same(planner.answer.slice(0, 2), ['old.acme.agents. 200 IN DNAME globex.agents.', 'planner.old.acme.agents. 200 IN CNAME planner.globex.agents.']);
    t.match(planner.answer[2], /^planner\.globex\.agents\. \d+ IN SVCB /);
    t.equal(acme(), acmeBefore, 'the DNAME answered for acme');
    // The synthesised CNAME goes with the DNAME: past its TTL acme is asked again.
    c.advance(201);
    const expired = await rec(port, 'coder.old.acme.agents', 'SVCB');
    t.ok(acme() > acmeBefore, 'the expired DNAME is fetched again, the CNAME with it');
    t.same(expired.answer.slice(0, 2), want(300));
    t.notOk(daemon.resolver!.cache.rrsets.peek('coder.old.acme.agents.', RRType.CNAME), 'the synthesized CNAME is not cached');
  });

  t.test('serve-stale with both acme servers black-holed: one resolution, then stale data at once', async (t) => {
    const topo = await setup(t);
    const c = clock();
    // Upstream attempts of at least 500 ms (a loaded machine must not time a live server out):
    // a resolution against the dead servers takes three attempts at each, about 3 s, longer
    // than the 1.8 s client response timer. The servers are forgotten after 2 hours.
    const { daemon, port } = await startResolver(topo, { timeout: 500, cache: { now: c.now, infra: { minTimeout: 500 } } });
    t.teardown(() => daemon.close());
    t.equal((await rec(port, 'writer.acme.agents', 'SVCB')).status, 'NOERROR');
    t.equal((await rec(port, 'editor.acme.agents', 'SVCB')).status, 'NOERROR');
    const holes = await Promise.all([blackHole(t, topo, 3), blackHole(t, topo, 4)]);
    const dead = () => holes[0]!.count + holes[1]!.count;
    const infra = daemon.resolver!.cache.infra;
    const heldBack = () => infra.isHeldBack(`${topo.net}3`) && infra.isHeldBack(`${topo.net}4`);
    c.advance(3600 * 2);
    const times: number[] = [];
    // Whether the resolution was still going on when the first stale answer went out: seen in
    // this process as the resolver hands the answer over, so no clock is read.
    let resolvingAtFirstAnswer: boolean | undefined;
    const resolver = daemon.resolver!;
    const resolve = resolver.resolve.bind(resolver);
    resolver.resolve = (name, type) => resolve(name, type).then((r) => {
      resolvingAtFirstAnswer ??= !heldBack();
      return r;
    });
    for (let i = 0; i < 20; i++) {
      const r = await rec(port, 'writer.acme.agents', 'SVCB');
      times.push(queryTime(r));
      t.equal(r.status, 'NOERROR', `stale answer ${i + 1}`);
      t.equal(r.answer.length, 3);
      t.equal(Number(r.answer[0]!.split(' ')[1]), 30, 'TTL 30');
    }
    // The resolution that started with the first question may still be running: let it end
    // (it ends with both servers held back, after three timeouts each at most).
    t.ok(await waitUntil(heldBack), 'the resolution ended with both servers held back');
    const first = dead();
    t.comment(`stale answers (ms): ${times.join(' ')}; queries to the dead servers: ${first}`);
    t.ok(first >= 1 && first <= 6, `one resolution's worth of queries reached the dead servers (${first}), not one per question`);
    t.equal(resolvingAtFirstAnswer, true, 'the first stale answer came from the client response timer, while the resolution went on');
    t.equal(resolver.stats.staleAnswers, 20, 'every answer was stale data');
    // Another name of the same zone: the servers are held back, so it gets stale data with no query at all.
    const upstream = resolver.stats.upstreamQueries;
    const ed = await rec(port, 'editor.acme.agents', 'SVCB');
    t.equal(ed.status, 'NOERROR');
    t.equal(Number(ed.answer[0]!.split(' ')[1]), 30, 'stale');
    t.equal(resolver.stats.upstreamQueries, upstream, 'at once: no upstream query was even tried');
    t.equal(dead(), first, 'held-back servers are not asked for another name');
    // Past the failure recheck timer (30 s) and the hold-back, the servers are probed again.
    c.advance(31);
    t.equal((await rec(port, 'writer.acme.agents', 'SVCB')).status, 'NOERROR');
    t.ok(await waitUntil(() => heldBack() && dead() > first), 'probed again after the recheck timer, and held back again');
    t.ok(dead() - first <= 2, `one probe per server, not retried (${dead() - first})`);
    const never = await rec(port, 'never-seen.acme.agents', 'SVCB');
    t.equal(never.status, 'SERVFAIL', 'nothing stale to serve');
  });

  t.test('the client response timer answers from stale data while the refresh goes on', async (t) => {
    const topo = await setup(t);
    const c = clock();
    // Upstream attempts of 4 s: the held-back reply is released long before the attempt gives up.
    const { daemon, port } = await startResolver(topo, { timeout: 4000, cache: { now: c.now, staleClientTimeout: 100, infra: { minTimeout: 4000 } } });
    t.teardown(() => daemon.close());
    t.equal((await rec(port, 'writer.acme.agents', 'SVCB')).status, 'NOERROR');
    await topo.acme2.close();
    // ns1 answers, but only when the test lets it: any answer before then is the 100 ms timer's.
    await topo.acme1.close();
    const ns1 = await gated(t, topo, 3);
    c.advance(3600 * 2);
    const r = await rec(port, 'writer.acme.agents', 'SVCB');
    t.equal(r.status, 'NOERROR');
    t.equal(Number(r.answer[0]!.split(' ')[1]), 30, 'stale data, TTL 30');
    t.equal(ns1.answered, 0, 'answered while ns1 still held its reply back');
    t.ok(ns1.asked >= 1, 'ns1 was asked');
    t.ok(queryTime(r) >= 90, `not before the 100 ms timer ran out (${queryTime(r)} ms)`);
    const cached = () => daemon.resolver!.cache.rrsets.peek('writer.acme.agents.', RRType.SVCB);
    t.equal(cached()?.stale, true, 'the cache still holds the stale entry');
    ns1.release();
    t.ok(await waitUntil(() => cached()?.stale === false), 'the refresh went on in the background and refreshed the cache');
    const fresh = await rec(port, 'writer.acme.agents', 'SVCB');
    t.ok(Number(fresh.answer[0]!.split(' ')[1]) > 30, 'the next client gets fresh data');
    t.equal(daemon.resolver!.stats.staleAnswers, 1);
  });

  t.test('a truncated reply makes the resolver ask again over TCP', async (t) => {
    const big = Array.from({ length: 12 }, (_, i) => `big.acme.agents. 300 IN TXT "${'x'.repeat(150)}${i}"`).join('\n') + '\n';
    const topo = await setup(t, { extra: { 'acme.agents': big } });
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    const r = await rec(port, '+tcp', 'big.acme.agents', 'TXT');
    t.equal(r.status, 'NOERROR');
    t.equal(r.answer.length, 12, 'the whole RRset');
    t.ok(topo.acme1.stats.truncated + topo.acme2.stats.truncated >= 1, 'the server truncated over UDP');
    t.ok(topo.acme1.stats.tcpQueries + topo.acme2.stats.tcpQueries >= 1, 'and was asked again over TCP');
  });

  t.test('out-of-bailiwick records from a lying server are ignored', async (t) => {
    const topo = await setup(t, { skip: ['globex'] });
    // globex's server answers every question, and adds records for acme (poison) and a referral sideways.
    const liar = dgram.createSocket('udp4');
    await new Promise<void>((r) => liar.bind(53, `${topo.net}5`, r));
    t.teardown(() => new Promise<void>((r) => liar.close(() => r())));
    liar.on('message', (buf, rinfo) => {
      let q;
      try { q = decodeMessage(buf); } catch { return; }
      const name = q.questions[0]!.name;
      const a = (owner: string, ip: number[]) => ({ name: owner, type: RRType.A, class: 1, ttl: 3600, rdata: Buffer.from(ip) });
      const reply = encodeMessage({
        ...q, qr: true, aa: true, ra: false,
        answers: [a(name, [127, 0, 0, 9]), a('mcp.acme.agents.', [6, 6, 6, 6])],
        authority: [{ name: 'acme.agents.', type: RRType.NS, class: 1, ttl: 3600, rdata: nameToWire('evil.globex.agents.') }],
        additional: [a('ns1.acme.agents.', [6, 6, 6, 6])],
      });
      liar.send(reply, rinfo.port, rinfo.address);
    });
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    const r = await rec(port, 'planner.globex.agents', 'A');
    t.equal(r.status, 'NOERROR');
    t.same(r.answer, ['planner.globex.agents. 3600 IN A 127.0.0.9'], 'only the in-bailiwick answer');
    const mcp = await rec(port, 'mcp.acme.agents', 'A');
    t.same(mcp.answer.map((l) => l.split(' ').pop()), ['127.0.0.1'], 'the poison for acme was not cached');
    t.ok(topo.acme1.stats.queries + topo.acme2.stats.queries >= 1, 'acme was asked at its real servers');
  });

  t.test('a delegation loop ends in SERVFAIL within the limits', async (t) => {
    const topo = await setup(t, {
      extra: {
        'acme.agents': 'loop.acme.agents. 300 IN NS ns.loop.globex.agents.\n',
        'globex.agents': 'loop.globex.agents. 300 IN NS ns.loop.acme.agents.\n',
      },
    });
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    const before = topo.upstreamQueries();
    const r = await rec(port, 'x.loop.acme.agents', 'A');
    t.equal(r.status, 'SERVFAIL');
    t.ok(topo.upstreamQueries() - before <= 40, `bounded work: ${topo.upstreamQueries() - before} upstream queries`);
  });

  t.test('recursion only for allowed clients', async (t) => {
    const topo = await setup(t);
    const { daemon, port } = await startResolver(topo, { allow: ['10.0.0.0/8'] });
    t.teardown(() => daemon.close());
    const r = await rec(port, 'writer.acme.agents', 'SVCB');
    t.equal(r.status, 'REFUSED');
    t.notOk(r.flags.has('ra'));
    t.equal(topo.upstreamQueries(), 0, 'nothing was asked upstream');
  });

  t.test('identical questions in flight share one resolution', async (t) => {
    const topo = await setup(t);
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    const all = await Promise.all(Array.from({ length: 8 }, () => rec(port, 'researcher.acme.agents', 'SVCB')));
    for (const r of all) t.equal(r.status, 'NOERROR');
    t.ok(daemon.resolver!.stats.coalesced >= 1 || daemon.resolver!.stats.cacheAnswers >= 1, 'shared or cached');
    // An attempt that timed out (a stalled machine) is asked again: that is not a second resolution.
    const retries = daemon.resolver!.stats.upstreamTimeouts;
    t.ok(topo.acme1.stats.queries + topo.acme2.stats.queries <= 2 + retries, `acme asked at most twice (${retries} attempts timed out)`);
  });
  t.test('prefetch refreshes an entry in the last 10% of its TTL', async (t) => {
    const topo = await setup(t);
    const c = clock();
    const { daemon, port } = await startResolver(topo, { cache: { now: c.now } });
    t.teardown(() => daemon.close());
    const first = await rec(port, 'coder.globex.agents', 'SVCB');
    const ttl0 = Number(first.answer[0]!.split(' ')[1]);
    c.advance(Math.ceil(ttl0 * 0.95));
    const before = topo.globex.stats.queries;
    const hit = await rec(port, 'coder.globex.agents', 'SVCB');
    t.equal(hit.status, 'NOERROR', 'answered from the cache at once');
    t.ok(await waitUntil(() => topo.globex.stats.queries > before), 'refreshed upstream in the background');
    t.equal(daemon.resolver!.stats.prefetches, 1, 'one prefetch');
    const after = await rec(port, 'coder.globex.agents', 'SVCB');
    t.equal(Number(after.answer[0]!.split(' ')[1]), ttl0, 'the refreshed entry has a full TTL again');
  });

  t.test('names outside the namespace go to --forward resolvers', async (t) => {
    const topo = await setup(t);
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { Daemon } = await import('../../src/server/daemon.js');
    const { parseListen } = await import('../../src/server/listen.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'aop-fwd-'));
    writeFileSync(path.join(dir, 'example.test.zone'), '$TTL 300\n@ IN SOA ns h 1 2 3 4 5\n@ IN NS ns\nns IN A 127.0.0.1\nwww IN A 192.0.2.80\n');
    const upstream = new Daemon({ zonesDir: dir, listen: [parseListen(`${topo.net}9:5300`)] });
    await upstream.start();
    t.teardown(async () => { await upstream.close(); rmSync(dir, { recursive: true, force: true }); });
    const { daemon, port } = await startResolver(topo, { forwarders: [{ address: `${topo.net}9`, port: 5300 }] });
    t.teardown(() => daemon.close());
    const r = await rec(port, 'www.example.test', 'A');
    t.equal(r.status, 'NOERROR');
    t.same(r.answer, ['www.example.test. 300 IN A 192.0.2.80']);
    t.ok(r.flags.has('ra'));
    const agents = await rec(port, 'writer.acme.agents', 'SVCB');
    t.equal(agents.status, 'NOERROR', 'agent names still iterate');
    t.equal(upstream.stats.queries, 1, 'only the outside name was forwarded');
  });
});

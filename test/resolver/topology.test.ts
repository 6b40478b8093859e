// The resolver against the bundled hierarchy on loopback (root, two acme servers, globex), with
// dig as the client: iteration, caching, expiry, negative caching, failover, serve-stale,
// TCP after truncation, lying servers, delegation loops and the recursion ACL.

import t from 'tap';
import dgram from 'node:dgram';
import { canBind53, startResolver, startTopology, type Topology } from '../helpers/topology.js';
import { dig as digRaw } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import { RRType } from '../../src/wire/types.js';

const NET = 31; // this file's 127.0.31.0/24

const rec = (port: number, ...args: string[]) => digRaw(port, ['+rec', '+time=6', ...args]);

async function setup(t: { teardown(fn: () => unknown): void }, opts: Parameters<typeof startTopology>[1] = {}): Promise<Topology> {
  const topo = await startTopology(NET, opts);
  t.teardown(() => topo.close());
  return topo;
}

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (s: number) => { now += s * 1000; } };
}

t.before(async () => {
  if (!(await canBind53(NET))) {
    if (process.env.CI === 'true') throw new Error('cannot bind port 53 on 127.0.31.x; CI runs as root');
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
    t.equal(r.answer.length, 2, 'both SVCB records (failover pair)');
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
    t.equal(gx.answer.length, 1);
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
    t.equal(stale.answer.length, 2);
    t.equal(Number(stale.answer[0]!.split(' ')[1]), 30, 'stale TTL is 30 (RFC 8767)');
    t.ok(daemon.resolver!.stats.staleAnswers >= 1);
    const never = await rec(port, 'never-seen.acme.agents', 'SVCB');
    t.equal(never.status, 'SERVFAIL', 'nothing stale to serve');
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
    t.ok(topo.acme1.stats.queries + topo.acme2.stats.queries <= 2, 'acme asked at most twice');
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
    for (let i = 0; i < 50 && topo.globex.stats.queries === before; i++) await new Promise((r) => setTimeout(r, 20));
    t.equal(daemon.resolver!.stats.prefetches, 1, 'one prefetch');
    t.ok(topo.globex.stats.queries > before, 'refreshed upstream in the background');
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

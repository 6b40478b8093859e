// QTYPE ANY is a question for the servers: the resolver passes it on and returns what the
// authority gives (RFC 8482 lets it give one RRset), caching each RRset, so a repeated ANY costs
// no upstream query; this is what Unbound and PowerDNS Recursor do. The other meta types (OPT,
// 128-254: TKEY, TSIG, IXFR, AXFR, MAILB, MAILA) and TYPE0 name no data: FORMERR, as Unbound
// answers the meta types, without an upstream query (Unbound and Knot Resolver pass TYPE0 on
// and return the servers' NODATA; PowerDNS Recursor gives SERVFAIL; none of them is data).

import t from 'tap';
import { requirePort53, startResolver, startTopology } from '../helpers/topology.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { scratchDir } from '../helpers/child.js';
import { startRecursivePeers } from '../helpers/recursive-peers.js';
import { Resolver } from '../../src/resolver/resolver.js';
import { Rcode } from '../../src/wire/types.js';

const norm = (recs: string[]): string[] => recs.map((l) => l.replace(/^(\S+) \d+ /, '$1 ')).sort();
const recurse = (host: string, port: number, name: string, type: string) => dig(port, ['+rec', '+time=6', '+notcp', name, type], host);

/** ANY questions: [name, status, answer records]. */
const ANY: Array<[string, string, number]> = [
  ['writer.acme.agents.', 'NOERROR', 3],
  ['lab.acme.agents.', 'NOERROR', 1],
  ['proofreader.acme.agents.', 'NOERROR', 3], // the CNAME, chased: editor's two SVCB records
  ['_agents.acme.agents.', 'NOERROR', 0],
  ['nobody.acme.agents.', 'NXDOMAIN', 0],
];

/** Meta types and TYPE0 by number, with the dig spelling. */
const META: Array<[number, string]> = [
  [0, 'TYPE0'], [41, 'TYPE41'], [128, 'TYPE128'], [248, 'TYPE248'], [249, 'TKEY'], [250, 'TSIG'],
  [251, 'TYPE251'], [252, 'TYPE252'], [253, 'MAILB'], [254, 'MAILA'],
];

t.test('ANY and the meta types', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  if (!(await requirePort53(t))) return;
  const topo = await startTopology(await leaseNet(t));
  t.teardown(() => topo.close());

  t.test('ANY is passed on, answered as Unbound and PowerDNS Recursor answer it, then from the cache', async (t) => {
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    const peers = await startRecursivePeers(t, topo.net, scratchDir(t), ['Unbound', 'PowerDNS Recursor']);
    for (const [name, status, count] of ANY) {
      const ours = await recurse('127.0.0.1', port, name, 'ANY');
      t.equal(ours.status, status, `${name} ANY: ${status}`);
      t.equal(ours.answer.length, count, `${name} ANY: ${count} records`);
      if (count === 0) t.match(ours.authority.join('\n'), /^acme\.agents\. \d+ IN SOA /m, `${name} ANY: acme's SOA`);
      const before = topo.upstreamQueries();
      const again = await recurse('127.0.0.1', port, name, 'ANY');
      t.same(norm(again.answer), norm(ours.answer), `${name} ANY asked again: the same answer`);
      t.equal(again.status, status, `${name} ANY asked again: ${status}`);
      t.equal(topo.upstreamQueries(), before, `${name} ANY asked again: from the cache`);
      for (const peer of peers) {
        const theirs = await recurse(peer.host, 53, name, 'ANY');
        t.equal(ours.status, theirs.status, `${name} ANY: status as ${peer.name}`);
        t.same(norm(ours.answer), norm(theirs.answer), `${name} ANY: answer as ${peer.name}`);
      }
    }
    // The RRsets an ANY brought are cached per type: a question for one of them needs no query.
    // (lab has an A and an AAAA; our authority's ANY answer is the A RRset, RFC 8482 4.1.)
    const before = topo.upstreamQueries();
    const a = await recurse('127.0.0.1', port, 'lab.acme.agents.', 'A');
    t.same(norm(a.answer), norm((await recurse('127.0.0.1', port, 'lab.acme.agents.', 'ANY')).answer), 'lab A after its ANY: the RRset the ANY gave');
    t.equal(topo.upstreamQueries(), before, 'from the cache');
  });

  t.test('meta types and TYPE0 through the daemon: FORMERR without an upstream query, as Unbound', async (t) => {
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    const peers = await startRecursivePeers(t, topo.net, scratchDir(t), ['Unbound']);
    for (const [type, spelling] of META) {
      if (type === 251 || type === 252) continue; // dig sends transfers over TCP: the direct test below has them
      const before = topo.upstreamQueries();
      const ours = await recurse('127.0.0.1', port, 'writer.acme.agents.', spelling);
      t.equal(ours.status, 'FORMERR', `${spelling}: FORMERR`);
      t.equal(topo.upstreamQueries(), before, `${spelling}: no upstream query`);
      if (type === 0) continue; // Unbound asks the servers for TYPE0 (and gets their NODATA)
      for (const peer of peers) t.equal(ours.status, (await recurse(peer.host, 53, 'writer.acme.agents.', spelling)).status, `${spelling}: status as ${peer.name}`);
    }
  });

  t.test('meta types and TYPE0 asked of the Resolver itself: FORMERR, nothing sent', async (t) => {
    const resolver = new Resolver({ hints: topo.hints, timeout: 2000 });
    t.teardown(() => resolver.close());
    for (const [type, spelling] of META) {
      const before = topo.upstreamQueries();
      const r = await resolver.resolve('writer.acme.agents.', type);
      t.equal(r.rcode, Rcode.FORMERR, `${spelling}: FORMERR`);
      t.same(r.answer, [], `${spelling}: no answer`);
      t.equal(topo.upstreamQueries(), before, `${spelling}: no upstream query`);
    }
    t.equal(resolver.stats.upstreamQueries, 0, 'the resolver sent nothing');
    t.equal(resolver.stats.servfail, 0, 'and counted no SERVFAIL');
  });
});

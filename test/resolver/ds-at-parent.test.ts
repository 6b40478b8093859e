// DS is asked at the parent side of a zone cut (RFC 4034 5, RFC 4035 3.1.4.1): once acme.agents'
// delegation is cached, `acme.agents DS` still goes to the agents. servers, which hold the DS,
// not to acme's, whose apex has none (they answer NODATA) and which may be lame. Unbound, Knot
// Resolver and PowerDNS Recursor give the parent's DS; so must we.

import t from 'tap';
import { requirePort53, startResolver, startTopology } from '../helpers/topology.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { scratchDir } from '../helpers/child.js';
import { startRecursivePeers } from '../helpers/recursive-peers.js';

const DS = 'acme 3600 IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n';
const dsRecord = /^acme\.agents\. \d+ IN DS 12345 13 2 /;

const norm = (recs: string[]): string[] => recs.map((l) => l.replace(/^(\S+) \d+ /, '$1 ')).sort();
const recurse = (host: string, port: number, name: string, type: string) => dig(port, ['+rec', '+time=6', name, type], host);

t.test('DS at a zone cut is asked at the parent', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  if (!(await requirePort53(t))) return;

  t.test('with acme\'s delegation cached, the parent\'s DS, as the peers answer', async (t) => {
    const topo = await startTopology(await leaseNet(t), { extra: { agents: DS } });
    t.teardown(() => topo.close());
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    const peers = await startRecursivePeers(t, topo.net, scratchDir(t));

    // A question inside acme caches its delegation first: the old code then asked acme for DS.
    t.equal((await recurse('127.0.0.1', port, 'writer.acme.agents.', 'SVCB')).status, 'NOERROR', 'writer.acme.agents resolved (delegation cached)');
    const ours = await recurse('127.0.0.1', port, 'acme.agents.', 'DS');
    t.equal(ours.status, 'NOERROR', 'NOERROR');
    t.equal(ours.answer.length, 1, 'one DS');
    t.match(ours.answer[0], dsRecord, 'the DS the parent holds');
    t.notOk(ours.flags.has('aa'), 'AA clear (a recursive answer)');
    const before = topo.upstreamQueries();
    const again = await recurse('127.0.0.1', port, 'acme.agents.', 'DS');
    t.same(norm(again.answer), norm(ours.answer), 'asked again: the same DS');
    t.equal(topo.upstreamQueries(), before, 'from the cache, no upstream query');

    for (const peer of peers) {
      await recurse(peer.host, 53, 'writer.acme.agents.', 'SVCB');
      const theirs = await recurse(peer.host, 53, 'acme.agents.', 'DS');
      t.equal(theirs.status, 'NOERROR', `${peer.name}: NOERROR`);
      t.same(norm(ours.answer), norm(theirs.answer), `the same DS as ${peer.name}`);
    }
  });

  t.test('with acme\'s servers down, the parent still answers DS', async (t) => {
    const topo = await startTopology(await leaseNet(t), { extra: { agents: DS }, skip: ['acme1', 'acme2'] });
    t.teardown(() => topo.close());
    const { daemon, port } = await startResolver(topo, { timeout: 300 });
    t.teardown(() => daemon.close());
    // The referral is cached even though no acme server answers.
    t.equal((await recurse('127.0.0.1', port, 'writer.acme.agents.', 'SVCB')).status, 'SERVFAIL', 'nothing inside acme resolves');
    const ds = await recurse('127.0.0.1', port, 'acme.agents.', 'DS');
    t.equal(ds.status, 'NOERROR', 'DS: NOERROR, not SERVFAIL');
    t.match(ds.answer[0], dsRecord, 'the parent\'s DS');
  });

  t.test('no DS at the parent: the parent\'s NODATA, with its SOA', async (t) => {
    const topo = await startTopology(await leaseNet(t));
    t.teardown(() => topo.close());
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    await recurse('127.0.0.1', port, 'writer.acme.agents.', 'SVCB');
    const r = await recurse('127.0.0.1', port, 'acme.agents.', 'DS');
    t.equal(r.status, 'NOERROR', 'NOERROR');
    t.equal(r.answer.length, 0, 'no DS');
    t.match(r.authority.join('\n'), /^agents\. \d+ IN SOA a\.root\.agents\. /m, 'agents.\'s SOA, not acme\'s');
  });
});

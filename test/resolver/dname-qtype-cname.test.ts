// A question for QTYPE=CNAME below a DNAME ends at the synthesised CNAME: it is the data asked
// for (RFC 1034 4.3.2 step 3a, RFC 6672 3.1), so the target is not chased and a target that
// does not exist cannot turn the answer into NXDOMAIN. PowerDNS Recursor answers so as a
// resolver, NSD and Knot as authoritative servers holding both zones. (Unbound 1.17 chases the
// target and Knot Resolver 5.6 gives SERVFAIL here, so neither is the reference.)

import t from 'tap';
import path from 'node:path';
import { requirePort53, startResolver, startTopology, zoneText } from '../helpers/topology.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { requireDaemon, scratchDir } from '../helpers/child.js';
import { startRecursivePeers } from '../helpers/recursive-peers.js';
import { startNsd } from '../helpers/nsd.js';
import { startKnot } from '../helpers/knot.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';

const DNAME = 'old.acme.agents. 300 IN DNAME globex.agents.\n';
const recurse = (host: string, port: number, name: string, type: string) => dig(port, ['+rec', '+time=6', name, type], host);
const types = (recs: string[]): string[] => recs.map((l) => `${l.split(' ')[0]} ${l.split(' ')[3]}`).sort();

t.test('QTYPE=CNAME below a DNAME stops at the synthesised CNAME', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  if (!(await requirePort53(t))) return;

  t.test('the resolver, beside PowerDNS Recursor', async (t) => {
    const topo = await startTopology(await leaseNet(t), { extra: { 'acme.agents': DNAME } });
    t.teardown(() => topo.close());
    const { daemon, port } = await startResolver(topo);
    t.teardown(() => daemon.close());
    const peers = await startRecursivePeers(t, topo.net, scratchDir(t), ['PowerDNS Recursor']);
    // x.globex.agents does not exist; planner.globex.agents does (and has no CNAME).
    for (const name of ['x.old.acme.agents.', 'planner.old.acme.agents.']) {
      const globexBefore = topo.globex.stats.queries;
      const r = await recurse('127.0.0.1', port, name, 'CNAME');
      t.equal(r.status, 'NOERROR', `${name} CNAME: NOERROR`);
      t.same(types(r.answer), types([`old.acme.agents. 300 IN DNAME`, `${name} 300 IN CNAME`]), `${name} CNAME: the DNAME and the synthesised CNAME, nothing more`);
      t.match(r.answer.find((l) => l.includes(' CNAME ')), new RegExp(` CNAME ${name.split('.')[0]}\\.globex\\.agents\\.$`), 'the CNAME points into globex');
      t.equal(topo.globex.stats.queries, globexBefore, 'globex was not asked: the target is not chased');
      const again = await recurse('127.0.0.1', port, name, 'CNAME');
      t.same(types(again.answer), types(r.answer), 'asked again (from the cached DNAME): the same');
      for (const peer of peers) {
        const theirs = await recurse(peer.host, 53, name, 'CNAME');
        t.equal(r.status, theirs.status, `${name} CNAME: status as ${peer.name}`);
        t.same(r.answer.filter((l) => l.includes(' CNAME ')).map((l) => l.split(' ').slice(3).join(' ')),
          theirs.answer.filter((l) => l.includes(' CNAME ')).map((l) => l.split(' ').slice(3).join(' ')), `${name} CNAME: the CNAME ${peer.name} gives`);
      }
    }
    const svcb = await recurse('127.0.0.1', port, 'planner.old.acme.agents.', 'SVCB');
    t.equal(svcb.answer.length, 4, 'another type is still chased: DNAME, CNAME and the SVCB set (https, http)');
  });

  t.test('the authoritative server holding both zones, beside NSD and Knot', async (t) => {
    const net = (await leaseNet(t)).net;
    const dir = scratchDir(t);
    const zones = [
      { origin: 'acme.agents', text: zoneText('acme.agents.zone', net) + DNAME },
      { origin: 'globex.agents', text: zoneText('globex.agents.zone', net) },
    ];
    const ours = path.join(dir, 'ours');
    mkdirSync(ours);
    for (const z of zones) writeFileSync(path.join(ours, `${z.origin}.zone`), z.text);
    const d = new Daemon({ zonesDir: ours, listen: [parseListen(`${net}2:53`)] });
    await d.start();
    t.teardown(() => d.close());
    const others: Array<[string, string]> = [];
    if (requireDaemon(t, 'nsd', 'nsd')) {
      await startNsd(t, { dir: path.join(dir, 'nsd'), addresses: [`${net}3`], zones });
      others.push(['NSD', `${net}3`]);
    }
    if (requireDaemon(t, 'knotd', 'knot')) {
      await startKnot(t, { dir: path.join(dir, 'knot'), addresses: [`${net}4`], zones });
      others.push(['Knot', `${net}4`]);
    }
    for (const name of ['x.old.acme.agents.', 'planner.old.acme.agents.']) {
      const r = await dig(53, ['+norec', name, 'CNAME'], `${net}2`);
      t.equal(r.status, 'NOERROR', `${name} CNAME: NOERROR`);
      t.ok(r.flags.has('aa'), 'AA');
      t.same(types(r.answer), types([`old.acme.agents. 300 IN DNAME`, `${name} 300 IN CNAME`]), `${name} CNAME: the DNAME and the CNAME only`);
      for (const [who, host] of others) {
        const theirs = await dig(53, ['+norec', name, 'CNAME'], host);
        t.equal(r.status, theirs.status, `${name} CNAME: status as ${who}`);
        t.same(types(r.answer), types(theirs.answer), `${name} CNAME: answer as ${who}`);
      }
    }
  });
});

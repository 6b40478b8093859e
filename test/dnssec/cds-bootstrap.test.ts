// RFC 8078 3.3 bootstrap by an aop parent (`--dnssec-cds-scan --dnssec-cds-bootstrap`, a
// one-hour hold on the daemon clock): an insecure delegation to a child with two name servers
// (two aop daemons signing it with the same keys) gets the DS its CDS asks for only after every
// name server has given that same CDS for the whole hold; a disagreeing server starts the hold
// again. Before, the child's names are insecure at an aop validating resolver given the
// parent's anchor; after, secure (AD), and dnssec-verify accepts an AXFR of the parent. Then a
// secure delegation is not moved by a CDS that all name servers agree on for the hold but that
// no key of the current DS signs: only a secure CDS changes a secure delegation. Unbound, when
// installed, given the same anchor, agrees before (insecure) and after (AD).

import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/base/time.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { scratchDir } from '../helpers/child.js';
import { dig } from '../helpers/dig.js';
import { requireTool, run } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { cdsObservers } from '../helpers/cds-observers.js';

const PORT = 5300;
const HOUR = 3600;
const DAY = 86400;
const times = { validity: 30 * DAY, refresh: 10 * DAY, backdate: HOUR };

t.test('an insecure delegation bootstrapped from a CDS every name server agrees on for the hold', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils') || !requireTool(t, 'dnssec-verify', 'bind9-utils')) return;
  const net = await leaseNet(t);
  const [P, C1, C2] = [net.host(2), net.host(3), net.host(4)];
  const dir = scratchDir(t, 'aop-cds-bootstrap-');
  // Started back, so that the signatures made along the way are valid on the real clock (dnssec-verify's).
  const clock = new ManualClock(Date.now() - 12 * HOUR * 1000);
  const seconds = () => clock.seconds();
  const mk = (name: string) => { const d = path.join(dir, name); mkdirSync(d); return d; };
  const logs: string[] = [];
  const logger = { debug() {}, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };

  const childZone = `$ORIGIN child.example.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\n@ NS ns2\nns1 A ${C1}\nns2 A ${C2}\nwww A 192.0.2.3\n`;
  const running = new Map<string, Daemon>();
  /** A child name server at `addr`, signing with the keys in `keys`. */
  async function childAt(addr: string, keys: string): Promise<void> {
    await running.get(addr)?.close();
    const zones = mk(`czones-${addr}-${running.size}-${Math.random().toString(36).slice(2, 6)}`);
    writeFileSync(path.join(zones, 'child.example.zone'), childZone);
    const d = new Daemon({ zonesDir: zones, listen: [parseListen(`${addr}:${PORT}`)], dnssec: { keyDir: keys, algorithm: 13, keyLayout: 'combined', times, now: seconds } });
    await d.start();
    running.set(addr, d);
  }
  t.teardown(async () => { for (const d of running.values()) await d.close(); });
  const [ck, forged] = [mk('ckeys'), mk('forged-keys')];
  await childAt(C1, ck);
  await childAt(C2, ck);

  const pz = mk('pzones');
  writeFileSync(path.join(pz, 'example.zone'), `$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${P}\nchild 600 NS ns1.child\nchild 600 NS ns2.child\nns1.child A ${C1}\nns2.child A ${C2}\n`);
  const pk = mk('pkeys');
  const parent = new Daemon({
    zonesDir: pz, listen: [parseListen(`${P}:${PORT}`)], transfers: { allow: ['127.0.0.0/8'] }, logger,
    dnssec: { keyDir: pk, algorithm: 13, keyLayout: 'combined', times, now: seconds, rollover: { cdsScan: true, cdsPort: PORT, bootstrap: true, bootstrapHold: HOUR } },
  });
  await parent.start();
  t.teardown(() => parent.close());
  const observers = await cdsObservers(t, { net, dir, parent: P, parentKeys: pk, children: [C1, C2], port: PORT, clock, validationNow: seconds });
  const { www, withUnbound, unbound } = observers;
  const dsAtParent = async () => (await observers.dsAtParent()).answer.filter((l) => l.split(' ')[3] === 'DS').map((l) => Number(l.split(' ')[4]));
  const csk = readKeyDir(ck, 'child.example.')[0]!;

  let r = await www();
  t.ok(r.status === 'NOERROR' && !r.flags.has('ad'), `before: www.child.example is insecure (${r.status}, no AD)`);
  t.same(await dsAtParent(), [], 'no DS at the parent');
  if (withUnbound) {
    const u = await unbound();
    t.ok(u.status === 'NOERROR' && !u.flags.has('ad'), `before: Unbound finds it insecure too (${u.status}, no AD)`);
  }

  await parent.dnssecPass();
  t.same(await dsAtParent(), [], 'first sighting: no DS yet');
  t.ok(logs.some((l) => new RegExp(`bootstrap of child\\.example\\.: all 2 name servers ask for DS ${csk.tag}; taken if unchanged at`).test(l)), 'the log says when it may be taken');

  clock.advance(HOUR / 2);
  await childAt(C2, forged);
  await parent.dnssecPass();
  t.ok(logs.some((l) => /bootstrap of child\.example\. starts again: the name servers disagree/.test(l)), 'a name server that disagrees starts the hold again');
  await childAt(C2, ck);
  clock.advance(HOUR / 2);
  await parent.dnssecPass();
  t.same(await dsAtParent(), [], 'an hour after the first sighting, but not an hour of agreement: no DS');
  clock.advance(HOUR - 1);
  await parent.dnssecPass();
  t.same(await dsAtParent(), [], 'a second short of the hold: no DS');
  clock.advance(1);
  await parent.dnssecPass();
  t.same(await dsAtParent(), [csk.tag], 'after an hour of agreement: the DS the CDS asks for');
  t.ok(logs.some((l) => /DS of child\.example\. bootstrapped from its CDS \(RFC 8078 3\.3\): all 2 name servers ask for DS/.test(l)), 'and the log says so');

  clock.advance(HOUR); // the insecure verdicts leave the resolver's cache
  r = await www();
  t.ok(r.status === 'NOERROR' && r.flags.has('ad'), `after: www.child.example is secure (${r.status}, AD)`);
  if (withUnbound) {
    const u = await unbound();
    t.ok(u.status === 'NOERROR' && u.flags.has('ad'), `after: Unbound sets AD too (${u.status})`);
  }
  const axfr = (await run('dig', [`@${P}`, '-p', String(PORT), '+nocmd', '+nostats', '+nocomments', 'example.', 'AXFR'])).stdout;
  writeFileSync(path.join(dir, 'example.axfr'), axfr);
  const v = await run('dnssec-verify', ['-z', '-o', 'example.', path.join(dir, 'example.axfr')], 60_000);
  t.equal(v.code, 0, `dnssec-verify accepts the parent with the bootstrapped DS ${v.code === 0 ? '' : v.stderr}`);

  // Now secure: every name server moved to other keys, in agreement, for longer than the hold.
  await childAt(C1, forged);
  await childAt(C2, forged);
  for (let i = 0; i < 3; i++) {
    await parent.dnssecPass();
    clock.advance(HOUR);
  }
  await parent.dnssecPass();
  t.same(await dsAtParent(), [csk.tag], 'a secure delegation keeps its DS against a CDS no key of the current DS signs');
});

// A full KSK rollover by double-DS between two aop daemons on the daemon clock (test/helpers/roll-world.ts): the child
// (`--dnssec-ksk-lifetime`, `--dnssec-parental-agent` at the parent) and the parent
// (`--dnssec-cds-scan`), each on port 53 of its own loopback address (glue carries no port).
// At every phase, before, during the double-DS and after, an aop validating resolver on the
// same clock and (when installed) Unbound given the parent's anchor set AD on the child's
// names, and dnssec-verify accepts an AXFR of both zones. The clock starts 40 days back, so
// that the signatures made along the way are valid on the real clock too (Unbound's).

import t from 'tap';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requirePort53 } from '../helpers/topology.js';
import { DAY, rollPhase, startRollWorld } from '../helpers/roll-world.js';


t.test('KSK rollover by double-DS, child and parent on aop, validated at every phase', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils') || !requireTool(t, 'dnssec-verify', 'bind9-utils')) return;
  if (!(await requirePort53(t))) return;
  const net = await leaseNet(t);
  const [P, C] = [net.host(2), net.host(3)];
  const world = await startRollWorld(t, { P, C, keyLayout: 'split', prefix: 'aop-kskroll-e2e-' });
  const { clock, ck, child, parent } = world;
  const phase = rollPhase(t, world, net, { ldns: false });

  const kskTags = () => readKeyDir(ck, 'child.example.').filter((k) => k.flags === 257).map((k) => k.tag);
  const rrTags = async (name: string, type: string, host = P) => (await dig(53, ['+norec', '+dnssec', name, type], host)).answer.filter((l) => l.split(' ')[3] === type).map((l) => Number(l.split(' ')[4] === '257' ? NaN : l.split(' ')[4])).sort();
  const dnskeys = async () => (await dig(53, ['+norec', 'child.example.', 'DNSKEY'], C)).answer.filter((l) => l.split(' ')[3] === 'DNSKEY');


  const ksk1 = kskTags()[0]!;
  t.equal(kskTags().length, 1, 'one KSK to begin with');
  await t.test('before', (t) => phase(t, 'before'));

  clock.advance(30 * DAY + 1);
  await child.dnssecPass();
  const ksk2 = kskTags().find((k) => k !== ksk1)!;
  t.ok(ksk2, 'the child made a successor KSK after its lifetime');
  t.same(await rrTags('child.example.', 'CDS', C), [ksk1, ksk2].sort(), 'the child publishes the CDS of both');
  const pub = (tag: number) => readKeyDir(ck, 'child.example.').find((k) => k.tag === tag)!.dnskey.subarray(4).toString('base64');
  const published = async (tag: number) => (await dnskeys()).some((l) => l.split(' ').slice(7).join('') === pub(tag));
  t.ok(await published(ksk1), 'the old KSK is in the DNSKEY RRset');
  t.notOk(await published(ksk2), 'the new one is not (double-DS: only its DS goes ahead)');
  await parent.dnssecPass();
  t.same(await rrTags('child.example.', 'DS'), [ksk1, ksk2].sort(), 'the parent took both DS from the CDS (double-DS)');
  await t.test('double-DS, old KSK signing', (t) => phase(t, 'double-DS'));

  clock.advance(60);
  await child.dnssecPass();
  const k2 = readKeyDir(ck, 'child.example.').find((k) => k.tag === ksk2)!;
  t.ok(k2.timing.DSPublish !== undefined && k2.timing.Activate === k2.timing.DSPublish! + 600, 'the child saw the DS at the parent and timed the switch a DS TTL later');
  clock.advance(601);
  await child.dnssecPass();
  await parent.dnssecPass();
  t.same(await rrTags('child.example.', 'DS'), [ksk1, ksk2].sort(), 'both DS at the parent while the old CDS stays');
  t.ok(await published(ksk2) && !(await published(ksk1)), 'switched: the new KSK alone in the DNSKEY RRset');
  await t.test('double-DS, new KSK signing', (t) => phase(t, 'switched'));

  clock.advance(301);
  await child.dnssecPass();
  t.same(await rrTags('child.example.', 'CDS', C), [ksk2], 'the old CDS is gone');
  await parent.dnssecPass();
  t.same(await rrTags('child.example.', 'DS'), [ksk2], 'the parent dropped the old DS');
  await child.dnssecPass();
  t.ok(readKeyDir(ck, 'child.example.').find((k) => k.tag === ksk1)!.timing.DSRemoved !== undefined, 'the child recorded DSRemoved: the roll is over');
  await t.test('after', (t) => phase(t, 'after'));
});

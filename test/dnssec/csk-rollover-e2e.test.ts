// A full combined-signing-key (CSK) roll between two aop daemons on the daemon clock: the child
// (`--dnssec-keys combined --dnssec-ksk-lifetime`, `--dnssec-parental-agent` at the parent) and
// the parent (`--dnssec-cds-scan`), each on port 53 of its own loopback address (glue carries
// no port). At every phase (before, new key published, DS swapped, old key gone) an aop
// validating resolver on the same clock and, when installed, Unbound given the parent's anchor
// set AD on the child's names, and dnssec-verify and ldns-verify-zone accept an AXFR of both
// zones. The clock starts 40 days back, so that the signatures made along the way are valid on
// the real clock too (Unbound's and the verifiers').

import t from 'tap';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requirePort53 } from '../helpers/topology.js';
import { DAY, rollPhase, startRollWorld } from '../helpers/roll-world.js';


t.test('CSK rollover, child and parent on aop, validated at every phase', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils') || !requireTool(t, 'dnssec-verify', 'bind9-utils') || !requireTool(t, 'ldns-verify-zone', 'ldnsutils')) return;
  if (!(await requirePort53(t))) return;
  const net = await leaseNet(t);
  const [P, C] = [net.host(2), net.host(3)];
  const world = await startRollWorld(t, { P, C, keyLayout: 'combined', prefix: 'aop-cskroll-e2e-' });
  const { clock, ck, child, parent } = world;
  const phase = rollPhase(t, world, net, { ldns: true });

  const keyTags = () => readKeyDir(ck, 'child.example.').map((k) => k.tag);
  const rrTags = async (name: string, type: string, host = P) => (await dig(53, ['+norec', '+dnssec', name, type], host)).answer.filter((l) => l.split(' ')[3] === type).map((l) => Number(l.split(' ')[4])).sort();
  const sigTags = async (name: string, type: string) => (await dig(53, ['+norec', '+dnssec', name, type], C)).answer.filter((l) => l.split(' ')[3] === 'RRSIG' && l.split(' ')[4] === type).map((l) => Number(l.split(' ')[10])).sort();
  const pub = (tag: number) => readKeyDir(ck, 'child.example.').find((k) => k.tag === tag)!.dnskey.subarray(4).toString('base64');
  const published = async (tag: number) => (await dig(53, ['+norec', 'child.example.', 'DNSKEY'], C)).answer.some((l) => l.split(' ')[3] === 'DNSKEY' && l.split(' ').slice(7).join('') === pub(tag));


  t.equal(keyTags().length, 1, 'one combined key to begin with');
  const csk1 = keyTags()[0]!;
  await t.test('before', (t) => phase(t, 'before'));

  clock.advance(30 * DAY + 1);
  await child.dnssecPass();
  const csk2 = keyTags().find((k) => k !== csk1)!;
  t.ok(csk2, 'the child made a successor CSK after its lifetime');
  t.ok(await published(csk1) && await published(csk2), 'both in the DNSKEY RRset (pre-published)');
  t.same(await sigTags('www.child.example.', 'A'), [csk1], 'data still signed by the old key only');
  t.same(await rrTags('child.example.', 'CDS', C), [csk1], 'the CDS still names the old key');
  await t.test('new key published', (t) => phase(t, 'published'));

  clock.advance(300);
  await child.dnssecPass();
  t.same(await sigTags('www.child.example.', 'A'), [csk2], 'a DNSKEY TTL on: data signed by the new key only');
  t.same(await sigTags('child.example.', 'DNSKEY'), [csk1, csk2].sort(), 'the DNSKEY RRset by both');
  t.same(await rrTags('child.example.', 'CDS', C), [csk2], 'the CDS asks for the swap');
  await parent.dnssecPass();
  t.same(await rrTags('child.example.', 'DS'), [csk2], 'the parent swapped the DS from the CDS');
  await t.test('DS swapped, DNSKEY double-signed', (t) => phase(t, 'swapped'));

  clock.advance(60);
  await child.dnssecPass();
  const k1 = readKeyDir(ck, 'child.example.').find((k) => k.tag === csk1)!;
  t.ok(k1.timing.Inactive !== undefined && k1.timing.Inactive === readKeyDir(ck, 'child.example.').find((k) => k.tag === csk2)!.timing.DSPublish! + 600, 'the child saw the new DS and timed the old key out a DS TTL later');
  clock.advance(601);
  await child.dnssecPass();
  await parent.dnssecPass();
  t.ok(await published(csk2) && !(await published(csk1)), 'the old key is gone from the DNSKEY RRset');
  t.same(await sigTags('child.example.', 'DNSKEY'), [csk2], 'the new key signs alone');
  t.ok(readKeyDir(ck, 'child.example.').find((k) => k.tag === csk1)!.timing.DSRemoved !== undefined, 'DSRemoved recorded: the roll is over');
  await t.test('after', (t) => phase(t, 'after'));
});

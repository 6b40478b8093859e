// A full combined-signing-key (CSK) roll between two aop daemons on the daemon clock: the child
// (`--dnssec-keys combined --dnssec-ksk-lifetime`, `--dnssec-parental-agent` at the parent) and
// the parent (`--dnssec-cds-scan`), each on port 53 of its own loopback address (glue carries
// no port). At every phase (before, new key published, DS swapped, old key gone) an aop
// validating resolver on the same clock and, when installed, Unbound given the parent's anchor
// set AD on the child's names, and dnssec-verify and ldns-verify-zone accept an AXFR of both
// zones. The clock starts 40 days back, so that the signatures made along the way are valid on
// the real clock too (Unbound's and the verifiers').

import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { requireDaemon } from '../helpers/child.js';
import { dig } from '../helpers/dig.js';
import { hasTool, requireTool, run } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requirePort53 } from '../helpers/topology.js';
import { DAY, startRollWorld } from '../helpers/roll-world.js';
import { startUnbound } from '../helpers/unbound.js';


t.test('CSK rollover, child and parent on aop, validated at every phase', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils') || !requireTool(t, 'dnssec-verify', 'bind9-utils') || !requireTool(t, 'ldns-verify-zone', 'ldnsutils')) return;
  if (!(await requirePort53(t))) return;
  const net = await leaseNet(t);
  const [P, C] = [net.host(2), net.host(3)];
  const world = await startRollWorld(t, { P, C, keyLayout: 'combined', prefix: 'aop-cskroll-e2e-' });
  const { dir, clock, ck, child, parent, resolver, rport, anchorFile } = world;
  const withUnbound = hasTool('unbound') || process.env.CI === 'true';
  if (!withUnbound) t.comment('unbound not installed: phases checked with aop, dnssec-verify and ldns-verify-zone only');

  const keyTags = () => readKeyDir(ck, 'child.example.').map((k) => k.tag);
  const rrTags = async (name: string, type: string, host = P) => (await dig(53, ['+norec', '+dnssec', name, type], host)).answer.filter((l) => l.split(' ')[3] === type).map((l) => Number(l.split(' ')[4])).sort();
  const sigTags = async (name: string, type: string) => (await dig(53, ['+norec', '+dnssec', name, type], C)).answer.filter((l) => l.split(' ')[3] === 'RRSIG' && l.split(' ')[4] === type).map((l) => Number(l.split(' ')[10])).sort();
  const pub = (tag: number) => readKeyDir(ck, 'child.example.').find((k) => k.tag === tag)!.dnskey.subarray(4).toString('base64');
  const published = async (tag: number) => (await dig(53, ['+norec', 'child.example.', 'DNSKEY'], C)).answer.some((l) => l.split(' ')[3] === 'DNSKEY' && l.split(' ').slice(7).join('') === pub(tag));
  let unboundN = 10;

  async function phase(t: Test, label: string): Promise<void> {
    for (const [name, type] of [['www.child.example.', 'A'], ['child.example.', 'DNSKEY'], ['child.example.', 'DS'], ['nope.child.example.', 'A']] as const) {
      const r = await dig(rport, ['+rec', '+dnssec', name, type]);
      t.ok(r.flags.has('ad') && (r.status === 'NOERROR' || r.status === 'NXDOMAIN'), `${label}: aop resolver AD on ${name} ${type} (${r.status})`);
    }
    for (const [zone, host] of [['child.example.', C], ['example.', P]] as const) {
      const axfr = (await run('dig', [`@${host}`, '+nocmd', '+nostats', '+nocomments', zone, 'AXFR'])).stdout;
      const file = path.join(dir, `${zone}${label.replace(/\W+/g, '-')}.signed`);
      writeFileSync(file, axfr);
      const v = await run('dnssec-verify', ['-z', '-o', zone, file], 60_000);
      t.equal(v.code, 0, `${label}: dnssec-verify accepts ${zone} ${v.code === 0 ? '' : v.stderr + v.stdout}`);
      const l = await run('ldns-verify-zone', [file], 60_000);
      t.equal(l.code, 0, `${label}: ldns-verify-zone accepts ${zone} ${l.code === 0 ? '' : l.stderr + l.stdout}`);
    }
    if (!withUnbound || !requireDaemon(t, 'unbound', 'unbound')) return;
    const at = net.host(unboundN++);
    await startUnbound(t, {
      dir: path.join(dir, `unbound-${unboundN}`), address: at, stubs: { 'example.': [`${P}@53`], 'child.example.': [`${C}@53`] },
      ready: { name: 'example.', type: 'SOA' }, trustAnchorFile: anchorFile,
    });
    const r = await dig(53, ['+rec', '+dnssec', 'www.child.example.', 'A'], at);
    t.ok(r.flags.has('ad') && r.status === 'NOERROR', `${label}: Unbound AD on www.child.example A`);
  }

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

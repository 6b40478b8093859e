// A full combined-signing-key (CSK) roll between two aop daemons on the daemon clock: the child
// (`--dnssec-keys combined --dnssec-ksk-lifetime`, `--dnssec-parental-agent` at the parent) and
// the parent (`--dnssec-cds-scan`), each on port 53 of its own loopback address (glue carries
// no port). At every phase (before, new key published, DS swapped, old key gone) an aop
// validating resolver on the same clock and, when installed, Unbound given the parent's anchor
// set AD on the child's names, and dnssec-verify and ldns-verify-zone accept an AXFR of both
// zones. The clock starts 40 days back, so that the signatures made along the way are valid on
// the real clock too (Unbound's and the verifiers').

import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/base/time.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { parseTrustAnchors } from '../../src/resolver/validate/index.js';
import { scratchDir, requireDaemon } from '../helpers/child.js';
import { dig } from '../helpers/dig.js';
import { hasTool, requireTool, run } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requirePort53 } from '../helpers/topology.js';
import { startUnbound } from '../helpers/unbound.js';

const DAY = 86400;
const times = { validity: 80 * DAY, refresh: 30 * DAY, backdate: 3600 };

t.test('CSK rollover, child and parent on aop, validated at every phase', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils') || !requireTool(t, 'dnssec-verify', 'bind9-utils') || !requireTool(t, 'ldns-verify-zone', 'ldnsutils')) return;
  if (!(await requirePort53(t))) return;
  const net = await leaseNet(t);
  const [P, C] = [net.host(2), net.host(3)];
  const dir = scratchDir(t, 'aop-cskroll-e2e-');
  const clock = new ManualClock(Date.now() - 40 * DAY * 1000);
  const seconds = () => clock.seconds();
  const mk = (name: string) => { const d = path.join(dir, name); mkdirSync(d); return d; };
  const [pz, cz, pk, ck] = [mk('pzones'), mk('czones'), mk('pkeys'), mk('ckeys')];

  writeFileSync(path.join(cz, 'child.example.zone'), `$ORIGIN child.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${C}\nwww A 192.0.2.3\n`);
  const child = new Daemon({
    zonesDir: cz, listen: [parseListen(`${C}:53`)], transfers: { allow: ['127.0.0.0/8'] },
    dnssec: { keyDir: ck, algorithm: 13, keyLayout: 'combined', times, now: seconds, kskLifetime: 30 * DAY, rollover: { parentalAgents: [{ address: P, port: 53 }] } },
  });
  await child.start();
  t.teardown(() => child.close());
  const ds0 = parentDsLines('child.example.', ck).map((l) => l.replace(' IN DS ', ' 600 IN DS '));
  writeFileSync(path.join(pz, 'example.zone'), `$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${P}\nchild 600 NS ns.child\nns.child A ${C}\n${ds0.join('\n')}\n`);
  const parent = new Daemon({
    zonesDir: pz, listen: [parseListen(`${P}:53`)], transfers: { allow: ['127.0.0.0/8'] },
    dnssec: { keyDir: pk, algorithm: 13, keyLayout: 'combined', times, now: seconds, rollover: { cdsScan: true } },
  });
  await parent.start();
  t.teardown(() => parent.close());

  const anchorLines = parentDsLines('example.', pk);
  const anchorFile = path.join(dir, 'example.anchor');
  writeFileSync(anchorFile, anchorLines.join('\n') + '\n');
  const resolver = new Daemon({
    listen: [parseListen('127.0.0.1:0')],
    resolver: {
      hints: parseHints(`example. 3600 IN NS ns.example.\nns.example. 3600 IN A ${P}\n`), timeout: 2000, warmUp: 0,
      cache: { now: clock.now }, validation: { anchors: parseTrustAnchors(anchorLines.join('\n')), now: seconds },
    },
  });
  await resolver.start();
  t.teardown(() => resolver.close());
  const rport = resolver.listeners[0]!.address.port;
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

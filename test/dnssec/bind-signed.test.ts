// The DNSSEC primitives held to BIND: a zone signed by dnssec-signzone (keys from
// dnssec-keygen, algorithms 13, 15 and 8, NSEC and NSEC3) loads, prints as named-compilezone
// prints it, and every RRSIG in it verifies with our canonical form and our verify; its DS
// records match dnssec-dsfromkey; its NSEC3 owners are our hashes. Then the other way: keys we
// write are used by dnssec-signzone, and a zone whose RRSIGs we made passes dnssec-verify.

import t, { type Test } from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadZoneText, zoneToText } from '../../src/zone/load.js';
import { RRType } from '../../src/wire/types.js';
import { rdataFromText, rdataToText } from '../../src/wire/rdata.js';
import { tokenize } from '../../src/wire/token.js';
import { readRrsig } from '../../src/wire/rdata/dnssec.js';
import { verifyRrsig, signRrset } from '../../src/dnssec/rrsig.js';
import { dsFromDnskey } from '../../src/dnssec/ds.js';
import { nsec3Label } from '../../src/dnssec/nsec3-hash.js';
import { keyTag } from '../../src/dnssec/keytag.js';
import { generateKey, KSK_FLAGS, readKeyDir, readKeyFiles, writeKeyFiles, ZSK_FLAGS } from '../../src/dnssec/keys.js';
import type { RR } from '../../src/wire/rr.js';
import { requireTool, run } from '../helpers/peers.js';
import { scratchDir } from '../helpers/child.js';

const ORIGIN = 'example.com.';
const ZONE = `$TTL 300
@ IN SOA ns1 hostmaster 2026120701 3600 600 86400 60
@ NS ns1
@ MX 10 Mail.Example.com.
ns1 A 192.0.2.53
www A 192.0.2.1
www A 192.0.2.2
www AAAA 2001:db8::1
Caps CNAME WWW.example.COM.
*.wild TXT "wildcard"
a.b.c.ent TXT "below empty non-terminals"
_443._tcp.www TLSA 3 1 1 ${'AB'.repeat(32)}
srv SRV 0 5 443 WWW
sub NS ns.sub
ns.sub A 192.0.2.99
secure NS ns.secure
secure DS 12345 13 2 ${'CD'.repeat(32)}
ns.secure A 192.0.2.98
`;

interface Signed { zoneText: string; rrs: RR[] }

function rrsets(rrs: RR[]): Map<string, { name: string; type: number; class: number; ttl: number; rdata: Buffer[] }> {
  const sets = new Map<string, { name: string; type: number; class: number; ttl: number; rdata: Buffer[] }>();
  for (const rr of rrs) {
    if (rr.type === RRType.RRSIG) continue;
    const k = `${rr.name.toLowerCase()}/${rr.type}`;
    let s = sets.get(k);
    if (!s) sets.set(k, (s = { name: rr.name, type: rr.type, class: rr.class, ttl: rr.ttl, rdata: [] }));
    s.rdata.push(rr.rdata);
  }
  return sets;
}

async function keygen(t: Test, dir: string, args: string[]): Promise<string> {
  const res = await run('dnssec-keygen', ['-q', '-K', dir, ...args, 'example.com'], 60_000);
  t.equal(res.code, 0, `dnssec-keygen ${args.join(' ')}: ${res.stderr}`);
  return path.join(dir, res.stdout.trim());
}

async function signzone(t: Test, dir: string, extra: string[]): Promise<Signed> {
  const file = path.join(dir, 'example.com.zone');
  writeFileSync(file, ZONE);
  const out = path.join(dir, `signed-${extra.join('')}.zone`);
  const res = await run('dnssec-signzone', ['-K', dir, '-d', dir, '-S', '-o', ORIGIN, '-f', out, ...extra, file], 60_000);
  t.equal(res.code, 0, `dnssec-signzone ${extra.join(' ')}: ${res.stderr}`);
  const zoneText = readFileSync(out, 'utf8');
  const zone = loadZoneText(zoneText, { origin: ORIGIN });
  return { zoneText, rrs: [...zone.records()] };
}

function verifyAll(t: Test, rrs: RR[], what: string): void {
  const keys = rrs.filter((r) => r.type === RRType.DNSKEY && r.name === ORIGIN).map((r) => r.rdata);
  const sets = rrsets(rrs);
  let good = 0;
  let sigs = 0;
  for (const rr of rrs.filter((r) => r.type === RRType.RRSIG)) {
    sigs++;
    const sig = readRrsig(rr.rdata);
    const set = sets.get(`${rr.name.toLowerCase()}/${sig.typeCovered}`);
    const key = keys.find((k) => keyTag(k) === sig.keyTag && k[3] === sig.algorithm);
    if (set && key && verifyRrsig(set, rr.rdata, key)) good++;
    else t.fail(`${what}: RRSIG over ${rr.name} ${sig.typeCovered} does not verify`);
  }
  t.ok(sigs > 10, `${what}: ${sigs} RRSIGs`);
  t.equal(good, sigs, `${what}: every RRSIG verifies`);
  // A changed record makes its RRSIG fail: the check can fail.
  const www = sets.get(`www.${ORIGIN}/${RRType.A}`)!;
  const wwwSig = rrs.find((r) => r.type === RRType.RRSIG && r.name === `www.${ORIGIN}` && readRrsig(r.rdata).typeCovered === RRType.A)!;
  const key = keys.find((k) => keyTag(k) === readRrsig(wwwSig.rdata).keyTag)!;
  t.notOk(verifyRrsig({ ...www, rdata: [www.rdata[0]!, Buffer.from([192, 0, 2, 3])] }, wwwSig.rdata, key), `${what}: a changed RRset fails`);
  // Case and order of the RRset do not matter (canonical form and order).
  const caps = sets.get(`caps.${ORIGIN}/${RRType.CNAME}`)!;
  const capsSig = rrs.find((r) => r.type === RRType.RRSIG && r.name.toLowerCase() === `caps.${ORIGIN}` && readRrsig(r.rdata).typeCovered === RRType.CNAME)!;
  t.ok(verifyRrsig({ ...caps, name: `CAPS.EXAMPLE.COM.` }, capsSig.rdata, keys.find((k) => keyTag(k) === readRrsig(capsSig.rdata).keyTag)!), `${what}: owner case does not matter`);
  t.ok(verifyRrsig({ ...www, rdata: [...www.rdata].reverse() }, wwwSig.rdata, key), `${what}: RRset order does not matter`);
}

async function compileMatches(t: Test, dir: string, signed: Signed, what: string): Promise<void> {
  const file = path.join(dir, 'cmp.zone');
  writeFileSync(file, signed.zoneText);
  const res = await run('named-compilezone', ['-k', 'ignore', '-i', 'none', '-o', '-', ORIGIN, file], 60_000);
  t.equal(res.code, 0, `named-compilezone: ${res.stderr}`);
  // aop's zone holds one TTL per owner and type, so the RRSIGs at one name share a TTL where
  // BIND keeps one per type covered: RRSIG TTLs are left out of the comparison (the signed
  // data uses the original TTL field, which is compared).
  const norm = (text: string): string[] =>
    text.split('\n').filter((l) => l !== '' && !l.startsWith(';')).map((l) => l.split(/\s+/).join(' ').replace(/^(\S+) \d+ IN RRSIG /, '$1 - IN RRSIG ')).sort();
  const ours = norm(zoneToText(loadZoneText(signed.zoneText, { origin: ORIGIN })));
  const bind = norm(res.stdout);
  t.same(ours, bind, `${what}: our printing of the signed zone is named-compilezone's`);
  // Each printed line parses back to the same wire bytes.
  for (const line of bind.filter((l) => / (RRSIG|NSEC3?|NSEC3PARAM|DNSKEY|DS) /.test(l))) {
    const [, , , type, ...rest] = line.split(' ') as [string, string, string, string, ...string[]];
    const num = RRType[type as keyof typeof RRType];
    const wire = rdataFromText(num, tokenize(rest.join(' ')), ORIGIN);
    if (rdataToText(num, wire) !== rest.join(' ')) t.fail(`${what}: ${line} does not round-trip`);
  }
}

t.test('zones signed by dnssec-signzone: load, print as BIND does, and verify', async (t) => {
  for (const tool of ['dnssec-keygen', 'dnssec-signzone', 'named-compilezone', 'dnssec-dsfromkey']) if (!requireTool(t, tool, 'bind9-utils')) return;
  for (const [alg, extraKeygen] of [['13', []], ['15', []], ['8', ['-b', '2048']]] as const) {
    await t.test(`algorithm ${alg}`, async (t) => {
      const dir = scratchDir(t, 'aop-dnssec-');
      const ksk = await keygen(t, dir, ['-a', alg, ...extraKeygen, '-f', 'KSK']);
      await keygen(t, dir, ['-a', alg, ...extraKeygen]);
      // Our reader takes dnssec-keygen's files: the tag in the name is the tag of the key.
      const keys = readKeyDir(dir, ORIGIN);
      t.equal(keys.length, 2, 'both keys read');
      for (const k of keys) t.ok(readdirSync(dir).includes(`Kexample.com.+${alg.padStart(3, '0')}+${String(k.tag).padStart(5, '0')}.key`), `tag ${k.tag} as in the file name`);
      t.equal(readKeyFiles(ksk).flags, KSK_FLAGS, 'the KSK has flags 257');

      const nsec = await signzone(t, dir, []);
      verifyAll(t, nsec.rrs, 'NSEC');
      await compileMatches(t, dir, nsec, 'NSEC');
      const nsec3 = await signzone(t, dir, ['-3', '-', '-H', '0']);
      verifyAll(t, nsec3.rrs, 'NSEC3');
      await compileMatches(t, dir, nsec3, 'NSEC3');
      // The NSEC3 owners are our hashes of the zone's names (and empty non-terminals).
      const owners = new Set(nsec3.rrs.filter((r) => r.type === RRType.NSEC3).map((r) => r.name.toLowerCase()));
      for (const n of [ORIGIN, `www.${ORIGIN}`, `ent.${ORIGIN}`, `c.ent.${ORIGIN}`, `wild.${ORIGIN}`, `sub.${ORIGIN}`]) {
        t.ok(owners.has(`${nsec3Label(n, Buffer.alloc(0), 0)}.${ORIGIN}`), `NSEC3 owner for ${n}`);
      }
      // DS as dnssec-dsfromkey computes it.
      const ds = await run('dnssec-dsfromkey', ['-2', `${ksk}.key`]);
      // dnssec-dsfromkey prints the digest in one word; the zone-file form splits it.
      const bindDs = (out: string): Buffer => rdataFromText(RRType.DS, tokenize(/IN DS (.*)$/m.exec(out)?.[1] ?? ''), ORIGIN);
      t.same(dsFromDnskey(ORIGIN, readKeyFiles(ksk).dnskey, 2), bindDs(ds.stdout), 'DS digest type 2');
      const ds4 = await run('dnssec-dsfromkey', ['-a', 'SHA-384', `${ksk}.key`]);
      t.same(dsFromDnskey(ORIGIN, readKeyFiles(ksk).dnskey, 4), bindDs(ds4.stdout), 'DS digest type 4');
    });
  }
});

t.test('keys we make sign in BIND, and a zone we signed passes dnssec-verify', async (t) => {
  for (const tool of ['dnssec-signzone', 'dnssec-verify']) if (!requireTool(t, tool, 'bind9-utils')) return;
  for (const alg of [13, 15, 8]) {
    await t.test(`algorithm ${alg}`, async (t) => {
      const dir = scratchDir(t, 'aop-dnssec-');
      const ksk = generateKey(ORIGIN, alg, KSK_FLAGS);
      const zsk = generateKey(ORIGIN, alg, ZSK_FLAGS);
      writeKeyFiles(dir, ksk);
      writeKeyFiles(dir, zsk);
      // Read back: the same key.
      const back = readKeyDir(dir, ORIGIN).find((k) => k.tag === ksk.tag)!;
      t.ok(back.dnskey.equals(ksk.dnskey), 'the written key reads back');
      t.equal(back.timing.Created, ksk.timing.Created, 'timing metadata reads back');
      // dnssec-signzone uses our key files.
      const signed = await signzone(t, dir, ['-3', '-', '-H', '0']);
      const tags = new Set(signed.rrs.filter((r) => r.type === RRType.RRSIG).map((r) => readRrsig(r.rdata).keyTag));
      t.ok(tags.has(ksk.tag) && tags.has(zsk.tag), 'BIND signed with both of our keys');
      // Our signatures in place of BIND's: keep its NSEC3 chain, sign every RRset ourselves.
      const now = Math.floor(Date.now() / 1000);
      const lines: string[] = [];
      const apexKeys = new Set<number>([RRType.DNSKEY, RRType.CDS, RRType.CDNSKEY]);
      const isCut = (name: string): boolean => signed.rrs.some((r) => r.type === RRType.NS && r.name === name && name !== ORIGIN);
      for (const rr of signed.rrs.filter((r) => r.type !== RRType.RRSIG)) lines.push(`${rr.name} ${rr.ttl} IN ${rr.type === RRType.NSEC3 ? 'NSEC3' : rr.type === RRType.NSEC3PARAM ? 'NSEC3PARAM' : rdTypeName(rr.type)} ${rdataToText(rr.type, rr.rdata)}`);
      for (const set of rrsets(signed.rrs).values()) {
        // No RRSIG over delegation NS or glue (RFC 4035 2.2).
        if (set.name !== ORIGIN && (isCut(set.name) && set.type !== RRType.DS)) continue;
        if (/\.(sub|secure)\.example\.com\.$/.test(set.name)) continue;
        const key = apexKeys.has(set.type) && set.name === ORIGIN ? ksk : zsk;
        const sig = signRrset(set, key, now - 3600, now + 86400 * 7);
        lines.push(`${set.name} ${set.ttl} IN RRSIG ${rdataToText(RRType.RRSIG, sig)}`);
        t.ok(verifyRrsig(set, sig, key.dnskey), `${set.name} ${set.type}: our own signature verifies`);
      }
      const file = path.join(dir, 'ours.zone');
      writeFileSync(file, lines.join('\n') + '\n');
      const res = await run('dnssec-verify', ['-o', ORIGIN, file], 60_000);
      t.equal(res.code, 0, `dnssec-verify accepts the zone we signed: ${res.stderr}${res.stdout}`);
      // And refuses it when one signature is broken (the check can fail).
      const broken = lines.map((l) => (/^www\.example\.com\. \d+ IN RRSIG A /.test(l) ? l.replace(/(\S)(\S)$/, (_m, a: string, b: string) => a + (b === 'A' ? 'B' : 'A')) : l));
      const bad = path.join(dir, 'broken.zone');
      writeFileSync(bad, broken.join('\n') + '\n');
      t.not((await run('dnssec-verify', ['-o', ORIGIN, bad], 60_000)).code, 0, 'dnssec-verify refuses a broken signature');
    });
  }
});

function rdTypeName(type: number): string {
  return Object.entries(RRType).find(([, v]) => v === type)?.[0] ?? `TYPE${type}`;
}

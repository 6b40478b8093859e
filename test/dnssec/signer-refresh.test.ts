// The signer's clock work, with a clock the test moves: signatures are refreshed (under a new
// serial) once they come within `refresh` of expiry and not before; a new version re-signs only
// what changed; serials only move forward; zones that came signed pass as they are; key faults
// stop a start and otherwise leave the zone unsigned with one logged error.

import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Signer } from '../../src/authority/signer.js';
import { loadZoneText, zoneToText } from '../../src/zone/load.js';
import { readRrsig } from '../../src/wire/rdata/dnssec.js';
import { RRType } from '../../src/wire/types.js';
import { rdataFromText } from '../../src/wire/rdata.js';
import { tokenize } from '../../src/wire/token.js';
import { generateKey, readKeyDir, writeKeyFiles, ZSK_FLAGS } from '../../src/dnssec/keys.js';
import { keyTag } from '../../src/dnssec/keytag.js';
import { verifyRrsig } from '../../src/dnssec/rrsig.js';
import { DnssecError } from '../../src/dnssec/errors.js';
import type { Zone } from '../../src/zone/zone.js';
import { scratchDir } from '../helpers/child.js';

const ZONE = `$TTL 300
@ SOA ns hostmaster 100 3600 600 86400 60
@ NS ns
ns A 192.0.2.1
www A 192.0.2.2
mail A 192.0.2.3
`;
const times = { validity: 10_000, refresh: 4_000, backdate: 3600 };
const T0 = 1_800_000_000;

function sigs(zone: Zone): Array<ReturnType<typeof readRrsig>> {
  return [...zone.records()].filter((r) => r.type === RRType.RRSIG).map((r) => readRrsig(r.rdata));
}

function allVerify(zone: Zone): boolean {
  const keys = zone.apex.rrsets.get(RRType.DNSKEY)!.rdata;
  for (const node of zone.allNodes()) {
    for (const sig of node.rrsets.get(RRType.RRSIG)?.rdata ?? []) {
      const f = readRrsig(sig);
      const set = node.rrsets.get(f.typeCovered)!;
      if (!keys.some((k) => verifyRrsig(set, sig, k))) return false;
    }
  }
  return true;
}

t.test('refresh before expiry, not before; new versions re-sign what changed', async (t) => {
  let now = T0;
  const dir = scratchDir(t, 'aop-signer-');
  const signer = new Signer({ keyDir: dir, algorithm: 13, keyLayout: 'combined', times, now: () => now });
  const v1 = loadZoneText(ZONE, { origin: 'example.' });
  const s1 = signer.view(v1);
  t.equal(readKeyDir(dir).length, 1, 'one combined key made');
  t.equal(readKeyDir(dir)[0]!.flags, 257);
  t.equal(s1.serial, 100, 'the first signing keeps the serial');
  t.ok(sigs(s1).every((s) => s.inception === T0 - 3600 && s.expiration === T0 + 10_000), 'inception backdated, expiration after validity');
  t.ok(allVerify(s1), 'every RRSIG verifies');
  t.equal(signer.view(v1), s1, 'one signing per version');

  now = T0 + 10_000 - 4_000 - 1;
  t.same(signer.refresh([v1]), [], 'not refreshed while more than `refresh` is left');
  now = T0 + 10_000 - 4_000 + 1;
  const [s2] = signer.refresh([v1]);
  t.ok(s2, 'refreshed once within `refresh` of expiry');
  t.equal(s2!.serial, 101, 'under a new serial');
  t.ok(sigs(s2!).every((s) => s.expiration === now + 10_000), 'every signature new');
  t.equal(signer.view(v1), s2, 'the refreshed version is served');
  t.ok(allVerify(s2!));

  // An UPDATE-style new version at serial 101: the signed serial must still move forward.
  const v2 = v1.withChange(
    [{ name: 'example.', type: RRType.SOA, class: 1, ttl: 300, rdata: v1.soa.rdata[0]! }, { name: 'www.example.', type: RRType.A, class: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, 2]) }],
    [{ name: 'example.', type: RRType.SOA, class: 1, ttl: 300, rdata: rdataFromText(RRType.SOA, tokenize('ns hostmaster 101 3600 600 86400 60'), 'example.') }, { name: 'www.example.', type: RRType.A, class: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, 9]) }],
    (_t, a, b) => a.equals(b),
  );
  t.equal(v2.serial, 101);
  const before = sigs(s2!);
  const s3 = signer.view(v2);
  t.equal(s3.serial, 102, 'a new version after a refresh gets the next serial');
  const after = sigs(s3);
  const fresh = after.filter((s) => !before.some((b) => b.signature.equals(s.signature)));
  t.ok(fresh.length > 0 && fresh.length <= 4, `only the changed RRsets signed again (${fresh.length} of ${after.length}: www A, SOA, and NSEC3 unchanged)`);
  t.ok(fresh.some((s) => s.typeCovered === RRType.A) && fresh.some((s) => s.typeCovered === RRType.SOA));
  t.ok(allVerify(s3));
});

t.test('zones that came signed, and key faults', async (t) => {
  const dir = scratchDir(t, 'aop-signer-');
  const errors: string[] = [];
  const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m) };
  const signer = new Signer({ keyDir: dir, algorithm: 15, keyLayout: 'split', times, logger });
  const signed = signer.view(loadZoneText(ZONE, { origin: 'example.' }));
  t.equal(readKeyDir(dir).length, 2, 'split: a KSK and a ZSK');
  t.ok(readKeyDir(dir).every((k) => k.algorithm === 15), 'Ed25519');
  const again = loadZoneText(zoneToText(signed), { origin: 'example.' });
  t.equal(signer.view(again), again, 'a zone with a signed DNSKEY RRset is served as it is');

  const bad = scratchDir(t, 'aop-signer-bad-');
  writeFileSync(path.join(bad, 'Kbroken.+013+00001.key'), 'broken. IN DNSKEY 257 3 13 AAAA\n');
  writeFileSync(path.join(bad, 'Kbroken.+013+00001.private'), 'Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\n');
  const s2 = new Signer({ keyDir: bad, algorithm: 13, keyLayout: 'combined', times, logger });
  const z = loadZoneText(ZONE, { origin: 'broken.' });
  t.throws(() => s2.prime([z]), DnssecError, 'prime throws on a bad key file');
  t.equal(s2.view(z), z, 'view serves it unsigned');
  s2.view(loadZoneText(ZONE, { origin: 'broken.' }));
  t.equal(errors.filter((e) => e.includes('broken.')).length, 1, 'one error logged, not one per version');
  t.match(errors[0], /ECDSAP256SHA256 public key|Kbroken/);
});

t.test('a ZSK rolled by its timing fields (pre-publish), as dnssec-keygen -S and dnssec-settime set them', async (t) => {
  let now = T0;
  const dir = scratchDir(t, 'aop-signer-roll-');
  const signer = new Signer({ keyDir: dir, algorithm: 13, keyLayout: 'split', times, now: () => now });
  const zone = loadZoneText(ZONE, { origin: 'example.' });
  signer.view(zone);
  const [ksk, z1] = [readKeyDir(dir).find((k) => k.flags === 257)!, readKeyDir(dir).find((k) => k.flags === 256)!];
  // The successor: published now, active at T0+5000; the old ZSK inactive then, deleted at T0+8000.
  const z2 = generateKey('example.', 13, ZSK_FLAGS, T0);
  z2.timing = { Created: T0, Publish: T0, Activate: T0 + 5000 };
  writeKeyFiles(dir, z2);
  writeKeyFiles(dir, { ...z1, timing: { ...z1.timing, Inactive: T0 + 5000, Delete: T0 + 8000 } });
  signer.reloadKeys();
  const tagsIn = (z: Zone, type: number): number[] => [...new Set(sigs(z).filter((s) => s.typeCovered === type).map((s) => s.keyTag))].sort();
  const dnskeyTags = (z: Zone): number[] => z.apex.rrsets.get(RRType.DNSKEY)!.rdata.map((r) => keyTag(r)).sort();

  now = T0 + 1;
  const [pre] = signer.refresh([zone]);
  t.ok(pre, 'the new key is published at once');
  t.same(dnskeyTags(pre!), [ksk.tag, z1.tag, z2.tag].sort(), 'DNSKEY: KSK, old and new ZSK');
  t.same(tagsIn(pre!, RRType.A), [z1.tag], 'data still signed by the old ZSK');
  t.same(tagsIn(pre!, RRType.DNSKEY), [ksk.tag], 'DNSKEY signed by the KSK');
  t.ok(allVerify(pre!));

  now = T0 + 5001;
  const [active] = signer.refresh([zone]);
  t.same(tagsIn(active!, RRType.A), [z2.tag], 'after Activate: signed by the new ZSK');
  t.same(dnskeyTags(active!), [ksk.tag, z1.tag, z2.tag].sort(), 'the old ZSK stays published until Delete');
  t.ok(allVerify(active!));

  now = T0 + 8001;
  const [done] = signer.refresh([zone]);
  t.same(dnskeyTags(done!), [ksk.tag, z2.tag].sort(), 'after Delete: the old ZSK is gone');
  t.ok(allVerify(done!));
  t.ok(done!.serial > active!.serial && active!.serial > pre!.serial, 'each step under a new serial');
  t.same(signer.refresh([zone]), [], 'nothing more to do');
});

t.test('automatic ZSK roll by pre-publication (--dnssec-zsk-lifetime)', async (t) => {
  let now = T0;
  const dir = scratchDir(t, 'aop-signer-auto-');
  const long = { validity: 1_000_000, refresh: 100_000, backdate: 3600 };
  const signer = new Signer({ keyDir: dir, algorithm: 13, keyLayout: 'split', times: long, zskLifetime: 50_000, now: () => now });
  const zone = loadZoneText(ZONE, { origin: 'example.' });
  signer.view(zone);
  const ksk = readKeyDir(dir).find((k) => k.flags === 257)!;
  const z1 = readKeyDir(dir).find((k) => k.flags === 256)!;
  const zskTags = (z: Zone): number[] => [...new Set(sigs(z).filter((s) => s.typeCovered === RRType.A).map((s) => s.keyTag))];
  const published = (z: Zone): number[] => z.apex.rrsets.get(RRType.DNSKEY)!.rdata.map((r) => keyTag(r)).sort();

  now = T0 + 49_000;
  t.same(signer.refresh([zone]), [], 'no roll before the lifetime');
  now = T0 + 50_001;
  const [pub] = signer.refresh([zone]);
  t.ok(pub, 'the successor is published');
  const files = readKeyDir(dir);
  t.equal(files.length, 3, 'and written to the key folder');
  const z2 = files.find((k) => k.flags === 256 && k.tag !== z1.tag)!;
  t.same(published(pub!), [ksk.tag, z1.tag, z2.tag].sort(), 'DNSKEY: both ZSKs');
  t.same(zskTags(pub!), [z1.tag], 'the old ZSK still signs');
  t.equal(z2.timing.Activate, now + 300 + 3600, 'the new one active after the DNSKEY TTL and an hour');
  t.equal(files.find((k) => k.tag === z1.tag)!.timing.Inactive, z2.timing.Activate, 'the old one retires then (in its file)');

  now = z2.timing.Activate! + 1;
  const [active] = signer.refresh([zone]);
  t.same(zskTags(active!), [z2.tag], 'the new ZSK signs');
  t.same(published(active!), [ksk.tag, z1.tag, z2.tag].sort(), 'the old one still published');
  t.ok(allVerify(active!));
  now = files.find((k) => k.tag === z1.tag)!.timing.Delete! + 1;
  const [done] = signer.refresh([zone]);
  t.same(published(done!), [ksk.tag, z2.tag].sort(), 'the old ZSK removed');
  t.ok(allVerify(done!));
  t.equal(readKeyDir(dir).filter((k) => k.flags === 257).length, 1, 'the KSK is not rolled');
});

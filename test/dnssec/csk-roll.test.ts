// The combined-signing-key roll (RFC 7583 3.2.1 and 3.3.1) on the signer's clock, child and parent in one
// signer: the successor is published first and signs nothing for a DNSKEY TTL; then it signs the
// zone's data alone and the DNSKEY RRset beside the old key, while the CDS swaps to it and the
// parent's DS follows; the old key stops signing a DS TTL after the new DS is seen and leaves.
// At every step a validator holding either DS set (the parent's now, or a cached older one)
// builds a chain, and every RRSIG verifies against a published key.

import t from 'tap';
import { Signer } from '../../src/authority/signer.js';
import { readRrsig } from '../../src/wire/rdata/dnssec.js';
import { RRType } from '../../src/wire/types.js';
import { generateKey, KSK_FLAGS, readKeyDir, writeKeyFiles } from '../../src/dnssec/keys.js';
import { keyTag } from '../../src/dnssec/keytag.js';
import { verifyRrsig } from '../../src/dnssec/rrsig.js';
import { dsMatches } from '../../src/dnssec/ds.js';
import type { Zone } from '../../src/zone/zone.js';
import { scratchDir } from '../helpers/child.js';
import { CHILD as C, DAY, T0, dnskeyTags, parentDs, rollSigner, rollZones, sigTags, sorted, tags } from '../helpers/roll-signer.js';



/** A validator with DS set `ds` finds a key it names that signs the DNSKEY RRset, and www's RRSIG verifies with a published key. */
function chainWith(ds: Buffer[], child: Zone): boolean {
  const keys = child.apex.rrsets.get(RRType.DNSKEY)!;
  const sigs = child.apex.rrsets.get(RRType.RRSIG)!.rdata.filter((s) => readRrsig(s).typeCovered === RRType.DNSKEY);
  const top = keys.rdata.some((k) => ds.some((d) => dsMatches(C, d, k)) && sigs.some((s) => verifyRrsig(keys, s, k)));
  const www = child.nodeByKey('www.child.example.')!;
  const a = www.rrsets.get(RRType.A)!;
  const data = www.rrsets.get(RRType.RRSIG)!.rdata.filter((s) => readRrsig(s).typeCovered === RRType.A);
  return top && data.length > 0 && data.every((s) => keys.rdata.some((k) => verifyRrsig(a, s, k)));
}

t.test('a combined signing key rolled: pre-published, DS swapped through the CDS, retired', async (t) => {
  let now = T0;
  const dir = scratchDir(t, 'aop-cskroll-');
  const zones = rollZones();
  const logs: string[] = [];
  const signer = rollSigner({ dir, zones, layout: 'combined', now: () => now, logs });
  const parent = zones.get('example.')!;
  const child = zones.get(C)!;
  signer.prime([child, parent]);
  const view = () => ({ p: signer.view(parent), c: signer.view(child) });
  const csk1 = readKeyDir(dir, C)[0]!;
  const parentKeys = readKeyDir(dir, 'example.').map((k) => k.tag);
  let { p, c } = view();
  const ds1 = parentDs(p);
  t.same(tags(ds1), [csk1.tag], 'before: the parent holds the DS of CSK 1');
  t.ok(chainWith(ds1, c), 'before: chain holds');

  now = T0 + 60 * DAY + 1;
  signer.refresh(zones.values());
  const csk2 = readKeyDir(dir, C).find((k) => k.tag !== csk1.tag)!;
  t.ok(csk2 && csk2.flags === 257, 'a successor CSK is made (flags 257) and written to the key folder');
  t.same(csk2.timing.Publish, now, 'published at once');
  t.same(csk2.timing.Activate, now + 300, 'signing a DNSKEY TTL (300) later');
  ({ p, c } = view());
  t.same(dnskeyTags(c), sorted([csk1.tag, csk2.tag]), 'both keys in the DNSKEY RRset');
  t.same(sigTags(c, C, RRType.DNSKEY), [csk1.tag], 'the DNSKEY RRset still signed by CSK 1 alone');
  t.same(sigTags(c, 'www.child.example.', RRType.A), [csk1.tag], 'data signed by CSK 1 alone');
  t.same(tags(c.apex.rrsets.get(RRType.CDS)!.rdata), [csk1.tag], 'CDS unchanged');
  t.same(tags(parentDs(p)), [csk1.tag], 'the parent unchanged');
  t.ok(chainWith(ds1, c));
  t.same(readKeyDir(dir, 'example.').map((k) => k.tag), parentKeys, 'the parent, whose own parent is unknown, does not roll');
  t.ok(logs.some((l) => /zone example\.: CSK \d+ is due to roll, but the parent's DS set is not known/.test(l)), 'and says why, once');

  now += 299;
  t.same(signer.refresh(zones.values()), [], 'nothing moves before the new key has been published a DNSKEY TTL');

  now += 1;
  signer.refresh(zones.values());
  ({ p, c } = view());
  const ds2 = parentDs(p);
  t.same(sigTags(c, C, RRType.DNSKEY), sorted([csk1.tag, csk2.tag]), 'the DNSKEY RRset signed by both');
  t.same(sigTags(c, 'www.child.example.', RRType.A), [csk2.tag], 'data signed by CSK 2 alone (pre-published, so every cache has it)');
  t.same(tags(c.apex.rrsets.get(RRType.CDS)!.rdata), [csk2.tag], 'the CDS asks for the swap: CSK 2 only');
  t.same(tags(c.apex.rrsets.get(RRType.CDNSKEY)!.rdata.map((k) => Buffer.from([keyTag(k) >> 8, keyTag(k) & 255]))), [csk2.tag], 'CDNSKEY too');
  t.same(tags(ds2), [csk2.tag], 'the parent followed the CDS in the same pass');
  t.ok(chainWith(ds2, c), 'a validator with the new DS builds a chain');
  t.ok(chainWith(ds1, c), 'and so does one with the old DS still cached');

  now += 60;
  signer.refresh(zones.values());
  let k1 = readKeyDir(dir, C).find((k) => k.tag === csk1.tag)!;
  const k2 = readKeyDir(dir, C).find((k) => k.tag === csk2.tag)!;
  t.equal(k2.timing.DSPublish, now, 'DSPublish set when the new DS was seen at the parent');
  t.equal(k1.timing.Inactive, now + 600, 'CSK 1 stops signing a DS TTL (600) later');
  t.equal(k1.timing.Delete, now + 600, 'and leaves the DNSKEY RRset then (its data signatures left caches before)');
  ({ p, c } = view());
  t.ok(chainWith(ds1, c) && chainWith(ds2, c), 'both DS still work');

  now += 1;
  signer.refresh(zones.values());
  k1 = readKeyDir(dir, C).find((k) => k.tag === csk1.tag)!;
  t.ok(k1.timing.DSRemoved !== undefined, 'DSRemoved recorded: the old DS is gone from the parent');
  t.ok(logs.some((l) => /CSK \d+: its DS has left the parent; the roll is over/.test(l)), 'the log says the roll is over');

  now += 598;
  t.same(signer.refresh(zones.values()).map((z) => z.origin), [], 'nothing before the old key\'s Inactive time');
  now += 1;
  signer.refresh(zones.values());
  ({ p, c } = view());
  t.same(dnskeyTags(c), [csk2.tag], 'after: CSK 2 alone in the DNSKEY RRset');
  t.same(sigTags(c, C, RRType.DNSKEY), [csk2.tag], 'signing it alone');
  t.ok(chainWith(parentDs(p), c), 'chain holds');
  now += DAY;
  t.same(signer.refresh(zones.values()), [], 'then quiet');
});

t.test('two active combined keys of different algorithms both sign the data (an algorithm roll)', async (t) => {
  const now = T0;
  const dir = scratchDir(t, 'aop-cskalg-');
  const child = rollZones().get(C)!;
  const a = generateKey(C, 13, KSK_FLAGS, now - 2 * DAY);
  const b = generateKey(C, 15, KSK_FLAGS, now - DAY);
  a.timing = { Created: now - 2 * DAY, Publish: now - 2 * DAY, Activate: now - 2 * DAY };
  b.timing = { Created: now - DAY, Publish: now - DAY, Activate: now - DAY };
  writeKeyFiles(dir, a);
  writeKeyFiles(dir, b);
  const signer = new Signer({ keyDir: dir, algorithm: 13, keyLayout: 'combined', times: { validity: 30 * DAY, refresh: 10 * DAY, backdate: 3600 }, now: () => now });
  const c = signer.view(child);
  t.same(sigTags(c, 'www.child.example.', RRType.A), sorted([a.tag, b.tag]), 'data signed by both algorithms (RFC 4035 2.2)');
  t.same(sigTags(c, C, RRType.DNSKEY), sorted([a.tag, b.tag]), 'and the DNSKEY RRset');
});

// The double-DS KSK roll (RFC 7583 3.3.2) on the signer's clock, child and parent in one signer:
// the successor's CDS/CDNSKEY appear beside the old key's, the parent's DS set follows the CDS
// (both DS during the roll), the new KSK replaces the old only a DS TTL after its DS is at the
// parent, the old DS goes once the old key's CDS has; every step is in the key files' timing.

import t from 'tap';
import { readRrsig } from '../../src/wire/rdata/dnssec.js';
import { RRType } from '../../src/wire/types.js';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { verifyRrsig } from '../../src/dnssec/rrsig.js';
import { dsMatches } from '../../src/dnssec/ds.js';
import type { Zone } from '../../src/zone/zone.js';
import { scratchDir } from '../helpers/child.js';
import { CHILD, DAY, T0, dnskeyTags, rollSigner, rollZones, sigTags, tags } from '../helpers/roll-signer.js';

const signerTags = (z: Zone, type: number): number[] => sigTags(z, CHILD, type);


/** Whether every DS at the parent names a key... and one of them a key in the child's DNSKEY that signs it. */
function chainHolds(parent: Zone, child: Zone): boolean {
  const ds = parent.nodeByKey('child.example.')?.rrsets.get(RRType.DS)?.rdata ?? [];
  const keys = child.apex.rrsets.get(RRType.DNSKEY)!;
  const sigs = child.apex.rrsets.get(RRType.RRSIG)!.rdata.filter((s) => readRrsig(s).typeCovered === RRType.DNSKEY);
  return keys.rdata.some((k) => ds.some((d) => dsMatches('child.example.', d, k)) && sigs.some((s) => verifyRrsig(keys, s, k)));
}

t.test('a KSK rolled by double-DS, the parent following the CDS', async (t) => {
  let now = T0;
  const dir = scratchDir(t, 'aop-kskroll-');
  const zones = rollZones();
  const logs: string[] = [];
  const signer = rollSigner({ dir, zones, layout: 'split', now: () => now, logs });
  const parent = zones.get('example.')!;
  const child = zones.get('child.example.')!;
  signer.prime([child, parent]);
  const view = () => ({ p: signer.view(parent), c: signer.view(child) });
  const ksk1 = readKeyDir(dir, 'child.example.').find((k) => k.flags === 257)!;
  let { p, c } = view();
  t.same(tags(p.nodeByKey('child.example.')!.rrsets.get(RRType.DS)!.rdata), [ksk1.tag], 'before: the parent holds the DS of KSK 1');
  t.same(tags(c.apex.rrsets.get(RRType.CDS)!.rdata), [ksk1.tag], 'before: CDS of KSK 1');
  t.ok(chainHolds(p, c));

  now = T0 + 60 * DAY + 1;
  signer.refresh(zones.values());
  const ksk2 = readKeyDir(dir, 'child.example.').find((k) => k.flags === 257 && k.tag !== ksk1.tag)!;
  t.ok(ksk2, 'a successor KSK is made and written to the key folder');
  t.same(Object.keys(ksk2.timing).sort(), ['Created', 'SyncPublish'], 'its state: Created and SyncPublish only (not in the DNSKEY RRset)');
  ({ p, c } = view());
  t.same(tags(c.apex.rrsets.get(RRType.CDS)!.rdata), [ksk1.tag, ksk2.tag].sort((a, b) => a - b), 'CDS of both keys');
  t.equal(c.apex.rrsets.get(RRType.CDNSKEY)!.rdata.length, 2, 'CDNSKEY of both');
  t.notOk(dnskeyTags(c).includes(ksk2.tag), 'the new KSK is not published yet (double-DS)');
  t.same(signerTags(c, RRType.CDS), [ksk1.tag], 'the CDS signed by the current KSK');
  t.same(tags(p.nodeByKey('child.example.')!.rrsets.get(RRType.DS)!.rdata), [ksk1.tag, ksk2.tag].sort((a, b) => a - b), 'the parent, in the same pass, has both DS');
  t.ok(chainHolds(p, c));

  now += 60;
  signer.refresh(zones.values());
  const seen = readKeyDir(dir, 'child.example.').find((k) => k.tag === ksk2.tag)!;
  t.equal(seen.timing.DSPublish, now, 'DSPublish set when the DS was seen at the parent');
  t.equal(seen.timing.Activate, now + 600, 'the switch is a DS TTL (600) later');
  ({ p, c } = view());
  t.notOk(dnskeyTags(c).includes(ksk2.tag), 'not yet switched');

  now += 599;
  t.same(signer.refresh(zones.values()), [], 'nothing before the DS TTL has run out');
  now += 1;
  signer.refresh(zones.values());
  ({ p, c } = view());
  t.ok(dnskeyTags(c).includes(ksk2.tag) && !dnskeyTags(c).includes(ksk1.tag), 'after: the new KSK alone in the DNSKEY RRset');
  t.same(signerTags(c, RRType.DNSKEY), [ksk2.tag], 'DNSKEY signed by the new KSK');
  t.same(tags(c.apex.rrsets.get(RRType.CDS)!.rdata), [ksk1.tag, ksk2.tag].sort((a, b) => a - b), 'the old CDS stays a DNSKEY TTL more');
  t.same(tags(p.nodeByKey('child.example.')!.rrsets.get(RRType.DS)!.rdata), [ksk1.tag, ksk2.tag].sort((a, b) => a - b), 'both DS still');
  t.ok(chainHolds(p, c));

  now += 300;
  signer.refresh(zones.values());
  ({ p, c } = view());
  t.same(tags(c.apex.rrsets.get(RRType.CDS)!.rdata), [ksk2.tag], 'CDS of the new KSK only');
  t.same(tags(p.nodeByKey('child.example.')!.rrsets.get(RRType.DS)!.rdata), [ksk2.tag], 'the parent dropped the old DS');
  t.ok(chainHolds(p, c));
  now += 1;
  signer.refresh(zones.values());
  t.ok(readKeyDir(dir, 'child.example.').find((k) => k.tag === ksk1.tag)!.timing.DSRemoved !== undefined, 'DSRemoved recorded on the old key');
  t.ok(logs.some((l) => /the roll is over/.test(l)), 'the log says so');
  now += DAY;
  t.same(signer.refresh(zones.values()), [], 'then quiet');
});

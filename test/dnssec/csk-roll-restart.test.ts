// A CSK roll survives a restart: its whole state is in the key files' timing fields. A roll is
// taken to the DS swap by one signer, then a new signer reading the same folder (as after a
// restart) serves the same phase and finishes the roll; BIND's dnssec-settime reads the times
// aop wrote (SYNC Publish/Delete, DS Publish) mid-roll.

import t from 'tap';
import { Signer } from '../../src/authority/signer.js';
import { loadZoneText } from '../../src/zone/load.js';
import { readRrsig } from '../../src/wire/rdata/dnssec.js';
import { RRType } from '../../src/wire/types.js';
import { keyFileBase, readKeyDir } from '../../src/dnssec/keys.js';
import type { Zone } from '../../src/zone/zone.js';
import path from 'node:path';
import { scratchDir } from '../helpers/child.js';
import { hasTool, run } from '../helpers/peers.js';

const PARENT = '$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nchild 600 NS ns.child\nns.child A 192.0.2.2\n';
const CHILD = '$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.2\nwww A 192.0.2.3\n';
const T0 = 1_800_000_000;
const DAY = 86400;
const C = 'child.example.';

const sigTags = (z: Zone, owner: string, type: number): number[] =>
  [...new Set((z.nodeByKey(owner)?.rrsets.get(RRType.RRSIG)?.rdata ?? []).map(readRrsig).filter((s) => s.typeCovered === type).map((s) => s.keyTag))].sort((a, b) => a - b);
const dsTags = (p: Zone): number[] => (p.nodeByKey(C)?.rrsets.get(RRType.DS)?.rdata ?? []).map((d) => d.readUInt16BE(0)).sort((a, b) => a - b);

t.test('a CSK roll continues from the key files after a restart', async (t) => {
  let now = T0;
  const dir = scratchDir(t, 'aop-cskroll-restart-');
  const zones = new Map<string, Zone>([['example.', loadZoneText(PARENT, { origin: 'example.' })], [C, loadZoneText(CHILD, { origin: C })]]);
  const make = () => new Signer({
    keyDir: dir, algorithm: 13, keyLayout: 'combined', times: { validity: 30 * DAY, refresh: 10 * DAY, backdate: 3600 }, now: () => now,
    kskLifetime: 60 * DAY, servedZone: (o) => zones.get(o.toLowerCase()),
  });
  let signer = make();
  signer.prime([zones.get(C)!, zones.get('example.')!]);
  const csk1 = readKeyDir(dir, C)[0]!.tag;
  now += 60 * DAY + 1;
  signer.refresh(zones.values());
  now += 300;
  signer.refresh(zones.values());
  const csk2 = readKeyDir(dir, C).find((k) => k.tag !== csk1)!.tag;

  signer = make(); // the restart
  signer.prime([zones.get(C)!, zones.get('example.')!]);
  const c = signer.view(zones.get(C)!);
  const p = signer.view(zones.get('example.')!);
  t.same(sigTags(c, 'www.child.example.', RRType.A), [csk2], 'after the restart: data signed by the new key only');
  t.same(sigTags(c, C, RRType.DNSKEY), [csk1, csk2].sort((a, b) => a - b), 'the DNSKEY RRset by both');
  t.same(dsTags(p), [csk2], 'the parent holds the new DS');

  if (hasTool('dnssec-settime') || process.env.CI === 'true') {
    const k2 = readKeyDir(dir, C).find((k) => k.tag === csk2)!;
    const r = await run('dnssec-settime', ['-p', 'all', path.join(dir, keyFileBase(C, 13, csk2))]);
    t.equal(r.code, 0, `dnssec-settime reads the new key's files ${r.stderr}`);
    t.match(r.stdout, /SYNC Publish: (?!UNSET)/, 'and its SYNC Publish time');
    t.ok(k2.timing.SyncPublish === k2.timing.Activate, 'its CDS from its Activate');
  } else t.comment('dnssec-settime not installed: BIND reading the folder not checked');

  now += 60;
  signer.refresh(zones.values());
  const k1 = readKeyDir(dir, C).find((k) => k.tag === csk1)!;
  t.equal(k1.timing.Inactive, now + 600, 'the new signer saw the DS and timed the old key out');
  now += 601;
  signer.refresh(zones.values());
  const after = signer.view(zones.get(C)!);
  t.same(sigTags(after, C, RRType.DNSKEY), [csk2], 'and finished the roll');
  t.ok(readKeyDir(dir, C).find((k) => k.tag === csk1)!.timing.DSRemoved !== undefined, 'DSRemoved recorded');
});

// A CSK roll survives a restart: its whole state is in the key files' timing fields. A roll is
// taken to the DS swap by one signer, then a new signer reading the same folder (as after a
// restart) serves the same phase and finishes the roll; BIND's dnssec-settime reads the times
// aop wrote (SYNC Publish/Delete, DS Publish) mid-roll.

import t from 'tap';
import { RRType } from '../../src/wire/types.js';
import { keyFileBase, readKeyDir } from '../../src/dnssec/keys.js';
import type { Zone } from '../../src/zone/zone.js';
import path from 'node:path';
import { scratchDir } from '../helpers/child.js';
import { hasTool, run } from '../helpers/peers.js';
import { CHILD as C, DAY, T0, parentDs, rollSigner, rollZones, sigTags, tags } from '../helpers/roll-signer.js';


const dsTags = (p: Zone): number[] => tags(parentDs(p));

t.test('a CSK roll continues from the key files after a restart', async (t) => {
  let now = T0;
  const dir = scratchDir(t, 'aop-cskroll-restart-');
  const zones = rollZones();
  const make = () => rollSigner({ dir, zones, layout: 'combined', now: () => now });
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

// RFC 5011 2.1 revocation acted on when the revoked key alone vouches for the DNSKEY RRset: the
// one trusted KSK is revoked (REVOKE bit, self-signed) while a new KSK, unknown to the anchor,
// signs beside it. The revocation stands on its own signature: the key is REVOKED at once and
// the new key is not taken (no trusted key signs it); with no anchor left, the zone's answers
// are bogus (SERVFAIL), never insecure. A REVOKE bit without the key's own signature changes
// nothing.

import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKey, KSK_FLAGS, readKeyDir, writeKeyFiles } from '../../src/dnssec/keys.js';
import { asPublished } from '../../src/dnssec/key-timing.js';
import { keyTag } from '../../src/dnssec/keytag.js';
import { signRrset } from '../../src/dnssec/rrsig.js';
import { rdataToText } from '../../src/wire/rdata.js';
import { RRType } from '../../src/wire/types.js';
import { ManagedAnchor } from '../../src/resolver/validate/index.js';
import { scratchDir } from '../helpers/child.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { HOUR, startManagedAnchorWorld } from '../helpers/managed-anchor-world.js';


t.test('a REVOKE bit without the key\'s own signature changes nothing; with it, the key is revoked', async (t) => {
  const dir = scratchDir(t, 'aop-5011-selfsig-');
  const now = 1_800_000_000;
  const k1 = generateKey('example.', 13, KSK_FLAGS, now);
  const k2 = generateKey('example.', 13, KSK_FLAGS, now);
  const k1r = asPublished({ ...k1, timing: { Revoke: now } }, now);
  t.equal(k1r.flags, 385, 'the revoked form has flags 385');
  const file = path.join(dir, 'example.anchor');
  writeFileSync(file, `example. 3600 IN DNSKEY ${rdataToText(RRType.DNSKEY, k1.dnskey)}\n`);
  const m = new ManagedAnchor({ file, addHoldDown: HOUR, removeHoldDown: HOUR });
  const rrset = { name: 'example.', type: RRType.DNSKEY, class: 1, ttl: 300, rdata: [k1r.dnskey, k2.dnskey] };
  const sig = (k: typeof k1) => signRrset(rrset, { zone: 'example.', algorithm: 13, tag: k.tag, privateKey: k.privateKey }, now - HOUR, now + 10 * 86400);

  const forged = m.update(rrset.rdata, [sig(k2)], 300, now);
  t.match(forged.refused, /not signed by a trusted key/, 'signed by the stranger only: refused');
  t.same(m.anchor().dnskey.map(keyTag), [k1.tag], 'the key is still trusted');

  const revoked = m.update(rrset.rdata, [sig(k1r), sig(k2)], 300, now + 60);
  t.ok(revoked.trustChanged, 'self-signed by the revoked key alone among trusted keys: trust changed');
  t.same(m.anchor().dnskey, [], 'no key trusted any more');
  t.match(revoked.refused, /every trust anchor of example\. is revoked/, 'and the rest of the RRset is not taken');
  t.match(revoked.said.join('\n'), new RegExp(`key ${k1r.tag}: revoked \\(REVOKE bit, self-signed\\)`));
  t.notOk(readFileSync(file, 'utf8').includes(rdataToText(RRType.DNSKEY, k2.dnskey).split(' ').slice(3).join(' ')), 'the new key is not in the file');
});

t.test('RFC 5011: the only trusted KSK revoked, a new KSK beside it, served by aop', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const { clock, keys, auth, file, logs, tracker, port, trusted, state } = await startManagedAnchorWorld(t, 'aop-5011-alone-');
  const ksk1 = readKeyDir(keys, 'example.').find((k) => k.flags === 257)!;

  await tracker.probe();
  t.equal(state(ksk1.tag), '2', 'KSK 1: VALID');
  let r = await dig(port, ['+rec', '+dnssec', 'www.example.', 'A']);
  t.ok(r.status === 'NOERROR' && r.flags.has('ad'), `start: secure (${r.status})`);

  // At once: KSK 2 made and signing, KSK 1 revoked. Only KSK 1 was trusted, and it signs revoked.
  const ksk2 = generateKey('example.', 13, KSK_FLAGS, clock.seconds());
  writeKeyFiles(keys, ksk2);
  const k1 = readKeyDir(keys, 'example.').find((k) => k.tag === ksk1.tag)!;
  writeKeyFiles(keys, { ...k1, timing: { ...k1.timing, Revoke: clock.seconds() } });
  auth.signer!.reloadKeys();
  await auth.dnssecPass();
  clock.advance(301);
  await tracker.probe();
  const revokedTag = keyTag(asPublished({ ...k1, timing: { Revoke: 0 } }, 1).dnskey);
  t.equal(state(revokedTag), '4', 'KSK 1 is REVOKED in the file, under its revoked key tag');
  t.same(trusted(), [], 'nothing is trusted');
  t.equal(state(ksk2.tag), undefined, 'KSK 2 was not taken: no trusted key signs it');
  t.ok(logs.some((l) => /every trust anchor of example\. is revoked: answers below it are bogus/.test(l)), 'the log says what it means');
  r = await dig(port, ['+rec', '+dnssec', 'www.example.', 'A']);
  t.equal(r.status, 'SERVFAIL', 'answers are bogus (SERVFAIL), not insecure');
  t.notOk(r.flags.has('ad'));
  r = await dig(port, ['+rec', '+dnssec', '+cd', 'www.example.', 'A']);
  t.equal(r.status, 'NOERROR', 'with CD=1 the data is still given');
});

// RFC 5011 in the validating resolver, on the daemon clock with a one-hour hold-down: a managed
// anchor file that starts as a DS becomes the DNSKEY it names; a new KSK signed by the trusted
// one is ADDPEND, then a trust anchor once the hold-down is over and two probes saw it; the
// old KSK published with the REVOKE bit (dnssec-settime -R, honoured by aop's signer) and
// self-signed is no longer trusted at once and leaves the file after the remove hold-down.
// Answers keep AD=1 throughout; the file is rewritten with Unbound's state comments.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { generateKey, KSK_FLAGS, readKeyDir, writeKeyFiles } from '../../src/dnssec/keys.js';
import { keyTag } from '../../src/dnssec/keytag.js';
import { ManagedAnchor } from '../../src/resolver/validate/index.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { HOUR, startManagedAnchorWorld } from '../helpers/managed-anchor-world.js';


t.test('RFC 5011: add after the hold-down, revoke at once', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const { clock, keys, auth, file, logs, tracker, port, trusted, state } = await startManagedAnchorWorld(t, 'aop-5011-');
  const secure = async (what: string) => {
    const r = await dig(port, ['+rec', '+dnssec', 'www.example.', 'A']);
    t.ok(r.status === 'NOERROR' && r.flags.has('ad'), `${what}: www.example A has AD (${r.status})`);
  };
  const ksk1 = readKeyDir(keys, 'example.').find((k) => k.flags === 257)!;

  await tracker.probe();
  t.notOk(readFileSync(file, 'utf8').includes(' DS '), 'the DS anchor became the DNSKEY it names');
  t.equal(state(ksk1.tag), '2', 'KSK 1: VALID');
  t.match(readFileSync(file, 'utf8'), /^;;id: example\. 1$/m, "Unbound's header lines");
  await secure('start');

  // A second KSK, signing beside the first.
  const ksk2 = generateKey('example.', 13, KSK_FLAGS, clock.seconds());
  writeKeyFiles(keys, ksk2);
  auth.signer!.reloadKeys();
  await auth.dnssecPass();
  clock.advance(301);
  await tracker.probe();
  t.equal(state(ksk2.tag), '1', 'KSK 2 seen: ADDPEND');
  t.same(trusted(), [ksk1.tag], 'not trusted yet');
  clock.advance(HOUR / 2);
  await tracker.probe();
  t.equal(state(ksk2.tag), '1', 'still ADDPEND inside the hold-down');
  clock.advance(HOUR / 2);
  await tracker.probe();
  t.equal(state(ksk2.tag), '2', 'after the hold-down and a second sighting: VALID');
  t.same(trusted(), [ksk1.tag, ksk2.tag].sort(), 'both keys are trust anchors');
  t.ok(logs.some((l) => /key \d+: add hold-down over/.test(l)), 'the log says so');
  await secure('after the add');

  // KSK 1 revoked: published with the REVOKE bit, signing the DNSKEY RRset itself.
  const k1 = readKeyDir(keys, 'example.').find((k) => k.tag === ksk1.tag)!;
  writeKeyFiles(keys, { ...k1, timing: { ...k1.timing, Revoke: clock.seconds() } });
  auth.signer!.reloadKeys();
  await auth.dnssecPass();
  const flags = (await dig(auth.listeners[0]!.address.port, ['+norec', 'example.', 'DNSKEY'])).answer.map((l) => l.split(' ')[4]);
  t.ok(flags.includes('385'), `the signer publishes KSK 1 with flags 385 (257 + REVOKE): ${flags.join(',')}`);
  clock.advance(301);
  await tracker.probe();
  t.same(trusted(), [ksk2.tag], 'KSK 1 is no longer trusted');
  t.match(readFileSync(file, 'utf8'), /DNSKEY\t385 3 13 .*;;state=4 \[ REVOKED \]/, 'the file keeps it REVOKED, in its revoked form');
  await secure('after the revoke');
  clock.advance(2 * HOUR);
  await tracker.probe();
  t.notOk(readFileSync(file, 'utf8').includes('DNSKEY\t385'), 'after the remove hold-down it is gone from the file');
  t.same(trusted(), [ksk2.tag]);
  await secure('at the end');

  // The file as written is what a restart reads.
  t.same(new ManagedAnchor({ file }).anchor().dnskey.map((k) => keyTag(k)), [ksk2.tag], 'read back: KSK 2');
});

// TSIG (RFC 8945): signing and verifying requests, replies and streams, every algorithm, every
// failure verdict, and key files in BIND's syntax.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeMessage, encodeQuery, newMessage } from '../../src/wire/message.js';
import {
  Keyring, TSIG_ALGORITHMS, TsigErrorCode, TsigStreamSigner, TsigStreamVerifier, appendTsig, findTsig, minimumMac, signError,
  signMessage, verifyRequest, type TsigKey,
} from '../../src/wire/tsig.js';
import { formatKeyFile, generateKey, loadKeyFile, parseKeyFile, parseKeySpec } from '../../src/wire/tsig-key.js';
import { RRType } from '../../src/wire/types.js';

const NOW = 1_795_600_000;
const key = (alg = 'hmac-sha256', name = 'writer-key'): TsigKey => ({ name, algorithm: alg, secret: Buffer.from('0123456789abcdef0123456789abcdef') });

t.test('every algorithm signs and verifies; replies chain on the request MAC', async (t) => {
  for (const alg of TSIG_ALGORITHMS.keys()) {
    const k = key(alg);
    const ring = new Keyring([k]);
    const q = encodeQuery('writer.acme.agents.', RRType.SVCB, { id: 4242 });
    const signed = signMessage(q, ring.get('writer-key')!, { now: NOW });
    t.equal(signed.mac.length, TSIG_ALGORITHMS.get(alg)!.size, `${alg}: full-length MAC`);
    const v = verifyRequest(signed.message, ring, { now: NOW + 10 });
    t.ok(v?.ok, `${alg}: request verifies`);
    const reply = encodeMessage(newMessage({ id: 4242, qr: true, questions: [{ name: 'writer.acme.agents.', type: RRType.SVCB, class: 1 }] }));
    const signedReply = signMessage(reply, k, { requestMac: signed.mac, now: NOW });
    t.ok(new TsigStreamVerifier(k, signed.mac, { now: NOW }).verify(signedReply.message).ok, `${alg}: reply verifies over the request MAC`);
    t.notOk(new TsigStreamVerifier(k, Buffer.alloc(signed.mac.length), { now: NOW }).verify(signedReply.message).ok, `${alg}: not over another MAC`);
  }
});

t.test('verdicts: unsigned, BADKEY, BADSIG, BADTIME, short MACs, misplaced TSIG', async (t) => {
  const k = key();
  const ring = new Keyring([k]);
  const q = encodeQuery('writer.acme.agents.', RRType.A, { id: 7 });
  t.equal(verifyRequest(q, ring), undefined, 'unsigned: no verdict');

  const other = signMessage(q, key('hmac-sha256', 'stranger'), { now: NOW }).message;
  const badkey = verifyRequest(other, ring, { now: NOW });
  t.match(badkey, { ok: false, error: TsigErrorCode.BADKEY });

  const wrongAlg = signMessage(q, key('hmac-sha512'), { now: NOW }).message;
  t.match(verifyRequest(wrongAlg, ring, { now: NOW }), { ok: false, error: TsigErrorCode.BADKEY }, 'algorithm other than the key\'s');

  const signed = signMessage(q, k, { now: NOW }).message;
  const tampered = Buffer.from(signed);
  tampered[13] = tampered[13]! ^ 0x20; // case of the first letter of the question name
  t.match(verifyRequest(tampered, ring, { now: NOW }), { ok: false, error: TsigErrorCode.BADSIG });
  const wrongSecret = signMessage(q, { ...k, secret: Buffer.from('another secret') }, { now: NOW }).message;
  t.match(verifyRequest(wrongSecret, ring, { now: NOW }), { ok: false, error: TsigErrorCode.BADSIG });

  const late = verifyRequest(signed, ring, { now: NOW + 301 });
  t.match(late, { ok: false, error: TsigErrorCode.BADTIME, key: { name: 'writer-key.' } }, 'outside the 300 s fudge');
  t.ok(verifyRequest(signed, ring, { now: NOW - 300 })?.ok, 'at the edge of the fudge');

  // The ID may change in transit (a forwarder): the MAC covers the original ID.
  const renumbered = Buffer.from(signed);
  renumbered.writeUInt16BE(99, 0);
  t.ok(verifyRequest(renumbered, ring, { now: NOW })?.ok, 'original ID used for the MAC');

  // MAC truncation: below max(10, half) is refused outright; above it, below our minimum, BADTRUNC.
  const found = findTsig(signed)!;
  const bare = Buffer.from(signed.subarray(0, found.start));
  bare.writeUInt16BE(bare.readUInt16BE(10) - 1, 10);
  const withMac = (mac: Buffer): Buffer => appendTsig(bare, { ...found.record, mac });
  t.equal(minimumMac('hmac-sha256.'), 16);
  t.match(verifyRequest(withMac(found.record.mac.subarray(0, 8)), ring, { now: NOW }), { ok: false, formerr: true }, '8-octet MAC refused');
  t.match(verifyRequest(withMac(found.record.mac.subarray(0, 16)), ring, { now: NOW }), { ok: false, error: TsigErrorCode.BADTRUNC });
  t.ok(verifyRequest(withMac(found.record.mac.subarray(0, 16)), ring, { now: NOW, minMac: 16 })?.ok, 'accepted when policy allows');

  // A TSIG that is not last is a format error.
  const twice = appendTsig(signed, found.record);
  t.throws(() => verifyRequest(twice, ring), { code: 'ERR_TSIG_PLACEMENT' });
});

t.test('error replies: unsigned for BADSIG, signed with server time for BADTIME', async (t) => {
  const k = key();
  const ring = new Keyring([k]);
  const q = encodeQuery('a.acme.agents.', RRType.A, { id: 5 });
  const reply = encodeMessage(newMessage({ id: 5, qr: true, rcode: 9, questions: [{ name: 'a.acme.agents.', type: RRType.A, class: 1 }] }));

  const req = signMessage(q, k, { now: NOW - 1000 });
  const v = verifyRequest(req.message, ring, { now: NOW });
  if (!v || v.ok) throw new Error('expected BADTIME');
  const out = signError(reply, v, NOW);
  const rec = findTsig(out)!.record;
  t.equal(rec.error, TsigErrorCode.BADTIME);
  t.equal(rec.timeSigned, NOW - 1000, 'time signed copied from the request');
  t.equal(rec.other.readUIntBE(0, 6), NOW, 'our clock in other data');
  t.ok(new TsigStreamVerifier(k, req.mac, { now: NOW }).verify(out).ok === false, 'client sees the error');

  const bad = signMessage(q, { ...k, secret: Buffer.from('nope') }, { now: NOW });
  const vb = verifyRequest(bad.message, ring, { now: NOW });
  if (!vb || vb.ok) throw new Error('expected BADSIG');
  const rb = findTsig(signError(reply, vb, NOW))!.record;
  t.equal(rb.error, TsigErrorCode.BADSIG);
  t.equal(rb.mac.length, 0, 'unsigned (RFC 8945 5.3.2)');
});

t.test('streams: every message signed over the prior MAC; unsigned gaps up to 99', async (t) => {
  const k = key('hmac-sha384');
  const q = signMessage(encodeQuery('acme.agents.', RRType.AXFR, { id: 1 }), k, { now: NOW });
  const msgs = [0, 1, 2, 3].map((i) => encodeMessage(newMessage({ id: 1, qr: true, answers: [{ name: `n${i}.acme.agents.`, type: 1, class: 1, ttl: 60, rdata: Buffer.from([127, 0, 0, i]) }] })));
  const signer = new TsigStreamSigner(k, q.mac, { now: () => NOW });
  const signed = msgs.map((m) => signer.sign(m));
  const v = new TsigStreamVerifier(k, q.mac, { now: NOW });
  for (const s of signed) t.same(v.verify(s), { ok: true, signed: true });
  const swapped = new TsigStreamVerifier(k, q.mac, { now: NOW });
  t.ok(swapped.verify(signed[0]!).ok);
  t.notOk(swapped.verify(signed[2]!).ok, 'out of order fails');

  // A sender signing only some messages: the unsigned ones count toward the next MAC.
  const first = signMessage(msgs[0]!, k, { requestMac: q.mac, now: NOW });
  const third = signMessage(msgs[2]!, k, { requestMac: first.mac, preceding: [msgs[1]!], timersOnly: true, now: NOW });
  const gap = new TsigStreamVerifier(k, q.mac, { now: NOW });
  t.ok(gap.verify(first.message).ok);
  t.same(gap.verify(msgs[1]!), { ok: true, signed: false }, 'unsigned message allowed after the first');
  t.same(gap.verify(third.message), { ok: true, signed: true }, 'MAC covers the unsigned message before it');
  const skipped = new TsigStreamVerifier(k, q.mac, { now: NOW });
  t.ok(skipped.verify(first.message).ok);
  t.notOk(skipped.verify(third.message).ok, 'fails when the unsigned message went missing');
  const unsignedFirst = new TsigStreamVerifier(k, q.mac, { now: NOW });
  t.notOk(unsignedFirst.verify(msgs[0]!).ok, 'the first reply must be signed');
});

t.test('key files and key specs', async (t) => {
  const text = `# comment
key "writer-key" {
\talgorithm hmac-sha256;
\tsecret "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
};
/* block */ key admin. { algorithm HMAC-SHA512; secret "c2VjcmV0"; }; // trailing
`;
  const keys = parseKeyFile(text, 'k.conf');
  t.equal(keys.length, 2);
  t.same(keys.map((k) => [k.name, k.algorithm]), [['writer-key', 'hmac-sha256.'], ['admin.', 'hmac-sha512.']]);
  t.equal(keys[0]!.secret.toString(), '0123456789abcdef0123456789abcdef');
  const round = parseKeyFile(formatKeyFile(keys[0]!))[0]!;
  t.same(round, keys[0]);
  const md5 = parseKeyFile(formatKeyFile(generateKey('old', 'hmac-md5')))[0]!;
  t.equal(md5.algorithm, 'hmac-md5.sig-alg.reg.int.');

  t.throws(() => parseKeyFile('key "x" { algorithm hmac-sha256; };', 'k'), { code: 'ERR_TSIG_KEY', message: /needs both/ });
  t.throws(() => parseKeyFile('key "x" { algorithm hmac-sha999; secret "c2VjcmV0"; };', 'k'), { code: 'ERR_TSIG_ALGORITHM' });
  t.throws(() => parseKeyFile('key "x" { algorithm hmac-sha256-128; secret "c2VjcmV0"; };', 'k'), { code: 'ERR_TSIG_ALGORITHM', message: /truncated/ });
  t.throws(() => parseKeyFile('key "x" { algorithm hmac-sha256; secret "not base64!"; };', 'k'), { code: 'ERR_TSIG_KEY', message: /base64/ });
  t.throws(() => parseKeyFile('key "x" { algorithm hmac-sha256 secret "c2VjcmV0"; };', 'k'), { code: 'ERR_TSIG_KEY', message: /k:1/ });
  t.throws(() => parseKeyFile('options { };', 'k'), { code: 'ERR_TSIG_KEY', message: /expected 'key'/ });
  t.throws(() => parseKeyFile('', 'k'), { code: 'ERR_TSIG_KEY', message: /no key/ });

  t.same(parseKeySpec('hmac-sha512:admin:c2VjcmV0'), { name: 'admin', algorithm: 'hmac-sha512.', secret: Buffer.from('secret') });
  t.equal(parseKeySpec('admin:c2VjcmV0').algorithm, 'hmac-sha256.', 'default algorithm');
  t.throws(() => parseKeySpec('just-a-name'), { code: 'ERR_TSIG_KEY' });
  t.throws(() => parseKeySpec('hmac-sha256:admin:***'), { code: 'ERR_TSIG_KEY' });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-tsig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'w.key'), text);
  t.equal(loadKeyFile(path.join(dir, 'w.key')).length, 2);
  t.throws(() => loadKeyFile(path.join(dir, 'missing.key')), { code: 'ERR_TSIG_KEY', message: /ENOENT/ });
  t.throws(() => new Keyring([{ name: 'x', algorithm: 'hmac-sha256', secret: Buffer.alloc(0) }]), { code: 'ERR_TSIG_KEY' });
});

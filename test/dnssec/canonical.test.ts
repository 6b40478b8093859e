// Canonical form pieces without a peer: name order (RFC 4034 6.1's example), lowercased names
// in RDATA for the listed types only, wildcard owners from the labels field, base32hex, the
// RFC 5155 appendix A hashes, and the RDATA codecs refusing malformed DNSSEC records.

import t from 'tap';
import { canonicalRdata, compareCanonicalNames, rrsigLabels, signedOwner } from '../../src/dnssec/canonical.js';
import { nsec3Label } from '../../src/dnssec/nsec3-hash.js';
import { base32hexDecode, base32hexEncode } from '../../src/wire/base32hex.js';
import { nameToWire } from '../../src/wire/name.js';
import { checkRdata, rdataFromText, rdataToText } from '../../src/wire/rdata.js';
import { RdataError } from '../../src/wire/errors.js';
import { tokenize } from '../../src/wire/token.js';
import { RRType } from '../../src/wire/types.js';

t.test('canonical name order (RFC 4034 6.1 example)', async (t) => {
  const sorted = ['example.', 'a.example.', 'yljkjljk.a.example.', 'Z.a.example.', 'zABC.a.EXAMPLE.', 'z.example.', '\\001.z.example.', '*.z.example.', '\\200.z.example.'];
  const shuffled = [...sorted].reverse();
  t.same(shuffled.sort(compareCanonicalNames), sorted);
});

t.test('names in RDATA lowercased for NS, MX, RRSIG; not for NSEC or TXT', async (t) => {
  t.same(canonicalRdata(RRType.NS, nameToWire('NS.Example.')), nameToWire('ns.example.'));
  t.same(canonicalRdata(RRType.MX, Buffer.concat([Buffer.from([0, 10]), nameToWire('MAIL.X.')])), Buffer.concat([Buffer.from([0, 10]), nameToWire('mail.x.')]));
  const nsec = Buffer.concat([nameToWire('Next.Example.'), Buffer.from([0, 1, 0x40])]);
  t.same(canonicalRdata(RRType.NSEC, nsec), nsec, 'NSEC next name keeps its case (RFC 6840 5.1)');
  const txt = Buffer.from('\x03ABC', 'latin1');
  t.same(canonicalRdata(RRType.TXT, txt), txt);
});

t.test('wildcard owners from the RRSIG labels field (RFC 4035 5.3.2)', async (t) => {
  t.equal(rrsigLabels('*.a.example.'), 2);
  t.equal(signedOwner('x.y.a.example.', 2), '*.a.example.');
  t.equal(signedOwner('a.example.', 2), 'a.example.');
  t.equal(signedOwner('*.a.example.', 2), '*.a.example.');
  t.equal(signedOwner('a.example.', 3), undefined, 'labels over the owner count');
});

t.test('base32hex and NSEC3 hashes (RFC 5155 appendix A)', async (t) => {
  t.equal(base32hexEncode(Buffer.from('foobar')), 'CPNMUOJ1E8');
  t.same(base32hexDecode('cpnmuoj1e8'), Buffer.from('foobar'));
  t.equal(base32hexDecode('CPNMUOJ1E9'), undefined, 'non-zero trailing bits');
  t.equal(base32hexDecode('W0'), undefined, 'outside the alphabet');
  const salt = Buffer.from('aabbccdd', 'hex');
  t.equal(nsec3Label('example.', salt, 12), '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom');
  t.equal(nsec3Label('a.example.', salt, 12), '35mthgpgcu1qg68fab165klnsnk3dpvl');
});

t.test('DNSSEC RDATA: text forms BIND accepts, and refusals', async (t) => {
  const rt = (type: number, text: string): string => rdataToText(type, rdataFromText(type, tokenize(text), 'example.'));
  t.equal(rt(RRType.RRSIG, 'A 13 2 3600 1767225600 20260101000000 1 Example. AAAA'), 'A 13 2 3600 20260101000000 20260101000000 1 Example. AAAA', 'seconds or dates');
  t.equal(rt(RRType.NSEC3, '1 0 0 - 0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TOM'), '1 0 0 - 0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TOM', 'NSEC3 with an empty type map');
  t.equal(rt(RRType.NSEC3PARAM, '1 0 12 aabbccdd'), '1 0 12 AABBCCDD');
  t.equal(rt(RRType.NSEC, 'b.example. A TYPE1234 RRSIG'), 'b.example. A RRSIG TYPE1234');
  t.equal(rt(RRType.CDS, '0 0 0 00'), '0 0 0 00', 'the CDS delete form (RFC 8078)');
  t.equal(rt(RRType.CDNSKEY, '0 3 0 AA=='), '0 3 0 AA==', 'the CDNSKEY delete form');
  for (const [type, text] of [
    [RRType.RRSIG, 'BOGUS 13 2 3600 20260101000000 20260101000000 1 example. AAAA'],
    [RRType.RRSIG, 'A 13 2 3600 20261301000000 20260101000000 1 example. AAAA'],
    [RRType.RRSIG, 'A 13 2 3600 20260101000000 20260101000000 1 example.'],
    [RRType.NSEC, 'b.example. BOGUS'],
    [RRType.NSEC3, '1 0 0 - 0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TO! A'],
    [RRType.NSEC3PARAM, '1 0 0 xyz'],
    [RRType.DS, '1 13 2 AABB'],
  ] as const) {
    t.throws(() => rdataFromText(type, tokenize(text), 'example.'), RdataError, `refused: ${text}`);
  }
  // Wire checks: windows out of order, a trailing zero octet in a bitmap.
  const next = nameToWire('b.example.');
  t.throws(() => checkRdata(RRType.NSEC, Buffer.concat([next, Buffer.from([1, 1, 0x80, 0, 1, 0x40])])), { code: 'ERR_RDATA_BAD_WIRE' });
  t.throws(() => checkRdata(RRType.NSEC, Buffer.concat([next, Buffer.from([0, 2, 0x40, 0])])), { code: 'ERR_RDATA_BAD_WIRE' });
  t.throws(() => checkRdata(RRType.NSEC, next), { code: 'ERR_RDATA_BAD_WIRE' }, 'NSEC needs a type');
});

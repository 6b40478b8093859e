// RDATA codecs per type: text -> wire bytes (checked by hand) -> text, every error code with
// its line and column, wire validation, and the generic fallback when printing.

import t, { type Test } from 'tap';
import { checkRdata, parseTtl, rdataFromText, rdataToText } from '../../src/wire/rdata.js';
import { RdataError } from '../../src/wire/errors.js';
import { tokenize } from '../../src/wire/token.js';
import { RRType, typeFromString } from '../../src/wire/types.js';

const ORIGIN = 'example.com.';
const EX = '076578616d706c6503636f6d00'; // example.com.

function type(name: string): number {
  const n = typeFromString(name);
  if (n === undefined) throw new Error(`unknown type ${name}`);
  return n;
}

/** `line` is "TYPE rdata..."; the RDATA tokens start at column 1 of line 7. */
function parse(line: string): Buffer {
  const i = line.indexOf(' ');
  const ty = i < 0 ? line : line.slice(0, i);
  return rdataFromText(type(ty), tokenize(i < 0 ? '' : line.slice(i + 1), 7), ORIGIN);
}

interface Case {
  in: string;
  hex: string;
  out?: string;
}

function roundTrip(t: Test, cases: Case[]): void {
  for (const c of cases) {
    const ty = type(c.in.split(' ')[0]!);
    const wire = parse(c.in);
    t.equal(wire.toString('hex'), c.hex, `${c.in} -> wire`);
    const text = rdataToText(ty, wire);
    t.equal(text, c.out ?? c.in.slice(c.in.indexOf(' ') + 1), `${c.in} -> text`);
    t.equal(rdataFromText(ty, tokenize(text), ORIGIN).toString('hex'), c.hex, `${c.in}: printed text parses back`);
    checkRdata(ty, wire);
  }
}

t.test('addresses', async (t) => {
  roundTrip(t, [
    { in: 'A 192.0.2.1', hex: 'c0000201' },
    { in: 'A 0.0.0.0', hex: '00000000' },
    { in: 'AAAA 2001:db8::1', hex: '20010db8000000000000000000000001' },
    { in: 'AAAA 2001:DB8:0:0:1:0:0:1', hex: '20010db8000000000001000000000001', out: '2001:db8::1:0:0:1' },
    { in: 'AAAA ::ffff:192.0.2.1', hex: '00000000000000000000ffffc0000201' },
    { in: 'AAAA ::192.0.2.1', hex: '000000000000000000000000c0000201' },
    { in: 'AAAA ::', hex: '00000000000000000000000000000000' },
    { in: 'AAAA 1:0:0:2:0:0:0:3', hex: '00010000000000020000000000000003', out: '1:0:0:2::3' },
    { in: 'AAAA 0:1:2:3:4:5:6:7', hex: '00000001000200030004000500060007' },
  ]);
  for (const bad of ['1.2.3', '01.2.3.4', '1.2.3.256', '1.2.3.4.5', '0x1.2.3.4', ' 1.2.3.4', '']) {
    t.throws(() => rdataFromText(RRType.A, [{ text: bad, quoted: false, line: 3, col: 9 }], ORIGIN), {
      code: 'ERR_RDATA_BAD_ADDRESS',
      message: `bad IPv4 address "${bad}"`,
      line: 3,
      col: 9,
    });
  }
  for (const bad of ['::1::2', '1:2:3:4:5:6:7:8:9', ':1::', '1:::', '00001::', '::1.2.3', '::01.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1%eth0', 'g::']) {
    t.throws(() => parse(`AAAA ${bad}`), { code: 'ERR_RDATA_BAD_ADDRESS', message: `bad IPv6 address "${bad}"` }, bad);
  }
  t.throws(() => parse('A "1.2.3.4"'), { code: 'ERR_RDATA_BAD_ADDRESS' }, 'quoted address');
});

t.test('names', async (t) => {
  roundTrip(t, [
    { in: 'NS ns1', hex: '036e7331' + EX, out: 'ns1.example.com.' },
    { in: 'NS @', hex: EX, out: 'example.com.' },
    { in: 'CNAME Target.Example.NET.', hex: '06546172676574074578616d706c65034e455400' },
    { in: 'CNAME a\\.b.c.', hex: '03612e62016300' },
    { in: 'PTR \\065\\032b.', hex: '0341206200', out: 'A\\032b.' },
    { in: 'PTR .', hex: '00' },
    { in: 'DNAME \\@\\$\\;.', hex: '0340243b00' },
    { in: 'MX 10 Mail', hex: '000a044d61696c' + EX, out: '10 Mail.example.com.' },
    { in: 'MX 010 .', hex: '000a00', out: '10 .' },
    { in: 'AFSDB 1 afs.x.', hex: '000103616673017800' },
    { in: 'SRV 0 5 5060 sip.x.', hex: '0000000513c403736970017800' },
    { in: 'RP mbox.x. .', hex: '046d626f7801780000' },
    {
      in: 'SOA ns1 host\\.master 1 1h 15m 1w 1d',
      hex: '036e7331076578616d706c6503636f6d000b686f73742e6d6173746572076578616d706c6503636f6d000000000100000e100000038400093a8000015180',
      out: 'ns1.example.com. host\\.master.example.com. 1 3600 900 604800 86400',
    },
    { in: 'SOA . . 4294967295 1W2d3H4m5S 1h1h 0 4294967295', hex: '0000ffffffff000c08a500001c2000000000ffffffff', out: '. . 4294967295 788645 7200 0 4294967295' },
  ]);
});

t.test('text', async (t) => {
  roundTrip(t, [
    { in: 'TXT "a b" c "\\255"', hex: '03612062016301ff', out: '"a b" "c" "\\255"' },
    { in: 'TXT "q\\"x" "\\\\" ";"', hex: '03712278015c013b' },
    { in: 'TXT ""', hex: '00' },
    { in: 'TXT \\#', hex: '0123', out: '"#"' },
    { in: 'TXT \\# foo', hex: '012303666f6f', out: '"#" "foo"' },
    { in: 'TXT \\# 2 0161', hex: '0161', out: '"a"' },
    { in: 'TXT "é"', hex: '02c3a9', out: '"\\195\\169"' },
    { in: 'TXT "\\009\\031 ~\\127"', hex: '05091f207e7f' },
    { in: 'SPF "v=spf1 -all"', hex: '0b763d73706631202d616c6c' },
    { in: 'HINFO "PC" Linux', hex: '025043054c696e7578', out: '"PC" "Linux"' },
    { in: 'HINFO "" ""', hex: '0000' },
    { in: 'NAPTR 100 10 "U" "E2U+sip" "!^.*$!sip:a@b!" .', hex: '0064000a0155074532552b7369700e215e2e2a24217369703a6140622100' },
    { in: 'URI 10 1 "https://x/"', hex: '000a000168747470733a2f2f782f' },
    { in: 'URI 0 0 ""', hex: '00000000' },
    { in: 'CAA 0 issue "ca.x"', hex: '0005697373756563612e78' },
    { in: 'CAA 128 ISSUE x;y', hex: '80054953535545783b79', out: '128 ISSUE "x;y"' },
  ]);
  const long = 'x'.repeat(255);
  t.equal(parse(`TXT "${long}"`).length, 256, 'a 255-octet string fits');
});

t.test('DNSSEC and keys', async (t) => {
  const d20 = '49fd46e6c4b45c55d4ac69cbd3cd34ac1afe51de';
  const d32b = d20 + 'aabbccddeeff001122334455';
  roundTrip(t, [
    { in: `DS 12345 8 1 ${d20}`, hex: '30390801' + d20, out: `12345 8 1 ${d20.toUpperCase()}` },
    { in: `DS 1 RSASHA256 SHA-256 ${d32b}`, hex: '00010802' + d32b, out: `1 8 2 ${d32b.slice(0, 56).toUpperCase()} ${d32b.slice(56).toUpperCase()}` },
    { in: 'DS 1 8 9 ab cd', hex: '00010809abcd', out: '1 8 9 ABCD' },
    { in: 'DNSKEY 257 3 8 AwEAAag=', hex: '0101030803010001a8' },
    { in: 'DNSKEY 256 DNSSEC ED25519 AAA=', hex: '0100030f0000', out: '256 3 15 AAA=' },
    { in: 'TLSA 3 1 1 ab', hex: '030101ab', out: '3 1 1 AB' },
    { in: `SSHFP 1 1 ${d20}`, hex: '0101' + d20, out: `1 1 ${d20.toUpperCase()}` },
    { in: 'SSHFP 1 9', hex: '0109' },
  ]);
  const key = Buffer.alloc(150, 7).toString('base64');
  const printed = rdataToText(RRType.DNSKEY, parse(`DNSKEY 257 3 8 ${key}`));
  t.equal(printed, `257 3 8 ${key.match(/.{1,56}/g)!.join(' ')}`, 'long keys in 56-character words like BIND');
});

t.test('generic RFC 3597 form', async (t) => {
  t.equal(parse('TYPE65534 \\# 3 010203').toString('hex'), '010203');
  t.equal(rdataToText(65534, Buffer.from('010203', 'hex')), '\\# 3 010203');
  t.equal(parse('TYPE1000 \\# 0').length, 0);
  t.equal(rdataToText(1000, Buffer.alloc(0)), '\\# 0');
  t.equal(parse('TYPE1000 \\# 2 a bc d').toString('hex'), 'abcd', 'hex split anywhere');
  t.equal(rdataToText(1000, Buffer.alloc(30, 0xab)), `\\# 30 ${'AB'.repeat(28)} ${'AB'.repeat(2)}`, 'split every 56 hex digits');
  t.equal(rdataToText(RRType.A, parse('A \\# 4 C0000201')), '192.0.2.1', 'known type in generic form prints natively');
  t.equal(rdataToText(RRType.MX, parse('MX \\# 5 0001014100')), '1 A.');
  // Malformed for the type: printed in generic form rather than thrown.
  t.equal(rdataToText(RRType.A, Buffer.from('010203', 'hex')), '\\# 3 010203');
  t.equal(rdataToText(RRType.MX, Buffer.from('0001c000', 'hex')), '\\# 4 0001C000');
  t.equal(rdataToText(RRType.TXT, Buffer.from('0361', 'hex')), '\\# 2 0361');
  t.equal(rdataToText(RRType.LOC, Buffer.from('00', 'hex')), '\\# 1 00', 'types without presentation support');
});

t.test('checkRdata', async (t) => {
  const bad: Array<[number, string, RegExp]> = [
    [RRType.A, '010203', /A RDATA is 3 octets, not 4/],
    [RRType.AAAA, '00', /not 16/],
    [RRType.NS, '0161', /ends inside/],
    [RRType.NS, '016100ff', /trailing/],
    [RRType.NS, 'c000', /compression pointer/],
    [RRType.NS, '4000', /label type 0x40/],
    [RRType.MX, '00', /preference/],
    [RRType.TXT, '', /empty/],
    [RRType.TXT, '0261', /ends inside/],
    [RRType.SOA, '0000000000010000000200000003000000040000', /ends inside the minimum/],
    [RRType.CAA, '0000', /tag is empty/],
    [RRType.CAA, '00012d', /letters and digits/],
    [RRType.DS, '00010809', /shorter/],
    [RRType.DS, '0001080201', /needs 32/],
    [RRType.DNSKEY, '01010308', /no public key/],
    [RRType.TLSA, '030101', /shorter/],
    [RRType.SSHFP, '0101ab', /needs 20/],
    [RRType.NAPTR, '00010001000003626164' + '00', /malformed/],
    [RRType.URI, '000100', /priority|weight/],
  ];
  for (const [ty, hex, msg] of bad) {
    t.throws(() => checkRdata(ty, Buffer.from(hex, 'hex')), { code: 'ERR_RDATA_BAD_WIRE', message: msg }, `${ty} ${hex}`);
  }
  t.throws(() => checkRdata(1000, Buffer.alloc(65536)), { code: 'ERR_RDATA_BAD_WIRE' }, 'over 65535 octets');
  checkRdata(1000, Buffer.from('ff', 'hex'));
  checkRdata(RRType.LOC, Buffer.alloc(0));
  checkRdata(RRType.HINFO, Buffer.from('0000', 'hex'));
  t.pass('unknown and valid RDATA pass');
});

t.test('every error code, with line and column', async (t) => {
  const cases: Array<[string, string, RegExp, number | string | undefined]> = [
    ['MX 10', 'ERR_RDATA_MISSING', /^missing MX exchange$/, 3],
    ['MX', 'ERR_RDATA_MISSING', /^missing MX preference$/, undefined],
    ['SOA ns1 host 1 2 3 4', 'ERR_RDATA_MISSING', /^missing SOA minimum$/, 17],
    ['TXT', 'ERR_RDATA_MISSING', /missing TXT text/, undefined],
    ['A 1.2.3.4 foo', 'ERR_RDATA_EXTRA', /^extra token "foo" after A$/, 9],
    ['URI 1 2 "a" "b"', 'ERR_RDATA_EXTRA', /extra token "b" after URI/, 9],
    ['A 1.2.3', 'ERR_RDATA_BAD_ADDRESS', /^bad IPv4 address "1.2.3"$/, 1],
    ['MX 65536 x', 'ERR_RDATA_BAD_NUMBER', /bad MX preference "65536": over 65535/, 1],
    ['MX -1 x', 'ERR_RDATA_BAD_NUMBER', /not a decimal number/, 1],
    ['MX "1" x', 'ERR_RDATA_BAD_NUMBER', /must not be quoted/, 1],
    ['SOA a b 1 2 3 1x 5', 'ERR_RDATA_BAD_NUMBER', /bad SOA expire "1x"/, 11],
    ['SOA a b 1 2 3 4294967296 5', 'ERR_RDATA_BAD_NUMBER', /over 4294967295/, 11],
    ['SOA a b 1 2 3 1h2 5', 'ERR_RDATA_BAD_NUMBER', /bad SOA expire/, 11],
    ['DS 1 FOO 1 ab', 'ERR_RDATA_BAD_NUMBER', /known mnemonic/, 'FOO'],
    ['CNAME a..b', 'ERR_RDATA_BAD_NAME', /bad CNAME target "a..b": empty label/, 1],
    ['MX 1 "mail"', 'ERR_RDATA_BAD_NAME', /must not be quoted/, '"mail"'],
    ['NS a\\1b', 'ERR_RDATA_BAD_NAME', /bad escape/, 1],
    [`NS ${'a'.repeat(64)}`, 'ERR_RDATA_BAD_NAME', /label of 64 octets/, 1],
    ['TXT "ok" a\\256', 'ERR_RDATA_BAD_TEXT', /escape \\256 is over 255/, 6],
    ['TXT "a\\1"', 'ERR_RDATA_BAD_TEXT', /three digits/, 1],
    ['TXT a\\', 'ERR_RDATA_BAD_TEXT', /lone backslash/, 1],
    [`TXT x "${'y'.repeat(256)}"`, 'ERR_RDATA_TOO_LONG', /TXT string is 256 octets; a character-string holds at most 255/, 3],
    ['TLSA 3 1 1 ab xyz', 'ERR_RDATA_BAD_HEX', /"xyz" is not hex/, 'xyz'],
    ['TLSA 3 1 1 abc', 'ERR_RDATA_BAD_HEX', /odd number of hex digits/, 'abc'],
    ['TLSA 3 1 1 "ab"', 'ERR_RDATA_BAD_HEX', /must not be quoted/, '"ab"'],
    ['DNSKEY 257 3 8 AB==', 'ERR_RDATA_BAD_BASE64', /non-zero padding bits/, 'AB=='],
    ['DNSKEY 257 3 8 AwEAAag', 'ERR_RDATA_BAD_BASE64', /is not base64/, 'AwEAAag'],
    ['DS 1 8 2 abcd', 'ERR_RDATA_BAD_LENGTH', /DS digest is 2 octets; digest type 2 needs 32/, 'abcd'],
    ['SSHFP 1 1 ab', 'ERR_RDATA_BAD_LENGTH', /needs 20/, 'ab'],
    ['CAA 0 is-sue "x"', 'ERR_RDATA_BAD_VALUE', /bad CAA tag "is-sue"/, 3],
    ['CAA 0 "issue" "x"', 'ERR_RDATA_BAD_VALUE', /CAA tag must not be quoted/, 3],
    ['URI 1 2 https://x/', 'ERR_RDATA_BAD_VALUE', /URI target must be in double quotes/, 5],
    ['NAPTR 1 1 "U" "x" "bad" .', 'ERR_RDATA_BAD_VALUE', /bad NAPTR regexp "bad"/, '"bad"'],
    ['NAPTR 1 1 "U" "x" "!a(!b!" .', 'ERR_RDATA_BAD_VALUE', /not a valid POSIX extended regular expression/, '"!a(!b!"'],
    ['NAPTR 1 1 "U" "x" "!a!\\\\1!" .', 'ERR_RDATA_BAD_VALUE', /refers to group 1/, '"!a!'],
    ['NAPTR 1 1 "U" "x" "!a!b!x" .', 'ERR_RDATA_BAD_VALUE', /unknown flag "x"/, '"!a!b!x"'],
    ['SVCB 1 . port=1 port=2', 'ERR_RDATA_BAD_SVCPARAM', /^SVCB key "port" given twice$/, 'port=2'],
    ['TYPE1000 \\# 2 ab', 'ERR_RDATA_BAD_GENERIC', /says 2 octets but 1 follow/, 6],
    ['TYPE1000 \\# 1 zz', 'ERR_RDATA_BAD_GENERIC', /"zz" is not hex/, 6],
    ['TYPE1000 \\# x', 'ERR_RDATA_BAD_GENERIC', /bad length "x"/, 4],
    ['TYPE1000 \\# 70000', 'ERR_RDATA_BAD_GENERIC', /over 65535/, 4],
    ['TYPE1000 \\#', 'ERR_RDATA_BAD_GENERIC', /missing length/, 1],
    ['TYPE1000 \\# 0 00', 'ERR_RDATA_BAD_GENERIC', /says 0 octets but 1 follow/, 6],
    ['A \\# 3 010203', 'ERR_RDATA_BAD_GENERIC', /not valid A RDATA: A RDATA is 3 octets, not 4/, 1],
    ['MX \\# 4 0001c000', 'ERR_RDATA_BAD_GENERIC', /compression pointer/, 1],
    ['TYPE1000 1 2', 'ERR_RDATA_UNKNOWN_TYPE', /type TYPE1000 must be written in RFC 3597 generic form/, 1],
    ['LOC 52 22 23 N', 'ERR_RDATA_UNKNOWN_TYPE', /type LOC must be written/, 1],
    ['OPT \\# 0', 'ERR_RDATA_META_TYPE', /type OPT is a meta type/, 1],
    ['TYPE0 \\# 0', 'ERR_RDATA_META_TYPE', /meta type/, 1],
    ['ANY \\# 0', 'ERR_RDATA_META_TYPE', /meta type/, 1],
  ];
  // The column is given as a number, or as the text of the token at fault.
  for (const [line, code, message, where] of cases) {
    const col = typeof where === 'string' ? line.slice(line.indexOf(' ') + 1).indexOf(where) + 1 : where;
    t.throws(() => parse(line), col === undefined ? { code, message } : { code, message, line: 7, col }, line);
  }
  const many = Array.from({ length: 258 }, () => `"${'z'.repeat(255)}"`).join(' ');
  t.throws(() => parse(`TXT ${many}`), { code: 'ERR_RDATA_TOO_LONG', message: /TXT RDATA is 66048 octets \(limit 65535\)/ }, 'RDATA over 65535');
  const err = (() => {
    try {
      parse('MX 10');
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  t.ok(err instanceof RdataError, 'errors are RdataError');
});

t.test('parseTtl', async (t) => {
  t.equal(parseTtl('0'), 0);
  t.equal(parseTtl('3600'), 3600);
  t.equal(parseTtl('1h'), 3600);
  t.equal(parseTtl('1W2d3H4m5S'), 788645);
  t.equal(parseTtl('1h1h'), 7200);
  t.equal(parseTtl('2147483647'), 2147483647);
  t.equal(parseTtl('0010'), 10);
  for (const bad of ['', '2147483648', '1x', 'h', '1h2', '-1', '+1', '1.5', ' 1', '3551w', '99999999999999999999999']) {
    t.throws(() => parseTtl(bad), { code: 'ERR_TTL_BAD', name: 'RdataError' }, JSON.stringify(bad));
  }
});

// SVCB and HTTPS RDATA (RFC 9460): the Appendix D test vectors both ways, the failure cases
// listed there, parameter escaping and quoting, and wire-form validation.

import t from 'tap';
import { checkRdata, rdataFromText, rdataToText } from '../../src/wire/rdata.js';
import { type Token, tokenize } from '../../src/wire/token.js';
import { RRType } from '../../src/wire/types.js';

const ORIGIN = 'example.com.';
const FOO_COM = '03666f6f076578616d706c6503636f6d00'; // foo.example.com.
const FOO_ORG = '03666f6f076578616d706c65036f726700'; // foo.example.org.
const EXAMPLE_COM = '076578616d706c6503636f6d00';

/** tokenize() splits `key="a b"` at the space; a zone-file lexer keeps it whole. */
function joinQuotedValues(tokens: Token[]): Token[] {
  const out: Token[] = [];
  const open = (s: string): boolean => {
    let o = false;
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '\\') i++;
      else if (s[i] === '"') o = !o;
    }
    return o;
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = { ...tokens[i]! };
    while (!tok.quoted && open(tok.text) && i + 1 < tokens.length) tok.text += ' ' + tokens[++i]!.text;
    out.push(tok);
  }
  return out;
}

function svcb(text: string, type: number = RRType.SVCB): Buffer {
  return rdataFromText(type, tokenize(text, 3), ORIGIN);
}

// RFC 9460 Appendix D: presentation, wire form, and what BIND 9.18 prints for it.
const VECTORS: Array<{ fig: string; type?: number; text: string; hex: string; printed: string }> = [
  { fig: 'Figure 2 (AliasMode)', type: RRType.HTTPS, text: '0 foo.example.com.', hex: '0000' + FOO_COM, printed: '0 foo.example.com.' },
  { fig: 'Figure 3 (TargetName is ".")', text: '1 .', hex: '000100', printed: '1 .' },
  { fig: 'Figure 4 (port)', text: '16 foo.example.com. port=53', hex: '0010' + FOO_COM + '000300020035', printed: '16 foo.example.com. port=53' },
  {
    fig: 'Figure 5 (generic key, unquoted value)',
    text: '1 foo.example.com. key667=hello',
    hex: '0001' + FOO_COM + '029b000568656c6c6f',
    printed: '1 foo.example.com. key667="hello"',
  },
  {
    fig: 'Figure 6 (generic key, quoted value with a decimal escape)',
    text: '1 foo.example.com. key667="hello\\210qoo"',
    hex: '0001' + FOO_COM + '029b000968656c6c6fd2716f6f',
    printed: '1 foo.example.com. key667="hello\\210qoo"',
  },
  {
    fig: 'Figure 7 (two quoted IPv6 hints)',
    text: '1 foo.example.com. ipv6hint="2001:db8::1,2001:db8::53:1"',
    hex: '0001' + FOO_COM + '00060020' + '20010db8000000000000000000000001' + '20010db8000000000000000000530001',
    printed: '1 foo.example.com. ipv6hint=2001:db8::1,2001:db8::53:1',
  },
  {
    fig: 'Figure 8 (IPv6 hint with embedded IPv4)',
    text: '1 example.com. ipv6hint="2001:db8:122:344::192.0.2.33"',
    hex: '0001' + EXAMPLE_COM + '00060010' + '20010db80122034400000000c0000221',
    printed: '1 example.com. ipv6hint=2001:db8:122:344::c000:221',
  },
  {
    fig: 'Figure 9 (unsorted keys in presentation, sorted on the wire)',
    text: '16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1',
    hex: '0010' + FOO_ORG + '0000000400010004' + '00010009026832056833' + '2d3139' + '00040004c0000201',
    printed: '16 foo.example.org. mandatory=alpn,ipv4hint alpn="h2,h3-19" ipv4hint=192.0.2.1',
  },
  {
    fig: 'Figure 10 (escaped comma and backslash in alpn, quoted form)',
    text: '16 foo.example.org. alpn="f\\\\\\\\oo\\\\,bar,h2"',
    hex: '0010' + FOO_ORG + '0001000c08665c6f6f2c626172026832',
    printed: '16 foo.example.org. alpn="f\\\\\\\\oo\\\\,bar,h2"',
  },
  {
    fig: 'Figure 10 (escaped comma and backslash in alpn, unquoted form)',
    text: '16 foo.example.org. alpn=f\\\\\\092oo\\092,bar,h2',
    hex: '0010' + FOO_ORG + '0001000c08665c6f6f2c626172026832',
    printed: '16 foo.example.org. alpn="f\\\\\\\\oo\\\\,bar,h2"',
  },
];

t.test('RFC 9460 Appendix D vectors, text -> wire -> text', async (t) => {
  for (const v of VECTORS) {
    const type = v.type ?? RRType.SVCB;
    const wire = svcb(v.text, type);
    t.equal(wire.toString('hex'), v.hex, `${v.fig}: wire`);
    t.equal(rdataToText(type, wire), v.printed, `${v.fig}: printed as BIND prints it`);
    t.equal(svcb(v.printed, type).toString('hex'), v.hex, `${v.fig}: printed form parses back`);
    checkRdata(type, wire);
    // The same vectors in RFC 3597 form.
    const generic = svcb(`\\# ${wire.length} ${v.hex}`, type);
    t.equal(generic.toString('hex'), v.hex, `${v.fig}: generic form`);
  }
  t.equal(svcb('1 foo.example.com. ipv6hint="::ffff:198.51.100.100"').toString('hex'), '0001' + FOO_COM + '00060010' + '00000000000000000000ffffc6336464', 'draft vector: IPv4-mapped hint');
});

t.test('RFC 9460 Appendix D.3 failure cases', async (t) => {
  const cases: Array<[string, RegExp, string]> = [
    ['1 foo.example.com. key123=abc key123=def', /^SVCB key "key123" given twice$/, 'key123=def'],
    ['1 foo.example.com. mandatory', /^SVCB key "mandatory" needs a value$/, 'mandatory'],
    ['1 foo.example.com. alpn', /^SVCB key "alpn" needs a value$/, 'alpn'],
    ['1 foo.example.com. port', /^SVCB key "port" needs a value$/, 'port'],
    ['1 foo.example.com. ipv4hint', /^SVCB key "ipv4hint" needs a value$/, 'ipv4hint'],
    ['1 foo.example.com. ipv6hint', /^SVCB key "ipv6hint" needs a value$/, 'ipv6hint'],
    ['1 foo.example.com. no-default-alpn=abc', /no-default-alpn" takes no value/, 'no-default-alpn'],
    ['1 foo.example.com. mandatory=key123', /mandatory lists "key123" but the record has no such parameter/, 'mandatory'],
    ['1 foo.example.com. mandatory=mandatory', /must not list "mandatory" itself/, 'mandatory'],
    ['1 foo.example.com. mandatory=key123,key123 key123=abc', /mandatory lists "key123" twice/, 'mandatory'],
  ];
  for (const [text, message, at] of cases) {
    t.throws(() => svcb(text), { code: 'ERR_RDATA_BAD_SVCPARAM', message, line: 3, col: text.indexOf(at) + 1 }, text);
  }
});

t.test('keys and values', async (t) => {
  const hex = (text: string, type?: number): string => svcb(text, type).toString('hex');
  const print = (text: string): string => rdataToText(RRType.SVCB, svcb(text));
  t.equal(print('1 . key3="\\000\\053"'), '1 . port=53', 'keyNNNNN of a known key takes its wire form');
  t.equal(print('1 . key1="\\002h2"'), '1 . alpn="h2"');
  t.equal(print('1 . key0="\\000\\001" key1="\\002h2"'), '1 . mandatory=alpn alpn="h2"');
  t.equal(print('1 . port=053'), '1 . port=53');
  t.equal(print('1 . port=0'), '1 . port=0');
  t.equal(print('1 . port="443"'), '1 . port=443', 'quoted value');
  t.equal(print('1 . key65534'), '1 . key65534', 'empty value prints bare');
  t.equal(print('1 . key65534=""'), '1 . key65534');
  t.equal(print('1 . key8'), '1 . key8', 'ohttp is key8: BIND 9.18 has no name for it');
  t.equal(print('1 . ech='), '1 . ech');
  t.equal(print('1 . dohpath=/dns-query{?dns}'), '1 . key7="/dns-query{?dns}"', 'BIND 9.18 prints dohpath as key7');
  t.equal(print('1 . key7="/q{?dns}"'), '1 . key7="/q{?dns}"');
  t.equal(print('1 . mandatory=dohpath,port dohpath=/{?dns} port=1'), '1 . mandatory=port,key7 port=1 key7="/{?dns}"');
  t.equal(print('1 . alpn=h2 no-default-alpn'), '1 . alpn="h2" no-default-alpn');
  t.equal(print('1 . alpn=h2 no-default-alpn='), '1 . alpn="h2" no-default-alpn');
  t.equal(print('1 . key9="\\001\\255\\"\\\\\\032x"'), '1 . key9="\\001\\255\\"\\\\ x"', 'generic values: \\DDD below space and from 0x7f, space plain');
  t.equal(print('1 . alpn=\\"q,a\\032b,\\195\\169'), '1 . alpn="\\"q,a\\032b,\\195\\169"', 'alpn ids: space and non-ASCII as \\DDD');
  t.equal(print('0 foo.example. alpn=h2'), '0 foo.example. alpn="h2"', 'AliasMode with parameters, as BIND accepts');
  t.equal(print('1 Svc.Example.NET. port=1'), '1 Svc.Example.NET. port=1', 'target case kept');
  t.equal(print('1 svc port=1'), '1 svc.example.com. port=1', 'relative target');
  t.equal(print('1 @'), '1 example.com.');
  t.equal(hex('1 "foo.example.com."'), '0001' + FOO_COM, 'BIND takes a quoted target');
  t.equal(hex('1 . ipv4hint=1.2.3.4,5.6.7.8'), '000100' + '000400080102030405060708');
  t.equal(hex('1 . ech=AAAA'), '000100' + '00050003000000');
  t.equal(hex('1 . alpn=h2', RRType.HTTPS), hex('1 . alpn=h2'), 'HTTPS shares the codec');
  // key="a b": a zone-file lexer keeps this as one unquoted token, quotes included.
  const tokens: Token[] = [
    { text: '1', quoted: false, line: 1, col: 1 },
    { text: '.', quoted: false, line: 1, col: 3 },
    { text: 'alpn="h2 x,y"', quoted: false, line: 1, col: 5 },
    { text: 'ech="AAAA AAAA"', quoted: false, line: 1, col: 20 },
  ];
  t.equal(rdataToText(RRType.HTTPS, rdataFromText(RRType.HTTPS, tokens, ORIGIN)), '1 . alpn="h2\\032x,y" ech=AAAAAAAA', 'spaces inside quoted values');
});

t.test('bad parameters', async (t) => {
  const cases: Array<[string, string, RegExp, string]> = [
    ['1 . ohttp', 'ERR_RDATA_BAD_SVCPARAM', /unknown SVCB key "ohttp"/, 'ohttp'],
    ['1 . PORT=1', 'ERR_RDATA_BAD_SVCPARAM', /unknown SVCB key "PORT"/, 'PORT'],
    ['1 . key065=1', 'ERR_RDATA_BAD_SVCPARAM', /without leading zeros/, 'key065'],
    ['1 . key65536=1', 'ERR_RDATA_BAD_SVCPARAM', /unknown SVCB key "key65536"/, 'key65536'],
    ['1 . key65535=1', 'ERR_RDATA_BAD_SVCPARAM', /key65535 is reserved/, 'key65535'],
    ['1 . =1', 'ERR_RDATA_BAD_SVCPARAM', /has no key/, '=1'],
    ['1 . "port=1"', 'ERR_RDATA_BAD_SVCPARAM', /must not be quoted as a whole/, '"port=1"'],
    ['1 . key1=h2', 'ERR_RDATA_BAD_SVCPARAM', /bad SVCB key1 value: alpn id runs past/, 'key1'],
    ['1 . key3=5', 'ERR_RDATA_BAD_SVCPARAM', /port value is 1 octets, not 2/, 'key3'],
    ['1 . key0="\\000\\000"', 'ERR_RDATA_BAD_SVCPARAM', /mandatory lists "mandatory" itself/, 'key0'],
    ['1 . key2=x alpn=h2', 'ERR_RDATA_BAD_SVCPARAM', /no-default-alpn must have an empty value/, 'key2'],
    ['1 . alpn=h2 alpn=h3', 'ERR_RDATA_BAD_SVCPARAM', /"alpn" given twice/, 'alpn=h3'],
    ['1 . alpn=h2 key1="\\002h3"', 'ERR_RDATA_BAD_SVCPARAM', /"alpn" given twice/, 'key1'],
    ['1 . alpn=', 'ERR_RDATA_BAD_SVCPARAM', /needs a value/, 'alpn'],
    ['1 . alpn=h2,', 'ERR_RDATA_BAD_SVCPARAM', /empty ALPN id/, 'alpn'],
    ['1 . alpn=,h2', 'ERR_RDATA_BAD_SVCPARAM', /empty ALPN id/, 'alpn'],
    ['1 . alpn=a\\\\b', 'ERR_RDATA_BAD_SVCPARAM', /only "\\," and "\\\\" may be escaped/, 'alpn'],
    [`1 . alpn=${'x'.repeat(256)}`, 'ERR_RDATA_TOO_LONG', /alpn id of 256 octets/, 'alpn'],
    ['1 . alpn="h2', 'ERR_RDATA_BAD_SVCPARAM', /unterminated quoted value/, 'alpn'],
    ['1 . alpn="h2"x', 'ERR_RDATA_BAD_SVCPARAM', /text after its quoted value/, 'alpn'],
    ['1 . alpn=h\\2', 'ERR_RDATA_BAD_TEXT', /three digits/, 'alpn'],
    ['1 . port=65536', 'ERR_RDATA_BAD_SVCPARAM', /bad SVCB port "65536": over 65535/, 'port'],
    ['1 . port=-1', 'ERR_RDATA_BAD_SVCPARAM', /not a decimal number/, 'port'],
    ['1 . port=', 'ERR_RDATA_BAD_SVCPARAM', /needs a value/, 'port'],
    ['1 . ipv4hint=1.2.3', 'ERR_RDATA_BAD_ADDRESS', /bad IPv4 address "1.2.3" in SVCB ipv4hint/, 'ipv4hint'],
    ['1 . ipv4hint=1.2.3.4,', 'ERR_RDATA_BAD_SVCPARAM', /empty item/, 'ipv4hint'],
    ['1 . ipv4hint=::1', 'ERR_RDATA_BAD_ADDRESS', /bad IPv4 address "::1"/, 'ipv4hint'],
    ['1 . ipv6hint=1.2.3.4', 'ERR_RDATA_BAD_ADDRESS', /bad IPv6 address "1.2.3.4"/, 'ipv6hint'],
    ['1 . ech=AAA', 'ERR_RDATA_BAD_BASE64', /not base64/, 'ech'],
    ['1 . ech=AB==', 'ERR_RDATA_BAD_BASE64', /padding bits/, 'ech'],
    ['1 . dohpath=/x', 'ERR_RDATA_BAD_SVCPARAM', /bad SVCB dohpath value/, 'dohpath'],
    ['1 . dohpath=x{?dns}', 'ERR_RDATA_BAD_SVCPARAM', /dohpath/, 'dohpath'],
    ['1 . dohpath=/{?dns', 'ERR_RDATA_BAD_SVCPARAM', /dohpath/, 'dohpath'],
    ['1 . dohpath=/q{=dns}', 'ERR_RDATA_BAD_SVCPARAM', /dohpath/, 'dohpath'],
    ['1 . dohpath=/q%4{?dns}', 'ERR_RDATA_BAD_SVCPARAM', /dohpath/, 'dohpath'],
    ['1 . dohpath=/\\255{?dns}', 'ERR_RDATA_BAD_SVCPARAM', /dohpath/, 'dohpath'],
    ['1 . no-default-alpn', 'ERR_RDATA_BAD_SVCPARAM', /no-default-alpn needs an alpn parameter too/, 'no-default-alpn'],
    ['1 . mandatory=port,foo port=1', 'ERR_RDATA_BAD_SVCPARAM', /unknown SVCB key "foo"/, 'mandatory'],
    ['1 . mandatory=port, port=1', 'ERR_RDATA_BAD_SVCPARAM', /empty item/, 'mandatory'],
    ['65536 .', 'ERR_RDATA_BAD_NUMBER', /bad SVCB priority "65536"/, '65536'],
    ['1 a..b', 'ERR_RDATA_BAD_NAME', /bad SVCB target "a..b"/, 'a..b'],
  ];
  for (const [text, code, message, at] of cases) {
    t.throws(() => svcb(text), { code, message, line: 3, col: text.indexOf(at) + 1 }, text);
  }
  t.throws(() => svcb('1'), { code: 'ERR_RDATA_MISSING', message: 'missing SVCB target', line: 3, col: 2 });
  t.throws(() => svcb(''), { code: 'ERR_RDATA_MISSING', message: 'missing SVCB priority' });
  t.throws(() => svcb('x', RRType.HTTPS), { code: 'ERR_RDATA_BAD_NUMBER', message: /bad HTTPS priority "x"/ });
});

t.test('wire form', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['0001', /ends inside the target/],
    ['000100' + '0003000200350001000302683200', /not in strictly ascending order \(alpn after port\)/],
    ['000100' + '000300020035' + '000300020035', /not in strictly ascending order/],
    ['000100' + '00030001', /ends inside the port value/],
    ['000100' + '00', /ends inside the SvcParamKey/],
    ['000100' + '000300', /ends inside the port length/],
    ['000100' + '000300030000ff', /port value is 3 octets/],
    ['000100' + '0001000100', /empty ALPN id/],
    ['000100' + '00010000', /alpn value is empty/],
    ['000100' + '000100020361', /runs past/],
    ['000100' + '0000000200030001000302683200', /ends inside the SvcParamKey/],
    ['000100' + '000000020003', /mandatory lists port but it is not present/],
    ['000100' + '000000020000', /mandatory lists "mandatory" itself/],
    ['000100' + '0000000400030003000300020035', /not in strictly ascending order/],
    ['000100' + '000000010003000300020035', /not a non-empty list/],
    ['000100' + '00020000', /no-default-alpn without alpn/],
    ['000100' + '00040003010203', /ipv4hint value of 3 octets/],
    ['000100' + '00060000', /ipv6hint value of 0 octets/],
    ['000100' + '00070002' + '2f78', /dohpath/],
    ['000100' + 'ffff0000', /key65535 is reserved/],
    ['0001c000', /compression pointer/],
  ];
  for (const [hex, message] of bad) {
    const rdata = Buffer.from(hex, 'hex');
    t.throws(() => checkRdata(RRType.SVCB, rdata), { code: 'ERR_RDATA_BAD_WIRE', message }, hex);
    t.equal(rdataToText(RRType.HTTPS, rdata), `\\# ${rdata.length} ${hex.toUpperCase()}`, `${hex}: printed in generic form`);
    t.throws(() => svcb(`\\# ${rdata.length} ${hex}`), { code: 'ERR_RDATA_BAD_GENERIC', message: /not valid SVCB RDATA/ }, `${hex} in \\# form`);
  }
  checkRdata(RRType.HTTPS, Buffer.from('0000' + FOO_COM + '000300020035', 'hex'));
  t.pass('AliasMode with parameters passes, as BIND lets it');
});

t.test('never throws on random wire data; text errors are always RdataError', async (t) => {
  let seed = 1;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    const rdata = Buffer.from(Array.from({ length: rnd(40) }, () => (rnd(4) === 0 ? rnd(8) : rnd(256))));
    for (const type of [RRType.SVCB, RRType.HTTPS, RRType.A, RRType.MX, RRType.TXT, RRType.SOA, RRType.NAPTR, RRType.CAA, RRType.DS, RRType.SSHFP]) {
      const text = rdataToText(type, rdata);
      let ok = true;
      try {
        checkRdata(type, rdata);
      } catch (e) {
        ok = false;
        if ((e as { name?: string }).name !== 'RdataError') throw e;
      }
      // What we print for valid data must parse back to the same bytes.
      if (ok) {
        const back = rdataFromText(type, joinQuotedValues(tokenize(text)), '.');
        if (!back.equals(rdata)) t.fail(`type ${type} ${rdata.toString('hex')} -> ${text} -> ${back.toString('hex')}`);
      }
    }
  }
  t.pass('3000 random RDATA of 10 types printed without throwing');
  const pieces = ['1', '.', 'alpn=', 'h2', ',', '"', '\\', '\\0', '=', 'key', '65535', 'port', 'mandatory', ' ', 'ech', 'AA', '@', 'x'];
  for (let i = 0; i < 3000; i++) {
    const text = Array.from({ length: rnd(12) }, () => pieces[rnd(pieces.length)]).join('');
    for (const type of [RRType.SVCB, RRType.TXT, RRType.CAA, RRType.NAPTR, RRType.DS, RRType.SOA, 1000]) {
      try {
        rdataFromText(type, tokenize(text), ORIGIN);
      } catch (e) {
        if ((e as { name?: string }).name !== 'RdataError') t.fail(`${type} "${text}" threw ${String(e)}`);
      }
    }
  }
  t.pass('3000 random presentation inputs of 7 types threw only RdataError');
});

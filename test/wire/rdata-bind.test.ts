// The parity oracle for the RDATA codecs: BIND 9.18's named-compilezone reads a zone holding
// records of every supported type, and its printed RDATA must equal ours record by record,
// both ways; inputs named-checkzone rejects must make rdataFromText throw.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rdataFromText, rdataToText } from '../../src/wire/rdata.js';
import { RdataError } from '../../src/wire/errors.js';
import { type Token, tokenize } from '../../src/wire/token.js';
import { typeFromString } from '../../src/wire/types.js';
import { requireTool, run } from '../helpers/peers.js';

const ORIGIN = 'example.com.';
const HEADER = ['$ORIGIN example.com.', '$TTL 300', '@ NS ns1', 'ns1 A 192.0.2.53'];

const hex = (n: number, seed = 0): string => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + seed) & 0xff)).toString('hex');
const b64 = (n: number, seed = 0): string => Buffer.from(Array.from({ length: n }, (_, i) => (i * 53 + seed) & 0xff)).toString('base64');

// One record per line: TYPE then RDATA (owners are added below). No comments, no parentheses:
// each line goes through tokenize() as it is.
const RECORDS = String.raw`
A 192.0.2.1
A 0.0.0.0
A 255.255.255.255
A \# 4 C0000201
AAAA 2001:db8::1
AAAA ::
AAAA ::1
AAAA ::2
AAAA ::ffff:1.2.3.4
AAAA ::1.2.3.4
AAAA ::0.1.0.0
AAAA ::ffff:0:0
AAAA 0:0:0:0:0:1:0:0
AAAA 1:0:0:2:0:0:0:3
AAAA 2001:db8:0:0:1:0:0:1
AAAA 0:1:2:3:4:5:6:7
AAAA 1:2:3:4:5:6:7::
AAAA ABCD::EF
AAAA 1:2:3:4:5:6:1.2.3.4
AAAA ::fffe:1.2.3.4
NS ns1
NS ns1.example.net.
NS @
CNAME Target.Example.NET.
CNAME a\.b.c
CNAME \065bc
CNAME x\032y
CNAME a\\b
CNAME \@\$\;\(\)\"x
CNAME \255\000.x.
PTR host.example.
PTR .
DNAME Other.Example.
MX 10 mail
MX 0 .
MX 65535 @
MX 010 Mail.Example.COM.
TXT "hello world"
TXT foo bar
TXT "a;b" "q\"x" "\\" "\000\255"
TXT "caf\195\169 ~ \127"
TXT "é"
TXT \# foo
TXT \#
TXT \# 3 026869
TXT "" ""
TXT a\032b \065 \"q
TXT "${'x'.repeat(255)}"
TXT "@ $ ( ) ."
SPF "v=spf1 -all"
HINFO "PC Intel" Linux
HINFO "" ""
RP Mail\.box.example.com. txt
RP . .
AFSDB 1 afs
AFSDB 65535 .
SRV 0 5 5060 sip
SRV 65535 65535 65535 .
NAPTR 100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .
NAPTR 1 1 "" "" "" x
NAPTR 10 20 s SIP+D2U "" _sip._udp
NAPTR 10 20 "u" "x" "!^(.*)$!\\1@x!i" .
NAPTR 10 20 "u" "x" "/([a-z]+)[(]\\.(x)/\\2\\1/" .
NAPTR 1 1 "u" "" "!a{!b!" .
NAPTR 1 1 "u" "" "!a)!b!" .
NAPTR 1 1 "u" "" "!()!x!" .
NAPTR 1 1 "u" "" "!\\(!x!" .
NAPTR 1 1 "u" "" "!a{1,2}!x!" .
NAPTR 1 1 "u" "" "![[:alpha:]]!x!" .
NAPTR 1 1 "u" "" "!^$!x!" .
NAPTR 1 1 "u" "" "!(a)(b)!\\2!" .
NAPTR 1 1 "u" "" "#a#b#" .
NAPTR 1 1 "u" "" "!a!b!ii" .
NAPTR 1 1 "u" "" "!a!!" .
NAPTR 1 1 "u" "" "![a-z0-9.-]!x!" .
NAPTR 1 1 "u" "" "![]a]!x!" .
NAPTR 1 1 "u" "" "![^]a]!x!" .
NAPTR 1 1 "u" "" "!x[[.-.]]!y!" .
NAPTR 1 1 "u" "" "![[=a=]b]!x!" .
NAPTR 1 1 "u" "" "!a|b|(c|d)*!x!" .
DS 12345 8 1 ${hex(20)}
DS 12345 8 2 ${hex(32, 1)}
DS 1 13 4 ${hex(48, 2)}
DS 1 8 9 abcdef
DS 2 RSASHA256 SHA-256 ${hex(32, 3)}
DS 3 ECDSAP256SHA256 SHA-1 ${hex(20, 4)}
DNSKEY 257 3 8 AwEAAag=
DNSKEY 256 3 13 ${b64(64)}
DNSKEY 257 3 8 ${b64(150, 1)}
DNSKEY 257 4 253 AA==
DNSKEY 257 DNSSEC RSASHA256 AAA=
TLSA 3 1 1 ${hex(32)}
TLSA 0 0 0 ab
TLSA 2 0 2 ${hex(70, 5)}
SSHFP 1 1 ${hex(20, 6)}
SSHFP 4 2 ${hex(32, 7)}
SSHFP 1 9
SSHFP 1 9 abcdef
URI 10 1 "https://example.com/"
URI 0 0 ""
URI 1 2 "a\"b\\c\009"
CAA 0 issue "letsencrypt.org"
CAA 128 tbs "a b\"c"
CAA 0 ISSUE x
CAA 0 iodef "mailto:a@b"
CAA 0 issue ""
CAA 0 issuewild "; \255"
SVCB 0 foo.example.
SVCB 1 .
SVCB 16 foo.example.com. port=53
SVCB 1 foo.example.com. key667=hello
SVCB 1 foo.example.com. key667="hello\210qoo"
SVCB 1 foo.example.com. ipv6hint="2001:db8::1,2001:db8::53:1"
SVCB 1 example.com. ipv6hint="2001:db8:122:344::192.0.2.33"
SVCB 1 example.com. ipv6hint="::ffff:198.51.100.100"
SVCB 16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1
SVCB 16 foo.example.org. alpn="f\\\\oo\\,bar,h2"
SVCB 16 foo.example.org. alpn=f\\\092oo\092,bar,h2
SVCB 1 . mandatory=alpn,port alpn=h2,h3 no-default-alpn port=443 ipv4hint=1.2.3.4,5.6.7.8 ech=AAAA ipv6hint=::1,::ffff:1.2.3.4 dohpath=/dns{?dns} key65000=abc key8
SVCB 1 . ipv4hint=1.2.3.4 mandatory=ipv4hint
SVCB 1 "foo.example."
SVCB \# 3 000100
HTTPS 0 foo.example. alpn=h2
HTTPS 1 . key3="\000\053"
HTTPS 1 . key1="\002h2"
HTTPS 1 . alpn=\"q,a\032b
HTTPS 1 . key65534
HTTPS 1 . key65534=""
HTTPS 1 . ech=
HTTPS 1 . ech=${b64(200, 8)}
HTTPS 1 . port=053
HTTPS 1 . key7="/q{?dns}"
HTTPS 1 . key9="\001\255\"\\"
HTTPS 1 . mandatory=key65000 key65000=x
HTTPS 1 . mandatory=key7,ech,key9 key7="/{?dns}" ech=AAAA key9
HTTPS 1 Svc.Example.NET. alpn=h3 port=8443
HTTPS 1 . mandatory=dohpath dohpath=/{?dns}
HTTPS 1 . alpn="h2 x,y" key999="a b" ech="AAAA AAAA"
HTTPS 1 . key0="\000\001" alpn=h2
HTTPS 1 . alpn="a\\\\b,c\\,d,\"e\",\195\169,x\032y" key1000="a\032b\009\255é"
HTTPS 1 . dohpath=/dns-query{?dns}
HTTPS 1 . dohpath=/q{?dns,x}
HTTPS 1 . dohpath=/q{?x,dns}
HTTPS 1 . dohpath=/%41{?dns}
HTTPS 1 . dohpath=/q{?dns*}
HTTPS 1 . dohpath=/q{?dns:10}
HTTPS 1 Svc\.x.Example.NET. key65534="\000"
DNSKEY 257 3 ED25519 ${b64(32, 10)}
DNSKEY 256 DNSSEC ECDSAP384SHA384 ${b64(96, 11)}
DS 5 8 SHA384 ${hex(48, 12)}
DS 6 8 SHA256 ${hex(32, 13)}
CAA 0 issue "é"
URI 1 1 "https://é.example/"
TXT "${'a'.repeat(255)}" "${'b'.repeat(255)}" "c"
TXT "\001\009\031\032\126\127\128"
NS \# 1 00
DNAME \# 3 014100
SRV \# 7 00010002000300
NAPTR \# 8 0001000200000000
RP \# 2 0000
AFSDB \# 3 000100
HINFO \# 2 0000
URI \# 4 00010002
SSHFP \# 2 0109
TLSA \# 4 03010100
DNSKEY \# 5 0101030100
DS \# 5 0001080901
AAAA \# 16 20010db8000000000000000000000001
SPF \# 1 00
HTTPS \# 22 00010000010003026832000300020035000500020000
TYPE65 \# 3 000100
TYPE65534 \# 3 010203
TYPE1000 \# 0
TYPE1000 \# 70 ${hex(70, 9)}
TYPE1000 \# 2 ab cd
MX \# 5 0001014100
TXT \# 1 00
CAA \# 3 000161
`.trim().split('\n');

// Inputs BIND refuses (checked with named-checkzone below); rdataFromText must throw on each.
const REJECTS = String.raw`
A 1.2.3
A 01.2.3.4
A 1.2.3.4 5
A
A "1.2.3.4"
AAAA ::1::2
AAAA 1:2:3:4:5:6:7:8:9
AAAA ::01.2.3.4
AAAA 1:::
MX 65536 mail
MX 1
MX -1 mail
MX 0x10 mail
MX 1 "mail"
MX 1 mail extra
NS a..b
CNAME a\1b
TXT
TXT "${'x'.repeat(256)}"
TXT a\256
TXT "a\1"
SRV 1 2 70000 x
SRV 1 2 3
HINFO a
HINFO a b c
CAA 0 is-sue "x"
CAA 256 issue "x"
CAA 0 issue
CAA 0 "issue" "x"
CAA 0 issue a b
URI 10 1 https://x/
URI 10 1
DS 1 8 2 ${hex(20)}
DS 1 8 1
DS 1 8 1 abc
DS 1 8 9 -
DNSKEY 257 3 8
DNSKEY 257 3 8 AB==
DNSKEY 257 3 8 AwEAAag
DNSKEY 257 3 8 "AAAA"
TLSA 3 1 1
TLSA 256 1 1 ab
SSHFP 1 1 ab
SSHFP 1 2 ${hex(20)}
NAPTR 1 1 "U" "x" "bad" .
NAPTR 1 1 "U" "x" "!a(!b!" .
NAPTR 1 1 "U" "x" "!a!\\1!" .
NAPTR 1 1 "U" "x" "" "."
NAPTR 1 1 "u" "" "!*a!b!" .
NAPTR 1 1 "u" "" "!a{2,1}!b!" .
NAPTR 1 1 "u" "" "![]!b!" .
NAPTR 1 1 "u" "" "![a!b!" .
NAPTR 1 1 "u" "" "!a||b!x!" .
NAPTR 1 1 "u" "" "!a**!x!" .
NAPTR 1 1 "u" "" "![[:foo:]]!x!" .
NAPTR 1 1 "u" "" "!a+?!x!" .
NAPTR 1 1 "u" "" "!a{65536}!x!" .
NAPTR 1 1 "u" "" "!(a)!\\2!" .
NAPTR 1 1 "u" "" "!!!" .
NAPTR 1 1 "u" "" "![z-a]!x!" .
NAPTR 1 1 "u" "" "!(a!x!" .
NAPTR 1 1 "u" "" "![a-b-c]!x!" .
NAPTR 1 1 "u" "" "!(|a)!x!" .
DNSKEY 256 3 ECC AAAA
SVCB 1 foo.example.com. key123=abc key123=def
SVCB 1 foo.example.com. mandatory
SVCB 1 foo.example.com. alpn
SVCB 1 foo.example.com. port
SVCB 1 foo.example.com. ipv4hint
SVCB 1 foo.example.com. ipv6hint
SVCB 1 foo.example.com. no-default-alpn=abc
SVCB 1 foo.example.com. mandatory=key123
SVCB 1 foo.example.com. mandatory=mandatory
SVCB 1 foo.example.com. mandatory=key123,key123 key123=abc
SVCB 1 . alpn=h2 alpn=h3
SVCB 1 . alpn=h2 key1=h3
SVCB 1 . port=65536
SVCB 1 . port=
SVCB 1 . alpn=
SVCB 1 . alpn=h2,
SVCB 1 . key065=1
SVCB 1 . Key65=1
SVCB 1 . key100000=1
SVCB 1 . ech=AAA
SVCB 1 . ech=AB==
SVCB 1 . dohpath=/x
SVCB 1 . no-default-alpn
SVCB 1 . no-default-alpn=""
SVCB 1 . "port=1"
SVCB 1 . ohttp
SVCB 1 . key1=h2
SVCB 1 . mandatory=port,port port=1
SVCB 1 . ipv4hint=1.2.3.4,
HTTPS 65536 .
TYPE1000 \# 3 0102
TYPE1000 \# 1 0102
TYPE1000 \# 1 ZZ
TYPE1000 \# 0 00
TYPE1000 \# 70000 00
TYPE1000 \# 1 "00"
TYPE1000 1 2
A \# 3 010203
A \# 5 0102030405
MX \# 4 0001c000
TXT \# 0
TXT \# 2 0200
DS \# 4 00010809
DNSKEY \# 4 01010308
SSHFP \# 2 0101
CAA \# 2 0000
TYPE128 \# 1 00
HTTPS 1 . dohpath=/q{?dn}
HTTPS 1 . dohpath=q{?dns}
HTTPS 1 . dohpath=/{?dns
HTTPS 1 . dohpath=/q{=dns}
HTTPS 1 . dohpath=/q%4{?dns}
HTTPS 1 . alpn=h2 no-default-alpn=x
SVCB 1 . key7="/x"
SVCB 1 . key3="\000"
SVCB 1 . key0="\000\000"
SVCB 1 . ipv6hint=1.2.3.4
SVCB 1 . ipv4hint=::1
SVCB 1 . key2=x
SVCB 1 . alpn=,h2
SVCB 1 . alpn=h2,,h3
CNAME a\
NAPTR 1 1 "U" "x" "!a!b!x" .
NAPTR 1 1 "U" "x" "!a!b" .
NAPTR 1 1 "U" "x" "1a1b1" .
A \# 4 0102030
CAA \# 0
URI \# 0
SVCB \# 0
NS \# 0
AAAA fe80::1%eth0
TYPE41 \# 1 00
`.trim().split('\n');

/**
 * tokenize() ends an unquoted token at a space even inside `key="a b"`, which BIND's lexer
 * keeps whole (and prints, as SVCB values print spaces plainly): glue such pieces back.
 */
function joinQuotedValues(tokens: Token[]): Token[] {
  const out: Token[] = [];
  const openQuote = (s: string): boolean => {
    let open = false;
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '\\') i++;
      else if (s[i] === '"') open = !open;
    }
    return open;
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = { ...tokens[i]! };
    while (!tok.quoted && openQuote(tok.text) && i + 1 < tokens.length) tok.text += ' ' + tokens[++i]!.text;
    out.push(tok);
  }
  return out;
}

function parseLine(line: string): { type: number; tokens: Token[] } {
  const tokens = joinQuotedValues(tokenize(line));
  const typeTok = tokens.shift()!;
  const type = typeFromString(typeTok.text);
  if (type === undefined) throw new Error(`bad type in test line ${line}`);
  return { type, tokens };
}

function zone(lines: string[]): string {
  return [...HEADER, '@ SOA ns1 host\\.master 2024010101 1h 15m 1w 1d', ...lines].join('\n') + '\n';
}

t.test('named-compilezone prints every record as we do', async (t) => {
  if (!requireTool(t, 'named-compilezone', 'bind9-utils')) return;
  const dir = mkdtempSync(join(tmpdir(), 'aop-rdata-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'example.com.zone');
  writeFileSync(file, zone(RECORDS.map((r, i) => `r${i} ${r}`)), 'utf8');
  const res = await run('named-compilezone', ['-k', 'ignore', '-o', '-', 'example.com', file]);
  t.equal(res.code, 0, `named-compilezone loads the zone: ${res.stderr}`);
  if (res.code !== 0) return;

  const bind = new Map<string, { type: string; rdata: string }>();
  for (const line of res.stdout.split('\n')) {
    const m = /^(\S+)\s+\d+\s+IN\s+(\S+)\s+(.*)$/.exec(line);
    if (m) bind.set(m[1]! + ' ' + m[2]!, { type: m[2]!, rdata: m[3]!.trimEnd() });
  }
  const soa = [...bind.entries()].find(([k]) => k === 'example.com. SOA');
  t.equal(soa?.[1].rdata, rdataToText(6, rdataFromText(6, tokenize('ns1 host\\.master 2024010101 1h 15m 1w 1d'), ORIGIN)), 'SOA with TTL units');

  RECORDS.forEach((line, i) => {
    const { type, tokens } = parseLine(line);
    const owner = `r${i}.example.com.`;
    const entry = [...bind.entries()].find(([k]) => k.startsWith(owner + ' '));
    if (!entry) {
      t.fail(`BIND printed nothing for ${line}`);
      return;
    }
    const bindText = entry[1].rdata;
    let ours: Buffer;
    try {
      ours = rdataFromText(type, tokens, ORIGIN);
    } catch (e) {
      t.fail(`${line}: we refuse what BIND accepts: ${(e as Error).message}`);
      return;
    }
    t.equal(rdataToText(type, ours), bindText, line);
    const back = rdataFromText(type, parseLine(`${entry[1].type} ${bindText}`).tokens, ORIGIN);
    t.equal(back.toString('hex'), ours.toString('hex'), `${line}: BIND's text parses back to the same wire bytes`);
  });
});

t.test('what named-checkzone rejects, rdataFromText rejects', async (t) => {
  if (!requireTool(t, 'named-checkzone', 'bind9-utils')) return;
  const dir = mkdtempSync(join(tmpdir(), 'aop-rdata-rej-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = join(dir, 'base.zone');
  writeFileSync(base, zone([]), 'utf8');
  t.equal((await run('named-checkzone', ['-k', 'ignore', 'example.com', base])).code, 0, 'the zone without the bad record loads');
  const results = await Promise.all(
    REJECTS.map(async (line, i) => {
      const file = join(dir, `r${i}.zone`);
      writeFileSync(file, zone([`bad ${line}`]), 'utf8');
      return run('named-checkzone', ['-k', 'ignore', 'example.com', file]);
    }),
  );
  REJECTS.forEach((line, i) => {
    t.not(results[i]!.code, 0, `BIND rejects: ${line}`);
    const { type, tokens } = parseLine(line);
    t.throws(() => rdataFromText(type, tokens, ORIGIN), RdataError, `we reject: ${line}`);
  });
});

// The zone-file parser: owners, TTLs, classes, types, directives, $INCLUDE, and fault collection.

import t from 'tap';
import path from 'node:path';
import { parseZone, type SourcedRR, MAX_INCLUDE_DEPTH } from '../../src/zone/parser.js';
import { rdataToText } from '../../src/wire/rdata.js';
import { typeToString } from '../../src/wire/types.js';

const ORIGIN = 'example.';

/** Records as `name ttl TYPE rdata`. */
const texts = (rs: SourcedRR[]): string[] => rs.map((r) => `${r.name} ${r.ttl} ${typeToString(r.type)} ${rdataToText(r.type, r.rdata)}`);
const faults = (text: string, opts: Parameters<typeof parseZone>[1] = { origin: ORIGIN }): string[] =>
  parseZone(text, opts).faults.map((f) => `${f.code} ${f.line}:${f.col}`);
const recs = (text: string, opts: Parameters<typeof parseZone>[1] = { origin: ORIGIN }): string[] => {
  const r = parseZone(text, opts);
  if (r.faults.length > 0) throw new Error(r.faults.map((f) => `${f.line}:${f.col} ${f.code} ${f.message}`).join('\n'));
  return texts(r.records);
};

t.test('owners: @, relative, absolute, omitted, $ORIGIN', async (t) => {
  t.same(recs([
    '$TTL 60',
    '@ A 192.0.2.1',
    'www A 192.0.2.2',
    '  TXT "same owner"',
    'abs.example. A 192.0.2.3',
    '$ORIGIN sub',
    'x A 192.0.2.4',
    '@ A 192.0.2.5',
    '$ORIGIN other.example.',
    'y A 192.0.2.6',
  ].join('\n')), [
    'example. 60 A 192.0.2.1',
    'www.example. 60 A 192.0.2.2',
    'www.example. 60 TXT "same owner"',
    'abs.example. 60 A 192.0.2.3',
    'x.sub.example. 60 A 192.0.2.4',
    'sub.example. 60 A 192.0.2.5',
    'y.other.example. 60 A 192.0.2.6',
  ]);
  t.same(recs('$TTL 1\n"quoted" A 192.0.2.1'), ['quoted.example. 1 A 192.0.2.1'], 'a quoted owner is a name, as in BIND');
  t.same(recs('$TTL 1\nwww MX 10 mail\n'), ['www.example. 1 MX 10 mail.example.'], 'names in RDATA take the origin');
});

t.test('records carry where they were written', async (t) => {
  const { records } = parseZone('$TTL 1\nwww A 192.0.2.1\n\tTXT "x"\n', { origin: ORIGIN, file: 'z.zone' });
  t.same(records.map((r) => [r.file, r.line, r.col]), [['z.zone', 2, 1], ['z.zone', 3, 2]]);
  t.equal(parseZone('$TTL 1\nwww A 192.0.2.1', { origin: ORIGIN }).records[0]!.file, '<text>', 'text without a file');
});

t.test('TTL and class: either order, optional, mnemonics', async (t) => {
  t.same(recs([
    '$TTL 300',
    'a 60 IN A 192.0.2.1',
    'b IN 60 A 192.0.2.2',
    'c IN A 192.0.2.3',
    'd 1h30m A 192.0.2.4',
    'e CLASS1 TYPE1 192.0.2.5',
    'f in a 192.0.2.6',
    'g 1W A 192.0.2.7',
  ].join('\n')), [
    'a.example. 60 A 192.0.2.1',
    'b.example. 60 A 192.0.2.2',
    'c.example. 300 A 192.0.2.3',
    'd.example. 5400 A 192.0.2.4',
    'e.example. 300 A 192.0.2.5',
    'f.example. 300 A 192.0.2.6',
    'g.example. 604800 A 192.0.2.7',
  ]);
  t.same(faults('$TTL 1\nw CH A 1.2.3.4\nw ANY A 1.2.3.4\nw CLASS3 A 1.2.3.4'), ['ERR_ZONE_BAD_CLASS 2:3', 'ERR_ZONE_BAD_CLASS 3:3', 'ERR_ZONE_BAD_CLASS 4:3']);
  t.same(faults('$TTL 1\nw 300 300 A 1.2.3.4\nw IN IN A 1.2.3.4'), ['ERR_ZONE_SYNTAX 2:7', 'ERR_ZONE_SYNTAX 3:6'], 'twice is a fault');
  t.same(faults('$TTL 1\nw 3x A 1.2.3.4\nw 2147483648 A 1.2.3.4'), ['ERR_ZONE_BAD_TTL 2:3', 'ERR_ZONE_BAD_TTL 3:3']);
  t.same(parseZone('$TTL 2147483647\nw A 1.2.3.4', { origin: ORIGIN }).records[0]!.ttl, 2147483647, 'the largest TTL');
  t.same(faults('$TTL 1\nw FOO 1.2.3.4\nw "A" 1.2.3.4'), ['ERR_ZONE_UNKNOWN_TYPE 2:3', 'ERR_ZONE_UNKNOWN_TYPE 3:3']);
  t.same(faults('$TTL 1\nw\nw 300 IN'), ['ERR_ZONE_SYNTAX 2:2', 'ERR_ZONE_SYNTAX 3:9'], 'a line that ends before its type');
  t.same(faults('$TTL 1\nw A 1.2.3.4\n $TTL 5'), ['ERR_ZONE_SYNTAX 3:2'], 'an indented directive');
  t.same(faults('$TTL 1\nw AXFR x'), ['ERR_RDATA_META_TYPE 2:8'], 'meta types, from the codec');
});

t.test('omitted TTLs follow BIND', async (t) => {
  t.same(recs('@ 7200 SOA ns1 host 1 2 3 4 5\n NS ns1\nns1 600 A 192.0.2.1\na A 192.0.2.2\n$TTL 60\nb A 192.0.2.3'), [
    'example. 7200 SOA ns1.example. host.example. 1 2 3 4 5',
    'example. 7200 NS ns1.example.',
    'ns1.example. 600 A 192.0.2.1',
    'a.example. 600 A 192.0.2.2',
    'b.example. 60 A 192.0.2.3',
  ], 'without $TTL the last TTL written (RFC 1035), then $TTL');
  t.same(recs('@ SOA ns1 host 1 2 3 4 900\n NS ns1\nns1 7200 A 192.0.2.1\na A 192.0.2.2'), [
    'example. 900 SOA ns1.example. host.example. 1 2 3 4 900',
    'example. 900 NS ns1.example.',
    'ns1.example. 7200 A 192.0.2.1',
    'a.example. 900 A 192.0.2.2',
  ], 'an SOA without TTL takes its MINIMUM, which then acts as $TTL');
  t.same(faults('www A 192.0.2.1\n@ 300 SOA ns1 host 1 2 3 4 5'), ['ERR_ZONE_NO_TTL 1:1'], 'nothing to inherit');
  t.same(recs('www A 192.0.2.1', { origin: ORIGIN, defaultTtl: 42 }), ['www.example. 42 A 192.0.2.1'], 'defaultTtl option');
});

t.test('the TTLs of an RRset are settled as BIND settles them', async (t) => {
  t.same(recs('$TTL 1\nw 100 A 192.0.2.1\nw 600 A 192.0.2.2').map((r) => r.split(' ')[1]), ['100', '100'], 'one run: the first wins');
  t.same(recs('$TTL 1\nw 100 A 192.0.2.1\nx A 192.0.2.9\nw 600 A 192.0.2.2').filter((r) => r.startsWith('w.')).map((r) => r.split(' ')[1]), ['600', '600'], 'a later run sets the whole RRset');
  t.same(recs('$TTL 1\nW 100 A 192.0.2.1\nw 600 A 192.0.2.2').map((r) => r.split(' ')[1]), ['600', '600'], 'an owner written differently starts a run');
  t.same(recs('$TTL 1\nw 100 A 192.0.2.1\nw 200 TXT x').map((r) => r.split(' ')[1]), ['100', '200'], 'per RRset, not per name');
});

t.test('RDATA faults point into the record, across parentheses', async (t) => {
  t.same(faults('$TTL 1\nw A (\n  192.0.2\n)'), ['ERR_RDATA_BAD_ADDRESS 3:3']);
  t.same(faults('$TTL 1\nw MX (\n  10 )'), ['ERR_RDATA_MISSING 3:5'], 'a missing field: just after the last token');
  t.same(faults('$TTL 1\nw A'), ['ERR_RDATA_MISSING 2:4'], 'no RDATA at all: just after the type');
});

t.test('SVCB key="value" is one parameter; other types split at the quote as BIND does', async (t) => {
  t.same(recs('$TTL 1\ns SVCB 1 . alpn="h2,h3" key65320="/a b;c" port=443\nt TXT a="b c"'), [
    's.example. 1 SVCB 1 . alpn="h2,h3" port=443 key65320="/a b;c"',
    't.example. 1 TXT "a=" "b c"',
  ]);
  t.same(recs('$TTL 1\ns HTTPS ( 1 . alpn="h2"\n  port="8443" )'), ['s.example. 1 HTTPS 1 . alpn="h2" port=8443'], 'over lines');
  t.same(faults('$TTL 1\ns SVCB 1 . alpn="h2"x'), ['ERR_RDATA_BAD_SVCPARAM 2:12'], 'text after a quoted value goes to the codec');
});

t.test('owner faults', async (t) => {
  t.same(faults(' A 192.0.2.1'), ['ERR_ZONE_NO_OWNER 1:2']);
  t.same(faults(`$TTL 1\n${'a'.repeat(64)} A 192.0.2.1\n TXT x\n TXT y\nok A 192.0.2.2`), ['ERR_ZONE_BAD_NAME 2:1'], 'a bad owner is reported once, not again for each line inheriting it');
  t.same(faults('$TTL 1\na..b A 192.0.2.1'), ['ERR_ZONE_BAD_NAME 2:1']);
  t.same(faults('$TTL 1\nw TXT "x\nw TXT y\n TXT z'), ['ERR_ZONE_QUOTE 2:7'], 'a broken line still sets the owner for the next');
});

t.test('directives', async (t) => {
  t.same(faults('$FOO bar'), ['ERR_ZONE_UNKNOWN_DIRECTIVE 1:1']);
  t.same(faults('$GENERATE 1-3 h$ A 192.0.2.$'), ['ERR_ZONE_GENERATE 1:1']);
  t.same(faults('$ORIGIN\n$ORIGIN a b\n$TTL\n$TTL 1 2\n$INCLUDE\n$INCLUDE a b c'), [
    'ERR_ZONE_BAD_DIRECTIVE 1:8', 'ERR_ZONE_BAD_DIRECTIVE 2:11', 'ERR_ZONE_BAD_DIRECTIVE 3:5',
    'ERR_ZONE_BAD_DIRECTIVE 4:8', 'ERR_ZONE_BAD_DIRECTIVE 5:9', 'ERR_ZONE_BAD_DIRECTIVE 6:14',
  ]);
  t.same(faults('$ORIGIN a..b\n$TTL 1y'), ['ERR_ZONE_BAD_NAME 1:9', 'ERR_ZONE_BAD_TTL 2:6']);
  t.same(recs('$ttl 5\n$origin Sub\nw A 192.0.2.1 ; comment'), ['w.Sub.example. 5 A 192.0.2.1'], 'directive names in any case');
  t.same(faults('$TTL 1 ; a comment is not an argument\n$ORIGIN x. ; nor here'), []);
  t.same(faults('\\$TTL 1 A 192.0.2.1'), [], 'an escaped $ is an owner name');
});

t.test('$INCLUDE', async (t) => {
  const files: Record<string, string> = {
    [path.join('zones', 'inc', 'a.inc')]: '  TXT "continues the includer\'s owner"\nhost A 192.0.2.1\n$INCLUDE deeper/b.inc\n$ORIGIN changed.example.\nlast A 192.0.2.9\n$TTL 77',
    [path.join('zones', 'inc', 'deeper', 'b.inc')]: 'b A 192.0.2.2',
    [path.join('zones', 'bad.inc')]: 'x A 192.0.2\n y TXT "open',
    [path.join('zones', 'self.inc')]: '$INCLUDE self.inc',
    [path.join('zones', 'caf\u00e9 dir', 'x.inc')]: 'x A 192.0.2.3',
  };
  const reads: string[] = [];
  const include = (p: string): string => {
    reads.push(p);
    const text = files[p];
    if (text === undefined) throw new Error('no such file');
    return text;
  };
  const opts = { origin: ORIGIN, file: path.join('zones', 'main.zone'), include };
  const main = '$TTL 1\nwww A 192.0.2.10\n$INCLUDE inc/a.inc sub\n TXT "back at www"\nafter A 192.0.2.11';
  t.same(recs(main, opts), [
    'www.example. 1 A 192.0.2.10',
    // The TXT RRset gets 77 from the later run (after the include), as BIND gives it.
    'www.example. 77 TXT "continues the includer\'s owner"',
    'host.sub.example. 1 A 192.0.2.1',
    'b.sub.example. 1 A 192.0.2.2',
    'last.changed.example. 1 A 192.0.2.9',
    'www.example. 77 TXT "back at www"',
    'after.example. 77 A 192.0.2.11',
  ], 'origin argument, owner carried in and restored after, $ORIGIN restored, $TTL kept');
  t.same(reads, [path.join('zones', 'inc', 'a.inc'), path.join('zones', 'inc', 'deeper', 'b.inc')], 'paths relative to the including file');

  const bad = parseZone('$TTL 1\n$INCLUDE bad.inc', opts);
  t.same(bad.faults.map((f) => `${f.code} ${f.file}:${f.line}:${f.col}`), [
    `ERR_RDATA_BAD_ADDRESS ${path.join('zones', 'bad.inc')}:1:5`,
    `ERR_ZONE_QUOTE ${path.join('zones', 'bad.inc')}:2:8`,
  ], 'faults in an included file point into it');

  t.same(recs('$TTL 1\n$INCLUDE "caf\u00e9 dir/x.inc"\n$INCLUDE caf\\195\\169\\ dir/x.inc', opts), ['x.example. 1 A 192.0.2.3', 'x.example. 1 A 192.0.2.3'], 'quoted and escaped paths, UTF-8 names');
  t.same(faults('$INCLUDE missing.inc', opts), ['ERR_ZONE_INCLUDE 1:10'], 'an unreadable file, at the path');
  t.match(parseZone('$INCLUDE missing.inc', opts).faults[0]!.message, /"missing\.inc" cannot be read: no such file/);
  const loop = parseZone('$INCLUDE self.inc', opts).faults;
  t.same(loop.map((f) => `${f.code} ${f.file}:${f.line}:${f.col}`), [`ERR_ZONE_INCLUDE ${path.join('zones', 'self.inc')}:1:10`], 'a loop');
  t.match(loop[0]!.message, /loop/);
  t.same(faults('$INCLUDE main.zone', opts), ['ERR_ZONE_INCLUDE 1:10'], 'including the top file is a loop too');

  const deep = (p: string): string => `$INCLUDE ${Number(path.basename(p, '.inc')) + 1}.inc`;
  const d = parseZone('$INCLUDE 1.inc', { origin: ORIGIN, file: 'top.zone', include: deep }).faults;
  t.same(d.map((f) => f.code), ['ERR_ZONE_INCLUDE'], 'depth limit');
  t.match(d[0]!.message, new RegExp(`nested more than ${MAX_INCLUDE_DEPTH} deep`));

  t.same(faults('$INCLUDE x.inc'), ['ERR_ZONE_INCLUDE 1:10'], 'no reader: a fault, not a throw');
  t.same(faults('$INCLUDE x.inc a..b', opts), ['ERR_ZONE_BAD_NAME 1:16'], 'a bad origin argument');
});

t.test('every fault is collected, in order', async (t) => {
  t.same(faults([
    '$TTL 1',
    'a A 192.0.2',
    'b BOGUS x',
    'c TXT "open',
    'd CH A 192.0.2.1',
    '$NOPE',
    'e A 192.0.2.1 )',
    'f A 192.0.2.1',
  ].join('\n')), ['ERR_RDATA_BAD_ADDRESS 2:5', 'ERR_ZONE_UNKNOWN_TYPE 3:3', 'ERR_ZONE_QUOTE 4:7', 'ERR_ZONE_BAD_CLASS 5:3', 'ERR_ZONE_UNKNOWN_DIRECTIVE 6:1', 'ERR_ZONE_PARENS 7:15']);
});

t.test('a bad origin option is a fault', async (t) => {
  t.same(faults('w A 1.2.3.4', { origin: 'relative' }), ['ERR_ZONE_BAD_ORIGIN 1:1']);
});

t.test('never throws on junk', async (t) => {
  const alphabet = ['a', 'b.', '@', ' ', '\t', '\n', '\r\n', '(', ')', '"', '\\', ';', '$TTL', '$ORIGIN', '$INCLUDE', 'IN', 'CH', 'A', 'TXT', 'SOA', 'NS', 'CNAME', 'SVCB', 'key1="', '=', '\\#', '300', '1.2.3.4', 'TYPE1', '\u00e9', '\\999', '.', '..', '*', '0'];
  let seed = 42;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let i = 0; i < 2000; i++) {
    let s = '';
    const len = rnd(40);
    for (let k = 0; k < len; k++) s += alphabet[rnd(alphabet.length)]!;
    try {
      const r = parseZone(s, { origin: ORIGIN });
      for (const f of r.faults) if (!(f.line >= 1 && f.col >= 1)) throw new Error(`bad position ${JSON.stringify(f)}`);
    } catch (e) {
      t.fail(`threw on ${JSON.stringify(s)}: ${(e as Error).stack}`);
      return;
    }
  }
  t.pass('2000 random inputs, no throw, every fault positioned');
});

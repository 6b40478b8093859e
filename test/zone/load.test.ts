// Loading zones: text, files, folders, origins from file names, canonical text, and the error shape.

import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeZoneBytes, loadZoneDir, loadZoneFile, loadZoneText, originFromFileName, zoneToText, ZoneLoadError,
} from '../../src/zone/load.js';
import { ZoneFaultCode } from '../../src/zone/errors.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ZONE = '$TTL 300\n@ SOA ns1 hostmaster 7 3600 900 604800 60\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.80\n';

function loadError(fn: () => unknown): ZoneLoadError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ZoneLoadError) return e;
    throw e;
  }
  throw new Error('it loaded');
}

t.test('loadZoneText', async (t) => {
  const z = loadZoneText(ZONE, { origin: 'example.' });
  t.equal(z.origin, 'example.');
  t.equal(z.serial, 7);
  t.equal(z.size, 4);
  t.equal(z.negativeTtl, 60);
  t.equal(loadZoneText(ZONE, { origin: 'Example.' }).origin, 'Example.', 'origin case is kept');

  const e = loadError(() => loadZoneText(ZONE + 'www CNAME ns1\nbad A 1.2.3\n', { origin: 'example.', file: 'x.zone' }));
  t.equal(e.code, 'ERR_ZONE_INVALID');
  t.equal(e.name, 'ZoneLoadError');
  t.equal(e.origin, 'example.');
  t.equal(e.file, 'x.zone');
  t.same(e.faults.map((f) => f.code), ['ERR_RDATA_BAD_ADDRESS', 'ERR_ZONE_CNAME_AND_OTHER'], 'syntax and validation faults together');
  t.same(e.message.split('\n'), [
    'x.zone:7:7: bad IPv4 address "1.2.3"',
    'x.zone:6:1: CNAME and other data at www.example.: CNAME here and A at line 5 (a CNAME must be alone at its name)',
  ], 'one file:line:col: message line per fault');

  const noFile = loadError(() => loadZoneText('bad', { origin: 'example.' }));
  t.equal(noFile.file, undefined, 'no file for plain text');
  t.match(noFile.message, /^<text>:1:/);
});

t.test('a record lost to a syntax fault does not also cause "missing" faults', async (t) => {
  const e = loadError(() => loadZoneText('$TTL 300\n@ SOA ns1 hostmaster 7 3600 900 604800 x\n@ NS ns2\nns2 A 192.0.2.300\n', { origin: 'example.' }));
  t.same(e.faults.map((f) => f.code), ['ERR_RDATA_BAD_NUMBER', 'ERR_RDATA_BAD_ADDRESS'], 'no ERR_ZONE_NO_SOA, no ERR_ZONE_NO_GLUE');
  const v = loadError(() => loadZoneText('$TTL 300\n@ NS ns1\nns1 A 192.0.2.1\n', { origin: 'example.' }));
  t.same(v.faults.map((f) => f.code), ['ERR_ZONE_NO_SOA'], 'but they are reported when the file parses');
});

t.test('loadZoneText has no folder to $INCLUDE from', async (t) => {
  const e = loadError(() => loadZoneText(ZONE + '$INCLUDE other.inc\n', { origin: 'example.', file: 'z.zone' }));
  t.same(e.faults.map((f) => `${f.code} ${f.line}:${f.col}`), ['ERR_ZONE_INCLUDE 6:10']);
});

t.test('bad origins', async (t) => {
  t.same(loadError(() => loadZoneText(ZONE, { origin: 'example' })).faults.map((f) => f.code), ['ERR_ZONE_BAD_ORIGIN'], 'relative');
  t.same(loadError(() => loadZoneText(ZONE, { origin: 'a..b.' })).faults.map((f) => f.code), ['ERR_ZONE_BAD_ORIGIN']);
});

t.test('loadZoneFile', async (t) => {
  const dir = t.testdir({
    'good.zone': ZONE + '$INCLUDE inc/more.inc\n',
    inc: { 'more.inc': 'more A 192.0.2.9\n$INCLUDE deeper.inc\n', 'deeper.inc': 'deeper A 192.0.2.10\n' },
    'latin1.zone': Buffer.concat([Buffer.from(ZONE + 'txt TXT "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]),
    'badinc.zone': ZONE + '$INCLUDE inc/latin1.inc\n',
    'inc2': { 'x': '' },
    'subdir.zone': { 'x': '' },
  });
  const z = loadZoneFile(path.join(dir, 'good.zone'), { origin: 'example.' });
  t.ok(z.rrset('deeper.example.', 1), 'nested includes, each relative to its including file');

  const missing = loadError(() => loadZoneFile(path.join(dir, 'nope.zone'), { origin: 'example.' }));
  t.same(missing.faults.map((f) => `${f.code} ${f.line}:${f.col}`), ['ERR_ZONE_READ 1:1']);
  t.equal(missing.file, path.join(dir, 'nope.zone'));
  t.equal(missing.origin, 'example.');
  t.match(missing.message, /cannot read zone file: no such file/);
  t.match(loadError(() => loadZoneFile(path.join(dir, 'subdir.zone'), { origin: 'example.' })).message, /it is a directory/);

  const latin = loadError(() => loadZoneFile(path.join(dir, 'latin1.zone'), { origin: 'example.' }));
  t.same(latin.faults.map((f) => `${f.code} ${f.line}:${f.col}`), ['ERR_ZONE_ENCODING 6:13'], 'points at the bad octet');
  t.match(latin.message, /not valid UTF-8 \(octet 0xE9\)/);
});

t.test('decodeZoneBytes', async (t) => {
  t.equal(decodeZoneBytes(Buffer.from('a \u00e9 \u{1F600}\n'), 'f'), 'a \u00e9 \u{1F600}\n');
  const at = (bytes: number[]): string => {
    try {
      decodeZoneBytes(Buffer.from(bytes), 'f');
      return 'ok';
    } catch (e) {
      const f = (e as ZoneLoadError).faults[0]!;
      return `${f.line}:${f.col}`;
    }
  };
  t.equal(at([0x61, 0x0a, 0xc3, 0xa9, 0x62, 0xff]), '2:3', 'columns count characters before the bad octet');
  t.equal(at([0xc3]), '1:1', 'a cut-off sequence');
  t.equal(at([0xc0, 0x80]), '1:1', 'an overlong form');
  t.equal(at([0xed, 0xa0, 0x80]), '1:1', 'a surrogate');
  t.equal(at([0xf4, 0x90, 0x80, 0x80]), '1:1', 'over U+10FFFF');
});

t.test('originFromFileName', async (t) => {
  t.equal(originFromFileName('acme.agents.zone'), 'acme.agents.');
  t.equal(originFromFileName('agents.zone'), 'agents.');
  t.equal(originFromFileName('_srv.x-y.zone'), '_srv.x-y.');
  for (const bad of ['.zone', 'agents', 'agents.zone.bak', 'a..b.zone', 'a b.zone', 'a\\.b.zone', `${'x'.repeat(64)}.zone`, 'café.zone']) {
    const e = loadError(() => originFromFileName(bad));
    t.same(e.faults.map((f) => f.code), ['ERR_ZONE_BAD_FILE_NAME'], JSON.stringify(bad));
    t.equal(e.file, bad);
  }
});

t.test('loadZoneDir', async (t) => {
  const dir = t.testdir({
    'acme.agents.zone': ZONE.replace(/@ NS ns1/, '@ NS ns1.acme.agents.').replace('ns1 A', 'ns1.acme.agents. A'),
    // One-label origins from file names need a $ORIGIN to confirm them (see 'origins' below).
    'agents.zone': '$ORIGIN agents.\n' + ZONE,
    'broken.agents.zone': ZONE + 'www CNAME ns1\n',
    'bad name.zone': ZONE,
    'Dup.zone': '$ORIGIN Dup.\n' + ZONE,
    'dup.zone': '$ORIGIN dup.\n' + ZONE,
    'notes.txt': 'not a zone',
    'root.hints': '. NS a.root.\n',
    include: { 'x.zone': 'this folder is not read' },
  });
  const { zones, errors } = loadZoneDir(dir);
  t.same(zones.map((z) => z.origin).sort(), ['Dup.', 'acme.agents.', 'agents.'], 'the good ones load, origins from file names');
  const byFile = new Map(errors.map((e) => [path.basename(e.file ?? ''), e]));
  t.same([...byFile.keys()].sort(), ['bad name.zone', 'broken.agents.zone', 'dup.zone']);
  const broken = byFile.get('broken.agents.zone')!;
  t.equal(broken.origin, 'broken.agents.');
  t.equal(broken.file, path.join(dir, 'broken.agents.zone'));
  t.same(broken.faults.map((f) => f.code), ['ERR_ZONE_CNAME_AND_OTHER']);
  t.match(broken.message, new RegExp(`^${path.join(dir, 'broken.agents.zone').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:1: `));
  const badName = byFile.get('bad name.zone')!;
  t.equal(badName.origin, undefined);
  t.same(badName.faults.map((f) => [f.code, f.file]), [['ERR_ZONE_BAD_FILE_NAME', path.join(dir, 'bad name.zone')]]);
  const dup = byFile.get('dup.zone')!;
  t.same(dup.faults.map((f) => f.code), ['ERR_ZONE_DUPLICATE_ORIGIN']);
  t.match(dup.message, /already loaded from .*Dup\.zone/);

  const none = loadZoneDir(path.join(dir, 'missing'));
  t.same(none.zones, []);
  t.same(none.errors.map((e) => e.faults[0]!.code), ['ERR_ZONE_READ']);
  t.equal(none.errors[0]!.file, path.join(dir, 'missing'));
});

t.test('origins: the file name, a leading $ORIGIN, one-label names', async (t) => {
  const records = (o: string) => ZONE.replace('$TTL 300\n', `$TTL 300\n$ORIGIN ${o}\n`);
  const dir = t.testdir({
    'x.zone': records('acme.agents.'),
    'acme.agents.zone': ZONE,
    'noorigin.zone': ZONE,
    'solo.zone': records('solo.'),
    'parent.agents.zone': '$TTL 300\n$ORIGIN agents.\nparent SOA ns1.parent h 1 2 3 4 5\nparent NS ns1.parent\nns1.parent A 192.0.2.1\n',
    'bind.example.zone': '$ORIGIN .\n$TTL 300\nbind.example SOA ns1.bind.example. h.bind.example. 1 2 3 4 5\n$ORIGIN bind.example.\n@ NS ns1\nns1 A 192.0.2.1\n',
    'below.agents.zone': records('www.below.agents.').replace('$TTL 300\n', '$TTL 300\n$ORIGIN below.agents.\n@ SOA ns1 h 1 2 3 4 5\n$ORIGIN www.below.agents.\n').replace(/^@ SOA ns1 hostmaster.*\n/m, ''),
  });
  const { zones, errors } = loadZoneDir(dir);
  t.same(zones.map((z) => z.origin).sort(), ['acme.agents.', 'bind.example.', 'parent.agents.', 'solo.'],
    'a multi-label name needs no $ORIGIN; a one-label one loads with its own; a $ORIGIN above the origin is fine while the records stay inside');
  const byFile = new Map(errors.map((e) => [path.basename(e.file ?? ''), e]));
  t.same([...byFile.keys()].sort(), ['below.agents.zone', 'noorigin.zone', 'x.zone']);

  const x = byFile.get('x.zone')!;
  t.same(x.faults.map((f) => `${f.code} ${f.line}:${f.col}`), ['ERR_ZONE_ORIGIN_MISMATCH 2:1'], 'one fault, not one per record out of the zone');
  t.equal(x.message, `${path.join(dir, 'x.zone')}:2:1: $ORIGIN acme.agents. does not match the file name's origin x. (4 records outside the zone): rename the file to acme.agents.zone or correct the $ORIGIN line`);
  const none = byFile.get('noorigin.zone')!;
  t.same(none.faults.map((f) => `${f.code} ${f.line}:${f.col}`), ['ERR_ZONE_ORIGIN_IMPLICIT 1:1'], 'a one-label origin from the file name alone is refused');
  t.match(none.message, /the origin noorigin\. comes only from the file name and is a single label \(a top-level zone\): if that is meant, put "\$ORIGIN noorigin\." above the records/);
  t.notOk(byFile.get('below.agents.zone')!.faults.some((f) => f.code === 'ERR_ZONE_ORIGIN_MISMATCH'), 'a $ORIGIN inside the zone is no mismatch (its own faults stand)');

  // The library default (origin given, source unknown) keeps loading one-label origins as before.
  t.equal(loadZoneFile(path.join(dir, 'noorigin.zone'), { origin: 'noorigin.' }).origin, 'noorigin.');
  t.equal(loadZoneText(ZONE, { origin: 'noorigin.' }).origin, 'noorigin.');
  t.same(loadError(() => loadZoneText(ZONE, { origin: 'noorigin.', originFrom: 'file-name' })).faults.map((f) => f.code), ['ERR_ZONE_ORIGIN_IMPLICIT'], 'the fast path refuses too');
  const flag = loadError(() => loadZoneFile(path.join(dir, 'x.zone'), { origin: 'globex.agents.', originFrom: 'flag' }));
  t.match(flag.message, /\$ORIGIN acme\.agents\. does not match --origin globex\.agents\. \(4 records outside the zone\): give --origin acme\.agents or correct the \$ORIGIN line$/);
  const other = loadError(() => loadZoneText('$ORIGIN other.\n' + ZONE + 'bad A 1.2.3\n', { origin: 'example.', file: 'e.zone' }));
  t.same(other.faults.map((f) => f.code), ['ERR_ZONE_ORIGIN_MISMATCH', 'ERR_RDATA_BAD_ADDRESS'], 'syntax faults stay beside the mismatch');
  t.match(other.faults[0]!.message, /^\$ORIGIN other\. does not match the zone's origin example\./);
  const later = loadError(() => loadZoneText(ZONE + '$ORIGIN other.\nwww2 A 192.0.2.2\n', { origin: 'example.', file: 'e.zone' }));
  t.same(later.faults.map((f) => f.code), ['ERR_ZONE_OUT_OF_ZONE'], 'an $ORIGIN after the first record is no claim about the zone: its records are out of zone as before');
});

t.test('the good fixtures all load as one folder', async (t) => {
  const { zones, errors } = loadZoneDir(path.join(root, 'test', 'fixtures', 'zones', 'good'));
  t.same(errors.map((e) => e.message), []);
  t.ok(zones.length >= 12);
});

t.test('the bad fixtures all fail, each with its origin and file', async (t) => {
  const dir = path.join(root, 'test', 'fixtures', 'zones', 'bad');
  const { zones, errors } = loadZoneDir(dir);
  t.same(zones.map((z) => z.origin), []);
  for (const e of errors) {
    t.ok(e.origin !== undefined && e.file !== undefined && e.origin === `${path.basename(e.file, '.zone')}.`, `${e.origin} from ${e.file}`);
  }
});

t.test('zoneToText', async (t) => {
  const z = loadZoneText([
    '$TTL 300',
    'b A 192.0.2.2',
    '@ NS ns1',
    'a.b TXT "x y"',
    '@ SOA ns1 host 1 2 3 4 5',
    '@ MX 10 b',
    'ns1 A 192.0.2.1',
    'Z A 192.0.2.26',
    '*.b AAAA 2001:db8::1',
    'u TYPE65534 \\# 2 abcd',
  ].join('\n'), { origin: 'example.' });
  const text = zoneToText(z);
  t.equal(text, [
    'example. 300 IN SOA ns1.example. host.example. 1 2 3 4 5',
    'example. 300 IN NS ns1.example.',
    'example. 300 IN MX 10 b.example.',
    'b.example. 300 IN A 192.0.2.2',
    '*.b.example. 300 IN AAAA 2001:db8::1',
    'a.b.example. 300 IN TXT "x y"',
    'ns1.example. 300 IN A 192.0.2.1',
    'u.example. 300 IN TYPE65534 \\# 2 ABCD',
    'Z.example. 300 IN A 192.0.2.26',
    '',
  ].join('\n'), 'canonical order (RFC 4034 6.1), SOA first, case folded for order only');
  t.equal(zoneToText(loadZoneText(text, { origin: 'example.' })), text, 'its own output loads back to the same text');
});

t.test('every fault code is documented', async (t) => {
  const docs = readFileSync(path.join(root, 'docs', 'zones.md'), 'utf8');
  const readme = readFileSync(path.join(root, 'src', 'zone', 'README.md'), 'utf8');
  for (const code of Object.keys(ZoneFaultCode)) {
    t.ok(docs.includes(code), `${code} in docs/zones.md`);
    t.ok(readme.includes(code), `${code} in src/zone/README.md`);
  }
  for (const file of ['parser.ts', 'validate.ts', 'load.ts', 'lexer.ts']) {
    const src = readFileSync(path.join(root, 'src', 'zone', file), 'utf8');
    for (const m of src.matchAll(/'(ERR_ZONE_[A-Z_]+)'/g)) t.ok(m[1]! in ZoneFaultCode, `${m[1]} (${file}) is in ZoneFaultCode`);
  }
});

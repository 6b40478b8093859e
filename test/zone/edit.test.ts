// src/zone/edit.ts: serial arithmetic (RFC 1982, date serials, the wrap), records tied to their
// lines, removals that keep inherited owners right, in-place serials, verification, atomic writes.

import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  applyOps, contextAt, nextFileSerial, opsDiff, readZoneSource, readZoneSourceFile, removalOps, serialIncrement,
  serialOp, splitLines, verifyEdit, writeFileAtomic, checkJournal,
} from '../../src/zone/edit.js';
import { ZoneLoadError } from '../../src/zone/errors.js';
import { serialGreater } from '../../src/zone/serial.js';
import { Journal } from '../../src/zone/journal.js';
import { RRType } from '../../src/wire/types.js';

const ZONE = `; a comment that must survive
$ORIGIN example.
$TTL 300
@   3600 IN SOA ns1 host (
            2026010105 ; serial, with its comment
            3600 900 604800 300 )
    3600 IN NS  ns1
ns1      IN A   192.0.2.1
lab      IN A   192.0.2.2   ; lab's v4
         IN AAAA 2001:db8::2
         IN TXT "lab \\"quoted\\" ; not a comment"
web      IN A   192.0.2.3
`;

function tmp(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-edit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('serial arithmetic (RFC 1982)', async (t) => {
  t.ok(serialGreater(2, 1));
  t.notOk(serialGreater(1, 2));
  t.ok(serialGreater(0, 4294967295), '0 follows 2^32-1');
  t.ok(serialGreater(5, 4294967290), 'across the wrap');
  t.notOk(serialGreater(4294967290, 5));
  t.ok(serialGreater(2 ** 31 - 1, 0), 'just under half the space ahead');
  t.notOk(serialGreater(2 ** 31 + 1, 0), 'more than half ahead reads as behind');
  t.equal(serialIncrement(41), 42);
  t.equal(serialIncrement(4294967295), 1, 'the wrap skips 0, as BIND does');
  t.equal(serialIncrement(4294967294), 4294967295);

  const day = new Date(Date.UTC(2026, 10, 25, 12));
  t.equal(nextFileSerial(2026112401, day), 2026112500, 'an older date serial becomes today with 00');
  t.equal(nextFileSerial(2026112501, day), 2026112502, "today's serial goes up by one");
  t.equal(nextFileSerial(2026112599, day), 2026112600, 'the 100th change of a day rolls into the next day');
  t.equal(nextFileSerial(2027010100, day), 2027010101, 'a serial from the future goes up by one');
  t.equal(nextFileSerial(7, day), 8, 'a plain counter goes up by one');
  t.equal(nextFileSerial(2026133001, day), 2026133002, 'not a real date (month 13): a counter');
  t.equal(nextFileSerial(4294967295, day), 1, 'a counter at the top wraps');
  for (const old of [0, 1, 2026112401, 2026112599, 4294967295, 2 ** 31]) {
    t.ok(serialGreater(nextFileSerial(old, day), old), `next of ${old} is greater in serial arithmetic`);
  }
});

t.test('records know their lines; the serial token is found inside parentheses', async (t) => {
  const src = readZoneSource(ZONE, { origin: 'example.' });
  t.same(src.serial, { value: 2026010105, line: 5, col: 13, text: '2026010105' });
  const soa = src.records.find((r) => r.type === RRType.SOA)!;
  t.same([soa.firstLine, soa.endLine], [3, 6], 'the SOA spans its parenthesised lines');
  const txt = src.records.find((r) => r.type === RRType.TXT)!;
  t.same([txt.firstLine, txt.endLine, txt.ownerOmitted], [10, 11, true]);
  const lab = src.records.find((r) => r.name === 'lab.example.' && r.type === RRType.A)!;
  t.equal(lab.ownerText, 'lab');
  const text = applyOps(src.lines, [serialOp(src, 2026010106)]);
  t.equal(text, ZONE.replace('2026010105 ; serial', '2026010106 ; serial'), 'only the serial changes, its comment kept');
  t.same(contextAt(src, 0), { origin: 'example.', ttl: undefined, afterInclude: false });
  t.same(contextAt(src, 5), { origin: 'example.', ttl: 300, afterInclude: false });
});

t.test('removing a line another line took its owner from writes the owner out', async (t) => {
  const src = readZoneSource(ZONE, { origin: 'example.' });
  const labA = src.records.filter((r) => r.name === 'lab.example.' && r.type === RRType.A);
  const ops = [...removalOps(src, labA), serialOp(src, 2026010106)];
  const text = applyOps(src.lines, ops);
  t.match(text, /\nlab      IN AAAA 2001:db8::2\n/, 'the AAAA line now names lab, its columns kept');
  t.match(text, /\n {9}IN TXT/, 'the TXT line still inherits');
  const zone = verifyEdit(src, text, { removed: labA, added: [], serial: 2026010106 });
  t.equal(zone.rrset('lab.example.', RRType.A), undefined);
  t.ok(zone.rrset('lab.example.', RRType.AAAA));
  t.match(opsDiff('z', src.lines, ops), /^--- z\n\+\+\+ z\n@@ -5 \+5 @@\n-.*2026010105.*\n\+.*2026010106.*\n/);
});

t.test('verification refuses an edit whose records are not the intended ones', async (t) => {
  const src = readZoneSource(ZONE, { origin: 'example.' });
  const web = src.records.filter((r) => r.name === 'web.example.');
  const text = applyOps(src.lines, [...removalOps(src, web), serialOp(src, 2026010106)]);
  t.throws(() => verifyEdit(src, text, { removed: [], added: [], serial: 2026010106 }), { code: 'ERR_ZONE_EDIT_VERIFY', message: /missing web\.example\./ });
  t.throws(() => verifyEdit(src, text + 'bad IN A 1.2\n', { removed: web, added: [], serial: 2026010106 }), { code: 'ERR_ZONE_EDIT_VERIFY', message: /would not load/ });
  t.throws(() => verifyEdit(src, text, { removed: web, added: [], serial: 2026010107 }), { code: 'ERR_ZONE_EDIT_VERIFY' }, 'the serial must be the one asked for');
});

t.test('a blank line between a removed block and the end of the file goes with it', async (t) => {
  const text = ZONE + '\nextra    IN A   192.0.2.9\n';
  const src = readZoneSource(text, { origin: 'example.' });
  const extra = src.records.filter((r) => r.name === 'extra.example.');
  t.equal(applyOps(src.lines, removalOps(src, extra)), ZONE);
});

t.test('zones that cannot be edited in place', async (t) => {
  const zeros = readZoneSource('@ 300 IN SOA ns1 host 0007 1h 1h 1h 1h\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.1\n', { origin: 'example.' });
  t.equal(applyOps(zeros.lines, [serialOp(zeros, 8)]).split('\n')[0], '@ 300 IN SOA ns1 host 8 1h 1h 1h 1h', 'leading zeros: the whole token is replaced');
  t.throws(() => readZoneSource('@ IN SOA ns1 host 1 1 1 1 1\n', { origin: 'example.' }), ZoneLoadError, 'a zone that does not load');
  const dir = tmp(t);
  writeFileSync(path.join(dir, 'soa.inc'), '@ 300 IN SOA ns1 host 1 3600 900 604800 300\n');
  writeFileSync(path.join(dir, 'example.zone'), '$INCLUDE soa.inc\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.1\n');
  t.throws(() => readZoneSourceFile(path.join(dir, 'example.zone'), { origin: 'example.' }), { code: 'ERR_ZONE_EDIT_SERIAL' });
  writeFileSync(path.join(dir, 'more.inc'), 'www 300 IN A 192.0.2.7\n');
  writeFileSync(path.join(dir, 'b.zone'), '@ 300 IN SOA ns1 host 1 3600 900 604800 300\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.1\n$INCLUDE more.inc\n');
  const src = readZoneSourceFile(path.join(dir, 'b.zone'), { origin: 'example.' });
  const www = src.records.filter((r) => r.name === 'www.example.');
  t.equal(www[0]!.inFile, false);
  t.throws(() => removalOps(src, www), { code: 'ERR_ZONE_EDIT_INCLUDE' });
  t.same(contextAt(src, 4).afterInclude, true);
});

t.test('atomic write: same folder, mode kept, symlink followed, no temp file left', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'z.zone');
  writeFileSync(file, 'old\n');
  chmodSync(file, 0o640);
  writeFileAtomic(file, 'new\n', { expect: 'old\n' });
  t.equal(readFileSync(file, 'utf8'), 'new\n');
  t.equal(statSync(file).mode & 0o777, 0o640, 'mode kept');
  t.same(readdirSync(dir), ['z.zone'], 'no temporary file left');
  const link = path.join(dir, 'link.zone');
  symlinkSync('z.zone', link);
  writeFileAtomic(link, 'via link\n');
  t.equal(readFileSync(file, 'utf8'), 'via link\n', 'the target is replaced');
  t.ok(statSync(link).isFile() && readFileSync(link, 'utf8') === 'via link\n', 'the link still points at it');
  t.throws(() => writeFileAtomic(file, 'x\n', { expect: 'something else\n' }), { code: 'ERR_ZONE_EDIT_CHANGED' });
  t.equal(readFileSync(file, 'utf8'), 'via link\n', 'nothing written when the file changed under us');
  t.same(readdirSync(dir).sort(), ['link.zone', 'z.zone'], 'temp file cleaned up after a refusal');
  t.throws(() => writeFileAtomic(path.join(dir, 'missing', 'z.zone'), 'x'), { code: 'ERR_ZONE_EDIT_WRITE' });
});

t.test('splitLines keeps line endings', async (t) => {
  t.same(splitLines('a\nb'), ['a\n', 'b']);
  t.same(splitLines(''), []);
  t.equal(splitLines(ZONE).join(''), ZONE);
});

t.test('a journal of dynamic updates newer than the file stops the edit', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'example.zone');
  writeFileSync(file, ZONE);
  const src = readZoneSourceFile(file, { origin: 'example.' });
  checkJournal(src);
  t.pass('no journal: fine');
  const j = Journal.open(path.join(dir, 'example.jnl'));
  j.append({ from: 2026010104, to: 2026010105, time: 0, deleted: [], added: [] });
  checkJournal(src);
  t.pass('a journal the file already holds: fine');
  j.append({ from: 2026010105, to: 2026010106, time: 0, deleted: [], added: [] });
  t.throws(() => checkJournal(src), { code: 'ERR_ZONE_EDIT_JOURNAL', message: /journal at serial 2026010106, file at 2026010105/ });
  t.throws(() => checkJournal(src, dir), { code: 'ERR_ZONE_EDIT_JOURNAL' }, 'the same with --journal-dir');
  checkJournal(src, path.join(dir, 'elsewhere'));
  t.pass('a journal folder without this zone: fine');
  j.close();
});

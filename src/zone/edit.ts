// Minimal, verified edits of a zone file's text: remove whole records, insert lines, bump the SOA
// serial in place, and leave every other byte (comments, spacing, parentheses) as it was.
//
// How: the file is read with the zone parser, and every record is tied to the physical lines of
// its logical line (a record and its parentheses). An edit is a list of line operations; after
// applying them the new text is loaded again and its records must equal the old ones minus the
// removed plus the added, the serial aside, or nothing is written (ERR_ZONE_EDIT_VERIFY). The
// write is atomic: a temporary file in the same folder, fsync, rename over the original.

import { atomicWrite } from '../base/atomic-write.js';
import { AopError } from '../base/errors.js';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { lexZone, type LogicalLine } from './lexer.js';
import { parseZone, type SourcedRR } from './parser.js';
import { validateZone } from './validate.js';
import { Zone } from './zone.js';
import { serialAdd, serialCompare, serialGreater } from './serial.js';
import { decodeJournal } from './journal.js';
import { ZoneLoadError, type ZoneFault } from './errors.js';
import { includeReader, readZoneFileText, safeFault, withOriginFaults, type OriginFrom, type ReadLimits } from './load.js';
import { nameKey, parseName } from '../wire/name.js';
import { WireError } from '../wire/errors.js';
import type { RR } from '../wire/rr.js';
import { parseTtl } from '../wire/ttl.js';
import { RRType } from '../wire/types.js';

/** Every code a ZoneEditError carries (docs/errors.md has a row for each). */
export const ZoneEditCode = {
  ERR_ZONE_EDIT_SERIAL: 'the SOA serial cannot be rewritten in place (in an included file, or not written as a plain number)',
  ERR_ZONE_EDIT_INCLUDE: 'a record to change sits in an $INCLUDEd file; aop edits only the zone file itself',
  ERR_ZONE_EDIT_VERIFY: 'the edited text would not load, or would not hold exactly the intended records (nothing is written)',
  ERR_ZONE_EDIT_CHANGED: 'the zone file changed on disk while it was being edited (nothing is written)',
  ERR_ZONE_EDIT_WRITE: 'the edited zone file could not be written',
  ERR_ZONE_EDIT_JOURNAL: 'the zone has dynamic updates in its journal that the file does not hold yet (nothing is written)',
} as const;
export type ZoneEditCodeName = keyof typeof ZoneEditCode;

export class ZoneEditError extends AopError {
  declare readonly code: ZoneEditCodeName;
  constructor(code: ZoneEditCodeName, message: string) {
    super(code, message);
  }
}

/** A record of the zone file, with the physical lines [firstLine, endLine) (0-based) of its logical line. */
export interface SourceRecord extends SourcedRR {
  /** True when the record is in the zone file itself (not an $INCLUDEd one): only these can be edited. */
  inFile: boolean;
  firstLine: number;
  endLine: number;
  /** The line starts with a space or tab: it takes the previous record's owner. */
  ownerOmitted: boolean;
  /** The owner as written (escapes kept), when not omitted. */
  ownerText?: string;
}

/** A directive of the zone file itself, for the $ORIGIN / $TTL in force at a point. */
interface Directive {
  firstLine: number;
  endLine: number;
  name: string;
  args: string[];
}

/** A zone file read for editing. */
export interface ZoneSource {
  file: string;
  origin: string;
  text: string;
  /** Physical lines, each with its own line ending (the last may have none). */
  lines: string[];
  records: SourceRecord[];
  zone: Zone;
  serial: { value: number; line: number; col: number; text: string };
  /** What reading it was allowed (--include-dir, --max-zone-bytes): the edited text is checked under the same. */
  limits?: ReadLimits;
}

/** Lines of text, each keeping its `\n` (so joining them gives the text back). */
export function splitLines(text: string): string[] {
  const out = text.split(/(?<=\n)/);
  return out.length === 1 && out[0] === '' ? [] : out;
}

/**
 * Line number (1-based) of the LF that ends each logical line beginning on a line, found by the
 * lexer's rules: `;` comments, quotes (an escaped newline continues one), escapes, parentheses.
 */
function logicalEnds(text: string): number[] {
  const ends: number[] = [];
  let depth = 0;
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      if (depth === 0) ends.push(line);
      line++;
      i++;
    } else if (c === ';') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '(') { depth++; i++; }
    else if (c === ')') { if (depth > 0) depth--; i++; }
    else if (c === '"') {
      i++;
      while (i < n && text[i] !== '"' && text[i] !== '\n') {
        if (text[i] === '\\' && i + 1 < n) {
          if (text[i + 1] === '\n') line++;
          i += 2;
        } else i++;
      }
      if (text[i] === '"') i++;
    } else if (c === '\\') {
      i += i + 1 < n && text[i + 1] !== '\n' ? 2 : 1;
    } else i++;
  }
  ends.push(line);
  return ends;
}

/** Parse and validate, as loadZoneFile does, but keep the records' positions. Throws ZoneLoadError. */
function load(text: string, origin: string, file: string, include: boolean | ((p: string) => string), from: OriginFrom | undefined): { records: SourcedRR[]; zone: Zone } {
  // $INCLUDEs read as the loader reads them: regular files inside the zone's folder or an
  // --include-dir, within the zone's byte budget (load.ts ReadLimits).
  const reader = typeof include === 'function' ? include : include ? includeReader(origin, file) : undefined;
  const parsed = parseZone(text, { origin, file, ...(reader ? { include: reader } : {}) });
  const validation = parsed.faults.length > 0 ? [] : validateZone(origin, parsed.records, file);
  const faults: ZoneFault[] = withOriginFaults(origin, from, parsed.leadingOrigin, parsed.faults.map(safeFault), validation, file);
  if (faults.length > 0) throw new ZoneLoadError(faults, { origin, file });
  return { records: parsed.records, zone: new Zone(origin, parsed.records) };
}

/**
 * Read zone text for editing. `file` names it (and is where $INCLUDE paths start when
 * `includes` is true, as for a real file). Throws ZoneLoadError when the zone does not load,
 * ZoneEditError ERR_ZONE_EDIT_SERIAL when its serial cannot be rewritten in place.
 */
export function readZoneSource(text: string, opts: { origin: string; file?: string; includes?: boolean | ((p: string) => string); originFrom?: OriginFrom }): ZoneSource {
  const file = opts.file ?? '<text>';
  let origin: string;
  try {
    origin = parseName(opts.origin);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    throw new ZoneLoadError([{ file, line: 1, col: 1, code: 'ERR_ZONE_BAD_ORIGIN', message: `bad origin "${opts.origin}": ${e.message}` }], { file });
  }
  const { records, zone } = load(text, origin, file, opts.includes ?? false, opts.originFrom);
  const logical = lexZone(text);
  const ends = logicalEnds(text);
  // Logical lines of the file itself, by the position of their first token.
  const byPos = new Map<string, { l: LogicalLine; end: number }>();
  let e = 0;
  for (const l of logical) {
    while (e < ends.length - 1 && ends[e]! < l.line) e++;
    const first = l.tokens[0]!;
    byPos.set(`${first.line}:${first.col}`, { l, end: ends[e]! });
  }
  const src: SourceRecord[] = records.map((rr) => {
    const at = rr.file === file ? byPos.get(`${rr.line}:${rr.col}`) : undefined;
    if (at === undefined) return { ...rr, inFile: false, firstLine: -1, endLine: -1, ownerOmitted: false };
    const r: SourceRecord = { ...rr, inFile: true, firstLine: at.l.line - 1, endLine: at.end, ownerOmitted: at.l.ownerOmitted };
    if (!at.l.ownerOmitted) r.ownerText = at.l.tokens[0]!.text;
    return r;
  });
  const soa = src.find((r) => r.type === RRType.SOA)!;
  return { file, origin, text, lines: splitLines(text), records: src, zone, serial: serialToken(soa, byPos, file) };
}

/** Read a zone file for editing, its $INCLUDEs read as the loader reads them, under the same limits. */
export function readZoneSourceFile(file: string, opts: { origin: string; originFrom?: OriginFrom; limits?: ReadLimits }): ZoneSource {
  const { text, include } = readZoneFileText(file, opts.origin, opts.limits);
  const src = readZoneSource(text, { origin: opts.origin, file, includes: include, ...(opts.originFrom ? { originFrom: opts.originFrom } : {}) });
  if (opts.limits) src.limits = opts.limits;
  return src;
}

/** Where the serial is written: the SOA's third RDATA token (mname, rname, serial). */
function serialToken(soa: SourceRecord, byPos: Map<string, { l: LogicalLine }>, file: string): ZoneSource['serial'] {
  if (!soa.inFile) throw new ZoneEditError('ERR_ZONE_EDIT_SERIAL', `${file}: the SOA record is in an $INCLUDEd file (${soa.file}); aop edits only the zone file itself`);
  const l = byPos.get(`${soa.line}:${soa.col}`)!.l;
  const typeAt = l.tokens.findIndex((t, i) => (i > 0 || l.ownerOmitted) && !t.quoted && t.text.toUpperCase() === 'SOA');
  const tok = l.tokens[typeAt + 3];
  const value = soa.rdata.readUInt32BE(soa.rdata.length - 20);
  if (typeAt < 0 || tok === undefined || tok.quoted || !/^\d+$/.test(tok.text) || Number(tok.text) !== value) {
    throw new ZoneEditError('ERR_ZONE_EDIT_SERIAL', `${file}:${soa.line}:${soa.col}: the SOA serial is not written as a plain number aop can rewrite in place`);
  }
  return { value, line: tok.line, col: tok.col, text: tok.text };
}

// ------------------------------------------------------------------------------------ serials

const TWO_32 = 2 ** 32;

/** s + 1 in RFC 1982 arithmetic, skipping 0 after the wrap as BIND does (0 reads as "unset" to some tools). */
export function serialIncrement(s: number): number {
  const n = serialAdd(s, 1);
  return n === 0 ? 1 : n;
}

/** The date part of a YYYYMMDDnn serial, or undefined when it does not look like one. */
function dateSerial(s: number): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})\d{2}$/.exec(String(s));
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1990 || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return y * 10000 + mo * 100 + d;
}

/**
 * The next serial. A YYYYMMDDnn serial becomes today's date (UTC) with nn = 00 when that is
 * greater, else it goes up by one (the 100th change of a day rolls into the next day, as BIND's
 * date method does); any other serial goes up by one. Always greater in RFC 1982 terms.
 */
export function nextFileSerial(old: number, now: Date = new Date()): number {
  if (dateSerial(old) !== undefined) {
    const today = (now.getUTCFullYear() * 10000 + (now.getUTCMonth() + 1) * 100 + now.getUTCDate()) * 100;
    if (today < TWO_32 && serialGreater(today, old)) return today;
  }
  return serialIncrement(old);
}

// ------------------------------------------------------------------------------------- edits

/** Replace physical lines [from, to) with `lines` (each ending in '\n'). */
export interface LineOp {
  from: number;
  to: number;
  lines: string[];
}

/** The $ORIGIN and $TTL in force just before physical line `line` of the file (0-based). */
export function contextAt(src: ZoneSource, line: number): { origin: string; ttl: number | undefined; afterInclude: boolean } {
  let origin = src.origin;
  let ttl: number | undefined;
  let afterInclude = false;
  for (const d of directives(src)) {
    if (d.firstLine >= line) break;
    if (d.name === '$ORIGIN' && d.args[0] !== undefined) origin = parseName(d.args[0], origin);
    else if (d.name === '$TTL' && d.args[0] !== undefined) ttl = parseTtl(d.args[0]);
    else if (d.name === '$INCLUDE') afterInclude = true;
  }
  return { origin, ttl, afterInclude };
}

function directives(src: ZoneSource): Directive[] {
  const ends = logicalEnds(src.text);
  const out: Directive[] = [];
  let e = 0;
  for (const l of lexZone(src.text)) {
    const first = l.tokens[0];
    if (first === undefined || l.ownerOmitted || first.quoted || !first.text.startsWith('$')) continue;
    while (e < ends.length - 1 && ends[e]! < l.line) e++;
    out.push({ firstLine: l.line - 1, endLine: ends[e]!, name: first.text.toUpperCase(), args: l.tokens.slice(1).map((t) => t.text) });
  }
  return out;
}

/** Text after a line op list (non-overlapping; insertions at one line keep their order). */
export function applyOps(lines: readonly string[], ops: readonly LineOp[]): string {
  const sorted = sortOps(ops);
  let out = '';
  let at = 0;
  for (const op of sorted) {
    if (op.from < at) throw new Error(`overlapping edits at line ${op.from + 1}`);
    out += lines.slice(at, op.from).join('') + op.lines.join('');
    at = op.to;
  }
  return out + lines.slice(at).join('');
}

function sortOps(ops: readonly LineOp[]): LineOp[] {
  // Stable: pure insertions at a line go before a replacement starting there.
  return ops.map((op, i) => ({ op, i })).sort((a, b) => a.op.from - b.op.from || (a.op.to - a.op.from) - (b.op.to - b.op.from) || a.i - b.i).map((x) => x.op);
}

/** A unified diff (no context lines, like `diff -U0`) of a line op list; touching ops make one hunk. */
export function opsDiff(file: string, lines: readonly string[], ops: readonly LineOp[]): string {
  const merged: LineOp[] = [];
  for (const op of sortOps(ops)) {
    const prev = merged[merged.length - 1];
    if (prev !== undefined && prev.to === op.from) merged[merged.length - 1] = { from: prev.from, to: op.to, lines: [...prev.lines, ...op.lines] };
    else merged.push(op);
  }
  let out = `--- ${file}\n+++ ${file}\n`;
  let shift = 0;
  const strip = (l: string): string => l.replace(/\r?\n$/, '');
  for (const m of merged) {
    // A replacement that writes some lines back as they were shows only the lines that differ.
    let { from, to } = m;
    let newLines = m.lines;
    while (from < to && newLines.length > 0 && lines[from] === newLines[0]) { from++; newLines = newLines.slice(1); }
    while (from < to && newLines.length > 0 && lines[to - 1] === newLines[newLines.length - 1]) { to--; newLines = newLines.slice(0, -1); }
    if (from === to && newLines.length === 0) continue;
    const op = { from, to, lines: newLines };
    const oldCount = op.to - op.from;
    const newCount = op.lines.length;
    const oldStart = oldCount === 0 ? op.from : op.from + 1;
    const newStart = newCount === 0 ? op.from + shift : op.from + shift + 1;
    out += `@@ -${oldStart}${oldCount === 1 ? '' : `,${oldCount}`} +${newStart}${newCount === 1 ? '' : `,${newCount}`} @@\n`;
    for (const l of lines.slice(op.from, op.to)) out += `-${strip(l)}\n`;
    for (const l of op.lines) out += `+${strip(l)}\n`;
    shift += newCount - oldCount;
  }
  return out;
}

/** The line op that writes a new serial over the old one, in place. */
export function serialOp(src: ZoneSource, serial: number): LineOp {
  const { line, col, text } = src.serial;
  const l = src.lines[line - 1]!;
  return { from: line - 1, to: line, lines: [l.slice(0, col - 1) + String(serial) + l.slice(col - 1 + text.length)] };
}

/**
 * Line ops that remove these records (whole logical lines). A kept line that took its owner from
 * a removed line gets the owner written out, aligned as before; a blank line left alone between
 * a removed block and the end of the file, or another blank line, goes with the block.
 * `anchors` are lines where other ops will insert text: removals are split there and keep
 * their blank lines, so the inserted text takes the removed text's place.
 */
export function removalOps(src: ZoneSource, remove: readonly SourceRecord[], anchors: readonly number[] = []): LineOp[] {
  for (const r of remove) {
    if (!r.inFile) throw new ZoneEditError('ERR_ZONE_EDIT_INCLUDE', `${r.file}:${r.line}:${r.col}: this record is in an $INCLUDEd file; edit that file by hand`);
  }
  const removed = new Set(remove);
  const gone = new Set<number>();
  for (const r of remove) for (let i = r.firstLine; i < r.endLine; i++) gone.add(i);
  const ops: LineOp[] = [];
  const inFile = src.records.filter((r) => r.inFile).sort((a, b) => a.firstLine - b.firstLine);
  const dirs = directives(src);
  // Owners that must be written out on kept lines.
  for (let k = 0; k < inFile.length; k++) {
    const r = inFile[k]!;
    if (!removed.has(r) || r.ownerOmitted) continue;
    for (let j = k + 1; j < inFile.length; j++) {
      const next = inFile[j]!;
      if (!next.ownerOmitted) break;
      if (removed.has(next)) continue;
      const crossed = dirs.some((d) => d.firstLine > r.firstLine && d.firstLine < next.firstLine);
      const owner = crossed ? r.name : r.ownerText!;
      const line = src.lines[next.firstLine]!;
      const ws = /^[ \t]*/.exec(line)![0];
      const prefix = ws.includes('\t') ? `${owner}\t` : owner.length < ws.length ? owner.padEnd(ws.length) : `${owner} `;
      ops.push({ from: next.firstLine, to: next.firstLine + 1, lines: [prefix + line.slice(ws.length)] });
      break;
    }
  }
  const blank = (i: number): boolean => i >= 0 && i < src.lines.length && /^[ \t\r]*\n?$/.test(src.lines[i]!);
  const sorted = [...gone].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1 && !anchors.includes(sorted[j + 1]!)) j++;
    let from = sorted[i]!;
    const to = sorted[j]! + 1;
    const anchored = anchors.some((a) => a >= from && a <= to);
    if (!anchored && blank(from - 1) && !gone.has(from - 1) && (to >= src.lines.length || blank(to))) from--;
    ops.push({ from, to, lines: [] });
    i = j + 1;
  }
  return ops;
}

/** Multiset key of a record, TTL included. */
function rrKey(rr: RR): string {
  return `${nameKey(rr.name)}|${rr.type}|${rr.ttl}|${rr.rdata.toString('hex')}`;
}

/**
 * Load the edited text and check it holds exactly the old records minus `removed` plus `added`,
 * with the SOA's serial now `serial`. Throws ZoneEditError ERR_ZONE_EDIT_VERIFY (with the faults
 * or the differences) otherwise; returns the new zone.
 */
export function verifyEdit(src: ZoneSource, text: string, change: { removed: readonly RR[]; added: readonly RR[]; serial: number }): Zone {
  let zone: Zone;
  try {
    zone = load(text, src.origin, src.file, src.file !== '<text>' && includeReader(src.origin, src.file, src.limits), undefined).zone;
  } catch (e) {
    if (e instanceof ZoneLoadError) throw new ZoneEditError('ERR_ZONE_EDIT_VERIFY', `the edited zone would not load, so nothing was written:\n${e.message}`);
    throw e;
  }
  const count = new Map<string, number>();
  const bump = (rr: RR, by: number): void => {
    const k = rrKey(rr);
    count.set(k, (count.get(k) ?? 0) + by);
  };
  for (const rr of src.zone.records()) {
    if (rr.type === RRType.SOA) {
      const rdata = Buffer.from(rr.rdata);
      rdata.writeUInt32BE(change.serial, rdata.length - 20);
      bump({ ...rr, rdata }, 1);
    } else bump(rr, 1);
  }
  for (const rr of change.removed) bump(rr, -1);
  for (const rr of change.added) bump(rr, 1);
  for (const rr of zone.records()) bump(rr, -1);
  const off = [...count].filter(([, n]) => n !== 0);
  if (off.length > 0) {
    const show = off.slice(0, 5).map(([k, n]) => `${n > 0 ? 'missing' : 'unexpected'} ${k.split('|').slice(0, 3).join(' ')}`).join('; ');
    throw new ZoneEditError('ERR_ZONE_EDIT_VERIFY', `the edited zone would not hold exactly the intended records, so nothing was written (${show})`);
  }
  return zone;
}

// -------------------------------------------------------------------------------- atomic write

/**
 * Replace `file` with `text` atomically: a temporary file in the same folder (so rename cannot
 * cross file systems), written and fsynced, given the original's mode (and owner, when allowed),
 * then renamed over the original, and the folder fsynced. A symlink is followed: its target is
 * replaced. With `expect`, the file must still hold exactly that text (ERR_ZONE_EDIT_CHANGED).
 */
export function writeFileAtomic(file: string, text: string, opts: { expect?: string } = {}): void {
  let real: string;
  let st: ReturnType<typeof statSync>;
  try {
    real = realpathSync(file);
    st = statSync(real);
  } catch (e) {
    throw new ZoneEditError('ERR_ZONE_EDIT_WRITE', `cannot write ${file}: ${(e as Error).message}`);
  }
  try {
    atomicWrite(real, text, {
      mode: st.mode & 0o7777,
      owner: { uid: st.uid, gid: st.gid },
      beforeRename: () => {
        if (opts.expect !== undefined && readFileSync(real, 'utf8') !== opts.expect) {
          throw new ZoneEditError('ERR_ZONE_EDIT_CHANGED', `${file} changed on disk while it was being edited; nothing was written, run the command again`);
        }
      },
    });
  } catch (e) {
    if (e instanceof ZoneEditError) throw e;
    throw new ZoneEditError('ERR_ZONE_EDIT_WRITE', `cannot write ${file}: ${(e as Error).message}`);
  }
}

/**
 * Refuse to edit a zone file that is not the whole zone: when the daemon's journal
 * (`<origin>.jnl`, in `journalDir` or beside the file) holds accepted dynamic updates newer than
 * the file's serial, an edit of the file would be replayed under them or drop them. Throws
 * ZoneEditError ERR_ZONE_EDIT_JOURNAL. A journal whose changes the file already holds is fine:
 * the daemon restarts it when it loads the file's higher serial.
 */
export function checkJournal(src: ZoneSource, journalDir?: string): void {
  const file = path.join(journalDir ?? path.dirname(src.file), `${nameKey(src.origin).replace(/\.$/, '')}.jnl`);
  if (!existsSync(file)) return;
  let changes;
  try {
    changes = decodeJournal(readFileSync(file), file).changes;
  } catch (e) {
    throw new ZoneEditError('ERR_ZONE_EDIT_JOURNAL', `cannot read the zone's journal ${file}: ${(e as Error).message}; nothing was written`);
  }
  const ahead = changes.filter((c) => serialCompare(c.to, src.serial.value) === 1);
  if (ahead.length > 0) {
    const newest = ahead[ahead.length - 1]!.to;
    throw new ZoneEditError('ERR_ZONE_EDIT_JOURNAL', `zone ${src.origin} has dynamic updates in ${file} that ${src.file} does not hold (journal at serial ${newest}, file at ${src.serial.value}); change the zone with aop register / aop deregister instead, or let the daemon write the file out first; nothing was written`);
  }
}

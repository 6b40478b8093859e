// Zone loading: zone text or file -> parsed, validated Zone, or a ZoneLoadError listing every
// fault; a folder of <origin>.zone files; and a zone's canonical text (like named-compilezone -o -).

import type { Progress } from '../base/progress.js';
import { closeSync, constants as fsc, fstatSync, openSync, readdirSync, readSync, realpathSync, type Stats } from 'node:fs';
import { isAscii, isUtf8 } from 'node:buffer';
import path from 'node:path';
import { type ZoneFault, ZoneLoadError } from './errors.js';
import { drain, parseZone, parseZoneSteps, type LeadingOrigin } from './parser.js';
import { setImmediate as turn } from 'node:timers/promises';
import { lexChunks } from './lexer.js';
import { validateZone } from './validate.js';
import { Zone } from './zone.js';
import { stampFile, type FileStamp } from './file-stamp.js';
import { isInDomain, labelCount, nameKey, nameToLabels, parseName } from '../wire/name.js';
import { WireError } from '../wire/errors.js';
import { rdataToText } from '../wire/rdata.js';
import { RRClass, RRType, classToString, typeToString } from '../wire/types.js';

export { ZoneLoadError, formatFault } from './errors.js';
export type { ZoneFault } from './errors.js';

/**
 * What loading one zone may read (docs/operations.md, "Limits"). Only regular files are read
 * (a FIFO would block the daemon, /dev/zero fill its memory), at most `maxZoneBytes` octets for
 * the zone file and its includes together, and $INCLUDE only inside the zone file's folder or
 * an `includeDirs` folder, symlinks resolved (a zone must not serve /etc/shadow or log the environ).
 */
export interface ReadLimits {
  /** Most octets read for one zone, its file and every $INCLUDEd file together (default 1 GiB). */
  maxZoneBytes?: number;
  /** Folders besides the zone file's own that $INCLUDE may read from. */
  includeDirs?: readonly string[];
}

/** 1 GiB: the 1,000,000-agent zone of docs/benchmarks.md is about 370 MB. */
export const DEFAULT_MAX_ZONE_BYTES = 1 << 30;

/** Octets left to read for one zone. */
interface Budget { left: number; max: number }

function budgetOf(limits: ReadLimits | undefined): Budget {
  const max = limits?.maxZoneBytes ?? DEFAULT_MAX_ZONE_BYTES;
  return { left: max, max };
}

/** What a file that is not a regular one is, for the refusal. */
function kindOf(st: Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device'
    : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a regular file';
}

/**
 * Open a file for reading only when it is a regular file (symlinks followed): O_NONBLOCK so that
 * opening a FIFO does not wait for a writer, then fstat. Throws Error with a short reason.
 */
function openRegular(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, fsc.O_RDONLY | fsc.O_NONBLOCK | (fsc.O_NOCTTY ?? 0));
  } catch (e) {
    throw new Error(ioReason(e));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`it is ${kindOf(st)}, not a regular file`);
  } catch (e) {
    closeSync(fd);
    throw e instanceof Error && !(e as NodeJS.ErrnoException).code ? e : new Error(ioReason(e));
  }
  return fd;
}

function tooLarge(b: Budget): Error {
  return new Error(`the zone and its includes are larger than the limit of ${b.max} octets (--max-zone-bytes)`);
}

/** A regular file's octets, at most what the budget has left. Throws Error with a short reason. */
function readBounded(file: string, budget: Budget): Buffer {
  const fd = openRegular(file);
  try {
    const size = fstatSync(fd).size;
    if (size > budget.left) throw tooLarge(budget);
    // One octet more than the budget allows, to notice a file that grew while it was read.
    let buf = Buffer.allocUnsafe(Math.min(Math.max(size, 4096), budget.left + 1));
    let have = 0;
    for (;;) {
      if (have === buf.length) {
        if (have > budget.left) throw tooLarge(budget);
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, budget.left + 1));
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      let got: number;
      try {
        got = readSync(fd, buf, have, buf.length - have, null);
      } catch (e) {
        throw new Error(ioReason(e));
      }
      if (got === 0) break;
      have += got;
    }
    if (have > budget.left) throw tooLarge(budget);
    budget.left -= have;
    return buf.subarray(0, have);
  } finally {
    closeSync(fd);
  }
}

/** The real path of a folder, or the path itself when it cannot be resolved. */
function realOr(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel);
}

/**
 * Where the origin given to the loader came from, for the faults that compare it with the file's
 * own `$ORIGIN`: `file-name` (loadZoneDir; `aop zone check` without --origin) also refuses a
 * single-label origin the file does not confirm with a `$ORIGIN` of its own (docs/zones.md).
 */
export type OriginFrom = 'file-name' | 'flag';

/** How the origin is named in faults. */
function originWords(origin: string, from: OriginFrom | undefined): string {
  return from === 'file-name' ? `the file name's origin ${origin}` : from === 'flag' ? `--origin ${origin}` : `the zone's origin ${origin}`;
}

/** A one-label origin taken from a file name alone (noorigin.zone, no $ORIGIN): almost surely not the zone meant. */
function implicitOriginFault(origin: string, from: OriginFrom | undefined, leading: LeadingOrigin | undefined, file: string): ZoneFault | undefined {
  if (from !== 'file-name' || leading !== undefined || labelCount(origin) !== 1) return undefined;
  return {
    file, line: 1, col: 1, code: 'ERR_ZONE_ORIGIN_IMPLICIT',
    message: `the origin ${origin} comes only from the file name and is a single label (a top-level zone): `
      + `if that is meant, put "$ORIGIN ${origin}" above the records; else name the file after the zone's full origin (acme.agents.zone) or give --origin`,
  };
}

/**
 * The file's leading $ORIGIN is neither the origin nor inside it, and records fell out of the zone:
 * one fault naming the mismatch instead of one out-of-zone fault per record.
 */
function mismatchFault(origin: string, from: OriginFrom | undefined, leading: LeadingOrigin | undefined, faults: readonly ZoneFault[]): ZoneFault | undefined {
  if (leading === undefined || isInDomain(leading.name, origin)) return undefined;
  const lost = faults.filter((f) => f.code === 'ERR_ZONE_OUT_OF_ZONE').length;
  if (lost === 0) return undefined;
  const fix = from === 'file-name' && leading.name !== '.' ? `rename the file to ${leading.name.replace(/\.$/, '')}.zone or correct the $ORIGIN line`
    : from === 'flag' && leading.name !== '.' ? `give --origin ${leading.name.replace(/\.$/, '')} or correct the $ORIGIN line`
    : 'correct the $ORIGIN line';
  return {
    file: leading.file, line: leading.line, col: leading.col, code: 'ERR_ZONE_ORIGIN_MISMATCH',
    message: `$ORIGIN ${leading.name} does not match ${originWords(origin, from)} (${lost} record${lost === 1 ? '' : 's'} outside the zone): ${fix}`,
  };
}

/** Faults a wrong origin causes besides the records outside the zone; left out beside ERR_ZONE_ORIGIN_MISMATCH. */
const ORIGIN_CONSEQUENTIAL = new Set(['ERR_ZONE_OUT_OF_ZONE', 'ERR_ZONE_NO_SOA', 'ERR_ZONE_NO_NS', 'ERR_ZONE_NO_GLUE', 'ERR_ZONE_SOA_NOT_AT_APEX']);

/**
 * A zone's faults with the origin rules applied (see OriginFrom): ERR_ZONE_ORIGIN_IMPLICIT and
 * ERR_ZONE_ORIGIN_MISMATCH first, as they may cause the rest; beside a mismatch, the faults it
 * causes are left out. `validation` are validateZone's faults, `parsed` the parser's.
 */
export function withOriginFaults(
  origin: string, from: OriginFrom | undefined, leading: LeadingOrigin | undefined, parsed: readonly ZoneFault[], validation: readonly ZoneFault[], file: string,
): ZoneFault[] {
  const mismatch = mismatchFault(origin, from, leading, validation);
  const rest = mismatch ? validation.filter((f) => !ORIGIN_CONSEQUENTIAL.has(f.code)) : validation;
  const implicit = implicitOriginFault(origin, from, leading, file);
  return [...(implicit ? [implicit] : []), ...(mismatch ? [mismatch] : []), ...parsed, ...rest];
}

/** Thrown inside the fast path to give up on it (the full path then finds what is wrong). */
const GIVE_UP = Symbol('give up');

/**
 * The fast way to a zone, for zones without faults: records go into the zone as they are
 * parsed (no list of records, no maps besides the zone's own), the rules are checked on the
 * built zone (Zone.faultFree). Undefined when there is any fault, or when `chunks` throws
 * GIVE_UP: the caller then loads the zone the full way (build) for the faults and their places,
 * which costs a second parse only for zones that fail.
 */
function buildFast(chunks: Iterable<string>, origin: string, file: string | undefined, include: ((p: string) => string) | undefined, from?: OriginFrom): Zone | undefined {
  return drain(buildFastSteps(chunks, origin, file, include, from));
}

/** buildFast in steps: pauses (yields) as the parse does (parseZoneSteps). */
function* buildFastSteps(chunks: Iterable<string>, origin: string, file: string | undefined, include: ((p: string) => string) | undefined, from?: OriginFrom): Generator<void, Zone | undefined, undefined> {
  let canonical: string;
  try {
    canonical = parseName(origin);
  } catch (e) {
    if (e instanceof WireError) return undefined;
    throw e;
  }
  const zone = Zone.building(canonical, RRClass.IN);
  let faults: ZoneFault[];
  let leading: LeadingOrigin | undefined;
  try {
    ({ faults, leadingOrigin: leading } = yield* parseZoneSteps(lexChunks(chunks), { origin: canonical, ...(file !== undefined ? { file } : {}), ...(include ? { include } : {}) }, (owner, type, ttl, rdata, run) => {
      if (!zone.add(owner, type, RRClass.IN, ttl, rdata, run)) throw GIVE_UP; // out-of-zone data
    }));
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
  if (faults.length > 0 || implicitOriginFault(canonical, from, leading, file ?? '<text>') !== undefined) return undefined;
  zone.finish();
  return zone.faultFree() ? zone : undefined;
}

/** Zone files are read this many octets at a time. */
const CHUNK = 1 << 23;

/**
 * A zone file's text in pieces that end at line feeds, checked as UTF-8 (GIVE_UP when it is not
 * valid, or cannot be read: the full path reports where and why).
 */
function* fileChunks(file: string, budget: Budget, onRead?: (read: number, size: number) => void): Generator<string, void, undefined> {
  let fd: number;
  try {
    fd = openRegular(file);
  } catch {
    throw GIVE_UP;
  }
  const size = onRead ? fstatSync(fd).size : 0;
  let read = 0;
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let have = 0; // octets in buf not yet given out
    for (;;) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      let got: number;
      try {
        got = readSync(fd, buf, have, buf.length - have, null);
      } catch {
        throw GIVE_UP;
      }
      const end = have + got;
      budget.left -= got;
      read += got;
      onRead?.(read, size);
      if (budget.left < 0) throw GIVE_UP;
      if (got === 0) {
        if (end > 0) yield decodeChunk(buf.subarray(0, end));
        return;
      }
      const lf = buf.lastIndexOf(0x0a, end - 1);
      if (lf < 0) {
        have = end;
        continue;
      }
      const text = decodeChunk(buf.subarray(0, lf + 1));
      buf.copy(buf, 0, lf + 1, end);
      have = end - lf - 1;
      yield text;
    }
  } finally {
    closeSync(fd);
  }
}

function decodeChunk(b: Buffer): string {
  if (isAscii(b)) return b.toString('latin1'); // the same string, decoded faster
  if (!isUtf8(b)) throw GIVE_UP;
  return b.toString('utf8');
}

/** Faults that a record lost to an earlier syntax fault may cause; not reported beside syntax faults. */
const CONSEQUENTIAL = new Set(['ERR_ZONE_NO_SOA', 'ERR_ZONE_NO_NS', 'ERR_ZONE_NO_GLUE']);

function build(text: string, origin: string, file: string | undefined, include: ((p: string) => string) | undefined, from?: OriginFrom): Zone {
  const shown = file ?? '<text>';
  let canonical: string;
  try {
    canonical = parseName(origin);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    const f: ZoneFault = { file: shown, line: 1, col: 1, code: 'ERR_ZONE_BAD_ORIGIN', message: `bad origin "${origin}": ${e.message}` };
    throw new ZoneLoadError([f], withFile({ origin }, file));
  }
  const parsed = parseZone(text, { origin: canonical, ...(file !== undefined ? { file } : {}), ...(include ? { include } : {}) });
  let faults = validateZone(canonical, parsed.records, shown);
  if (parsed.faults.length > 0) faults = faults.filter((f) => !CONSEQUENTIAL.has(f.code));
  const all = withOriginFaults(canonical, from, parsed.leadingOrigin, parsed.faults.map(safeFault), faults, shown);
  if (all.length > 0) throw new ZoneLoadError(all, withFile({ origin: canonical }, file));
  return new Zone(canonical, parsed.records, RRClass.IN);
}

/** Longest piece of file text a fault message quotes; the rest is cut (an $INCLUDEd secret must not reach the log). */
export const MAX_SHOWN_TOKEN = 40;
/** Longest fault message, as a backstop for messages that quote text unquoted. */
const MAX_MESSAGE = 400;

/**
 * A parser fault as it may be shown: control characters as \DDD, each quoted piece ('...' or
 * "...") cut to MAX_SHOWN_TOKEN characters, the message to MAX_MESSAGE.
 */
export function safeFault(f: ZoneFault): ZoneFault {
  const esc = (t: string): string => t.replace(/[\x00-\x1f\x7f]/g, (c) => `\\${c.charCodeAt(0).toString().padStart(3, '0')}`);
  const cut = (t: string): string => (t.length > MAX_SHOWN_TOKEN ? `${t.slice(0, MAX_SHOWN_TOKEN)}...` : t);
  let m = f.message.replace(/'([^'\n]*)'|"([^"\n]*)"/g, (all, a: string | undefined, b: string | undefined) => (a !== undefined ? `'${cut(a)}'` : `"${cut(b!)}"`));
  m = esc(m);
  if (m.length > MAX_MESSAGE) m = `${m.slice(0, MAX_MESSAGE)}...`;
  return m === f.message ? f : { ...f, message: m };
}

function withFile<T extends object>(o: T, file: string | undefined): T & { file?: string } {
  return file === undefined ? o : { ...o, file };
}

/**
 * Load zone text. `file` only names the text in faults: $INCLUDE is a fault here, since the
 * text has no folder to read from (loadZoneFile reads includes). Throws ZoneLoadError.
 */
export function loadZoneText(text: string, opts: { origin: string; file?: string; originFrom?: OriginFrom }): Zone {
  return buildFast([text], opts.origin, opts.file, undefined, opts.originFrom) ?? build(text, opts.origin, opts.file, undefined, opts.originFrom);
}

/**
 * How $INCLUDEd files of `zoneFile` are read: only inside its folder or `limits.includeDirs`
 * (real paths), only regular files, within the zone's budget; bytes decoded as the zone file's
 * are; a refusal or read failure says why (the parser makes it an ERR_ZONE_INCLUDE fault).
 */
export function includeReader(origin: string, zoneFile: string, limits?: ReadLimits, budget: Budget = budgetOf(limits), onFile?: (real: string) => void): (p: string) => string {
  const roots = [realOr(path.dirname(path.resolve(zoneFile))), ...(limits?.includeDirs ?? []).map(realOr)];
  return (p) => {
    let real: string;
    try {
      real = realpathSync(p);
    } catch (e) {
      throw new Error(ioReason(e));
    }
    if (!roots.some((r) => inside(r, real))) {
      throw new Error(`${real} is outside the zone's folder ${roots[0]}${roots.length > 1 ? ' and the --include-dir folders' : ''} (allow another folder with --include-dir)`);
    }
    onFile?.(real);
    return decodeZoneBytes(readBounded(real, budget), p, origin);
  };
}

/**
 * Load and validate a zone file, its $INCLUDEs read relative to its folder. `originFrom` says
 * where the origin came from (see OriginFrom); `limits` what may be read (see ReadLimits).
 * Throws ZoneLoadError.
 */
export function loadZoneFile(file: string, opts: { origin: string; originFrom?: OriginFrom; limits?: ReadLimits }): Zone {
  const budget = budgetOf(opts.limits);
  const include = includeReader(opts.origin, file, opts.limits, budget);
  return buildFast(fileChunks(file, budget), opts.origin, file, include, opts.originFrom) ?? loadZoneFileFully(file, opts);
}

/** Most milliseconds loadZoneFileAsync works before it gives the event loop a turn. */
export const LOAD_SLICE_MS = 10;

/**
 * loadZoneFile that lets other work run while it parses: the event loop gets a turn every
 * LOAD_SLICE_MS of parsing, so a big zone does not hold up the answers of the others. What is
 * not sliced: reading (8 MiB at a time), the $INCLUDEs, the zone's final checks, and the full
 * path a zone with faults takes for its fault list. Throws ZoneLoadError.
 */
export async function loadZoneFileAsync(file: string, opts: { origin: string; originFrom?: OriginFrom; limits?: ReadLimits; onRead?: (read: number, size: number) => void; onInclude?: (real: string) => void }): Promise<Zone> {
  const budget = budgetOf(opts.limits);
  const include = includeReader(opts.origin, file, opts.limits, budget, opts.onInclude);
  const steps = buildFastSteps(fileChunks(file, budget, opts.onRead), opts.origin, file, include, opts.originFrom);
  let since = performance.now();
  let r: IteratorResult<void, Zone | undefined>;
  for (;;) {
    r = steps.next();
    if (r.done) break;
    if (performance.now() - since >= LOAD_SLICE_MS) {
      await turn();
      since = performance.now();
    }
  }
  return r.value ?? loadZoneFileFully(file, opts);
}

/**
 * A zone file's text as the loader reads it (a regular file, within the budget of `limits`), and
 * the reader of its includes sharing that budget. Throws ZoneLoadError ERR_ZONE_READ or ERR_ZONE_ENCODING.
 */
export function readZoneFileText(file: string, origin: string, limits?: ReadLimits): { text: string; include: (p: string) => string } {
  const budget = budgetOf(limits);
  let bytes: Buffer;
  try {
    bytes = readBounded(file, budget);
  } catch (e) {
    const f: ZoneFault = { file, line: 1, col: 1, code: 'ERR_ZONE_READ', message: `cannot read zone file: ${(e as Error).message}` };
    throw new ZoneLoadError([f], { origin, file });
  }
  return { text: decodeZoneBytes(bytes, file, origin), include: includeReader(origin, file, limits, budget) };
}

/** loadZoneFile the full way: the whole text, every record, validateZone. */
function loadZoneFileFully(file: string, opts: { origin: string; originFrom?: OriginFrom; limits?: ReadLimits }): Zone {
  const { text, include } = readZoneFileText(file, opts.origin, opts.limits);
  return build(text, opts.origin, file, include, opts.originFrom);
}

/**
 * Load every `*.zone` file in a folder, its origin taken from its name (a single-label one only
 * when the file confirms it with a `$ORIGIN` line: see OriginFrom). A file that fails does
 * not stop the others; its ZoneLoadError has `origin` (when the name gives one) and `file` set.
 */
export function loadZoneDir(dir: string, limits?: ReadLimits): { zones: Zone[]; errors: ZoneLoadError[] } {
  const { files, errors } = zoneDirFiles(dir);
  const zones: Zone[] = [];
  for (const { file, origin } of files) {
    try {
      zones.push(loadZoneFile(file, { origin, originFrom: 'file-name', ...(limits ? { limits } : {}) }));
    } catch (e) {
      errors.push(named(e, origin, file));
    }
  }
  return { zones, errors };
}

/** What loadZoneDirAsync read: the zones, the faults, the zones left as they were, each zone's files as read. */
export interface ZoneDirLoad {
  zones: Zone[];
  errors: ZoneLoadError[];
  /** Origins `unchanged` kept: not read again. */
  kept: string[];
  /** Origin key -> the stamps of its zone file and $INCLUDEd files, each taken before it was read. */
  stamps: Map<string, FileStamp[]>;
}

/**
 * loadZoneDir one zone at a time with loadZoneFileAsync: the event loop gets turns throughout.
 * `unchanged(file, origin)`: the zone in service when its files are as they were when it was read
 * (it is then kept, not read again), else undefined.
 */
export async function loadZoneDirAsync(dir: string, limits?: ReadLimits, progress?: Progress, opts: { unchanged?: (file: string, origin: string) => { size: number } | undefined } = {}): Promise<ZoneDirLoad> {
  const { files, errors } = zoneDirFiles(dir);
  const zones: Zone[] = [];
  const kept: string[] = [];
  const stamps = new Map<string, FileStamp[]>();
  // Counted per zone file: /readyz and the aop_progress_* gauges show a long reload as it goes.
  progress?.start(files.length);
  try {
    for (const { file, origin } of files) {
      const same = opts.unchanged?.(file, origin);
      if (same !== undefined) {
        kept.push(origin);
        progress?.step(same.size, 0);
        continue;
      }
      await turn();
      try {
        // The file in hand, by the octets read: a 1,000,000-agent zone is some 370 MB.
        const name = path.basename(file);
        const onRead = progress ? (read: number, size: number) => progress.note(`${name} ${size > 0 ? Math.min(99, Math.floor((100 * read) / size)) : 0}%`) : undefined;
        // Stamped before they are read: a change made during the read is seen at the next reload.
        const read: FileStamp[] = [];
        const stamp = (f: string): void => { const s = stampFile(f); if (s !== undefined) read.push(s); };
        stamp(file);
        const z = await loadZoneFileAsync(file, { origin, originFrom: 'file-name', onInclude: stamp, ...(limits ? { limits } : {}), ...(onRead ? { onRead } : {}) });
        zones.push(z);
        stamps.set(z.originKey, read);
        progress?.step(z.size, 0);
      } catch (e) {
        errors.push(named(e, origin, file));
        progress?.step(0, 1);
      }
    }
  } finally {
    progress?.finish();
  }
  return { zones, errors, kept, stamps };
}

function named(e: unknown, origin: string, file: string): ZoneLoadError {
  if (!(e instanceof ZoneLoadError)) throw e;
  e.origin = origin;
  e.file = file;
  return e;
}

/** The `*.zone` files of a folder and the origins their names give, without loading them (those whose names give none are left out). */
export function zoneDirOrigins(dir: string): { file: string; origin: string }[] {
  return zoneDirFiles(dir).files;
}

/** The `*.zone` files of a folder with their origins, and the faults of those that have none (or a taken one). */
function zoneDirFiles(dir: string): { files: { file: string; origin: string }[]; errors: ZoneLoadError[] } {
  const files: { file: string; origin: string }[] = [];
  const errors: ZoneLoadError[] = [];
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.name.endsWith('.zone') && (e.isFile() || e.isSymbolicLink()))
      .map((e) => e.name)
      .sort();
  } catch (e) {
    const f: ZoneFault = { file: dir, line: 1, col: 1, code: 'ERR_ZONE_READ', message: `cannot read zones folder: ${ioReason(e)}` };
    return { files, errors: [new ZoneLoadError([f], { file: dir })] };
  }
  const byOrigin = new Map<string, string>();
  for (const name of names) {
    const file = path.join(dir, name);
    let origin: string;
    try {
      origin = originFromFileName(name);
    } catch (e) {
      if (!(e instanceof ZoneLoadError)) throw e;
      errors.push(new ZoneLoadError(e.faults.map((f) => ({ ...f, file })), { file }));
      continue;
    }
    const other = byOrigin.get(nameKey(origin));
    if (other !== undefined) {
      const f: ZoneFault = { file, line: 1, col: 1, code: 'ERR_ZONE_DUPLICATE_ORIGIN', message: `zone ${origin} is already loaded from ${other}` };
      errors.push(new ZoneLoadError([f], { origin, file }));
      continue;
    }
    byOrigin.set(nameKey(origin), file);
    files.push({ file, origin });
  }
  return { files, errors };
}

const FILE_STEM = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/** `acme.agents.zone` -> `acme.agents.`. Throws ZoneLoadError ERR_ZONE_BAD_FILE_NAME. */
export function originFromFileName(base: string): string {
  const bad = (why: string): ZoneLoadError => new ZoneLoadError(
    [{ file: base, line: 1, col: 1, code: 'ERR_ZONE_BAD_FILE_NAME', message: `cannot take a zone origin from the file name "${base}": ${why}` }],
    { file: base },
  );
  if (!base.endsWith('.zone')) throw bad(`it does not end in .zone`);
  const stem = base.slice(0, -'.zone'.length);
  if (!FILE_STEM.test(stem)) throw bad(`name zone files <origin>.zone, the origin in dot-separated labels of letters, digits, '-' and '_' (acme.agents.zone)`);
  try {
    return parseName(stem + '.');
  } catch (e) {
    if (e instanceof WireError) throw bad(e.message);
    throw e;
  }
}

/**
 * The zone as text, one record a line, `name ttl CLASS TYPE rdata`, names fully qualified, in
 * DNSSEC canonical name order (RFC 4034 6.1), SOA first at the apex: what
 * `named-compilezone -o -` prints, up to the spacing and the order of records at one name.
 */
export function zoneToText(zone: Zone): string {
  const nodes = [...zone.allNodes()].filter((n) => n.rrsets.size > 0);
  const keyed = nodes.map((n) => ({ n, labels: nameToLabels(nameKey(n.name)).reverse() }));
  keyed.sort((a, b) => compareLabels(a.labels, b.labels));
  const lines: string[] = [];
  for (const { n } of keyed) {
    const sets = [...n.rrsets.values()].sort((a, b) => (a.type === RRType.SOA ? -1 : b.type === RRType.SOA ? 1 : a.type - b.type));
    for (const set of sets) {
      for (const rdata of set.rdata) {
        lines.push(`${set.name} ${set.ttl} ${classToString(set.class)} ${typeToString(set.type)} ${rdataToText(set.type, rdata)}`);
      }
    }
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

/** Labels compared rightmost first, octet by octet, case folded (RFC 4034 section 6.1). */
function compareLabels(a: Buffer[], b: Buffer[]): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const c = Buffer.compare(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * Zone-file octets -> text. Zone files are UTF-8 (ASCII being a part); other octets belong in
 * \DDD escapes. Throws ZoneLoadError ERR_ZONE_ENCODING pointing at the first bad octet.
 */
export function decodeZoneBytes(bytes: Uint8Array, file: string, origin?: string): string {
  const bad = isUtf8(bytes) ? -1 : firstInvalidUtf8(bytes);
  if (bad < 0) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const before = Buffer.from(bytes.subarray(0, bad));
  const lineStart = before.lastIndexOf(0x0a) + 1;
  const line = before.subarray(0, lineStart).filter((b) => b === 0x0a).length + 1;
  const col = before.subarray(lineStart).toString('utf8').length + 1;
  const octet = bytes[bad]!.toString(16).toUpperCase().padStart(2, '0');
  const f: ZoneFault = { file, line, col, code: 'ERR_ZONE_ENCODING', message: `not valid UTF-8 (octet 0x${octet}): save the file as UTF-8, or write other octets as \\DDD escapes` };
  throw new ZoneLoadError([f], withFile(origin !== undefined ? { origin } : {}, file));
}

/** Offset of the first octet that does not start a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; }
    else return i;
    if (i + n >= b.length) return i;
    let cp = c & (n === 1 ? 0x1f : n === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k]!;
      if ((d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/** A short reason for a failed read. */
function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'ENOTDIR') return 'not a directory';
  return e instanceof Error ? e.message : String(e);
}

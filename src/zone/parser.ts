// Zone-file parser (RFC 1035 section 5 with BIND's practice): logical lines -> records, each
// with the file, line and column it came from, plus every fault found (it never stops early).
//
// The TTL of a record that gives none follows BIND 9 exactly:
//   1. the $TTL in force (a $TTL in an included file stays in force after it, as in BIND);
//   2. else the last TTL written explicitly on a record (RFC 1035's rule; BIND warns
//      "using RFC1035 TTL semantics");
//   3. else, for the SOA only, its MINIMUM field, which then acts as $TTL (BIND warns
//      "no TTL specified; using SOA MINTTL instead");
//   4. else a fault (BIND: "no TTL specified; zone rejected").
// A record line is `[owner] [TTL] [class] type RDATA` with TTL and class in either order; a line
// starting with a space or tab has the previous owner. After an $INCLUDE the including file
// goes on with its own origin and previous owner, as RFC 1035 and BIND have it. The records of
// one RRset end up with one TTL, chosen as BIND chooses it (settleTtls).

import path from 'node:path';
import { type LexToken, type LogicalLine, lexLines, plainToken } from './lexer.js';
import { type ZoneFault, ZoneLoadError } from './errors.js';
import type { RR } from '../wire/rr.js';
import type { Token } from '../wire/token.js';
import { nameKey, parseName } from '../wire/name.js';
import { WireError } from '../wire/errors.js';
import { MAX_RDATA, rdataFromText } from '../wire/rdata.js';
import { svcbFromLexTokens } from '../wire/rdata/svcb.js';
import { parseTtl } from '../wire/ttl.js';
import { RRClass, RRType, classFromString, classToString, typeFromString } from '../wire/types.js';

/** A record plus where it was written, so validation faults can point at it. */
export interface SourcedRR extends RR {
  file: string;
  line: number;
  col: number;
}

export interface ParseOptions {
  /** Absolute origin: `@` and relative names are relative to it until a $ORIGIN. */
  origin: string;
  /** File name used in faults and as the base of relative $INCLUDE paths. */
  file?: string;
  /** A $TTL in force from the start. */
  defaultTtl?: number;
  /** Reads an included file; without it $INCLUDE is a fault. Throw to report it unreadable. */
  include?: (path: string) => string;
  /** Directory relative $INCLUDE paths of the top file start from (default: the file's own). */
  baseDir?: string;
}

/** A `$ORIGIN` of the zone file itself before its first record: the origin the file says it is written for. */
export interface LeadingOrigin {
  /** The absolute name it sets. */
  name: string;
  file: string;
  line: number;
  col: number;
}

/** Deepest $INCLUDE nesting accepted: deeper is almost surely a mistake. */
export const MAX_INCLUDE_DEPTH = 16;

/** The name used in faults for text that did not come from a file. */
export const TEXT_FILE_NAME = '<text>';

interface Ctx {
  file: string;
  /** Directory this file's relative $INCLUDE paths start from. */
  dir: string;
  origin: string;
  /** Previous owner; null after a bad owner name, so the lines that inherit it are skipped quietly. */
  owner: string | undefined | null;
  /** Resolved paths of the files being read, outermost first: the include-loop guard. */
  chain: string[];
}

interface State {
  records: SourcedRR[];
  faults: ZoneFault[];
  include: ((path: string) => string) | undefined;
  /** $TTL, or the SOA MINIMUM standing in for it. */
  defaultTtl: number | undefined;
  /** Last TTL written on a record. */
  lastTtl: number | undefined;
  /** Run number of each record (parallel to `records`), for BIND's TTL rule; see settleTtls. */
  runs: number[];
  run: number;
  /** Owner of the last record, as written (case counts); undefined forces a new run. */
  runOwner: string | undefined;
  /** Takes each record instead of `records` (parseZoneInto). */
  sink: RecordSink | undefined;
  /** A record line (good or bad) has been read: later $ORIGIN lines are not leading ones. */
  sawRecord: boolean;
  /** The last $ORIGIN of the top file before any record. */
  leadingOrigin: LeadingOrigin | undefined;
}

/**
 * Takes the records of parseZoneInto one at a time: owner, type, TTL as the record gives it
 * (not yet settled: see settleTtls), wire RDATA, and the record's run number.
 */
export type RecordSink = (owner: string, type: number, ttl: number, rdata: Buffer, run: number) => void;

const fault = (st: State, ctx: Ctx, at: { line: number; col: number }, code: string, message: string): void => {
  st.faults.push({ file: ctx.file, line: at.line, col: at.col, code, message });
};

/** Just after a token: where something missing after it would have been. */
const after = (t: Token): { line: number; col: number } => ({ line: t.line, col: t.col + t.text.length + (t.quoted ? 2 : 0) });

/** Parse zone-file text into records and faults. Never throws for bad input. */
export function parseZone(text: string, opts: ParseOptions): { records: SourcedRR[]; faults: ZoneFault[]; leadingOrigin?: LeadingOrigin } {
  const st = drain(parseInto(lexLines(text), opts, undefined));
  settleTtls(st);
  return { records: st.records, faults: st.faults, ...(st.leadingOrigin ? { leadingOrigin: st.leadingOrigin } : {}) };
}

/**
 * parseZone for big zones: the logical lines as they come (lexChunks), each record handed to
 * `sink` as it is parsed rather than collected, TTLs not settled (the sink gets the run
 * numbers to do it). Returns the faults. An exception the sink throws ends the parse.
 */
export function parseZoneInto(lines: Iterable<LogicalLine>, opts: ParseOptions, sink: RecordSink): { faults: ZoneFault[]; leadingOrigin?: LeadingOrigin } {
  return drain(parseZoneSteps(lines, opts, sink));
}

/** Lines of the top file parsed between two pauses of parseZoneSteps. */
export const LINES_PER_STEP = 256;

/**
 * parseZoneInto in steps: the generator pauses (yields) every LINES_PER_STEP lines of the top
 * file, so a caller can give the event loop a turn while a big zone parses (Daemon.reloadAsync).
 * $INCLUDEd files are parsed without a pause. Returns what parseZoneInto returns.
 */
export function* parseZoneSteps(lines: Iterable<LogicalLine>, opts: ParseOptions, sink: RecordSink): Generator<void, { faults: ZoneFault[]; leadingOrigin?: LeadingOrigin }, undefined> {
  const st = yield* parseInto(lines, opts, sink);
  return { faults: st.faults, ...(st.leadingOrigin ? { leadingOrigin: st.leadingOrigin } : {}) };
}

/** Run a generator of steps to its end, without pausing. */
export function drain<R>(g: Generator<void, R, undefined>): R {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

function* parseInto(lines: Iterable<LogicalLine>, opts: ParseOptions, sink: RecordSink | undefined): Generator<void, State, undefined> {
  const file = opts.file ?? TEXT_FILE_NAME;
  const st: State = {
    records: [], faults: [], include: opts.include, defaultTtl: opts.defaultTtl, lastTtl: undefined,
    runs: [], run: 0, runOwner: undefined, sink, sawRecord: false, leadingOrigin: undefined,
  };
  let origin: string;
  try {
    origin = parseName(opts.origin);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    st.faults.push({ file, line: 1, col: 1, code: 'ERR_ZONE_BAD_ORIGIN', message: `bad origin "${opts.origin}": ${e.message}` });
    return st;
  }
  const ctx: Ctx = {
    file,
    dir: opts.baseDir ?? (opts.file !== undefined ? path.dirname(opts.file) : '.'),
    origin,
    owner: undefined,
    chain: opts.file !== undefined ? [path.resolve(opts.file)] : [],
  };
  yield* parseLines(lines, ctx, st);
  return st;
}

/**
 * Give every record of an RRset one TTL, the way BIND 9 loads a zone. BIND gathers the records
 * of a run of lines with the same owner (written the same way, case included) and adds each
 * run's RRsets in one go: within a run the first TTL wins (BIND warns "TTL set to prior TTL");
 * a later run adding to an RRset sets the TTL of the whole RRset to its own. An $INCLUDE ends
 * a run.
 */
function settleTtls(st: State): void {
  const sets = new Map<string, { ttl: number; run: number }>();
  // Each record's RRset entry, kept from the first pass so the second builds no key again.
  const of: { ttl: number; run: number }[] = new Array(st.records.length);
  st.records.forEach((rr, i) => {
    const key = `${nameKey(rr.name)}/${rr.type}`;
    const run = st.runs[i]!;
    let set = sets.get(key);
    if (set === undefined) sets.set(key, (set = { ttl: rr.ttl, run }));
    else if (set.run !== run) { set.ttl = rr.ttl; set.run = run; }
    of[i] = set;
  });
  st.records.forEach((rr, i) => { rr.ttl = of[i]!.ttl; });
}

function* parseLines(lines: Iterable<LogicalLine>, ctx: Ctx, st: State): Generator<void, void, undefined> {
  let n = 0;
  for (const l of lines) {
    if (++n === LINES_PER_STEP) {
      n = 0;
      yield;
    }
    const first = l.tokens[0];
    const isDirective = first !== undefined && !l.ownerOmitted && !first.quoted && first.text.startsWith('$');
    if (l.faults.length > 0) {
      for (const f of l.faults) fault(st, ctx, f, f.code, f.message);
      // The record is lost, but its owner still counts for the lines after it.
      if (first !== undefined && !isDirective) st.sawRecord = true;
      if (first !== undefined && !l.ownerOmitted && !isDirective) ctx.owner = ownerOrNull(first, ctx);
      continue;
    }
    if (first === undefined) continue;
    if (isDirective) directive(l.tokens, ctx, st);
    else {
      st.sawRecord = true;
      record(l, ctx, st);
    }
  }
}

function ownerOrNull(t: Token, ctx: Ctx): string | null {
  try {
    return parseName(t.text, ctx.origin);
  } catch (e) {
    if (e instanceof WireError) return null;
    throw e;
  }
}

// ------------------------------------------------------------------------------- directives

function directive(tokens: LexToken[], ctx: Ctx, st: State): void {
  const d = tokens[0]!;
  const args = tokens.slice(1);
  const name = d.text.toUpperCase();
  const arity = (min: number, max: number, usage: string): boolean => {
    if (args.length < min) {
      fault(st, ctx, after(tokens[tokens.length - 1]!), 'ERR_ZONE_BAD_DIRECTIVE', `${name} needs ${usage}`);
      return false;
    }
    if (args.length > max) {
      fault(st, ctx, args[max]!, 'ERR_ZONE_BAD_DIRECTIVE', `extra text "${args[max]!.text}" after ${name} (it takes ${usage})`);
      return false;
    }
    return true;
  };
  switch (name) {
    case '$ORIGIN': {
      if (!arity(1, 1, 'one domain name')) return;
      const o = nameArg(args[0]!, ctx, st, 'origin');
      if (o !== undefined) ctx.origin = o;
      // The top file's own (an included file's $ORIGIN says nothing of the zone's).
      if (o !== undefined && !st.sawRecord && ctx.chain.length <= 1) st.leadingOrigin = { name: o, file: ctx.file, line: d.line, col: d.col };
      return;
    }
    case '$TTL': {
      if (!arity(1, 1, 'one TTL')) return;
      const ttl = ttlArg(args[0]!, ctx, st);
      if (ttl !== undefined) st.defaultTtl = ttl;
      return;
    }
    case '$INCLUDE':
      if (!arity(1, 2, 'a file name and optionally an origin')) return;
      include(args[0]!, args[1], ctx, st);
      return;
    case '$GENERATE':
      fault(st, ctx, d, 'ERR_ZONE_GENERATE', `$GENERATE is not supported: write the records out one by one (docs/zones.md)`);
      return;
    default:
      fault(st, ctx, d, 'ERR_ZONE_UNKNOWN_DIRECTIVE', `unknown $ directive '${d.text}' (known: $ORIGIN, $TTL, $INCLUDE)`);
  }
}

function nameArg(t: Token, ctx: Ctx, st: State, what: string): string | undefined {
  try {
    return parseName(t.text, ctx.origin);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    fault(st, ctx, t, 'ERR_ZONE_BAD_NAME', `bad ${what}: ${e.message}`);
    return undefined;
  }
}

function ttlArg(t: Token, ctx: Ctx, st: State): number | undefined {
  try {
    return parseTtl(t.text);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    fault(st, ctx, t, 'ERR_ZONE_BAD_TTL', e.message);
    return undefined;
  }
}

/** Path text with backslash escapes resolved (`\DDD` octets and `\X`), read as UTF-8. */
function unescapePath(text: string): string {
  const octets: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ddd = text[i] === '\\' ? /^\d{3}/.exec(text.slice(i + 1, i + 4)) : null;
    if (ddd) {
      octets.push(Number(ddd[0]) & 0xff);
      i += 3;
      continue;
    }
    if (text[i] === '\\' && i + 1 < text.length) i++;
    octets.push(...Buffer.from(text[i]!, 'utf8'));
  }
  return Buffer.from(octets).toString('utf8');
}

function include(pathTok: Token, originTok: Token | undefined, ctx: Ctx, st: State): void {
  const rel = unescapePath(pathTok.text);
  if (st.include === undefined) {
    fault(st, ctx, pathTok, 'ERR_ZONE_INCLUDE', `$INCLUDE "${rel}" cannot be read: this zone text was not loaded from a file`);
    return;
  }
  // Relative to the including file's folder (BIND: named's working directory; docs/zones.md).
  const file = path.isAbsolute(rel) ? rel : path.join(ctx.dir, rel);
  const resolved = path.resolve(file);
  if (ctx.chain.includes(resolved)) {
    fault(st, ctx, pathTok, 'ERR_ZONE_INCLUDE', `$INCLUDE loop: "${rel}" is already being read (${[...ctx.chain, resolved].map((p) => path.basename(p)).join(' -> ')})`);
    return;
  }
  if (ctx.chain.length > MAX_INCLUDE_DEPTH) {
    fault(st, ctx, pathTok, 'ERR_ZONE_INCLUDE', `$INCLUDE "${rel}" is nested more than ${MAX_INCLUDE_DEPTH} deep`);
    return;
  }
  let origin = ctx.origin;
  if (originTok !== undefined) {
    const o = nameArg(originTok, ctx, st, 'origin');
    if (o === undefined) return;
    origin = o;
  }
  let text: string;
  try {
    text = st.include(file);
  } catch (e) {
    if (e instanceof ZoneLoadError) {
      st.faults.push(...e.faults);
      return;
    }
    const reason = e instanceof Error ? e.message : String(e);
    fault(st, ctx, pathTok, 'ERR_ZONE_INCLUDE', `$INCLUDE "${rel}" cannot be read: ${reason}`);
    return;
  }
  // The included file starts with the includer's previous owner (as BIND does) and its own origin.
  const child: Ctx = { file, dir: path.dirname(file), origin, owner: ctx.owner, chain: [...ctx.chain, resolved] };
  st.runOwner = undefined;
  drain(parseLines(lexLines(text), child, st));
  st.runOwner = undefined;
}

// ---------------------------------------------------------------------------------- records

// Type and class words as written, to their numbers: a zone spells them a few ways only.
const typeWords = new Map<string, number | undefined>();
const classWords = new Map<string, number | undefined>();

function cachedType(text: string): number | undefined {
  const hit = typeWords.get(text);
  if (hit !== undefined || typeWords.has(text)) return hit;
  const type = typeFromString(text);
  if (typeWords.size < 512) typeWords.set(text, type);
  return type;
}

function cachedClass(text: string): number | undefined {
  const hit = classWords.get(text);
  if (hit !== undefined || classWords.has(text)) return hit;
  const cls = classFromString(text);
  if (classWords.size < 512) classWords.set(text, cls);
  return cls;
}

function record(l: LogicalLine, ctx: Ctx, st: State): void {
  const tokens = l.tokens;
  const first = tokens[0]!;
  let idx = 0;
  let owner: string;
  if (l.ownerOmitted) {
    if (ctx.owner === null) return; // the owner line was already reported
    if (ctx.owner === undefined) {
      fault(st, ctx, first, 'ERR_ZONE_NO_OWNER', `no current owner name: a line starting with a space or tab takes the owner of the record before it, and there is none`);
      return;
    }
    owner = ctx.owner;
  } else {
    idx = 1;
    try {
      owner = parseName(first.text, ctx.origin);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      fault(st, ctx, first, 'ERR_ZONE_BAD_NAME', `bad owner name: ${e.message}`);
      ctx.owner = null;
      return;
    }
    ctx.owner = owner;
  }

  let ttlTok: Token | undefined;
  let ttl: number | undefined;
  let clsTok: Token | undefined;
  for (;;) {
    const t = tokens[idx];
    if (t === undefined || t.quoted) break;
    const c0 = t.text.charCodeAt(0);
    if (ttlTok === undefined && c0 >= 0x30 && c0 <= 0x39) {
      ttlTok = t;
      ttl = ttlArg(t, ctx, st);
      if (ttl === undefined) return;
      idx++;
      continue;
    }
    if (clsTok === undefined) {
      const cls = cachedClass(t.text);
      if (cls !== undefined) {
        clsTok = t;
        if (cls !== RRClass.IN) {
          fault(st, ctx, t, 'ERR_ZONE_BAD_CLASS', `class '${classToString(cls)}' != zone class 'IN'`);
          return;
        }
        idx++;
        continue;
      }
    }
    break;
  }

  const typeTok = tokens[idx];
  if (typeTok === undefined) {
    fault(st, ctx, after(tokens[tokens.length - 1]!), 'ERR_ZONE_SYNTAX', `the record ends before its type (expected [TTL] [class] type RDATA)`);
    return;
  }
  const type = typeTok.quoted ? undefined : cachedType(typeTok.text);
  if (type === undefined) {
    const t = typeTok.text;
    if (!typeTok.quoted && ttlTok !== undefined && /^\d/.test(t)) {
      fault(st, ctx, typeTok, 'ERR_ZONE_SYNTAX', `TTL given twice: "${t}" after "${ttlTok.text}"`);
    } else if (!typeTok.quoted && clsTok !== undefined && classFromString(t) !== undefined) {
      fault(st, ctx, typeTok, 'ERR_ZONE_SYNTAX', `class given twice: "${t}" after "${clsTok.text}"`);
    } else if (!typeTok.quoted && ttlTok === undefined && /^[-+]\d/.test(t)) {
      // BIND says "unknown RR type '-1'"; it is meant as a TTL, and TTLs have no sign.
      fault(st, ctx, typeTok, 'ERR_ZONE_BAD_TTL', `bad TTL: "${t}" has a sign; a TTL is 0 to 2147483647 seconds or a duration like 1h`);
    } else if (!typeTok.quoted && t.startsWith('$')) {
      fault(st, ctx, typeTok, 'ERR_ZONE_SYNTAX', `'${t}' is not a record type: a $ directive must start at the beginning of its line`);
    } else {
      fault(st, ctx, typeTok, 'ERR_ZONE_UNKNOWN_TYPE', `unknown RR type '${t}' (write a type aop has no name for as TYPEnnn with RFC 3597 RDATA: \\# length hex)`);
    }
    return;
  }

  // SVCB's common shapes straight from the lexer's tokens; the full codec for the rest.
  let rdata = type === RRType.SVCB || type === RRType.HTTPS ? svcbFromLexTokens(tokens, idx + 1, ctx.origin) : undefined;
  if (rdata === undefined || rdata.length > MAX_RDATA) {
    const rest = tokens.slice(idx + 1);
    const rdataTokens = type === RRType.SVCB || type === RRType.HTTPS ? joinSvcParams(rest) : rest.map(plainToken);
    try {
      rdata = rdataFromText(type, rdataTokens, ctx.origin);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      const where = 'line' in e && typeof e.line === 'number' && 'col' in e && typeof e.col === 'number' ? { line: e.line, col: e.col } : after(rest[rest.length - 1] ?? typeTok);
      fault(st, ctx, where, e.code, e.message);
      return;
    }
  }

  if (ttl !== undefined) {
    st.lastTtl = ttl;
  } else if (st.defaultTtl !== undefined) {
    ttl = st.defaultTtl;
  } else if (st.lastTtl !== undefined) {
    ttl = st.lastTtl;
  } else if (type === RRType.SOA && rdata.length >= 20) {
    ttl = rdata.readUInt32BE(rdata.length - 4);
    st.defaultTtl = ttl;
  } else {
    fault(st, ctx, first, 'ERR_ZONE_NO_TTL', `no TTL specified: give this record a TTL or put $TTL before it`);
    return;
  }
  if (owner !== st.runOwner) {
    st.run++;
    st.runOwner = owner;
  }
  if (st.sink !== undefined) {
    st.sink(owner, type, ttl, rdata, st.run);
    return;
  }
  st.records.push({ name: owner, type, class: RRClass.IN, ttl, rdata, file: ctx.file, line: first.line, col: first.col });
  st.runs.push(st.run);
}

/** Whether text ends in an `=` that is not escaped. */
function endsInEquals(text: string): boolean {
  if (!text.endsWith('=')) return false;
  let bs = 0;
  for (let i = text.length - 2; i >= 0 && text[i] === '\\'; i--) bs++;
  return bs % 2 === 0;
}

/**
 * SVCB/HTTPS `key="value"`: the lexer splits it at the quote as BIND's lexer does for every
 * other type; BIND reads it whole for SVCB, and so does our codec. Rejoin `key=` with the
 * quoted token touching it (and anything touching that, for the codec to report).
 */
export function joinSvcParams(tokens: LexToken[]): Token[] {
  const out: Token[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const next = tokens[k + 1];
    if (!t.quoted && endsInEquals(t.text) && next !== undefined && next.quoted && next.glued) {
      let text = `${t.text}"${next.text}"`;
      k++;
      while (tokens[k + 1]?.glued) {
        const g = tokens[++k]!;
        text += g.quoted ? `"${g.text}"` : g.text;
      }
      out.push({ text, quoted: false, line: t.line, col: t.col });
    } else {
      out.push(plainToken(t));
    }
  }
  return out;
}

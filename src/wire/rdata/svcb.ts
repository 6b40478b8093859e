// SVCB (64) and HTTPS (65) RDATA (RFC 9460): SvcParams in presentation and wire form,
// with the checks BIND 9.18 applies, so what we accept and print matches named-compilezone.
//
// Choices, each checked against BIND 9.18 (named-checkzone / named-compilezone):
// - keys by name: mandatory alpn no-default-alpn port ipv4hint ech ipv6hint dohpath (lowercase
//   only); anything else as keyNNNNN without leading zeros. BIND 9.18 does not know `ohttp`
//   (RFC 9540), so neither do we: write it as key8.
// - key65535 (RFC 9460 section 14.3.2, "Invalid key") is refused in text and wire form; BIND
//   accepts it. This, the alpn escapes below and case-sensitive key names inside mandatory=
//   (BIND ignores case there) are where we are stricter than BIND.
// - keyNNNNN=value for a key we know takes the value as its wire form (RFC 9460 section 2.1),
//   then checks it like wire data: key3="\000\053" is port=53.
// - printing: names for keys 0-6, keyNNNNN for the rest, dohpath included (key7="..."),
//   which is what BIND 9.18 prints; a key with an empty value is printed bare.
// - AliasMode (priority 0) with SvcParams is accepted, as BIND accepts it (RFC 9460 says
//   clients ignore them).
// - no-default-alpn without alpn is refused (BIND refuses it; RFC 9460 section 7.1.1 calls
//   such a record not self-consistent).
// - alpn values use the two-level escaping of RFC 9460 Appendix A.1: after \DDD and \X are
//   resolved, `\,` is a comma inside an ALPN id and `\\` a backslash; a backslash before
//   anything else is refused (BIND lets `\x` through as `x`).

import type { Token } from '../token.js';
import { parseName } from '../name.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './addr.js';
import {
  type At,
  decodeBase64,
  fail,
  Fields,
  nameWire,
  parseNameField,
  parseNumber,
  quoteText,
  unescapeText,
  WireReader,
} from './common.js';

const KEY_NAMES = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint', 'dohpath'] as const;
/** Keys BIND 9.18 prints by name; the rest (dohpath included) print as keyNNNNN. */
const PRINTED_BY_NAME = 7;

const MANDATORY = 0;
const ALPN = 1;
const NO_DEFAULT_ALPN = 2;
const PORT = 3;
const IPV4HINT = 4;
const ECH = 5;
const IPV6HINT = 6;
const DOHPATH = 7;
const INVALID_KEY = 65535;

const BAD = 'ERR_RDATA_BAD_SVCPARAM';

function keyLabel(key: number): string {
  return key < KEY_NAMES.length ? KEY_NAMES[key]! : `key${key}`;
}

/** Key number of a presentation key name; undefined when it is not one. */
function keyFromText(text: string): number | undefined {
  const i = (KEY_NAMES as readonly string[]).indexOf(text);
  if (i >= 0) return i;
  const m = /^key(0|[1-9]\d{0,4})$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= 0xffff ? n : undefined;
}

function parseKey(text: string, tok: Token | At): number {
  const key = keyFromText(text);
  if (key === undefined) {
    const hint = /^key\d+$/.test(text) ? ' (keyNNNNN takes 0-65534 without leading zeros)' : '';
    fail(BAD, `unknown SVCB key "${text}"${hint}`, tok);
  }
  if (key === INVALID_KEY) fail(BAD, `SVCB key65535 is reserved as invalid (RFC 9460 section 14.3.2)`, tok);
  return key;
}

/** Split on commas that are not escaped by a backslash (after \DDD/\X were resolved). */
function splitAlpn(raw: Buffer, tok: Token): Buffer[] {
  const ids: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 0x5c) {
      const n = raw[i + 1];
      if (n !== 0x2c && n !== 0x5c) fail(BAD, `bad SVCB alpn value: inside an ALPN id only "\\," and "\\\\" may be escaped (RFC 9460 Appendix A.1)`, tok);
      cur.push(n);
      i++;
      continue;
    }
    if (c === 0x2c) {
      ids.push(Buffer.from(cur));
      cur = [];
      continue;
    }
    cur.push(c);
  }
  ids.push(Buffer.from(cur));
  for (const id of ids) {
    if (id.length === 0) fail(BAD, `bad SVCB alpn value: empty ALPN id`, tok);
    if (id.length > 255) fail('ERR_RDATA_TOO_LONG', `SVCB alpn id of ${id.length} octets (limit 255)`, tok);
  }
  return ids;
}

function splitList(raw: Buffer, key: string, tok: Token): string[] {
  const items = raw.toString('latin1').split(',');
  if (items.some((s) => s.length === 0)) fail(BAD, `bad SVCB ${key} value: empty item in the comma-separated list`, tok);
  return items;
}

/**
 * Presentation value of one SvcParam -> wire value. `generic` is true for the keyNNNNN
 * spelling, whose value is the wire form itself (RFC 9460 section 2.1).
 */
function valueFromText(key: number, raw: Buffer | undefined, generic: boolean, tok: Token): Buffer {
  const name = keyLabel(key);
  if (generic) {
    const v = raw ?? Buffer.alloc(0);
    const why = checkValue(key, v);
    if (why !== undefined) fail(BAD, `bad SVCB key${key} value: ${why}`, tok);
    return v;
  }
  const needValue = (): Buffer => {
    if (raw === undefined || raw.length === 0) fail(BAD, `SVCB key "${name}" needs a value`, tok);
    return raw;
  };
  switch (key) {
    case MANDATORY: {
      const keys = splitList(needValue(), name, tok).map((k) => parseKey(k, tok));
      const seen = new Set<number>();
      for (const k of keys) {
        if (k === MANDATORY) fail(BAD, `SVCB mandatory must not list "mandatory" itself`, tok);
        if (seen.has(k)) fail(BAD, `SVCB mandatory lists "${keyLabel(k)}" twice`, tok);
        seen.add(k);
      }
      keys.sort((a, b) => a - b);
      const out = Buffer.alloc(keys.length * 2);
      keys.forEach((k, i) => out.writeUInt16BE(k, i * 2));
      return out;
    }
    case ALPN:
      return Buffer.concat(splitAlpn(needValue(), tok).flatMap((id) => [Buffer.from([id.length]), id]));
    case NO_DEFAULT_ALPN:
      if (raw !== undefined && raw.length > 0) fail(BAD, `SVCB key "no-default-alpn" takes no value`, tok);
      return Buffer.alloc(0);
    case PORT: {
      const text = needValue().toString('latin1');
      if (!/^\d+$/.test(text)) fail(BAD, `bad SVCB port "${text}": not a decimal number`, tok);
      const n = Number(text);
      if (n > 0xffff) fail(BAD, `bad SVCB port "${text}": over 65535`, tok);
      const out = Buffer.alloc(2);
      out.writeUInt16BE(n);
      return out;
    }
    case IPV4HINT:
      return Buffer.concat(
        splitList(needValue(), name, tok).map((a) => parseIPv4(a) ?? fail('ERR_RDATA_BAD_ADDRESS', `bad IPv4 address "${a}" in SVCB ipv4hint`, tok)),
      );
    case IPV6HINT:
      return Buffer.concat(
        splitList(needValue(), name, tok).map((a) => parseIPv6(a) ?? fail('ERR_RDATA_BAD_ADDRESS', `bad IPv6 address "${a}" in SVCB ipv6hint`, tok)),
      );
    case ECH:
      // BIND skips white space inside the base64, as in `ech="AAAA AAAA"`.
      return decodeBase64((raw ?? Buffer.alloc(0)).toString('latin1').replace(/[ \t\r\n]/g, ''), 'SVCB ech value', tok);
    default: {
      const v = raw ?? Buffer.alloc(0);
      const why = checkValue(key, v);
      if (why !== undefined) fail(BAD, `bad SVCB ${name} value: ${why}`, tok);
      return v;
    }
  }
}

/** Why a wire value is wrong for its key, or undefined when it is fine (BIND's svcb_validate). */
function checkValue(key: number, v: Buffer): string | undefined {
  switch (key) {
    case MANDATORY: {
      if (v.length === 0 || v.length % 2 !== 0) return `mandatory value of ${v.length} octets is not a non-empty list of 2-octet keys`;
      for (let i = 0; i < v.length; i += 2) {
        const k = v.readUInt16BE(i);
        if (k === MANDATORY) return 'mandatory lists "mandatory" itself';
        if (i > 0 && k <= v.readUInt16BE(i - 2)) return 'mandatory keys are not in strictly ascending order';
      }
      return undefined;
    }
    case ALPN: {
      if (v.length === 0) return 'alpn value is empty';
      for (let i = 0; i < v.length; ) {
        const n = v[i]!;
        if (n === 0) return 'alpn holds an empty ALPN id';
        if (i + 1 + n > v.length) return 'alpn id runs past the end of the value';
        i += 1 + n;
      }
      return undefined;
    }
    case NO_DEFAULT_ALPN:
      return v.length === 0 ? undefined : 'no-default-alpn must have an empty value';
    case PORT:
      return v.length === 2 ? undefined : `port value is ${v.length} octets, not 2`;
    case IPV4HINT:
      return v.length > 0 && v.length % 4 === 0 ? undefined : `ipv4hint value of ${v.length} octets is not a non-empty list of IPv4 addresses`;
    case IPV6HINT:
      return v.length > 0 && v.length % 16 === 0 ? undefined : `ipv6hint value of ${v.length} octets is not a non-empty list of IPv6 addresses`;
    case DOHPATH:
      return validDohpath(v) ? undefined : 'dohpath must be a relative URI template starting with "/" with a "dns" variable (RFC 9461)';
    case INVALID_KEY:
      return 'key65535 is reserved as invalid';
    default:
      return undefined;
  }
}

/** RFC 9461 dohpath: UTF-8, starts with '/', an RFC 6570 template that uses the variable "dns". */
function validDohpath(v: Buffer): boolean {
  if (v.length === 0 || v[0] !== 0x2f) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(v);
  } catch {
    return false;
  }
  // The same small state machine as BIND's validate_dohpath.
  type State = 'path' | 'variable' | 'pct1' | 'pct2' | 'vpct1' | 'vpct2' | 'prefix' | 'explode';
  let state: State = 'path';
  let dns = false;
  let wasOp = false;
  let v0 = 0; // start of the current variable name
  let n0 = 0; // start of the current prefix length
  const isX = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
  const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  let p = 0;
  while (p < v.length) {
    const c = v[p++]!;
    switch (state) {
      case 'path':
        if (c === 0x7b) {
          state = 'variable';
          wasOp = false;
          v0 = p;
        } else if (c === 0x25) state = 'pct1';
        break;
      case 'variable':
        if ('+#./;?&'.includes(String.fromCharCode(c))) {
          if (p !== v0 + 1 || wasOp) return false;
          wasOp = true;
          v0 = p;
        } else if ('=!@|'.includes(String.fromCharCode(c))) {
          return false;
        } else if ('*:},'.includes(String.fromCharCode(c))) {
          if (p === v0 + 1) return false;
          if (p - v0 === 4 && v.subarray(v0, v0 + 3).toString('latin1') === 'dns') dns = true;
          if (c === 0x3a) {
            state = 'prefix';
            n0 = p;
          } else if (c === 0x7d) state = 'path';
          else if (c === 0x2a) state = 'explode';
          else {
            wasOp = false;
            v0 = p;
          }
        } else if (c === 0x25) {
          state = 'vpct1';
        } else if (c !== 0x5f && !isAlnum(c)) {
          return false;
        }
        break;
      case 'explode':
        if (c === 0x2c) {
          state = 'variable';
          wasOp = false;
          v0 = p;
        } else if (c === 0x7d) state = 'path';
        else return false;
        break;
      case 'pct1':
      case 'pct2':
      case 'vpct1':
      case 'vpct2':
        if (!isX(c)) return false;
        state = state === 'pct1' ? 'pct2' : state === 'pct2' ? 'path' : state === 'vpct1' ? 'vpct2' : 'variable';
        break;
      case 'prefix':
        if (!(c >= 0x30 && c <= 0x39)) {
          if (p === n0 + 1 || p - n0 > 5 || v[n0] === 0x30) return false;
          if (c === 0x2c) {
            state = 'variable';
            wasOp = false;
            v0 = p; // BIND does not, and so misses a "dns" variable named right after a prefix
          } else if (c === 0x7d) state = 'path';
          else return false;
        }
        break;
    }
  }
  return state === 'path' && dns;
}

/** Split `key=value`, `key="value"` or `key`; the value keeps its escapes. */
function splitParam(tok: Token): { key: string; value: string | undefined } {
  if (tok.quoted) fail(BAD, `SVCB parameter must not be quoted as a whole: write key="value", not "${tok.text}"`, tok);
  const eq = tok.text.indexOf('=');
  if (eq < 0) return { key: tok.text, value: undefined };
  const key = tok.text.slice(0, eq);
  let value = tok.text.slice(eq + 1);
  if (value.startsWith('"')) {
    // The closing quote must be the last character and not escaped.
    let closed = -1;
    for (let i = 1; i < value.length; i++) {
      if (value[i] === '\\') i++;
      else if (value[i] === '"') {
        closed = i;
        break;
      }
    }
    if (closed < 0) fail(BAD, `SVCB parameter "${key}" has an unterminated quoted value`, tok);
    if (closed !== value.length - 1) fail(BAD, `SVCB parameter "${key}" has text after its quoted value`, tok);
    value = value.slice(1, -1);
  }
  return { key, value };
}

/** Presentation tokens (priority, target, params) -> wire RDATA. */
export function svcbFromText(f: Fields, origin: string): Buffer {
  if (f.left === f.tokens.length) {
    const fast = svcbFromTextFast(f.tokens, origin);
    if (fast !== undefined) {
      f.rest();
      return fast;
    }
  }
  return svcbFromTextFull(f, origin);
}

/** Scratch space of the fast path: params are written here, then copied out in key order. */
const scratch = Buffer.allocUnsafe(1 << 16);
const fastKeys: number[] = [];
const fastStart: number[] = [];
const fastLen: number[] = [];
const fastOrder: number[] = [];

/** Decimal digits only, at most `max`; -1 otherwise. */
function plainNumber(text: string, from: number, to: number, max: number): number {
  if (to <= from || to - from > 10) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n <= max ? n : -1;
}

/**
 * svcbFromText for the common shapes of record, with no intermediate Buffers: plain priority,
 * a name target, and params among alpn, port, no-default-alpn and keyNNNNN (NNNNN >= 8) with
 * values free of escapes. Undefined for anything else, including every error, so the full
 * parser decides those (it gives the same wire form for what this accepts, and the errors).
 */
export function svcbFromTextFast(tokens: readonly Token[], origin: string): Buffer | undefined {
  const nt = tokens.length;
  if (nt < 2 || nt - 2 > 64) return undefined;
  if (tokens[0]!.quoted || !fastBegin(tokens[0]!.text, tokens[1]!.text, origin)) return undefined;
  for (let t = 2; t < nt; t++) {
    const tok = tokens[t]!;
    if (tok.quoted) return undefined;
    const text = tok.text;
    const eq = text.indexOf('=');
    let from = -1;
    let to = -1;
    if (eq >= 0) {
      from = eq + 1;
      to = text.length;
      if (text.charCodeAt(from) === 0x22) {
        if (to - from < 2 || text.charCodeAt(to - 1) !== 0x22) return undefined;
        from++;
        to--;
      }
    }
    if (!fastParam(text, eq < 0 ? text.length : eq, text, from, to)) return undefined;
  }
  return fastEnd();
}

/**
 * svcbFromTextFast on a zone-file lexer's tokens (from `first` on), before the parser joins
 * `key=` with the quoted value touching it: the same, without the joined strings.
 */
export function svcbFromLexTokens(tokens: readonly (Token & { glued: boolean })[], first: number, origin: string): Buffer | undefined {
  const nt = tokens.length;
  if (nt - first < 2 || nt - first - 2 > 64) return undefined;
  const prio = tokens[first]!;
  const target = tokens[first + 1]!;
  // A target quoted and glued to something would be joined by the parser: leave it to the full path.
  if (prio.quoted || tokens[first + 2]?.glued === true || !fastBegin(prio.text, target.text, origin)) return undefined;
  for (let t = first + 2; t < nt; t++) {
    const tok = tokens[t]!;
    if (tok.quoted) return undefined;
    const text = tok.text;
    const next = tokens[t + 1];
    if (next !== undefined && next.glued) {
      // key="value": the key ends in '=', the value is the quoted token touching it, alone.
      if (!next.quoted || text.charCodeAt(text.length - 1) !== 0x3d || tokens[t + 2]?.glued === true) return undefined;
      if (!fastParam(text, text.length - 1, next.text, 0, next.text.length)) return undefined;
      t++;
      continue;
    }
    const eq = text.indexOf('=');
    if (eq >= 0 && text.charCodeAt(eq + 1) === 0x22) return undefined;
    if (!fastParam(text, eq < 0 ? text.length : eq, text, eq < 0 ? -1 : eq + 1, eq < 0 ? -1 : text.length)) return undefined;
  }
  return fastEnd();
}

// The fast path's state between fastBegin and fastEnd: one record at a time.
let fastPos = 0;
let fastHead = 0;
let fastCount = 0;
let fastAscending = true;

function fastBegin(prioText: string, targetText: string, origin: string): boolean {
  const priority = plainNumber(prioText, 0, prioText.length, 0xffff);
  if (priority < 0) return false;
  let target: string;
  try {
    target = parseName(targetText, origin);
  } catch {
    return false;
  }
  // Written in place: priority, target, then each param as key, length, value.
  scratch.writeUInt16BE(priority, 0);
  fastPos = writeName(target, 2);
  fastHead = fastPos;
  fastCount = 0;
  fastAscending = true;
  return true;
}

/**
 * One param: the key is keySrc[0, keyEnd), the value valSrc[from, to) without quotes (from < 0:
 * no value). False when the fast path declines.
 */
function fastParam(keySrc: string, keyEnd: number, valSrc: string, from: number, to: number): boolean {
  if (keyEnd === 0) return false;
  let key: number;
  let generic = false;
  if (keySrc.startsWith('key')) {
    if (keyEnd > 3 && keySrc.charCodeAt(3) === 0x30) return false; // key0... : leading zero or mandatory
    key = plainNumber(keySrc, 3, keyEnd, 0xfffe);
    if (key < DOHPATH + 1) return false; // the known keys (and bad ones) take the full path
    generic = true;
  } else if (keyEnd === 4 && keySrc.startsWith('alpn')) {
    key = ALPN;
  } else if (keyEnd === 4 && keySrc.startsWith('port')) {
    key = PORT;
  } else {
    return false;
  }
  const count = fastCount;
  for (let i = 0; i < count; i++) if (fastKeys[i] === key) return false;
  if (count > 0 && key < fastKeys[count - 1]!) fastAscending = false;
  const start = fastPos;
  if (start + (to - from) + 512 > scratch.length) return false;
  let w = start + 4;
  if (generic) {
    for (let i = from; i < to; i++) {
      const c = valSrc.charCodeAt(i);
      if (c === 0x5c || c === 0x22 || c >= 0x80) return false;
      scratch[w++] = c;
    }
  } else if (key === ALPN) {
    if (from < 0 || to === from) return false;
    let idStart = from;
    for (let i = from; i <= to; i++) {
      const c = i === to ? 0x2c : valSrc.charCodeAt(i);
      if (c === 0x5c || c === 0x22 || c >= 0x80) return false;
      if (c === 0x2c) {
        const len = i - idStart;
        if (len === 0 || len > 255) return false;
        scratch[w++] = len;
        for (let j = idStart; j < i; j++) scratch[w++] = valSrc.charCodeAt(j);
        idStart = i + 1;
      }
    }
  } else {
    // Digits only: no escapes or quotes to look for.
    const port = from < 0 ? -1 : plainNumber(valSrc, from, to, 0xffff);
    if (port < 0) return false;
    scratch[w++] = port >> 8;
    scratch[w++] = port & 0xff;
  }
  const len = w - start - 4;
  scratch[start] = key >> 8;
  scratch[start + 1] = key & 0xff;
  scratch[start + 2] = len >> 8;
  scratch[start + 3] = len & 0xff;
  fastKeys[count] = key;
  fastStart[count] = start;
  fastLen[count] = w - start;
  fastOrder[count] = count;
  fastCount = count + 1;
  fastPos = w;
  return true;
}

function fastEnd(): Buffer {
  const pos = fastPos;
  const count = fastCount;
  const out = Buffer.allocUnsafe(pos);
  if (fastAscending) {
    scratch.copy(out, 0, 0, pos);
    return out;
  }
  // Keys in ascending order (insertion sort: a record has a handful).
  for (let i = 1; i < count; i++) {
    const o = fastOrder[i]!;
    let j = i - 1;
    while (j >= 0 && fastKeys[fastOrder[j]!]! > fastKeys[o]!) {
      fastOrder[j + 1] = fastOrder[j]!;
      j--;
    }
    fastOrder[j + 1] = o;
  }
  scratch.copy(out, 0, 0, fastHead);
  let w = fastHead;
  for (let i = 0; i < count; i++) {
    const o = fastOrder[i]!;
    w += scratch.copy(out, w, fastStart[o]!, fastStart[o]! + fastLen[o]!);
  }
  return out;
}

/** A canonical name's wire form into scratch at `at`; the offset after it. */
function writeName(name: string, at: number): number {
  if (name.indexOf('\\') >= 0 || name === '.') {
    const wire = nameWire(name);
    wire.copy(scratch, at);
    return at + wire.length;
  }
  let start = at;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      scratch[start] = at + i + 1 - start - 1;
      start = at + i + 1;
    } else {
      scratch[at + i + 1] = c;
    }
  }
  scratch[at + name.length] = 0;
  return at + name.length + 1;
}

/** svcbFromText without the fast path. */
export function svcbFromTextFull(f: Fields, origin: string): Buffer {
  const prioTok = f.next('priority');
  const priority = parseNumber(prioTok, `${f.what} priority`, 0xffff);
  // BIND reads the target as a possibly quoted string.
  const target = parseNameField(f.next('target'), origin, `${f.what} target`, true);
  const params = new Map<number, { value: Buffer; tok: Token }>();
  for (const tok of f.rest()) {
    const { key: keyText, value } = splitParam(tok);
    if (keyText.length === 0) fail(BAD, `SVCB parameter "${tok.text}" has no key`, tok);
    const key = parseKey(keyText, tok);
    if (params.has(key)) fail(BAD, `SVCB key "${keyLabel(key)}" given twice`, tok);
    const raw = value === undefined ? undefined : unescapeText(value, tok, `SVCB ${keyLabel(key)} value`);
    const v = valueFromText(key, raw, keyText.startsWith('key'), tok);
    if (v.length > 0xffff) fail('ERR_RDATA_TOO_LONG', `SVCB ${keyLabel(key)} value of ${v.length} octets (limit 65535)`, tok);
    params.set(key, { value: v, tok });
  }
  const keys = [...params.keys()].sort((a, b) => a - b);
  const mandatory = params.get(MANDATORY);
  if (mandatory !== undefined) {
    for (let i = 0; i < mandatory.value.length; i += 2) {
      const k = mandatory.value.readUInt16BE(i);
      if (!params.has(k)) fail(BAD, `SVCB mandatory lists "${keyLabel(k)}" but the record has no such parameter`, mandatory.tok);
    }
  }
  const nda = params.get(NO_DEFAULT_ALPN);
  if (nda !== undefined && !params.has(ALPN)) fail(BAD, `SVCB no-default-alpn needs an alpn parameter too`, nda.tok);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(priority);
  const parts: Buffer[] = [head, nameWire(target)];
  for (const k of keys) {
    const { value } = params.get(k)!;
    const h = Buffer.alloc(4);
    h.writeUInt16BE(k, 0);
    h.writeUInt16BE(value.length, 2);
    parts.push(h, value);
  }
  return Buffer.concat(parts);
}

/** Parsed wire RDATA; throws RdataError ERR_RDATA_BAD_WIRE when malformed. */
function readSvcb(rdata: Buffer, what: string): { priority: number; target: string; params: Array<[number, Buffer]> } {
  const r = new WireReader(rdata, what);
  const priority = r.u16('priority');
  const target = r.name('target');
  const params: Array<[number, Buffer]> = [];
  let last = -1;
  while (r.left > 0) {
    const key = r.u16('SvcParamKey');
    if (key <= last) fail('ERR_RDATA_BAD_WIRE', `${what} SvcParamKeys not in strictly ascending order (${keyLabel(key)} after ${keyLabel(last)})`);
    last = key;
    const len = r.u16(`${keyLabel(key)} length`);
    const value = r.bytes(len, `${keyLabel(key)} value`);
    const why = checkValue(key, value);
    if (why !== undefined) fail('ERR_RDATA_BAD_WIRE', `${what} ${why}`);
    params.push([key, value]);
  }
  const present = new Set(params.map(([k]) => k));
  const man = params.find(([k]) => k === MANDATORY);
  if (man !== undefined) {
    for (let i = 0; i < man[1].length; i += 2) {
      const k = man[1].readUInt16BE(i);
      if (!present.has(k)) fail('ERR_RDATA_BAD_WIRE', `${what} mandatory lists ${keyLabel(k)} but it is not present`);
    }
  }
  if (present.has(NO_DEFAULT_ALPN) && !present.has(ALPN)) fail('ERR_RDATA_BAD_WIRE', `${what} has no-default-alpn without alpn`);
  return { priority, target, params };
}

export function checkSvcb(rdata: Buffer, what: string): void {
  if (!svcbValid(rdata)) readSvcb(rdata, what); // it throws the fault
}

/**
 * readSvcb's checks without building anything (no name text, no params list): true when
 * readSvcb would accept the RDATA. False sends the caller to readSvcb for the exact fault.
 */
function svcbValid(b: Buffer): boolean {
  const n = b.length;
  let p = 2;
  if (n < 3) return false;
  // Target: an uncompressed name of at most 255 octets.
  for (;;) {
    if (p >= n) return false;
    const len = b[p]!;
    if (len === 0) break;
    if (len > 63 || p + 1 + len > n) return false;
    p += 1 + len;
  }
  if (p + 1 - 2 > 255) return false;
  p++;
  let last = -1;
  let mandatoryAt = -1;
  let mandatoryLen = 0;
  let hasAlpn = false;
  let hasNda = false;
  const start = p;
  while (p < n) {
    if (p + 4 > n) return false;
    const key = (b[p]! << 8) | b[p + 1]!;
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    if (key <= last || p + 4 + len > n) return false;
    last = key;
    // checkValue finds nothing wrong with other keys above dohpath, but for key65535.
    if (key <= DOHPATH || key === INVALID_KEY) {
      if (checkValue(key, b.subarray(p + 4, p + 4 + len)) !== undefined) return false;
    }
    if (key === MANDATORY) {
      mandatoryAt = p + 4;
      mandatoryLen = len;
    } else if (key === ALPN) hasAlpn = true;
    else if (key === NO_DEFAULT_ALPN) hasNda = true;
    p += 4 + len;
  }
  if (hasNda && !hasAlpn) return false;
  for (let i = 0; i < mandatoryLen; i += 2) {
    // Each listed key must be present: look for it among the params.
    const want = (b[mandatoryAt + i]! << 8) | b[mandatoryAt + i + 1]!;
    let found = false;
    for (let q = start; q < n; ) {
      const key = (b[q]! << 8) | b[q + 1]!;
      if (key === want) {
        found = true;
        break;
      }
      q += 4 + ((b[q + 2]! << 8) | b[q + 3]!);
    }
    if (!found) return false;
  }
  return true;
}

/** An ALPN id inside the quoted list: BIND's commatxt_totext (space and up as \DDD, `,` as `\\,`, `\` as `\\\\`). */
function alpnIdText(id: Buffer): string {
  let s = '';
  for (const c of id) {
    if (c < 0x21 || c >= 0x7f) s += '\\' + String(c).padStart(3, '0');
    else if (c === 0x2c) s += '\\\\,';
    else if (c === 0x5c) s += '\\\\\\\\';
    else if (c === 0x22) s += '\\"';
    else s += String.fromCharCode(c);
  }
  return s;
}

function valueToText(key: number, v: Buffer): string {
  switch (key) {
    case MANDATORY: {
      const keys: string[] = [];
      for (let i = 0; i < v.length; i += 2) {
        const k = v.readUInt16BE(i);
        keys.push(k < PRINTED_BY_NAME ? KEY_NAMES[k]! : `key${k}`);
      }
      return keys.join(',');
    }
    case ALPN: {
      const ids: string[] = [];
      for (let i = 0; i < v.length; ) {
        const n = v[i]!;
        ids.push(alpnIdText(v.subarray(i + 1, i + 1 + n)));
        i += 1 + n;
      }
      return `"${ids.join(',')}"`;
    }
    case PORT:
      return String(v.readUInt16BE(0));
    case IPV4HINT: {
      const out: string[] = [];
      for (let i = 0; i < v.length; i += 4) out.push(formatIPv4(v.subarray(i, i + 4)));
      return out.join(',');
    }
    case IPV6HINT: {
      const out: string[] = [];
      for (let i = 0; i < v.length; i += 16) out.push(formatIPv6(v.subarray(i, i + 16)));
      return out.join(',');
    }
    case ECH:
      return v.toString('base64');
    default:
      return quoteText(v);
  }
}

/** One SvcParam in presentation form as BIND 9.18 prints it: `alpn="mcp,h2"`, `port=443`, `key65400="..."`. */
export function svcbParamText(key: number, value: Buffer): string {
  const name = key < PRINTED_BY_NAME ? KEY_NAMES[key]! : `key${key}`;
  return value.length > 0 ? `${name}=${valueToText(key, value)}` : name;
}

/** Wire -> presentation as BIND 9.18 prints it; throws RdataError when malformed. */
export function svcbToText(rdata: Buffer, what: string): string {
  const { priority, target, params } = readSvcb(rdata, what);
  let s = `${priority} ${target}`;
  for (const [key, value] of params) s += ' ' + svcbParamText(key, value);
  return s;
}

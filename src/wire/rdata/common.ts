// Shared pieces of the RDATA codecs: reading fields from tokens, character-strings with
// escapes, numbers, names, hex and base64 in both directions, and a bounds-checked wire reader.

import { NameError, RdataError } from '../errors.js';
import { labelsToText, MAX_LABEL, MAX_NAME_WIRE, nameToWire, parseName } from '../name.js';
import type { Token } from '../token.js';

/** One type's RDATA codec (the table is CODECS in records.ts). */
export interface Codec {
  fromText(f: Fields, origin: string): Buffer;
  /** Throws RdataError (ERR_RDATA_BAD_WIRE) when the RDATA is malformed for the type. */
  toText(rdata: Buffer): string;
  check?(rdata: Buffer): void;
}

export function u8(n: number): Buffer {
  return Buffer.from([n]);
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export type At = { line: number; col: number } | undefined;

export function at(tok: Token | undefined): At {
  return tok === undefined ? undefined : { line: tok.line, col: tok.col };
}

export function fail(code: string, message: string, tok?: Token | At): never {
  const where = tok === undefined ? undefined : 'text' in tok ? at(tok) : tok;
  throw new RdataError(code, message, where);
}

/** How a token looked in the input, for messages. */
export function show(tok: Token): string {
  return `"${tok.text}"`;
}

/**
 * The RDATA tokens of one record, read field by field. `what` names the record type in
 * messages (`missing MX exchange`, `extra token "x" after MX`).
 */
export class Fields {
  private i = 0;
  constructor(readonly tokens: readonly Token[], readonly what: string) {}

  get left(): number {
    return this.tokens.length - this.i;
  }

  peek(): Token | undefined {
    return this.tokens[this.i];
  }

  /** The next token, or ERR_RDATA_MISSING naming the field. */
  next(field: string): Token {
    const tok = this.tokens[this.i];
    if (tok === undefined) fail('ERR_RDATA_MISSING', `missing ${this.what} ${field}`, this.endAt());
    this.i++;
    return tok;
  }

  /** All tokens not read yet. */
  rest(): Token[] {
    const out = this.tokens.slice(this.i);
    this.i = this.tokens.length;
    return out;
  }

  /** Every token must have been read. */
  end(): void {
    const tok = this.tokens[this.i];
    if (tok !== undefined) fail('ERR_RDATA_EXTRA', `extra token ${show(tok)} after ${this.what}`, tok);
  }

  /** Just after the last token: where a missing field would have been. */
  endAt(): At {
    const last = this.tokens[this.tokens.length - 1];
    if (last === undefined) return undefined;
    return { line: last.line, col: last.col + last.text.length + (last.quoted ? 2 : 0) };
  }
}

// ---------------------------------------------------------------- numbers

/** An unsigned decimal field (BIND: digits only, leading zeros allowed, no sign, not quoted). */
export function parseNumber(tok: Token, what: string, max: number): number {
  if (tok.quoted) fail('ERR_RDATA_BAD_NUMBER', `${what} must not be quoted: ${show(tok)}`, tok);
  if (!/^\d+$/.test(tok.text)) fail('ERR_RDATA_BAD_NUMBER', `bad ${what} ${show(tok)}: not a decimal number`, tok);
  const n = Number(tok.text);
  if (n > max) fail('ERR_RDATA_BAD_NUMBER', `bad ${what} ${show(tok)}: over ${max}`, tok);
  return n;
}

/** A number or one of the mnemonics in `names` (case-insensitive), as BIND allows for algorithms. */
export function parseNumberOrName(tok: Token, what: string, max: number, names: Record<string, number>): number {
  if (!tok.quoted && !/^\d+$/.test(tok.text)) {
    const v = names[tok.text.toUpperCase()];
    if (v !== undefined) return v;
    fail('ERR_RDATA_BAD_NUMBER', `bad ${what} ${show(tok)}: not a number or a known mnemonic`, tok);
  }
  return parseNumber(tok, what, max);
}

// ---------------------------------------------------------------- names

/**
 * A domain name field, made absolute with the origin; `@` is the origin. Quotes are refused
 * as BIND refuses them, except where BIND reads a quoted string (the SVCB target).
 */
export function parseNameField(tok: Token, origin: string, what: string, allowQuoted = false): string {
  if (tok.quoted && !allowQuoted) fail('ERR_RDATA_BAD_NAME', `${what} must not be quoted: ${show(tok)}`, tok);
  try {
    return parseName(tok.text, origin);
  } catch (e) {
    if (e instanceof NameError) fail('ERR_RDATA_BAD_NAME', `bad ${what} ${show(tok)}: ${e.message}`, tok);
    throw e;
  }
}

export function nameWire(name: string): Buffer {
  return nameToWire(name);
}

// ---------------------------------------------------------------- character-strings

/**
 * Octets of presentation text with escapes resolved: `\DDD` (exactly three digits, at most 255)
 * and `\X` for any other X. Characters below U+0080 are one octet each; others are written as
 * their UTF-8 octets, which is what BIND stores when it reads a UTF-8 zone file.
 */
export function unescapeText(text: string, tok: Token | At, what: string): Buffer {
  // Most text has no escapes and is ASCII: one octet per character.
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c || c >= 0x80) {
      plain = false;
      break;
    }
  }
  if (plain) return Buffer.from(text, 'latin1');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      if (i + 1 >= text.length) fail('ERR_RDATA_BAD_TEXT', `bad ${what}: it ends in a lone backslash`, tok);
      const n = text[i + 1]!;
      if (n >= '0' && n <= '9') {
        const d = text.slice(i + 1, i + 4);
        if (!/^\d{3}$/.test(d)) fail('ERR_RDATA_BAD_TEXT', `bad ${what}: escape \\${d} is not \\DDD with three digits`, tok);
        const v = Number(d);
        if (v > 255) fail('ERR_RDATA_BAD_TEXT', `bad ${what}: escape \\${d} is over 255`, tok);
        out.push(v);
        i += 3;
        continue;
      }
      i++;
      pushChar(out, text, i);
      if (text.charCodeAt(i) >= 0xd800 && text.charCodeAt(i) < 0xdc00) i++;
      continue;
    }
    pushChar(out, text, i);
    if (c >= 0xd800 && c < 0xdc00) i++;
  }
  return Buffer.from(out);
}

function pushChar(out: number[], text: string, i: number): void {
  const c = text.charCodeAt(i);
  if (c < 0x80) {
    out.push(c);
    return;
  }
  const cp = text.codePointAt(i)!;
  for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
}

/** One <character-string> (RFC 1035 section 3.3): at most 255 octets, an error beyond. */
export function parseCharString(tok: Token, what: string): Buffer {
  const b = unescapeText(tok.text, tok, what);
  if (b.length > 255) fail('ERR_RDATA_TOO_LONG', `${what} is ${b.length} octets; a character-string holds at most 255`, tok);
  return b;
}

/** Wire form of one character-string: length octet then the octets. */
export function charStringWire(b: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/**
 * A string in double quotes the way BIND prints TXT and other text fields: octets below 0x20
 * and from 0x7f up as \DDD, `"` and `\` with a backslash, everything else as itself.
 */
export function quoteText(b: Uint8Array): string {
  let s = '"';
  for (const c of b) {
    if (c < 0x20 || c >= 0x7f) s += '\\' + String(c).padStart(3, '0');
    else if (c === 0x22 || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else s += String.fromCharCode(c);
  }
  return s + '"';
}

// ---------------------------------------------------------------- hex and base64

/** Hex spread over unquoted tokens (BIND allows any split, even mid-octet); callers check the length. */
export function parseHexTokens(toks: readonly Token[], what: string, at0: At): Buffer {
  for (const t of toks) {
    if (t.quoted) fail('ERR_RDATA_BAD_HEX', `${what} must not be quoted: ${show(t)}`, t);
    if (!/^[0-9a-fA-F]*$/.test(t.text)) fail('ERR_RDATA_BAD_HEX', `bad ${what}: ${show(t)} is not hex`, t);
  }
  const all = toks.map((t) => t.text).join('');
  if (all.length % 2 !== 0) fail('ERR_RDATA_BAD_HEX', `bad ${what}: odd number of hex digits (${all.length})`, toks[0] ?? at0);
  return Buffer.from(all, 'hex');
}

/** Strict base64 (RFC 4648): padding required, unused bits zero, as BIND checks. */
export function decodeBase64(text: string, what: string, where: Token | At): Buffer {
  if (text.length === 0) return Buffer.alloc(0);
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/.test(text)) {
    fail('ERR_RDATA_BAD_BASE64', `bad ${what}: "${text.length > 40 ? text.slice(0, 40) + '...' : text}" is not base64`, where);
  }
  const b = Buffer.from(text, 'base64');
  if (b.toString('base64') !== text) fail('ERR_RDATA_BAD_BASE64', `bad ${what}: base64 with non-zero padding bits`, where);
  return b;
}

export function parseBase64Tokens(toks: readonly Token[], what: string): Buffer {
  for (const t of toks) if (t.quoted) fail('ERR_RDATA_BAD_BASE64', `${what} must not be quoted: ${show(t)}`, t);
  return decodeBase64(toks.map((t) => t.text).join(''), what, toks[0]);
}

// BIND prints hex and base64 in words of 56 characters separated by a space when it writes a
// zone on one line (dns_rdata_tofmttext with width 60, word length width - 2, rounded down
// to whole octets or whole base64 groups).
const WORD = 56;

function words(s: string): string {
  if (s.length <= WORD) return s;
  const parts: string[] = [];
  for (let i = 0; i < s.length; i += WORD) parts.push(s.slice(i, i + WORD));
  return parts.join(' ');
}

export function hexWords(b: Uint8Array): string {
  return words(Buffer.from(b).toString('hex').toUpperCase());
}

export function base64Words(b: Uint8Array): string {
  return words(Buffer.from(b).toString('base64'));
}

// ---------------------------------------------------------------- wire reader

/** Reads RDATA field by field; any fault is ERR_RDATA_BAD_WIRE with a message naming the field. */
export class WireReader {
  pos = 0;
  constructor(readonly buf: Buffer, readonly what: string) {}

  get left(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (this.pos + n > this.buf.length) {
      fail('ERR_RDATA_BAD_WIRE', `${this.what} RDATA ends inside the ${field} (${this.buf.length} octets)`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return b;
  }

  charString(field: string): Buffer {
    const n = this.u8(field + ' length');
    return this.bytes(n, field);
  }

  /** An uncompressed name: compression pointers and extended label types are malformed here. */
  name(field: string): string {
    const labels: Buffer[] = [];
    let wireLen = 1;
    for (;;) {
      const len = this.u8(field);
      if (len === 0) break;
      if (len > MAX_LABEL) {
        const kind = (len & 0xc0) === 0xc0 ? 'a compression pointer' : `label type 0x${(len & 0xc0).toString(16)}`;
        fail('ERR_RDATA_BAD_WIRE', `${this.what} ${field} holds ${kind}; names in RDATA must be uncompressed`);
      }
      wireLen += len + 1;
      if (wireLen > MAX_NAME_WIRE) fail('ERR_RDATA_BAD_WIRE', `${this.what} ${field} is over ${MAX_NAME_WIRE} octets`);
      labels.push(this.bytes(len, field));
    }
    return labelsToText(labels);
  }

  /** Everything must have been read. */
  end(): void {
    if (this.pos !== this.buf.length) {
      fail('ERR_RDATA_BAD_WIRE', `${this.buf.length - this.pos} octets of trailing data after ${this.what} RDATA`);
    }
  }
}

// DNSSEC RDATA codecs (RFC 4034, 5155, 7344): DS and CDS, DNSKEY and CDNSKEY, RRSIG, NSEC,
// NSEC3, NSEC3PARAM. Presentation as BIND 9.18 prints it; each toText reads the whole RDATA
// with bounds checks, so it doubles as the wire validator.

import { typeFromString, typeToString } from '../types.js';
import { parseDuration } from '../ttl.js';
import { base32hexDecode, base32hexEncode } from '../base32hex.js';
import {
  base64Words,
  type Codec,
  fail,
  hexWords,
  nameWire,
  parseBase64Tokens,
  parseHexTokens,
  parseNameField,
  parseNumber,
  parseNumberOrName,
  show,
  u16,
  u32,
  u8,
  WireReader,
} from './common.js';
import { readTypeBitmap, typeBitmap, typesFromTokens, typesToText } from './type-bitmap.js';
import type { Token } from '../token.js';

/** DNSSEC algorithm mnemonics, exactly those BIND 9.18 accepts (case-insensitive). */
export const ALGORITHMS: Record<string, number> = {
  RSAMD5: 1, DH: 2, DSA: 3, RSASHA1: 5, NSEC3DSA: 6, NSEC3RSASHA1: 7, RSASHA256: 8, RSASHA512: 10,
  ECCGOST: 12, ECDSAP256SHA256: 13, ECDSAP384SHA384: 14, ED25519: 15, ED448: 16, INDIRECT: 252,
  PRIVATEDNS: 253, PRIVATEOID: 254,
};
const DIGESTS: Record<string, number> = { 'SHA-1': 1, SHA1: 1, 'SHA-256': 2, SHA256: 2, GOST: 3, 'SHA-384': 4, SHA384: 4 };
const PROTOCOLS: Record<string, number> = { NONE: 0, TLS: 1, EMAIL: 2, DNSSEC: 3, IPSEC: 4, ALL: 255 };
/** Digest lengths BIND enforces for DS (SHA-1, SHA-256, SHA-384); other types may be any length. */
export const DS_DIGEST_LENGTH = new Map([[1, 20], [2, 32], [4, 48]]);

function fitsRdata(size: number, what: string, tok: Token | undefined): void {
  if (size > 0xffff) fail('ERR_RDATA_TOO_LONG', `${what} RDATA is ${size} octets (limit 65535)`, tok);
}

// ---------------------------------------------------------------- DS, CDS

function dsLike(what: string): Codec {
  return {
    fromText(f) {
      const keyTag = parseNumber(f.next('key tag'), `${what} key tag`, 0xffff);
      const algorithm = parseNumberOrName(f.next('algorithm'), `${what} algorithm`, 0xff, ALGORITHMS);
      const digestType = parseNumberOrName(f.next('digest type'), `${what} digest type`, 0xff, DIGESTS);
      if (f.left === 0) f.next('digest');
      const toks = f.rest();
      const digest = parseHexTokens(toks, `${what} digest`, undefined);
      const want = DS_DIGEST_LENGTH.get(digestType);
      if (digest.length === 0 || (want !== undefined && digest.length !== want)) {
        fail('ERR_RDATA_BAD_LENGTH', `${what} digest is ${digest.length} octets; digest type ${digestType} needs ${want ?? 'at least 1'}`, toks[0]);
      }
      fitsRdata(4 + digest.length, what, toks[0]);
      return Buffer.concat([u16(keyTag), u8(algorithm), u8(digestType), digest]);
    },
    toText(rdata) {
      if (rdata.length < 5) fail('ERR_RDATA_BAD_WIRE', `${what} RDATA of ${rdata.length} octets is shorter than its fields`);
      const r = new WireReader(rdata, what);
      const keyTag = r.u16('key tag');
      const algorithm = r.u8('algorithm');
      const digestType = r.u8('digest type');
      const digest = r.rest();
      if (digest.length === 0) fail('ERR_RDATA_BAD_WIRE', `${what} has no digest`);
      const want = DS_DIGEST_LENGTH.get(digestType);
      if (want !== undefined && digest.length !== want) fail('ERR_RDATA_BAD_WIRE', `${what} digest is ${digest.length} octets; digest type ${digestType} needs ${want}`);
      return `${keyTag} ${algorithm} ${digestType} ${hexWords(digest)}`;
    },
  };
}

// ---------------------------------------------------------------- DNSKEY, CDNSKEY

function dnskeyLike(what: string): Codec {
  return {
    fromText(f) {
      const flags = parseNumber(f.next('flags'), `${what} flags`, 0xffff);
      const protocol = parseNumberOrName(f.next('protocol'), `${what} protocol`, 0xff, PROTOCOLS);
      const algorithm = parseNumberOrName(f.next('algorithm'), `${what} algorithm`, 0xff, ALGORITHMS);
      if (f.left === 0) f.next('public key');
      const key = parseBase64Tokens(f.rest(), `${what} public key`);
      return Buffer.concat([u16(flags), u8(protocol), u8(algorithm), key]);
    },
    toText(rdata) {
      const r = new WireReader(rdata, what);
      const flags = r.u16('flags');
      const protocol = r.u8('protocol');
      const algorithm = r.u8('algorithm');
      const key = r.rest();
      if (key.length === 0) fail('ERR_RDATA_BAD_WIRE', `${what} has no public key`);
      return `${flags} ${protocol} ${algorithm} ${base64Words(key)}`;
    },
  };
}

// ---------------------------------------------------------------- RRSIG

/** 32-bit signature time -> YYYYMMDDHHMMSS, read in serial arithmetic nearest to now as BIND does. */
export function sigTimeToText(value: number, nowSec = Math.floor(Date.now() / 1000)): string {
  const span = 2 ** 32;
  let t = value + Math.round((nowSec - value) / span) * span;
  if (t < 0) t += span;
  const d = new Date(t * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** RFC 4034 section 3.2: YYYYMMDDHHmmSS (UTC) or, up to 10 characters, seconds since 1970. */
export function sigTimeFromText(tok: Token, what: string): number {
  if (tok.quoted) fail('ERR_RDATA_BAD_NUMBER', `${what} must not be quoted: ${show(tok)}`, tok);
  const text = tok.text;
  if (text.length <= 10) return parseNumber(tok, what, 0xffffffff);
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (m === null) fail('ERR_RDATA_BAD_NUMBER', `bad ${what} ${show(tok)}: not YYYYMMDDHHMMSS or seconds`, tok);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (y < 1970 || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 60) {
    fail('ERR_RDATA_BAD_NUMBER', `bad ${what} ${show(tok)}: not a valid date and time`, tok);
  }
  return (ms / 1000) % 2 ** 32;
}

/** The fields of RRSIG RDATA (RFC 4034 section 3.1). */
export interface RrsigFields {
  typeCovered: number;
  algorithm: number;
  labels: number;
  originalTtl: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signerName: string;
  signature: Buffer;
  /** Octets of the RDATA before the signature (the fields RFC 4034 section 3.1.8.1 signs, as written). */
  signedFieldsLength: number;
}

export function readRrsig(rdata: Buffer): RrsigFields {
  const r = new WireReader(rdata, 'RRSIG');
  const typeCovered = r.u16('type covered');
  const algorithm = r.u8('algorithm');
  const labels = r.u8('labels');
  const originalTtl = r.u32('original TTL');
  const expiration = r.u32('signature expiration');
  const inception = r.u32('signature inception');
  const keyTag = r.u16('key tag');
  const signerName = r.name('signer name');
  const signedFieldsLength = r.pos;
  return { typeCovered, algorithm, labels, originalTtl, expiration, inception, keyTag, signerName, signature: r.rest(), signedFieldsLength };
}

export function rrsigWire(f: Omit<RrsigFields, 'signedFieldsLength'>): Buffer {
  return Buffer.concat([
    u16(f.typeCovered), u8(f.algorithm), u8(f.labels), u32(f.originalTtl), u32(f.expiration), u32(f.inception),
    u16(f.keyTag), nameWire(f.signerName), f.signature,
  ]);
}

const RRSIG: Codec = {
  fromText(f, origin) {
    const covTok = f.next('type covered');
    const typeCovered = covTok.quoted ? undefined : typeFromString(covTok.text);
    if (typeCovered === undefined) fail('ERR_RDATA_BAD_VALUE', `bad RRSIG type covered ${show(covTok)}: not a type mnemonic or TYPEnnn`, covTok);
    const algorithm = parseNumberOrName(f.next('algorithm'), 'RRSIG algorithm', 0xff, ALGORITHMS);
    const labels = parseNumber(f.next('labels'), 'RRSIG labels', 0xff);
    const ttlTok = f.next('original TTL');
    if (ttlTok.quoted) fail('ERR_RDATA_BAD_NUMBER', `RRSIG original TTL must not be quoted: ${show(ttlTok)}`, ttlTok);
    const ttl = parseDuration(ttlTok.text, 0xffffffff);
    if ('error' in ttl) fail('ERR_RDATA_BAD_NUMBER', `bad RRSIG original TTL ${show(ttlTok)}: ${ttl.error}`, ttlTok);
    const expiration = sigTimeFromText(f.next('signature expiration'), 'RRSIG signature expiration');
    const inception = sigTimeFromText(f.next('signature inception'), 'RRSIG signature inception');
    const keyTag = parseNumber(f.next('key tag'), 'RRSIG key tag', 0xffff);
    const signerName = parseNameField(f.next('signer name'), origin, 'RRSIG signer name');
    if (f.left === 0) f.next('signature');
    const signature = parseBase64Tokens(f.rest(), 'RRSIG signature');
    return rrsigWire({ typeCovered, algorithm, labels, originalTtl: ttl.value, expiration, inception, keyTag, signerName, signature });
  },
  toText(rdata) {
    const s = readRrsig(rdata);
    if (s.signature.length === 0) fail('ERR_RDATA_BAD_WIRE', 'RRSIG has no signature');
    return `${typeToString(s.typeCovered)} ${s.algorithm} ${s.labels} ${s.originalTtl} ${sigTimeToText(s.expiration)} ${sigTimeToText(s.inception)} ${s.keyTag} ${s.signerName} ${base64Words(s.signature)}`;
  },
};

// ---------------------------------------------------------------- NSEC

const NSEC: Codec = {
  fromText(f, origin) {
    const next = parseNameField(f.next('next domain name'), origin, 'NSEC next domain name');
    if (f.left === 0) f.next('type');
    return Buffer.concat([nameWire(next), typeBitmap(typesFromTokens(f.rest(), 'NSEC'))]);
  },
  toText(rdata) {
    const r = new WireReader(rdata, 'NSEC');
    const next = r.name('next domain name');
    return `${next} ${typesToText(readTypeBitmap(r, false))}`;
  },
};

// ---------------------------------------------------------------- NSEC3, NSEC3PARAM

function saltFromText(tok: Token, what: string): Buffer {
  if (!tok.quoted && tok.text === '-') return Buffer.alloc(0);
  const salt = parseHexTokens([tok], `${what} salt`, undefined);
  if (salt.length === 0 || salt.length > 255) fail('ERR_RDATA_BAD_LENGTH', `${what} salt is ${salt.length} octets (1 to 255, or - for none)`, tok);
  return salt;
}

function saltToText(salt: Buffer): string {
  return salt.length === 0 ? '-' : salt.toString('hex').toUpperCase();
}

function nsec3Head(f: import('./common.js').Fields, what: string): Buffer {
  const hash = parseNumber(f.next('hash algorithm'), `${what} hash algorithm`, 0xff);
  const flags = parseNumber(f.next('flags'), `${what} flags`, 0xff);
  const iterations = parseNumber(f.next('iterations'), `${what} iterations`, 0xffff);
  const salt = saltFromText(f.next('salt'), what);
  return Buffer.concat([u8(hash), u8(flags), u16(iterations), u8(salt.length), salt]);
}

function readNsec3Head(r: WireReader): string {
  const hash = r.u8('hash algorithm');
  const flags = r.u8('flags');
  const iterations = r.u16('iterations');
  const salt = r.charString('salt');
  return `${hash} ${flags} ${iterations} ${saltToText(salt)}`;
}

const NSEC3: Codec = {
  fromText(f) {
    const head = nsec3Head(f, 'NSEC3');
    const tok = f.next('next hashed owner name');
    const next = tok.quoted ? undefined : base32hexDecode(tok.text);
    if (next === undefined || next.length === 0 || next.length > 255) {
      fail('ERR_RDATA_BAD_VALUE', `bad NSEC3 next hashed owner name ${show(tok)}: not base32hex of 1 to 255 octets`, tok);
    }
    return Buffer.concat([head, u8(next.length), next, typeBitmap(typesFromTokens(f.rest(), 'NSEC3'))]);
  },
  toText(rdata) {
    const r = new WireReader(rdata, 'NSEC3');
    const head = readNsec3Head(r);
    const next = r.charString('next hashed owner name');
    if (next.length === 0) fail('ERR_RDATA_BAD_WIRE', 'NSEC3 next hashed owner name is empty');
    const types = readTypeBitmap(r, true);
    const hash = base32hexEncode(next);
    return types.length === 0 ? `${head} ${hash}` : `${head} ${hash} ${typesToText(types)}`;
  },
};

const NSEC3PARAM: Codec = {
  fromText(f) {
    const head = nsec3Head(f, 'NSEC3PARAM');
    f.end();
    return head;
  },
  toText(rdata) {
    const r = new WireReader(rdata, 'NSEC3PARAM');
    const head = readNsec3Head(r);
    r.end();
    return head;
  },
};

export const DS = dsLike('DS');
export const CDS = dsLike('CDS');
export const DNSKEY = dnskeyLike('DNSKEY');
export const CDNSKEY = dnskeyLike('CDNSKEY');
export { RRSIG, NSEC, NSEC3, NSEC3PARAM };

// TSIG (RFC 8945): HMAC signatures over whole DNS messages: verifying signed requests, signing
// replies (request MAC first), and signing or verifying the messages of a TCP stream (AXFR/IXFR).

import { createHmac, timingSafeEqual } from 'node:crypto';
import { WireError } from './errors.js';
import { nameKey, nameToWire, readName } from './name.js';
import { RRClass, RRType } from './types.js';

/** TSIG error field values (RFC 8945 3, RFC 6895 2.3); the header RCODE is NOTAUTH with any of them. */
export const TsigErrorCode = { NOERROR: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;

export const DEFAULT_FUDGE = 300;

/**
 * Most seconds of clock difference accepted, whatever fudge the signer claims: a fudge of 65535
 * would otherwise let a captured request replay for 18 hours (RFC 8945 10: the time window is
 * TSIG's only replay defence). Time is checked against min(fudge, this); outside it, BADTIME.
 */
export const DEFAULT_MAX_FUDGE = 300;

interface Algorithm { hash: string; size: number }

/** Canonical algorithm names (RFC 8945 6) -> node:crypto hash and full MAC size. */
export const TSIG_ALGORITHMS: ReadonlyMap<string, Algorithm> = new Map([
  ['hmac-md5.sig-alg.reg.int.', { hash: 'md5', size: 16 }],
  ['hmac-sha1.', { hash: 'sha1', size: 20 }],
  ['hmac-sha224.', { hash: 'sha224', size: 28 }],
  ['hmac-sha256.', { hash: 'sha256', size: 32 }],
  ['hmac-sha384.', { hash: 'sha384', size: 48 }],
  ['hmac-sha512.', { hash: 'sha512', size: 64 }],
]);

/** A TSIG failure that is not a verdict on a signature: a malformed TSIG record or a bad key. */
export class TsigError extends WireError {
  constructor(code: 'ERR_TSIG_MALFORMED' | 'ERR_TSIG_PLACEMENT' | 'ERR_TSIG_ALGORITHM' | 'ERR_TSIG_KEY' | 'ERR_TSIG_KEY_EXISTS' | 'ERR_TSIG_KEY_DUPLICATE', message: string) {
    super(code, message);
  }
}

export interface TsigKey {
  /** Key name, a domain name (`writer-key.` or `writer-key`; compared case-insensitively). */
  name: string;
  /** Canonical algorithm name, e.g. `hmac-sha256.`. */
  algorithm: string;
  secret: Buffer;
}

/** The algorithm's canonical name for a short or full spelling (`hmac-sha256`, `HMAC-MD5.SIG-ALG.REG.INT`). */
export function canonicalAlgorithm(text: string): string | undefined {
  let a = text.toLowerCase();
  if (!a.endsWith('.')) a += '.';
  if (a === 'hmac-md5.') a = 'hmac-md5.sig-alg.reg.int.';
  return TSIG_ALGORITHMS.has(a) ? a : undefined;
}

/** Short algorithm name as BIND writes it in key files (`hmac-sha256`). */
export function algorithmLabel(canonical: string): string {
  return canonical === 'hmac-md5.sig-alg.reg.int.' ? 'hmac-md5' : canonical.replace(/\.$/, '');
}

/** The key's algorithm, canonical, with its hash; keys not from a Keyring may spell it short. */
function algorithmOfKey(key: TsigKey): { name: string } & Algorithm {
  const name = canonicalAlgorithm(key.algorithm);
  if (!name) throw new TsigError('ERR_TSIG_ALGORITHM', `key ${key.name}: unknown TSIG algorithm '${key.algorithm}'`);
  return { name, ...TSIG_ALGORITHMS.get(name)! };
}

function absolute(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** Keys by name. */
export class Keyring {
  private readonly keys = new Map<string, TsigKey>();

  constructor(keys: Iterable<TsigKey> = []) {
    for (const k of keys) this.add(k);
  }

  add(key: TsigKey): void {
    const algorithm = canonicalAlgorithm(key.algorithm);
    if (!algorithm) throw new TsigError('ERR_TSIG_ALGORITHM', `key ${key.name}: unknown TSIG algorithm '${key.algorithm}' (want hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1 or hmac-md5)`);
    if (key.secret.length === 0) throw new TsigError('ERR_TSIG_KEY', `key ${key.name}: empty secret`);
    const name = absolute(key.name);
    nameToWire(name); // throws NameError for a name that cannot be a DNS name
    // A second key of one name would silently replace the first (loadKeys names both places).
    if (this.keys.has(nameKey(name))) throw new TsigError('ERR_TSIG_KEY_DUPLICATE', `key ${key.name}: defined twice`);
    this.keys.set(nameKey(name), { name, algorithm, secret: key.secret });
  }

  /** Swap in a whole new set of keys (SIGHUP with new tsig-key files): all checked first, so a bad set changes nothing. */
  replace(keys: Iterable<TsigKey>): void {
    const next = new Keyring(keys);
    this.keys.clear();
    for (const [k, v] of next.keys) this.keys.set(k, v);
  }

  get(name: string): TsigKey | undefined {
    return this.keys.get(nameKey(absolute(name)));
  }

  get size(): number {
    return this.keys.size;
  }

  list(): TsigKey[] {
    return [...this.keys.values()];
  }
}

/** The fields of a TSIG record (RFC 8945 4.2). */
export interface TsigRecord {
  keyName: string;
  /** As written in the record; compare with canonicalAlgorithm. */
  algorithm: string;
  /** Seconds since the epoch (48 bits). */
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

export function decodeTsigRdata(rdata: Buffer, keyName: string): TsigRecord {
  try {
    const { name: algorithm, end } = readName(rdata, 0);
    let pos = end;
    const need = (n: number): void => {
      if (pos + n > rdata.length) throw new TsigError('ERR_TSIG_MALFORMED', 'TSIG RDATA is shorter than its fields');
    };
    need(10);
    const timeSigned = rdata.readUIntBE(pos, 6);
    const fudge = rdata.readUInt16BE(pos + 6);
    const macSize = rdata.readUInt16BE(pos + 8);
    pos += 10;
    need(macSize + 6);
    const mac = Buffer.from(rdata.subarray(pos, pos + macSize));
    pos += macSize;
    const originalId = rdata.readUInt16BE(pos);
    const error = rdata.readUInt16BE(pos + 2);
    const otherLen = rdata.readUInt16BE(pos + 4);
    pos += 6;
    need(otherLen);
    const other = Buffer.from(rdata.subarray(pos, pos + otherLen));
    pos += otherLen;
    if (pos !== rdata.length) throw new TsigError('ERR_TSIG_MALFORMED', `TSIG RDATA has ${rdata.length - pos} bytes beyond its fields`);
    return { keyName, algorithm, timeSigned, fudge, mac, originalId, error, other };
  } catch (err) {
    if (err instanceof TsigError) throw err;
    throw new TsigError('ERR_TSIG_MALFORMED', `TSIG RDATA: ${(err as Error).message}`);
  }
}

function u48(n: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** Key and algorithm names go into the MAC in canonical (lowercase, uncompressed) wire form. */
function canonicalWire(name: string): Buffer {
  return nameToWire(nameKey(absolute(name)));
}

/** The TSIG record's wire form, owner and all, to append to a message. */
export function encodeTsigRecord(rec: TsigRecord): Buffer {
  const rdata = Buffer.concat([
    nameToWire(absolute(rec.algorithm)), u48(rec.timeSigned), u16(rec.fudge), u16(rec.mac.length), rec.mac,
    u16(rec.originalId), u16(rec.error), u16(rec.other.length), rec.other,
  ]);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(RRType.TSIG, 0);
  head.writeUInt16BE(RRClass.ANY, 2);
  head.writeUInt32BE(0, 4);
  head.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([nameToWire(absolute(rec.keyName)), head, rdata]);
}

/** Bytes a TSIG record for this key takes in a message (with `otherLen` of other data). */
export function tsigSize(key: TsigKey, otherLen = 0): number {
  const alg = algorithmOfKey(key);
  return nameToWire(absolute(key.name)).length + 10 + nameToWire(alg.name).length + 16 + alg.size + otherLen;
}

/** Skip a name in a raw message without decoding it (pointers end it). */
function skipName(buf: Buffer, pos: number): number {
  for (let guard = 0; guard < 256; guard++) {
    const len = buf[pos];
    if (len === undefined) throw new TsigError('ERR_TSIG_MALFORMED', 'message ends inside a name');
    if ((len & 0xc0) === 0xc0) return pos + 2;
    if (len === 0) return pos + 1;
    pos += 1 + len;
  }
  throw new TsigError('ERR_TSIG_MALFORMED', 'name too long');
}

/**
 * The TSIG record of a raw message, with the offset where it starts, or undefined when unsigned.
 * A TSIG that is not the very last record, or a second one, is ERR_TSIG_PLACEMENT (FORMERR).
 */
export function findTsig(raw: Buffer): { start: number; record: TsigRecord } | undefined {
  if (raw.length < 12) throw new TsigError('ERR_TSIG_MALFORMED', 'message shorter than a header');
  const qd = raw.readUInt16BE(4);
  const rrs = raw.readUInt16BE(6) + raw.readUInt16BE(8) + raw.readUInt16BE(10);
  let pos = 12;
  for (let i = 0; i < qd; i++) pos = skipName(raw, pos) + 4;
  let found: { start: number; record: TsigRecord } | undefined;
  for (let i = 0; i < rrs; i++) {
    const start = pos;
    const nameEnd = skipName(raw, pos);
    if (nameEnd + 10 > raw.length) throw new TsigError('ERR_TSIG_MALFORMED', 'message ends inside a record');
    const type = raw.readUInt16BE(nameEnd);
    const rdlen = raw.readUInt16BE(nameEnd + 8);
    pos = nameEnd + 10 + rdlen;
    if (pos > raw.length) throw new TsigError('ERR_TSIG_MALFORMED', 'message ends inside a record');
    if (type !== RRType.TSIG) continue;
    if (i !== rrs - 1 || raw.readUInt16BE(10) === 0) throw new TsigError('ERR_TSIG_PLACEMENT', 'TSIG record is not the last additional record (RFC 8945 5.1)');
    const { name } = readName(raw, start);
    if (raw.readUInt16BE(nameEnd + 2) !== RRClass.ANY || raw.readUInt32BE(nameEnd + 4) !== 0) throw new TsigError('ERR_TSIG_MALFORMED', 'TSIG record must have class ANY and TTL 0');
    found = { start, record: decodeTsigRdata(raw.subarray(nameEnd + 10, pos), name) };
  }
  return found;
}

/** The message as the MAC covers it: TSIG record removed, ARCOUNT one less, the original ID. */
function stripped(raw: Buffer, start: number, originalId: number): Buffer {
  const m = Buffer.from(raw.subarray(0, start));
  m.writeUInt16BE(originalId, 0);
  m.writeUInt16BE(m.readUInt16BE(10) - 1, 10);
  return m;
}

function macOf(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(algorithmOfKey(key).hash, key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The TSIG variables (RFC 8945 4.3.3), or with `timersOnly` just time signed and fudge (4.3.1 for later stream messages). */
function variables(rec: TsigRecord, timersOnly: boolean): Buffer {
  const timers = Buffer.concat([u48(rec.timeSigned), u16(rec.fudge)]);
  if (timersOnly) return timers;
  const cls = Buffer.alloc(6);
  cls.writeUInt16BE(RRClass.ANY, 0); // class, then TTL 0
  return Buffer.concat([canonicalWire(rec.keyName), cls, canonicalWire(rec.algorithm), timers, u16(rec.error), u16(rec.other.length), rec.other]);
}

function withLength(mac: Buffer): Buffer {
  return Buffer.concat([u16(mac.length), mac]);
}

/** Shortest MAC accepted: half the full length, and never under 10 octets (RFC 8945 5.2.2.1). */
export function minimumMac(algorithm: string): number {
  const size = TSIG_ALGORITHMS.get(algorithm)?.size ?? 0;
  return Math.min(size, Math.max(10, Math.ceil(size / 2)));
}

export type VerifyResult =
  /** Verified; `mac` is the request MAC a reply must be signed over. */
  | { ok: true; key: TsigKey; record: TsigRecord; mac: Buffer }
  /**
   * Not verified. `error` goes in the reply's TSIG record. With BADKEY and BADSIG the reply is
   * unsigned; with BADTIME and BADTRUNC it is signed with `key` (RFC 8945 5.3.2).
   * `formerr` marks a MAC of impossible length, answered with FORMERR.
   */
  | { ok: false; error: number; reason: string; record: TsigRecord; key?: TsigKey; mac?: Buffer; formerr?: boolean };

export interface VerifyOptions {
  /** Seconds since the epoch; default now. */
  now?: number;
  /** Shortest MAC accepted below the full length; default minimumMac (RFC 8945 5.2.2.1). */
  minMac?: number;
  /** Cap on the fudge a message claims: time is checked against min(fudge, maxFudge); default DEFAULT_MAX_FUDGE. */
  maxFudge?: number;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Verify a signed request (RFC 8945 5.2: key, then MAC, then time). Undefined when the message
 * carries no TSIG. Throws TsigError for a malformed or misplaced TSIG record (answer FORMERR).
 */
export function verifyRequest(raw: Buffer, keyring: Keyring, opts: VerifyOptions = {}): VerifyResult | undefined {
  const found = findTsig(raw);
  if (!found) return undefined;
  return check(raw, found, keyring.get(found.record.keyName), [], false, opts);
}

function check(
  raw: Buffer, found: { start: number; record: TsigRecord }, key: TsigKey | undefined, prefix: Buffer[], timersOnly: boolean, opts: VerifyOptions,
): VerifyResult {
  const rec = found.record;
  if (!key) return { ok: false, error: TsigErrorCode.BADKEY, reason: `unknown key ${rec.keyName}`, record: rec };
  const alg = algorithmOfKey(key);
  if (canonicalAlgorithm(rec.algorithm) !== alg.name) {
    return { ok: false, error: TsigErrorCode.BADKEY, reason: `key ${key.name} is ${algorithmLabel(alg.name)}, the message says ${rec.algorithm}`, record: rec };
  }
  const full = alg.size;
  if (rec.mac.length > full || rec.mac.length < minimumMac(alg.name)) {
    return { ok: false, error: TsigErrorCode.BADSIG, reason: `MAC of ${rec.mac.length} octets (want ${minimumMac(alg.name)} to ${full})`, record: rec, formerr: true };
  }
  const expected = macOf(key, [...prefix, stripped(raw, found.start, rec.originalId), variables(rec, timersOnly)]);
  if (!timingSafeEqual(expected.subarray(0, rec.mac.length), rec.mac)) {
    return { ok: false, error: TsigErrorCode.BADSIG, reason: `MAC does not verify with key ${key.name}`, record: rec };
  }
  const now = opts.now ?? nowSeconds();
  const window = Math.min(rec.fudge, opts.maxFudge ?? DEFAULT_MAX_FUDGE);
  if (Math.abs(now - rec.timeSigned) > window) {
    const capped = window < rec.fudge ? `, its fudge ${rec.fudge}s capped to ${window}s` : ` (fudge ${rec.fudge}s)`;
    return { ok: false, error: TsigErrorCode.BADTIME, reason: `signed at ${rec.timeSigned}, ${now - rec.timeSigned}s from our clock${capped}`, record: rec, key, mac: rec.mac };
  }
  if (rec.mac.length < (opts.minMac ?? full)) {
    return { ok: false, error: TsigErrorCode.BADTRUNC, reason: `MAC truncated to ${rec.mac.length} octets, below the ${opts.minMac ?? full} we accept`, record: rec, key, mac: rec.mac };
  }
  return { ok: true, key, record: rec, mac: rec.mac };
}

export interface SignOptions {
  /** MAC of the request this message answers (responses), or of the previous message in a stream. */
  requestMac?: Buffer;
  /** Sign only time and fudge after the prior MAC: later messages of a TCP stream (RFC 8945 5.3.1). */
  timersOnly?: boolean;
  /** Unsigned messages sent since the prior MAC, in order: the MAC covers them too (RFC 8945 5.3.1). */
  preceding?: Buffer[];
  /** Seconds since the epoch; default now. */
  now?: number;
  fudge?: number;
  error?: number;
  other?: Buffer;
}

/** Append a TSIG record to an encoded message. Returns the signed message and its MAC. */
export function signMessage(msg: Buffer, key: TsigKey, opts: SignOptions = {}): { message: Buffer; mac: Buffer } {
  if (msg.length < 12) throw new TsigError('ERR_TSIG_MALFORMED', 'message shorter than a header');
  const rec: TsigRecord = {
    keyName: key.name, algorithm: algorithmOfKey(key).name, timeSigned: opts.now ?? nowSeconds(), fudge: opts.fudge ?? DEFAULT_FUDGE,
    mac: Buffer.alloc(0), originalId: msg.readUInt16BE(0), error: opts.error ?? 0, other: opts.other ?? Buffer.alloc(0),
  };
  const prefix = [...(opts.requestMac ? [withLength(opts.requestMac)] : []), ...(opts.preceding ?? [])];
  rec.mac = macOf(key, [...prefix, msg, variables(rec, opts.timersOnly ?? false)]);
  return { message: appendTsig(msg, rec), mac: rec.mac };
}

/** The message with a TSIG record appended and ARCOUNT raised by one. */
export function appendTsig(msg: Buffer, rec: TsigRecord): Buffer {
  const out = Buffer.concat([msg, encodeTsigRecord(rec)]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

/**
 * The TSIG record of a reply to a request that failed verification (RFC 8945 5.3.2): unsigned
 * (empty MAC) for BADKEY/BADSIG, signed with the request's key for BADTIME (request's time
 * signed, our clock in other data) and BADTRUNC.
 */
export function signError(reply: Buffer, v: Extract<VerifyResult, { ok: false }>, now = nowSeconds()): Buffer {
  if (v.key && v.mac) {
    const badtime = v.error === TsigErrorCode.BADTIME;
    return signMessage(reply, v.key, {
      requestMac: v.mac, error: v.error, fudge: v.record.fudge,
      now: badtime ? v.record.timeSigned : now, other: badtime ? u48(now) : undefined,
    }).message;
  }
  return appendTsig(reply, {
    keyName: v.record.keyName, algorithm: v.record.algorithm, timeSigned: now, fudge: v.record.fudge,
    mac: Buffer.alloc(0), originalId: reply.readUInt16BE(0), error: v.error, other: Buffer.alloc(0),
  });
}

/** Most messages a stream may carry between two signed ones (RFC 8945 5.3.1). */
export const MAX_UNSIGNED_IN_STREAM = 99;

/**
 * Signs the replies to one signed request, in order: the first over the request MAC with all
 * variables, each later one over the prior MAC with the timers only (RFC 8945 5.3.1). Every
 * message is signed, which the RFC allows and keeps verification simple for the receiver.
 */
export class TsigStreamSigner {
  private prior: Buffer;
  private first = true;

  constructor(private readonly key: TsigKey, requestMac: Buffer, private readonly opts: { now?: () => number; fudge?: number } = {}) {
    this.prior = requestMac;
  }

  sign(msg: Buffer): Buffer {
    const { message, mac } = signMessage(msg, this.key, {
      requestMac: this.prior, timersOnly: !this.first, now: this.opts.now?.() ?? nowSeconds(), fudge: this.opts.fudge,
    });
    this.first = false;
    this.prior = mac;
    return message;
  }
}

/**
 * Verifies the replies to a request we signed, in order (RFC 8945 5.3.1 and 5.4): the first must
 * be signed; later ones may go unsigned up to 99 in a row, their bytes covered by the next MAC.
 */
export class TsigStreamVerifier {
  private prior: Buffer;
  private first = true;
  private unsigned: Buffer[] = [];

  constructor(private readonly key: TsigKey, requestMac: Buffer, private readonly opts: VerifyOptions = {}) {
    this.prior = requestMac;
  }

  /** Check one reply; `ok: true` also for an allowed unsigned message in a stream. */
  verify(raw: Buffer): { ok: true; signed: boolean } | { ok: false; error: number; reason: string } {
    let found: { start: number; record: TsigRecord } | undefined;
    try {
      found = findTsig(raw);
    } catch (err) {
      return { ok: false, error: TsigErrorCode.BADSIG, reason: (err as Error).message };
    }
    if (!found) {
      if (this.first) return { ok: false, error: TsigErrorCode.BADSIG, reason: 'reply is not signed' };
      if (this.unsigned.length >= MAX_UNSIGNED_IN_STREAM) return { ok: false, error: TsigErrorCode.BADSIG, reason: `more than ${MAX_UNSIGNED_IN_STREAM} unsigned messages in a row` };
      this.unsigned.push(Buffer.from(raw));
      return { ok: true, signed: false };
    }
    if (nameKey(absolute(found.record.keyName)) !== nameKey(absolute(this.key.name))) {
      return { ok: false, error: TsigErrorCode.BADKEY, reason: `reply signed with ${found.record.keyName}, not ${this.key.name}` };
    }
    if (found.record.error !== 0 && found.record.mac.length === 0) {
      return { ok: false, error: found.record.error, reason: `server reports TSIG error ${found.record.error}` };
    }
    const v = check(raw, found, this.key, [withLength(this.prior), ...this.unsigned], !this.first, this.opts);
    if (!v.ok) return { ok: false, error: v.error, reason: v.reason };
    if (found.record.error !== 0) return { ok: false, error: found.record.error, reason: `server reports TSIG error ${found.record.error}` };
    this.first = false;
    this.prior = v.mac;
    this.unsigned = [];
    return { ok: true, signed: true };
  }
}

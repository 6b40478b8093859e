// DNS Cookies (RFC 7873) with interoperable server cookies (RFC 9018): a client sends an 8-byte
// client cookie; we answer with it and a 16-byte server cookie (version 1, 3 reserved bytes, a
// timestamp, and SipHash-2-4 of client cookie | version | reserved | timestamp | client IP under
// our secret). A client that sends back a server cookie we made for its address has shown that
// it receives at that address: it is not spoofed, so rate limiting need not hold it back.
// Servers given the same secret accept each other's cookies (an anycast or load-balanced set).

import { skipWireName } from '../wire/name.js';
import { randomBytes } from 'node:crypto';
import { AopError } from '../base/errors.js';
import type { EdnsOption } from '../wire/message.js';
import { parseIPv6 } from '../wire/rdata/addr.js';
import { sipKey, siphash24Into } from './siphash.js';

export const EDNS_COOKIE = 10;
/** RFC 7873 8: the extended RCODE for a bad or missing server cookie. */
export const BADCOOKIE = 23;

/** RFC 9018 4.3: a cookie is good for an hour after its time, and up to 5 minutes before it. */
const MAX_AGE_S = 3600;
const MAX_AHEAD_S = 300;

export class CookieError extends AopError {
  declare readonly code: 'ERR_COOKIE_SECRET';
  constructor(message: string) {
    super('ERR_COOKIE_SECRET', message);
  }
}

/** A `--cookie-secret`: 32 hex digits (16 bytes, the SipHash key). */
export function parseCookieSecret(hex: string): Buffer {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new CookieError(`--cookie-secret '${hex.length > 40 ? `${hex.slice(0, 40)}...` : hex}': want 32 hex digits (16 bytes)`);
  return Buffer.from(hex, 'hex');
}

/** The client cookie and the server cookie (if any) of a COOKIE option, or undefined when it is malformed (FORMERR). */
export function splitCookie(data: Buffer): { client: Buffer; server?: Buffer } | undefined {
  // RFC 7873 5.2.2: 8 bytes (client only), or 16 to 40 (a server cookie of 8 to 32).
  if (data.length === 8) return { client: data };
  if (data.length < 16 || data.length > 40) return undefined;
  return { client: data.subarray(0, 8), server: data.subarray(8) };
}

/** The client's address as the bytes hashed: 4 for IPv4 (and IPv4-mapped IPv6), 16 for IPv6. */
/** Hash input: client cookie (8), version, reserved, timestamp (8), client address (4 or 16). */
const input = Buffer.alloc(32);

/**
 * Write the client's address after the cookie fields of `input` as the bytes hashed: 4 for IPv4
 * (and IPv4-mapped IPv6), 16 for IPv6. Returns the input's length, or 0 for no address.
 */
function putAddress(address: string): number {
  let i = address.startsWith('::ffff:') && address.includes('.') ? 7 : 0;
  if (i === 0 && address.includes(':')) {
    const b = parseIPv6(address.replace(/%.*$/, ''));
    if (b === undefined) return 0;
    b.copy(input, 16);
    return 32;
  }
  let at = 16;
  let octet = 0;
  for (; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 0x2e) {
      input[at++] = octet;
      octet = 0;
      if (at > 19) return 0;
    } else if (c >= 0x30 && c <= 0x39) octet = octet * 10 + (c - 0x30);
    else return 0;
  }
  input[at++] = octet;
  return at === 20 ? 20 : 0;
}

export class CookieJar {
  readonly secret: Buffer;
  private readonly key: Uint32Array;
  private readonly now: () => number;

  constructor(opts: { secret?: Buffer; now?: () => number } = {}) {
    this.secret = opts.secret ?? randomBytes(16);
    if (this.secret.length !== 16) throw new CookieError(`a cookie secret is 16 bytes, not ${this.secret.length}`);
    this.key = sipKey(this.secret);
    this.now = opts.now ?? Date.now;
  }

  /** The reply's COOKIE data: the client cookie and a server cookie (RFC 9018 4.2) for this address at time `seconds`. */
  private cookieData(client: Buffer, address: string, seconds: number): Buffer {
    client.copy(input, 0, 0, 8);
    input.writeUInt32BE(0x01000000, 8); // version 1, reserved
    input.writeUInt32BE(seconds >>> 0, 12);
    const len = putAddress(address);
    const out = Buffer.allocUnsafe(24);
    input.copy(out, 0, 0, 16);
    if (len === 0) out.fill(0, 16);
    else siphash24Into(this.key, input, len, out, 16);
    return out;
  }

  /** A fresh server cookie (RFC 9018 4.2) for this client cookie and address, at time `seconds`. */
  serverCookie(client: Buffer, address: string, seconds = Math.floor(this.now() / 1000)): Buffer {
    return this.cookieData(client, address, seconds).subarray(8);
  }

  /** Whether `server` is a cookie we (or a server with our secret) made for this client cookie and address, and still fresh. */
  valid(client: Buffer, server: Buffer, address: string): boolean {
    if (server.length !== 16 || server[0] !== 1 || server[1] !== 0 || server[2] !== 0 || server[3] !== 0) return false;
    const t = server.readUInt32BE(4);
    const now = Math.floor(this.now() / 1000);
    // Serial-number arithmetic would allow wrap; a plain window is enough until 2106.
    if (t > now + MAX_AHEAD_S || t < now - MAX_AGE_S) return false;
    // No address to hash, no proof (the cookie made for it is all zeros).
    if (putAddress(address) === 0) return false;
    return this.serverCookie(client, address, t).equals(server);
  }

  /** The COOKIE option of a reply: the client's cookie and a fresh server cookie. */
  option(client: Buffer, address: string): EdnsOption {
    return { code: EDNS_COOKIE, data: this.cookieData(client, address, Math.floor(this.now() / 1000)) };
  }
}

/**
 * The COOKIE option data of an encoded query, without decoding it: undefined when there is no
 * OPT or no COOKIE option (or the framing is off: the decoder decides those). The stored-answer
 * path and the rate limiter's exemption use it.
 */
export function queryCookie(buf: Buffer): Buffer | undefined {
  if (buf.length < 12 || buf.readUInt16BE(10) === 0 || buf.readUInt16BE(4) !== 1 || buf.readUInt16BE(6) !== 0 || buf.readUInt16BE(8) !== 0) return undefined;
  let pos = 12;
  for (;;) {
    const len = buf[pos];
    if (len === undefined || len > 63) return undefined;
    pos += 1 + len;
    if (len === 0) break;
  }
  pos += 4;
  // Each additional record: find the OPT (root owner, type 41) and walk its options.
  for (let i = buf.readUInt16BE(10); i > 0; i--) {
    if (pos + 11 > buf.length || buf[pos] !== 0) return undefined;
    const type = buf.readUInt16BE(pos + 1);
    const rdlen = buf.readUInt16BE(pos + 9);
    const end = pos + 11 + rdlen;
    if (end > buf.length) return undefined;
    if (type === 41) {
      for (let o = pos + 11; o + 4 <= end;) {
        const code = buf.readUInt16BE(o);
        const olen = buf.readUInt16BE(o + 2);
        if (o + 4 + olen > end) return undefined;
        if (code === EDNS_COOKIE) return buf.subarray(o + 4, o + 4 + olen);
        o += 4 + olen;
      }
      return undefined;
    }
    pos = end;
  }
  return undefined;
}


/**
 * `buf` (an encoded reply) with one more EDNS option at the end of its OPT record, which the
 * encoder writes last; undefined when the last record is not an OPT. This is how a stored
 * answer gets the asker's cookie without being decoded and encoded again.
 */
export function withOption(buf: Buffer, code: number, data: Buffer): Buffer | undefined {
  if (buf.length < 12 || buf.readUInt16BE(10) === 0) return undefined;
  const qd = buf.readUInt16BE(4);
  const records = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  let pos = 12;
  for (let i = 0; i < qd; i++) {
    pos = skipWireName(buf, pos);
    if (pos < 0) return undefined;
    pos += 4;
  }
  for (let i = 0; i < records; i++) {
    const owner = pos;
    pos = skipWireName(buf, pos);
    if (pos < 0 || pos + 10 > buf.length) return undefined;
    const rdlen = buf.readUInt16BE(pos + 8);
    const end = pos + 10 + rdlen;
    if (end > buf.length) return undefined;
    if (i === records - 1) {
      if (buf.readUInt16BE(pos) !== 41 || buf[owner] !== 0 || end !== buf.length || rdlen + 4 + data.length > 0xffff) return undefined;
      const out = Buffer.allocUnsafe(buf.length + 4 + data.length);
      buf.copy(out);
      out.writeUInt16BE(rdlen + 4 + data.length, pos + 8);
      out.writeUInt16BE(code, end);
      out.writeUInt16BE(data.length, end + 2);
      data.copy(out, end + 4);
      return out;
    }
    pos = end;
  }
  return undefined;
}


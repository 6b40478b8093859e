// Response Rate Limiting for UDP answers, as NSD and Knot do it: answers to one client prefix
// of one kind (the same positive answer; the same zone's NXDOMAIN/NODATA or referrals; errors)
// are counted in a token bucket. Over the rate, answers are dropped, except every `slip`th,
// which goes out as a bare TC=1 reply so a real client behind a spoofed flood retries over TCP
// (which is never limited). A reflection attack gets at most `rate` answers per second per
// victim prefix, while an honest resolver, which asks the same question a few times a second
// at most, is never touched.

import { Acl } from '../resolver/acl.js';
import { parseIPv6 } from '../wire/rdata/addr.js';

export interface RrlOptions {
  /** Answers per second per client prefix and answer kind; 0 turns limiting off. */
  rate: number;
  /** Answers a quiet bucket may send at once; default: one second's worth (`rate`). */
  burst?: number;
  /** Every this many dropped answers, one goes out as a TC=1 reply; 0 never, 1 always. */
  slip: number;
  /** Prefix length counted as one client for IPv4 (default 24) and IPv6 (default 56). */
  ipv4Prefix: number;
  ipv6Prefix: number;
  /** Networks never limited (CIDR or bare addresses). */
  exempt: string[];
  /** Buckets kept; past it the ones not used during a whole generation are forgotten. */
  tableSize?: number;
  /** Milliseconds; injected by tests. */
  now?: () => number;
}

/**
 * NSD's default of 200 answers/s per prefix and kind: a busy recursive resolver behind one /24
 * asks the same name far less often (it caches for the TTL), so only floods reach it. Slip 2
 * (NSD's and Knot's default) lets half the dropped answers tell a real client to use TCP.
 */
export const DEFAULT_RRL: RrlOptions = { rate: 200, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56, exempt: [] };

const DEFAULT_TABLE = 100_000;

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
  /** Answers dropped while over the rate, for choosing which slip. */
  dropped: number;
}

/** What to do with one answer. */
export type Verdict = 'send' | 'slip' | 'drop';

export class RateLimiter {
  private young = new Map<string, Bucket>();
  private old = new Map<string, Bucket>();
  private readonly half: number;
  private readonly burst: number;
  private readonly perMs: number;
  private readonly now: () => number;
  private readonly exempt: Acl | undefined;
  /** Prefix per client address: the address strings repeat, the masking need not. */
  private prefixes = new Map<string, string>();

  constructor(private readonly opts: RrlOptions) {
    if (!(opts.rate > 0)) throw new RangeError('RateLimiter needs a positive rate (0 means no limiter)');
    this.burst = Math.max(1, opts.burst ?? opts.rate);
    this.perMs = opts.rate / 1000;
    this.half = Math.max(1, Math.ceil((opts.tableSize ?? DEFAULT_TABLE) / 2));
    this.now = opts.now ?? Date.now;
    this.exempt = opts.exempt.length > 0 ? new Acl(opts.exempt) : undefined;
  }

  /** Buckets held now (bounded by the table size). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /**
   * The verdict for sending `response` (encoded) to `address`. `trusted(query, address)`, asked
   * only when the answer would be limited, exempts the client (a valid server cookie proves its
   * address is not spoofed: Knot's semantics).
   */
  check(response: Buffer, address: string, trusted?: (query: Buffer, address: string) => boolean, query?: Buffer): Verdict {
    if (this.exempt?.allows(address)) return 'send';
    const key = `${this.prefix(address)}|${answerClass(response)}`;
    const now = this.now();
    let b = this.young.get(key);
    if (b === undefined) {
      b = this.old.get(key);
      if (b !== undefined) this.old.delete(key);
      else b = { tokens: this.burst, at: now, dropped: 0 };
      this.put(key, b);
    }
    // A clock stepped back adds nothing.
    if (now > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 'send';
    }
    if (trusted !== undefined && query !== undefined && trusted(query, address)) return 'send';
    b.dropped++;
    return this.opts.slip > 0 && b.dropped % this.opts.slip === 0 ? 'slip' : 'drop';
  }

  private put(key: string, b: Bucket): void {
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, b);
  }

  /** The client's prefix as a string: `a.b.c.0/24`, `2001:db8:0:ab00::/56`. */
  prefix(address: string): string {
    const known = this.prefixes.get(address);
    if (known !== undefined) return known;
    const p = clientPrefix(address, this.opts.ipv4Prefix, this.opts.ipv6Prefix);
    if (this.prefixes.size >= this.half) this.prefixes = new Map();
    this.prefixes.set(address, p);
    return p;
  }
}

/** The network `address` is in, at the given prefix lengths; an IPv4-mapped IPv6 address counts as IPv4. */
export function clientPrefix(address: string, v4: number, v6: number): string {
  const addr = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  const v4addr = mapped ? mapped[1]! : addr.includes(':') ? undefined : addr;
  if (v4addr !== undefined) {
    const o = v4addr.split('.').map(Number);
    if (o.length !== 4 || o.some((x) => !(x >= 0 && x <= 255))) return addr;
    const n = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
    const masked = v4 === 0 ? 0 : (n & (0xffffffff << (32 - v4))) >>> 0;
    return `${masked >>> 24}.${(masked >>> 16) & 0xff}.${(masked >>> 8) & 0xff}.${masked & 0xff}/${v4}`;
  }
  const b = parseIPv6(addr);
  if (b === undefined) return addr;
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, v6 - i * 8));
    b[i] = b[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return `${groups.join(':')}/${v6}`;
}

/** Lower-cased name at `pos` (pointers followed, a bounded number of times); '' when it does not parse. */
function readName(buf: Buffer, pos: number): string {
  let out = '';
  for (let hops = 0; hops < 32;) {
    const len = buf[pos];
    if (len === undefined) return '';
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) return '';
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      hops++;
      continue;
    }
    if (len > 63 || pos + 1 + len > buf.length) return '';
    if (len === 0) return out || '.';
    out += `${buf.toString('latin1', pos + 1, pos + 1 + len).toLowerCase()}.`;
    pos += 1 + len;
  }
  return '';
}

/** Offset after the name at `pos`, or -1. */
function skipName(buf: Buffer, pos: number): number {
  for (;;) {
    const len = buf[pos];
    if (len === undefined) return -1;
    if ((len & 0xc0) === 0xc0) return pos + 2;
    if (len > 63) return -1;
    pos += 1 + len;
    if (len === 0) return pos;
  }
}

/**
 * The kind of answer, as NSD classes them: a positive answer by its name (one flood of one
 * name), NXDOMAIN, NODATA and referrals by the zone or delegation (the owner of the first
 * authority record) so random names under one zone count as one, and errors all together.
 */
export function answerClass(response: Buffer): string {
  if (response.length < 12) return 'e';
  const rcode = response[3]! & 0x0f;
  if (rcode !== 0 && rcode !== 3) return 'e';
  const qd = response.readUInt16BE(4);
  const an = response.readUInt16BE(6);
  if (rcode === 0 && an > 0) return `a|${qd > 0 ? readName(response, 12) : ''}`;
  // Skip the question and answers to the first authority record's owner.
  let pos = 12;
  for (let i = 0; i < qd; i++) {
    pos = skipName(response, pos);
    if (pos < 0) return rcode === 3 ? 'x|' : 'n|';
    pos += 4;
  }
  for (let i = 0; i < an; i++) {
    pos = skipName(response, pos);
    if (pos < 0 || pos + 10 > response.length) break;
    pos += 10 + response.readUInt16BE(pos + 8);
  }
  const zone = response.readUInt16BE(8) > 0 && pos > 0 && pos < response.length ? readName(response, pos) : '';
  return `${rcode === 3 ? 'x' : 'n'}|${zone}`;
}

/**
 * The slip: the response's header and question with TC=1 and no records (RFC 1035 4.2.1: a
 * truncated UDP answer sends the client to TCP). Small, so slipping amplifies nothing.
 */
export function truncatedReply(response: Buffer): Buffer {
  let end = 12;
  const qd = response.length >= 12 ? response.readUInt16BE(4) : 0;
  if (qd === 1) {
    const after = skipName(response, 12);
    // A compressed question name cannot be cut out alone: then the header only.
    end = after > 0 && after + 4 <= response.length && (response[after - 2]! & 0xc0) !== 0xc0 ? after + 4 : 12;
  }
  const out = Buffer.alloc(end);
  response.copy(out, 0, 0, Math.min(end, response.length));
  out[2] = out[2]! | 0x02;
  out.writeUInt16BE(end > 12 ? 1 : 0, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(0, 10);
  return out;
}

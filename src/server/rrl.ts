// Response Rate Limiting for UDP answers, as NSD and Knot do it: answers to one client prefix
// of one kind (the same positive answer; the same zone's NXDOMAIN/NODATA or referrals; errors)
// are counted in a token bucket. Over the rate, answers are dropped, except every `slip`th,
// which goes out as a bare TC=1 reply so a real client behind a spoofed flood retries over TCP
// (which is never limited). A reflection attack gets at most `rate` answers per second per
// victim prefix, while an honest resolver, which asks the same question a few times a second
// at most, is never touched.

import { skipWireName } from '../wire/name.js';
import { randomBytes } from 'node:crypto';
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
  /** Buckets in the fixed table (rounded down to a power of two, at least 16); a newcomer whose hash lands on a taken slot takes it over. */
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

/** Buckets in the table by default (a power of two): 3 MB, whatever the traffic. */
const DEFAULT_TABLE = 1 << 17;

/** What to do with one answer. */
export type Verdict = 'send' | 'slip' | 'drop';

// The two running hashes of the key being built (module state: no allocation per answer).
let h1 = 0;
let h2 = 0;

function mix(b: number): void {
  h1 = Math.imul(h1 ^ b, 0x01000193); // FNV-1a
  h2 = Math.imul(h2 ^ b, 0x5bd1e995);
  h2 ^= h2 >>> 15;
}

/** Hash the name at `pos`, lower-cased, following compression pointers (a bounded number). */
function mixName(buf: Buffer, pos: number): void {
  for (let hops = 0; hops < 16;) {
    const len = buf[pos];
    if (len === undefined) return;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) return;
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      hops++;
      continue;
    }
    if (len > 63 || len === 0) return;
    mix(len);
    const end = Math.min(buf.length, pos + 1 + len);
    for (let i = pos + 1; i < end; i++) {
      const c = buf[i]!;
      mix(c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
    }
    pos = end;
  }
}

/**
 * A fixed table of token buckets indexed by a seeded hash of (client prefix, answer kind), as
 * NSD keeps it: bounded memory, no allocation per answer, one array slot and some arithmetic.
 * A second hash tells a slot's owner from a newcomer, which takes the slot over with a full
 * bucket; the seeds are random, so no one can aim collisions at a victim's bucket.
 */
export class RateLimiter {
  private readonly mask: number;
  private readonly tokens: Float64Array;
  private readonly at: Float64Array;
  private readonly dropped: Uint32Array;
  private readonly tags: Uint32Array;
  private used = 0;
  private readonly seed1: number;
  private readonly seed2: number;
  private readonly mask4: number;
  private readonly burst: number;
  private readonly perMs: number;
  private readonly now: () => number;
  private readonly exempt: Acl | undefined;
  /** Masked IPv6 prefixes per address string (parsing IPv6 is the slow part). */
  private v6 = new Map<string, Buffer>();

  constructor(private readonly opts: RrlOptions) {
    if (!(opts.rate > 0)) throw new RangeError('RateLimiter needs a positive rate (0 means no limiter)');
    this.burst = Math.max(1, opts.burst ?? opts.rate);
    this.perMs = opts.rate / 1000;
    // The largest power of two within the size asked for, at least 16.
    const want = Math.max(16, opts.tableSize ?? DEFAULT_TABLE);
    const slots = 2 ** Math.floor(Math.log2(want));
    this.mask = slots - 1;
    this.tokens = new Float64Array(slots);
    this.at = new Float64Array(slots);
    this.dropped = new Uint32Array(slots);
    this.tags = new Uint32Array(slots);
    const seeds = randomBytes(8);
    this.seed1 = seeds.readUInt32LE(0) | 0;
    this.seed2 = seeds.readUInt32LE(4) | 0;
    this.mask4 = opts.ipv4Prefix === 0 ? 0 : (0xffffffff << (32 - opts.ipv4Prefix)) | 0;
    this.now = opts.now ?? Date.now;
    this.exempt = opts.exempt.length > 0 ? new Acl(opts.exempt) : undefined;
  }

  /** Buckets in use now (at most the table size). */
  get size(): number {
    return this.used;
  }

  /**
   * The verdict for sending `response` (encoded) to `address`. `trusted(query, address)`, asked
   * only when the answer would be limited, exempts the client (a valid server cookie proves its
   * address is not spoofed: Knot's semantics).
   */
  check(response: Buffer, address: string, trusted?: (query: Buffer, address: string) => boolean, query?: Buffer): Verdict {
    if (this.exempt?.allows(address)) return 'send';
    h1 = this.seed1;
    h2 = this.seed2;
    this.mixPrefix(address);
    mixClass(response);
    const slot = h1 & this.mask;
    const tag = (h2 | 1) >>> 0;
    const now = this.now();
    if (this.tags[slot] !== tag) {
      if (this.tags[slot] === 0) this.used++;
      this.tags[slot] = tag;
      this.tokens[slot] = this.burst;
      this.at[slot] = now;
      this.dropped[slot] = 0;
    }
    const at = this.at[slot]!;
    // A clock stepped back adds nothing.
    if (now > at) {
      this.tokens[slot] = Math.min(this.burst, this.tokens[slot]! + (now - at) * this.perMs);
      this.at[slot] = now;
    }
    if (this.tokens[slot]! >= 1) {
      this.tokens[slot]! -= 1;
      return 'send';
    }
    if (trusted !== undefined && query !== undefined && trusted(query, address)) return 'send';
    const d = ++this.dropped[slot]!;
    return this.opts.slip > 0 && d % this.opts.slip === 0 ? 'slip' : 'drop';
  }

  /** Hash the client's prefix: IPv4 (and IPv4-mapped) parsed from the string as it goes, IPv6 through a cache. */
  private mixPrefix(address: string): void {
    let i = address.startsWith('::ffff:') && address.includes('.') ? 7 : 0;
    if (i === 0 && address.includes(':')) {
      let p = this.v6.get(address);
      if (p === undefined) {
        p = Buffer.from(clientPrefix(address, this.opts.ipv4Prefix, this.opts.ipv6Prefix), 'latin1');
        if (this.v6.size >= 10_000) this.v6 = new Map();
        this.v6.set(address, p);
      }
      mix(6);
      for (let k = 0; k < p.length; k++) mix(p[k]!);
      return;
    }
    let n = 0;
    let octet = 0;
    for (; i < address.length; i++) {
      const c = address.charCodeAt(i);
      if (c === 0x2e) {
        n = (n << 8) | octet;
        octet = 0;
      } else octet = octet * 10 + (c - 0x30);
    }
    n = ((n << 8) | octet) & this.mask4;
    mix(4);
    mix(n >>> 24);
    mix((n >>> 16) & 0xff);
    mix((n >>> 8) & 0xff);
    mix(n & 0xff);
  }
}

/** Hash the answer's kind, as `answerClass` spells it. */
function mixClass(response: Buffer): void {
  if (response.length < 12) return mix(0x65);
  const rcode = response[3]! & 0x0f;
  if (rcode !== 0 && rcode !== 3) return mix(0x65);
  const qd = (response[4]! << 8) | response[5]!;
  const an = (response[6]! << 8) | response[7]!;
  if (rcode === 0 && an > 0) {
    mix(0x61);
    if (qd > 0) mixName(response, 12);
    return;
  }
  mix(rcode === 3 ? 0x78 : 0x6e);
  const pos = authorityStart(response, qd, an);
  if (pos > 0 && pos < response.length && ((response[8]! << 8) | response[9]!) > 0) mixName(response, pos);
}

/** Offset of the first authority record, or -1. */
function authorityStart(response: Buffer, qd: number, an: number): number {
  let pos = 12;
  for (let i = 0; i < qd; i++) {
    pos = skipWireName(response, pos);
    if (pos < 0) return -1;
    pos += 4;
  }
  for (let i = 0; i < an; i++) {
    pos = skipWireName(response, pos);
    if (pos < 0 || pos + 10 > response.length) return -1;
    pos += 10 + response.readUInt16BE(pos + 8);
  }
  return pos;
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
  const pos = authorityStart(response, qd, an);
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
    // The question name's labels up to the root; a compressed one cannot be cut out alone: then the header only.
    let pos = 12;
    for (;;) {
      const len = response[pos];
      if (len === undefined || len > 63) {
        pos = -1;
        break;
      }
      pos += 1 + len;
      if (len === 0) break;
    }
    end = pos > 0 && pos + 4 <= response.length ? pos + 4 : 12;
  }
  const out = Buffer.alloc(end);
  response.copy(out, 0, 0, Math.min(end, response.length));
  out[2] = out[2]! | 0x02;
  out.writeUInt16BE(end > 12 ? 1 : 0, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(0, 10);
  return out;
}

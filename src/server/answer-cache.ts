// Encoded answers kept for reuse: a repeated question (same name in any case, type, flags, EDNS
// parameters, and whether the client may recurse) gets the stored response with only its ID and question bytes patched,
// skipping decode, lookup and encode. Two kinds are stored: answers that depend on nothing but
// the zones (until a reload empties the cache), and resolver answers, which carry a `Reuse`:
// they are kept until a time their owner gives, served only to clients it allows, dropped when
// its cache changes generation (a flush), and their TTLs are counted down on every hit.

import { skipWireName } from '../wire/name.js';
/** Who vouches for a reusable resolver answer: the resolver's clock, cache generation and ACL. */
export interface ReuseOwner {
  /** Changes whenever the data behind stored answers may have been removed (a flush). */
  readonly generation: number;
  /** Milliseconds, the clock `Reuse.until` is on. */
  now(): number;
  /** Whether this client may be given the answer (recursion allowed). */
  allows(address: string): boolean;
}

/** Terms for storing an answer that is not a pure function of the zones. */
export interface Reuse {
  owner: ReuseOwner;
  /** Serve it until this time (ms of owner.now()). */
  until: number;
}

interface Countdown {
  owner: ReuseOwner;
  generation: number;
  until: number;
  storedAt: number;
  /** Byte offsets of every TTL field in the message (OPT excluded) and the TTLs stored there. */
  offsets: Uint16Array;
  ttls: Uint32Array;
  /** Whole seconds already taken off the TTLs in `buf`. */
  taken: number;
}

export interface CachedAnswer {
  buf: Buffer;
  rcode: number;
  truncated: boolean;
  /** End of the question name in `buf` (and in every query with this key): bytes 12..qnameEnd are the name. */
  qnameEnd: number;
  /** Set for resolver answers: expiry, owner checks and the TTL fields to count down. */
  countdown?: Countdown;
}

const MIN_UDP = 512;
/** RFC 1035 2.3.4: a name is at most 255 octets on the wire, its root label included. */
const MAX_NAME = 255;
// One scratch buffer for building keys: the hot path allocates nothing but the key string.
// A key is 8 header bytes, the name (at most 255) and type and class (4): 267 bytes.
const scratch = Buffer.allocUnsafe(8 + MAX_NAME + 4);

/**
 * The cache key of a plain query, or undefined when the query is not a candidate: anything
 * but one question with at most an OPT record, compression or non-ASCII bytes in the question,
 * or a response. The name is folded to lower case (ASCII only, RFC 4343) so 0x20-randomised
 * questions share one entry; `AnswerCache.reply` copies the asker's spelling back in.
 * `recursive`: the client may recurse, so its answers differ (RA=1, referrals away resolved)
 * and must never be served to a client that may not, nor the other way round.
 */
export function answerKey(buf: Buffer, transport: 'udp' | 'tcp', maxUdpSize: number, recursive = false): string | undefined {
  const n = buf.length;
  if (n < 17 || n > 512) return undefined;
  // QR=0, opcode QUERY, one question, no answer or authority records, at most one additional.
  if ((buf[2]! & 0xf8) !== 0 || buf[4] !== 0 || buf[5] !== 1 || buf[6] !== 0 || buf[7] !== 0 || buf[8] !== 0 || buf[9] !== 0 || buf[10] !== 0) return undefined;
  const arcount = buf[11]!;
  if (arcount > 1) return undefined;
  let pos = 12;
  let k = 8;
  for (;;) {
    const len = buf[pos];
    if (len === undefined || len > 63 || pos + 1 + len > n) return undefined;
    // Over 255 octets: not a name (the decoder's FORMERR), and the key would not fit.
    if (k - 8 + 1 + len > MAX_NAME) return undefined;
    scratch[k++] = len;
    pos++;
    for (const end = pos + len; pos < end; pos++) {
      const c = buf[pos]!;
      if (c >= 0x80) return undefined;
      scratch[k++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    if (len === 0) break;
  }
  const qend = pos + 4;
  if (qend > n) return undefined;
  scratch[k++] = buf[pos]!;
  scratch[k++] = buf[pos + 1]!;
  scratch[k++] = buf[pos + 2]!;
  scratch[k++] = buf[pos + 3]!;
  // Header part of the key: transport, the RD bit and the client's kind, AD/CD, EDNS presence, effective size and DO.
  scratch[0] = transport === 'tcp' ? 1 : 0;
  scratch[1] = (buf[2]! & 0x01) | (recursive ? 0x02 : 0);
  scratch[2] = buf[3]! & 0x30;
  if (arcount === 1) {
    // OPT: root owner, type 41, class = payload size, TTL = ext-rcode/version/DO, then options (framing checked, contents not keyed).
    if (qend + 11 > n || buf[qend] !== 0 || buf[qend + 1] !== 0 || buf[qend + 2] !== 41) return undefined;
    const rdlen = (buf[qend + 9]! << 8) | buf[qend + 10]!;
    if (qend + 11 + rdlen !== n) return undefined;
    // The options' framing, as the decoder checks it: each header and its data inside the RDATA
    // (an overrun is FORMERR on the decoding path, so never an answer from here).
    for (let o = qend + 11; o < n;) {
      if (o + 4 > n) return undefined;
      o += 4 + ((buf[o + 2]! << 8) | buf[o + 3]!);
      if (o > n) return undefined;
    }
    const size = transport === 'tcp' ? 65535 : Math.max(MIN_UDP, Math.min((buf[qend + 3]! << 8) | buf[qend + 4]!, maxUdpSize));
    // A version other than 0 gets BADVERS, which is never stored.
    if (buf[qend + 6] !== 0) return undefined;
    scratch[3] = 1;
    scratch[4] = size >> 8;
    scratch[5] = size & 0xff;
    scratch[6] = buf[qend + 5]!; // extended rcode bits
    scratch[7] = buf[qend + 7]! & 0x80; // DO
  } else {
    if (qend !== n) return undefined;
    scratch[3] = 0;
    scratch[4] = scratch[5] = scratch[6] = scratch[7] = 0;
  }
  return scratch.toString('latin1', 0, k);
}

/**
 * A bounded map in two generations: entries live in `young`; when it fills, it becomes `old`
 * and a hit there moves the entry back. Cheaper per lookup than a strict LRU, and what it
 * forgets first is what was not asked for during a whole generation.
 */
export class AnswerCache {
  private young = new Map<string, CachedAnswer>();
  private old = new Map<string, CachedAnswer>();
  private readonly half: number;

  constructor(maxEntries = 20_000) {
    this.half = Math.max(1, Math.ceil(maxEntries / 2));
  }

  private get(key: string): CachedAnswer | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.put(key, aged);
    }
    return aged;
  }

  private put(key: string, value: CachedAnswer): void {
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  /**
   * The stored response for this key with the query's ID and question spelling, or undefined.
   * A resolver answer is only given to a client its owner allows (`remoteAddress` unknown: no),
   * with its TTLs counted down; one past its time or from an older cache generation is dropped.
   */
  reply(key: string, query: Buffer, remoteAddress?: string): { out: Buffer; hit: CachedAnswer } | undefined {
    const hit = this.get(key);
    if (!hit) return undefined;
    const c = hit.countdown;
    if (c !== undefined) {
      const now = c.owner.now();
      if (now >= c.until || c.owner.generation !== c.generation) {
        this.delete(key);
        return undefined;
      }
      if (remoteAddress === undefined || !c.owner.allows(remoteAddress)) return undefined;
      // Conservative by under a second: a TTL is never shown longer than the cache would show it.
      // (Never negative: a wall clock stepped back must not lengthen a TTL.)
      const taken = Math.max(0, Math.ceil((now - c.storedAt) / 1000));
      if (taken !== c.taken) {
        c.taken = taken;
        for (let i = 0; i < c.offsets.length; i++) hit.buf.writeUInt32BE(Math.max(0, c.ttls[i]! - taken), c.offsets[i]!);
      }
    }
    const src = hit.buf;
    const out = Buffer.allocUnsafe(src.length);
    src.copy(out);
    out[0] = query[0]!;
    out[1] = query[1]!;
    // Same key, so the same name length: copy the asker's case (names compressed to it follow).
    query.copy(out, 12, 12, hit.qnameEnd);
    return { out, hit };
  }

  private delete(key: string): void {
    if (!this.young.delete(key)) this.old.delete(key);
  }

  /** Store a response; with `reuse`, a resolver answer (see `reply`). */
  store(key: string, response: Buffer, rcode: number, reuse?: Reuse): void {
    // The question name ends where the key's name does: walk it once here, not on every hit.
    let pos = 12;
    for (;;) {
      const len = response[pos];
      if (len === undefined || len > 63) return;
      pos += 1 + len;
      if (len === 0) break;
    }
    if (pos + 4 > response.length) return;
    // A block of its own: a slice of node's shared pool would keep the whole pool alive.
    const buf = Buffer.allocUnsafeSlow(response.length);
    response.copy(buf);
    const entry: CachedAnswer = { buf, rcode, truncated: (response[2]! & 0x02) !== 0, qnameEnd: pos };
    if (reuse !== undefined) {
      const storedAt = reuse.owner.now();
      if (storedAt >= reuse.until) return;
      const offsets = ttlOffsets(response);
      if (offsets === undefined) return;
      const ttls = new Uint32Array(offsets.length);
      for (let i = 0; i < offsets.length; i++) ttls[i] = response.readUInt32BE(offsets[i]!);
      entry.countdown = { owner: reuse.owner, generation: reuse.owner.generation, until: reuse.until, storedAt, offsets, ttls, taken: 0 };
    }
    this.put(key, entry);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}


/**
 * Offsets of the TTL field of every record in an encoded message, the OPT pseudo-record (whose
 * "TTL" holds EDNS flags) excepted; undefined when the message does not parse that far.
 */
export function ttlOffsets(buf: Buffer): Uint16Array | undefined {
  if (buf.length < 12 || buf.length > 0xffff) return undefined;
  const qd = buf.readUInt16BE(4);
  const records = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  let pos = 12;
  for (let i = 0; i < qd; i++) {
    pos = skipWireName(buf, pos);
    if (pos < 0 || pos + 4 > buf.length) return undefined;
    pos += 4;
  }
  const out: number[] = [];
  for (let i = 0; i < records; i++) {
    pos = skipWireName(buf, pos);
    if (pos < 0 || pos + 10 > buf.length) return undefined;
    if (buf.readUInt16BE(pos) !== 41) out.push(pos + 4);
    pos += 10 + buf.readUInt16BE(pos + 8);
    if (pos > buf.length) return undefined;
  }
  return Uint16Array.from(out);
}

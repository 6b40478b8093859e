// Encoded answers kept for reuse: a repeated question (same bytes, flags and EDNS parameters)
// gets the stored response with only its ID patched, skipping decode, lookup and encode.
// Only answers that depend on nothing but the zones are stored; a reload empties the cache.

import { LRUCache } from 'lru-cache';

export interface CachedAnswer {
  buf: Buffer;
  rcode: number;
  truncated: boolean;
}

const MIN_UDP = 512;

/**
 * The cache key of a plain query, or undefined when the query is not a candidate: anything
 * but one question with at most an OPT record, compression in the question, or a response.
 * The question's exact bytes are part of the key, so answers echo the asker's case exactly.
 */
export function answerKey(buf: Buffer, transport: 'udp' | 'tcp', maxUdpSize: number): string | undefined {
  if (buf.length < 17 || buf.length > 512) return undefined;
  const flags = buf.readUInt16BE(2);
  // QR=0, opcode QUERY, one question, no answer or authority records, at most one additional.
  if ((flags & 0xf800) !== 0 || buf.readUInt16BE(4) !== 1 || buf.readUInt16BE(6) !== 0 || buf.readUInt16BE(8) !== 0) return undefined;
  const arcount = buf.readUInt16BE(10);
  if (arcount > 1) return undefined;
  let pos = 12;
  for (;;) {
    const len = buf[pos];
    if (len === undefined || len > 63) return undefined;
    pos += 1 + len;
    if (len === 0) break;
  }
  const qend = pos + 4;
  if (qend > buf.length) return undefined;
  let edns = 'none';
  if (arcount === 1) {
    // OPT: root owner, type 41, class = payload size, TTL = ext-rcode/version/DO, then options (ignored by us).
    if (qend + 11 > buf.length || buf[qend] !== 0 || buf.readUInt16BE(qend + 1) !== 41) return undefined;
    const rdlen = buf.readUInt16BE(qend + 9);
    if (qend + 11 + rdlen !== buf.length) return undefined;
    const size = transport === 'tcp' ? 65535 : Math.max(MIN_UDP, Math.min(buf.readUInt16BE(qend + 3), maxUdpSize));
    const ttl = buf.readUInt32BE(qend + 5);
    edns = `${size}/${ttl & 0xffff8000}`;
  } else if (qend !== buf.length) {
    return undefined;
  }
  return `${transport}|${flags & 0x0130}|${edns}|${buf.toString('latin1', 12, qend)}`;
}

export class AnswerCache {
  private readonly lru: LRUCache<string, CachedAnswer>;

  constructor(maxEntries = 20_000) {
    this.lru = new LRUCache({ max: maxEntries });
  }

  /** The stored response for this key with the query's ID, or undefined. */
  reply(key: string, query: Buffer): { out: Buffer; hit: CachedAnswer } | undefined {
    const hit = this.lru.get(key);
    if (!hit) return undefined;
    const out = Buffer.allocUnsafe(hit.buf.length);
    hit.buf.copy(out);
    out[0] = query[0]!;
    out[1] = query[1]!;
    return { out, hit };
  }

  store(key: string, response: Buffer, rcode: number): void {
    this.lru.set(key, { buf: Buffer.from(response), rcode, truncated: (response[2]! & 0x02) !== 0 });
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }
}

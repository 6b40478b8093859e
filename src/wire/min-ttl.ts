// The smallest TTL in a message's answer and authority sections, read straight off the wire (no
// RDATA decoded): DoH's HTTP freshness lifetime must not outlive it (RFC 8484 5.1), and for a
// negative answer the authority section's SOA carries the negative-caching TTL (RFC 2308 5).


import { skipWireName } from './name.js';
/** The smallest TTL of the answer and authority records, or undefined when there are none (or the message is malformed). */
export function minTtl(buf: Buffer): number | undefined {
  if (buf.length < 12) return undefined;
  const qd = buf.readUInt16BE(4);
  const records = buf.readUInt16BE(6) + buf.readUInt16BE(8);
  let pos = 12;
  for (let i = 0; i < qd; i++) {
    pos = skipWireName(buf, pos);
    if (pos < 0 || pos + 4 > buf.length) return undefined;
    pos += 4;
  }
  let min: number | undefined;
  for (let i = 0; i < records; i++) {
    pos = skipWireName(buf, pos);
    if (pos < 0 || pos + 10 > buf.length) return undefined;
    const ttl = buf.readUInt32BE(pos + 4);
    const rdlength = buf.readUInt16BE(pos + 8);
    pos += 10 + rdlength;
    if (pos > buf.length) return undefined;
    // RFC 2181 8: a TTL with the top bit set is read as 0.
    const t = ttl > 0x7fffffff ? 0 : ttl;
    if (min === undefined || t < min) min = t;
  }
  return min;
}

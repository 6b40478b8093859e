// The key a client's connections are counted under for per-source caps: an IPv4 address as is,
// an IPv6 address by its /64 (what one host or site is usually given), an IPv4-mapped one as IPv4.

import { parseIPv6 } from '../wire/rdata/addr.js';

export function sourceKey(address: string): string {
  const addr = address.replace(/%.*$/, '');
  if (!addr.includes(':')) return addr;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  if (mapped) return mapped[1]!;
  // The wire codec's parser, not a second one: the first four groups are the /64.
  const b = parseIPv6(addr);
  if (b === undefined) return addr;
  return `${[0, 2, 4, 6].map((i) => b.readUInt16BE(i).toString(16)).join(':')}::/64`;
}

// An IP address as the 4 or 16 octets dnstap's address fields hold. Converted per message, so
// the last addresses seen are remembered: clients repeat, and aop's own listener address always does.

import { isIPv4 } from 'node:net';
import { parseIPv6 } from '../../wire/rdata/addr.js';

const seen = new Map<string, Buffer | undefined>();
const SEEN_MAX = 4096;

function convert(address: string): Buffer | undefined {
  const a = address.replace(/%.*$/, '');
  if (isIPv4(a)) return Buffer.from(a.split('.').map(Number));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) return Buffer.from(mapped[1]!.split('.').map(Number));
  return parseIPv6(a);
}

/** An address as the 4 or 16 octets dnstap wants; undefined for one that is neither (a unix socket). */
export function addressBytes(address: string): Buffer | undefined {
  let b = seen.get(address);
  if (b !== undefined || seen.has(address)) return b;
  b = convert(address);
  // A flood of spoofed sources only empties the memo, it cannot grow it.
  if (seen.size >= SEEN_MAX) seen.clear();
  seen.set(address, b);
  return b;
}

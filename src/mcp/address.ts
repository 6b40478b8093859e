// Address rules of the hand-off's policy: which addresses count as loopback (plain http allowed there).

import { isIP } from 'node:net';

/** Whether an address is loopback: 127.0.0.0/8, ::1, or IPv4-mapped 127/8. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase();
  if (isIP(a) === 4) return a.startsWith('127.');
  if (isIP(a) === 6) return a === '::1' || a === '0:0:0:0:0:0:0:1' || a.startsWith('::ffff:127.');
  return false;
}

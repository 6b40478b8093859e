// Address rules of the hand-off's policy: which addresses count as loopback (plain http allowed there).

import { isIP } from 'node:net';

/** Whether an address is loopback: 127.0.0.0/8, ::1, or IPv4-mapped 127/8. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase();
  if (isIP(a) === 4) return a.startsWith('127.');
  if (isIP(a) === 6) return a === '::1' || a === '0:0:0:0:0:0:0:1' || a.startsWith('::ffff:127.');
  return false;
}

/** Addresses that reach this host: loopback, and the unspecified 0.0.0.0/8 and :: (a connect to them lands here). */
export function isLocal(address: string): boolean {
  const a = address.toLowerCase();
  return isLoopback(a) || (isIP(a) === 4 && a.startsWith('0.')) || a === '::' || a.startsWith('::ffff:0.');
}

/** Whether an endpoint address reaches a listener bound to `bound` (a wildcard bind takes every local address). */
export function sameHost(bound: string, address: string): boolean {
  const b = bound.toLowerCase();
  const a = address.toLowerCase();
  if (b === a) return true;
  if (b === '0.0.0.0' || b === '::') return isLocal(a) || isIP(a) !== 0;
  return isLocal(b) && isLocal(a);
}

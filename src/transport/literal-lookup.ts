// A `lookup` for dgram sockets that answers IP literals at once: node:dgram otherwise sends
// every bind, connect and send address through dns.lookup and a deferred callback, even
// 127.0.0.1. Host names still go to dns.lookup.

import { lookup } from 'node:dns';
import { isIP } from 'node:net';

export function literalLookup(hostname: string, options: unknown, callback: unknown): void {
  const cb = (typeof options === 'function' ? options : callback) as (err: Error | null, address: string, family: number) => void;
  const family = isIP(hostname);
  if (family !== 0) cb(null, hostname, family);
  else lookup(hostname, typeof options === 'number' ? { family: options } : typeof options === 'object' && options !== null ? options : {}, cb as never);
}

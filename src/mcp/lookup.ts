// How the hand-off looks names up: a small interface, with a network implementation that sends
// RD=1 queries to one resolver through src/transport. The embedded server plugs in an in-process one.

import { query, TransportError, type Server } from '../transport/index.js';
import type { RR } from '../wire/rr.js';
import { RRClass } from '../wire/types.js';

/** The parts of a DNS reply the hand-off reads. */
export interface LookupReply {
  rcode: number;
  answers: RR[];
  authority: RR[];
  additional: RR[];
}

export interface DnsLookup {
  /** Ask for `type` at `name` (class IN). Rejects when no reply came; an rcode is a reply, not a rejection. */
  query(name: string, type: number, signal?: AbortSignal): Promise<LookupReply>;
}

export interface NetworkLookupOptions {
  /** Milliseconds per DNS attempt (UDP, then TCP on TC=1). Default 2000. */
  timeoutMs?: number;
}

/** Queries with RD=1 to one recursive resolver (or an authoritative server holding the zones). */
export class NetworkLookup implements DnsLookup {
  readonly server: { address: string; port: number };
  private readonly timeoutMs: number;

  constructor(server: { address: string; port: number }, opts: NetworkLookupOptions = {}) {
    this.server = { address: server.address, port: server.port };
    this.timeoutMs = opts.timeoutMs ?? 2000;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs < 1 || this.timeoutMs > 0x7fffffff) {
      throw new RangeError(`timeoutMs ${String(opts.timeoutMs)} is not a whole number of milliseconds in 1..2147483647`);
    }
  }

  async query(name: string, type: number, signal?: AbortSignal): Promise<LookupReply> {
    const s: Server = this.server;
    const r = await query(s, { name, type, class: RRClass.IN }, { rd: true, timeout: this.timeoutMs, ...(signal ? { signal } : {}) });
    const m = r.message;
    return { rcode: m.rcode, answers: m.answers, authority: m.authority, additional: m.additional };
  }
}

/** Whether an error from DnsLookup.query is the transport's (no reply) rather than a bug. */
export function isLookupTransportError(err: unknown): err is TransportError {
  return err instanceof TransportError;
}

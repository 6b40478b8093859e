// The handler chain: each handler answers a decoded query or passes it on (CoreDNS's plugin chain).

import type { Message } from '../wire/message.js';
import type { Reuse } from './answer-cache.js';
import type { ExtendedError } from './ede.js';

export interface QueryContext {
  request: Message;
  transport: 'udp' | 'tcp';
  remoteAddress: string;
  remotePort: number;
}

/** The sections a handler fills; the server adds header flags, question and EDNS around them. */
export interface HandlerResult {
  rcode: number;
  aa: boolean;
  ra?: boolean;
  /** Authentic Data (RFC 4035 3.2.3): set only by a validating resolver, for secure answers. */
  ad?: boolean;
  answers: Message['answers'];
  authority: Message['authority'];
  additional: Message['additional'];
  /** Leading additional records that must not be dropped to fit (required glue). */
  requiredAdditional?: number;
  /** The answer depends only on the question and the zones, so its encoding may be reused until a reload. */
  cacheable?: boolean;
  /**
   * The answer may be reused on the owner's terms (a resolver answer from fresh cache data):
   * until a time, for the clients it allows, TTLs counted down, until its cache is flushed.
   */
  reuse?: Reuse;
  /** Extended DNS Errors (RFC 8914) for the reply's OPT record; dropped when the request had no EDNS. */
  ede?: ExtendedError[];
}

export interface Handler {
  readonly name: string;
  /** Answer, or return undefined to let the next handler try. */
  handle(ctx: QueryContext): HandlerResult | undefined | Promise<HandlerResult | undefined>;
  /**
   * Called, when this handler passed, with the answer a later one gave: return it, or another in
   * its place (the resolver turns a referral away from our zones into a resolved answer).
   * Reviews run from the answering handler back towards the first.
   */
  review?(ctx: QueryContext, result: HandlerResult): HandlerResult | Promise<HandlerResult>;
  /**
   * Whether answers to this client are of the recursive kind (RA=1, referrals resolved). The
   * responder keys its stored answers on it, so the two kinds never reach each other's clients.
   */
  mayRecurse?(address: string): boolean;
}

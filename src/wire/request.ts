// The request contract: what a handler of a decoded request sees and returns. It sits below the
// server (as CoreDNS's request/ sits below plugin/) so the modules that answer requests (zone
// transfers, NOTIFY, UPDATE) take the server's own type instead of copying its shape.

import type { Message } from './message.js';
import type { TsigKey } from './tsig.js';

/** A request whose TSIG verified: the key, and the request MAC its replies are signed over. */
export interface SignedBy {
  key: TsigKey;
  mac: Buffer;
}

/** What an opcode handler sees: the request as received and decoded, and where it came from. */
export interface RequestContext {
  /** The request bytes exactly as received (a TSIG MAC covers these). */
  raw: Buffer;
  request: Message;
  transport: 'udp' | 'tcp';
  remoteAddress: string;
  remotePort: number;
  /** Largest message to encode per reply buffer; room for a TSIG record is already taken off. */
  maxSize: number;
  /** Set when the request was signed and verified; the responder signs the reply with this key. */
  tsig?: SignedBy;
}

/**
 * A handler for requests outside the query chain (UPDATE, NOTIFY, zone transfers), registered
 * with the server's `Responder.use`. It gets the raw and decoded request and returns the encoded
 * reply: one buffer, several (a TCP stream such as AXFR; on UDP only the first is sent), or
 * undefined to drop the request. The responder counts and signs (TSIG) what it returns.
 */
export interface OpcodeHandler {
  readonly name: string;
  /** Whether this handler takes the request: by opcode, and for QUERY by question type (AXFR/IXFR). */
  wants(request: Message): boolean;
  handle(ctx: RequestContext): Promise<Buffer | Buffer[] | undefined> | Buffer | Buffer[] | undefined;
}

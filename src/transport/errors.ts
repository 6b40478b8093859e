// Errors of the transport layer: each class carries a stable `code` that callers and tests match on.

import { AopError } from '../base/errors.js';

export type TransportErrorCode =
  | 'ERR_TRANSPORT_TIMEOUT'
  | 'ERR_TRANSPORT_ABORTED'
  | 'ERR_TRANSPORT_NETWORK'
  | 'ERR_TRANSPORT_BAD_REPLY'
  | 'ERR_TRANSPORT_TCP_CLOSED'
  | 'ERR_TRANSPORT_BAD_QUERY'
  | 'ERR_TRANSPORT_BAD_OPTION'
  | 'ERR_TRANSPORT_TLS_CERT'
  | 'ERR_TRANSPORT_TLS'
  | 'ERR_TRANSPORT_HTTP';

/** udp and tcp (RFC 1035), tls (DNS over TLS, RFC 7858), https (DNS over HTTPS, RFC 8484). */
export type TransportKind = 'udp' | 'tcp' | 'tls' | 'https';

/** A server as the transport used it: the address as given, the port filled in. */
export interface Endpoint {
  address: string;
  port: number;
}

export interface TransportErrorDetails {
  cause?: unknown;
  /** Which transport the failing attempt used. */
  transport?: TransportKind;
  server?: Endpoint;
  /** The undecodable reply, for ERR_TRANSPORT_BAD_REPLY (a dig-style CLI may want to dump it). */
  reply?: Buffer;
}

export class TransportError extends AopError {
  declare readonly code: TransportErrorCode;
  readonly transport: TransportKind | undefined;
  readonly server: Endpoint | undefined;
  readonly reply: Buffer | undefined;
  constructor(code: TransportErrorCode, message: string, details: TransportErrorDetails = {}) {
    super(code, message, { cause: details.cause });
    this.transport = details.transport;
    this.server = details.server;
    this.reply = details.reply;
  }
}

// Listen addresses: `127.0.0.1:5300`, `[::1]:5300`, `::1` (port defaulted), validated at the edge.

import { AopError } from '../base/errors.js';
import { isIP, type Server } from 'node:net';

export class ListenAddressError extends AopError {
  declare readonly code: 'ERR_LISTEN_ADDRESS';
  constructor(message: string) {
    super('ERR_LISTEN_ADDRESS', message);
  }
}

/** A listen address another socket holds (EADDRINUSE); `cause` is Node's error. */
export class AddressInUseError extends AopError {
  declare readonly code: 'ERR_ADDRESS_IN_USE';
  constructor(readonly address: ListenAddress, readonly protocol: 'udp' | 'tcp', opts?: { cause?: unknown }) {
    super('ERR_ADDRESS_IN_USE', `${formatListen(address)} is in use (${protocol})`, opts);
  }
}

export interface ListenAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

export function parseListen(text: string, defaultPort = 53): ListenAddress {
  let host = text;
  let port = defaultPort;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const m = /^([^:]+):(\d+)$/.exec(text);
    if (m) {
      host = m[1]!;
      port = Number(m[2]);
    }
  }
  const family = isIP(host);
  if (family === 0) throw new ListenAddressError(`listen address '${text}': '${host}' is not an IPv4 or IPv6 address`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ListenAddressError(`listen address '${text}': port must be 0-65535`);
  return { host, port, family: family as 4 | 6 };
}

export function formatListen(a: ListenAddress): string {
  return a.family === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Bind a stream server (TCP, TLS, HTTP/2) to `address`, IPv6-only for a v6 address; resolves
 * once listening, rejects with Node's error (EADDRINUSE, ...) and leaves no listener behind.
 */
export function listenOn(server: Server, address: { host: string; port: number; family: 4 | 6 }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: address.port, host: address.host, ipv6Only: address.family === 6 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

// Connection caps for a stream server whose connections are not DNS-framed (HTTP/1.1, HTTP/2):
// a most-at-once and a most-per-source (sourceKey: an IPv4 address, an IPv6 /64), applied on the
// raw TCP connection before any TLS handshake or HTTP parsing costs us. Idle timeouts are the
// server's own (server.setTimeout, keepAliveTimeout): once TLS or the HTTP parser consumes a
// socket natively, a timer on the raw socket is no longer refreshed by traffic and would fire
// on busy connections. The DNS-over-TCP and DoT listeners have richer guards (server/transport.ts).

import type net from 'node:net';
import { sourceKey } from './source-key.js';

export interface ConnectionLimits {
  /** Connections open at once; more are closed at accept. */
  maxConnections: number;
  /** Connections open at once from one source (IPv6: one /64); loopback counts too. */
  maxPerSource: number;
}

export interface ConnectionCounts {
  open: number;
  /** Closed at accept: the source was at its cap. */
  sourceRejected: number;
  /** Closed at accept: the server was full. */
  rejected: number;
}

/** Put `server` under `limits`. Returns the live counts. */
export function limitConnections(server: net.Server, limits: ConnectionLimits): ConnectionCounts {
  const counts: ConnectionCounts = { open: 0, sourceRejected: 0, rejected: 0 };
  const perSource = new Map<string, number>();
  server.on('connection', (sock: net.Socket) => {
    const source = sourceKey(sock.remoteAddress ?? '');
    const n = perSource.get(source) ?? 0;
    if (n >= limits.maxPerSource) {
      counts.sourceRejected++;
      sock.destroy();
      return;
    }
    if (counts.open >= limits.maxConnections) {
      counts.rejected++;
      sock.destroy();
      return;
    }
    counts.open++;
    perSource.set(source, n + 1);
    sock.once('close', () => {
      counts.open--;
      const left = (perSource.get(source) ?? 1) - 1;
      if (left > 0) perSource.set(source, left);
      else perSource.delete(source);
    });
  });
  return counts;
}

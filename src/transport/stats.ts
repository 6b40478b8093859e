// Transport counters (what was sent, answered, ignored, timed out) and a count of our open sockets.

export interface TransportStats {
  /** Queries written: UDP datagrams plus TCP messages. */
  sent: number;
  /** Replies accepted as the answer (TC=1 UDP replies included). */
  received: number;
  /** Datagrams or TCP frames ignored: wrong source, ID, QR bit or question (RFC 5452). */
  mismatched: number;
  timeouts: number;
  aborted: number;
  /** UDP replies with TC=1 that were retried over TCP. */
  tcpFallbacks: number;
  /** TCP attempts, forced or after TC. */
  tcpQueries: number;
  networkErrors: number;
  badReplies: number;
  tcpClosed: number;
}

export function newTransportStats(): TransportStats {
  return {
    sent: 0, received: 0, mismatched: 0, timeouts: 0, aborted: 0,
    tcpFallbacks: 0, tcpQueries: 0, networkErrors: 0, badReplies: 0, tcpClosed: 0,
  };
}

/** Process-wide counters, used unless a call passes its own `stats`. */
export const transportStats: TransportStats = newTransportStats();

let open = 0;

/** Sockets this module has opened and not yet seen closed; 0 when idle (tests check for leaks). */
export function openSockets(): number {
  return open;
}

/** Bookkeeping for openSockets(): call once when a socket is created and once when it has closed. */
export function trackSocket(delta: 1 | -1): void {
  open += delta;
}

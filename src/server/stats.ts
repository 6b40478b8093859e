// Counters the server keeps: what came in, what went out, and what was refused or dropped.

import type { QueryCounts } from '../base/metrics.js';

export class Stats {
  queries = 0;
  udpQueries = 0;
  tcpQueries = 0;
  /** Packets that were not answered at all (too short to hold a header, or a response). */
  dropped = 0;
  /** Undecodable queries answered with FORMERR. */
  malformed = 0;
  tcpConnections = 0;
  tcpRejected = 0;
  tcpIdleClosed = 0;
  /** TCP connections closed because a message begun was not whole within the message deadline. */
  tcpMessageTimeouts = 0;
  /** TCP connections refused because their source already had its cap of connections open. */
  tcpSourceRejected = 0;
  /** Idle TCP connections closed to make room for a new one when the table was full. */
  tcpEvicted = 0;
  truncated = 0;
  /** Queries answered from the encoded-answer cache. */
  answerCacheHits = 0;
  /** Cacheable queries not found in the encoded-answer cache. */
  answerCacheMisses = 0;
  /** Per protocol, family and type, with durations: set only when metrics are on (the timing costs a clock read). */
  perQuery?: QueryCounts;
  /** dnstap messages queued for the collector or file, and those dropped (collector absent or slow, queue full). */
  dnstapMessages = 0;
  dnstapDropped = 0;
  /** Query log lines written, and sampled queries not written over the --query-log-rate cap. */
  queryLogLines = 0;
  queryLogSuppressed = 0;
  /** UDP answers the rate limiter (rrl.ts) dropped, and those it sent as TC=1 slips instead. */
  rrlDropped = 0;
  rrlSlipped = 0;
  /** BADCOOKIE replies sent in place of a slip, to rate-limited queries with a client cookie but no valid server cookie. */
  badCookies = 0;
  readonly rcodes = new Map<number, number>();

  countRcode(rcode: number): void {
    this.rcodes.set(rcode, (this.rcodes.get(rcode) ?? 0) + 1);
  }

  snapshot(): Record<string, number | Record<string, number>> {
    return {
      queries: this.queries, udpQueries: this.udpQueries, tcpQueries: this.tcpQueries,
      dropped: this.dropped, malformed: this.malformed, truncated: this.truncated, answerCacheHits: this.answerCacheHits, answerCacheMisses: this.answerCacheMisses,
      tcpConnections: this.tcpConnections, tcpRejected: this.tcpRejected, tcpIdleClosed: this.tcpIdleClosed,
      tcpMessageTimeouts: this.tcpMessageTimeouts, tcpSourceRejected: this.tcpSourceRejected, tcpEvicted: this.tcpEvicted,
      dnstapMessages: this.dnstapMessages, dnstapDropped: this.dnstapDropped,
      queryLogLines: this.queryLogLines, queryLogSuppressed: this.queryLogSuppressed,
      rrlDropped: this.rrlDropped, rrlSlipped: this.rrlSlipped, badCookies: this.badCookies,
      rcodes: Object.fromEntries(this.rcodes),
    };
  }
}

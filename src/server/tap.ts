// What the listeners tell observers of the traffic (dnstap, the query log) about each answered
// query. A listener without a tap pays one undefined check per query; with one, it passes the
// bytes and times here and the observers copy what they keep before returning (the buffers are
// the listener's and may be reused).

import { performance } from 'node:perf_hooks';

export interface Exchange {
  /** The query as received. */
  query: Buffer;
  /** The (first) reply sent, or undefined when the query was dropped. */
  response: Buffer | undefined;
  transport: 'udp' | 'tcp';
  clientAddress: string;
  clientPort: number;
  /** The listener's address and port (the bound host: with a wildcard bind, 0.0.0.0 or ::). */
  localAddress: string;
  localPort: number;
  /** Wall-clock milliseconds since the epoch, with a fraction (see wallClock). */
  queryTime: number;
  responseTime: number;
  /** Answered from the stored answers on the listener's hot path, without the handler chain. */
  cached: boolean;
}

export interface Tap {
  answered(e: Exchange): void;
}

/** Milliseconds since the epoch with sub-millisecond precision (dnstap records nanoseconds). */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/** One tap for several; undefined for none, so the listeners' check stays a single one. */
export function combineTaps(taps: (Tap | undefined)[]): Tap | undefined {
  const all = taps.filter((t): t is Tap => t !== undefined);
  if (all.length <= 1) return all[0];
  return { answered: (e) => { for (const t of all) t.answered(e); } };
}

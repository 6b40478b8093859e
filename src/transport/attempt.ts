// One attempt (a UDP or TCP exchange) under a deadline: the timer and the caller's AbortSignal
// combined, and every resource released exactly once whichever way the attempt ends.

import { TransportError, type Endpoint, type TransportKind } from './errors.js';
import type { TransportStats } from './stats.js';

export interface AttemptContext {
  signal: AbortSignal | undefined;
  /** Milliseconds for this attempt. */
  timeout: number;
  transport: TransportKind;
  server: Endpoint;
  stats: TransportStats;
}

export interface Settle<T> {
  ok(value: T): void;
  fail(err: TransportError): void;
  readonly done: boolean;
  /** Run `fn` when the attempt ends (at once if it already has): close sockets here. */
  defer(fn: () => void): void;
}

const COUNTERS: Partial<Record<TransportError['code'], keyof TransportStats>> = {
  ERR_TRANSPORT_TIMEOUT: 'timeouts',
  ERR_TRANSPORT_ABORTED: 'aborted',
  ERR_TRANSPORT_NETWORK: 'networkErrors',
  ERR_TRANSPORT_BAD_REPLY: 'badReplies',
  ERR_TRANSPORT_TCP_CLOSED: 'tcpClosed',
};

export function where(ctx: { transport: TransportKind; server: Endpoint }): string {
  const a = ctx.server.address.includes(':') ? `[${ctx.server.address}]` : ctx.server.address;
  return `${ctx.transport} ${a}:${ctx.server.port}`;
}

export function abortedError(ctx: AttemptContext, reason: unknown): TransportError {
  return new TransportError('ERR_TRANSPORT_ABORTED', `query to ${where(ctx)} aborted`, { cause: reason, transport: ctx.transport, server: ctx.server });
}

/**
 * Run `start` under the attempt's deadline. A plain timer and an abort listener are used rather
 * than AbortSignal.timeout()/any(): those cannot be cleared, so each query would leave a timer or
 * a listener on a long-lived caller signal behind it.
 */
export function runAttempt<T>(ctx: AttemptContext, timeoutMessage: () => string, start: (settle: Settle<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { signal } = ctx;
    if (signal?.aborted) {
      ctx.stats.aborted++;
      reject(abortedError(ctx, signal.reason));
      return;
    }
    const settle = new Attempt<T>(ctx, resolve, reject);
    settle.timer = setTimeout(() => {
      settle.fail(new TransportError('ERR_TRANSPORT_TIMEOUT', timeoutMessage(), { transport: ctx.transport, server: ctx.server }));
    }, ctx.timeout);
    signal?.addEventListener('abort', settle.onAbort, { once: true });
    try {
      start(settle);
    } catch (err) {
      settle.fail(err instanceof TransportError ? err
        : new TransportError('ERR_TRANSPORT_NETWORK', `${where(ctx)}: ${(err as Error).message}`, { cause: err, transport: ctx.transport, server: ctx.server }));
    }
  });
}

/**
 * The Settle of one attempt. A class, not an object literal: a literal with a getter gets a
 * hidden class of its own per attempt, allocated in the old generation and pointing at the
 * getter's closure, which kept every attempt (its promise, socket closures and reply) alive
 * through young-generation collections until a full one; the cold resolver's full collections
 * and their pauses came mostly from that.
 */
class Attempt<T> implements Settle<T> {
  done = false;
  timer: ReturnType<typeof setTimeout> | undefined;
  private cleanups: (() => void)[] = [];
  readonly onAbort = (): void => this.fail(abortedError(this.ctx, this.ctx.signal?.reason));

  constructor(
    private readonly ctx: AttemptContext,
    private readonly resolve: (value: T) => void,
    private readonly reject: (err: TransportError) => void,
  ) {}

  ok(value: T): void {
    if (this.done) return;
    this.finish();
    this.resolve(value);
  }

  fail(err: TransportError): void {
    if (this.done) return;
    this.finish();
    const counter = COUNTERS[err.code];
    if (counter) this.ctx.stats[counter]++;
    this.reject(err);
  }

  defer(fn: () => void): void {
    this.cleanups.push(fn);
    if (this.done) this.finish();
  }

  private finish(): void {
    this.done = true;
    clearTimeout(this.timer);
    this.ctx.signal?.removeEventListener('abort', this.onAbort);
    for (const fn of this.cleanups.splice(0)) {
      try {
        fn();
      } catch {
        // A socket that is already closed; nothing left to release.
      }
    }
  }
}

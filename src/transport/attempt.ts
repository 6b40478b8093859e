// One attempt (a UDP or TCP exchange) under a deadline: the timer and the caller's AbortSignal
// combined, and every resource released exactly once whichever way the attempt ends.

import { performance } from 'node:perf_hooks';
import { attemptDeadlines, offAbort, onAbort, type Abortable, type Due } from './deadlines.js';
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
 * Run `start` under the attempt's deadline. The deadline is an entry in the process's one
 * deadline set and the abort a member of the signal's one listener (deadlines.ts), rather than
 * a timer and a listener per attempt: AbortSignal.timeout()/any() cannot be cleared at all, and
 * a setTimeout and addEventListener pair per attempt was a measurable part of a cold name's CPU.
 */
export function runAttempt<T>(ctx: AttemptContext, timeoutMessage: () => string, start: (settle: Settle<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { signal } = ctx;
    if (signal?.aborted) {
      ctx.stats.aborted++;
      reject(abortedError(ctx, signal.reason));
      return;
    }
    const settle = new Attempt<T>(ctx, resolve, reject, timeoutMessage, performance.now() + ctx.timeout);
    attemptDeadlines.add(settle);
    if (signal) onAbort(signal, settle);
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
class Attempt<T> implements Settle<T>, Due, Abortable {
  done = false;
  dueSlot = -1;
  abortSlot = -1;
  /** Usually one (the socket's close); an array only past that. */
  private cleanup: (() => void) | (() => void)[] | undefined;

  constructor(
    private readonly ctx: AttemptContext,
    private readonly resolve: (value: T) => void,
    private readonly reject: (err: TransportError) => void,
    private readonly timeoutMessage: () => string,
    readonly at: number,
  ) {}

  expire(): void {
    this.fail(new TransportError('ERR_TRANSPORT_TIMEOUT', this.timeoutMessage(), { transport: this.ctx.transport, server: this.ctx.server }));
  }

  abort(reason: unknown): void {
    this.fail(abortedError(this.ctx, reason));
  }

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
    if (this.done) {
      run(fn);
      return;
    }
    const c = this.cleanup;
    this.cleanup = c === undefined ? fn : Array.isArray(c) ? [...c, fn] : [c, fn];
  }

  private finish(): void {
    this.done = true;
    attemptDeadlines.delete(this);
    if (this.ctx.signal) offAbort(this.ctx.signal, this);
    const c = this.cleanup;
    this.cleanup = undefined;
    if (c === undefined) return;
    if (Array.isArray(c)) for (const fn of c) run(fn);
    else run(c);
  }
}

function run(fn: () => void): void {
  try {
    fn();
  } catch {
    // A socket that is already closed; nothing left to release.
  }
}

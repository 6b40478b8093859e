// Waiting and deadlines, on node:timers/promises. One rule for every wait in aop: an abort ends
// the wait by rejecting (an AbortError whose `cause` is the signal's reason), so a caller's loop
// cannot mistake a cancelled wait for one that ran out; a caller that just stops on abort catches it.

import { setTimeout as wait } from 'node:timers/promises';

/**
 * Resolve after `ms` (at once for ms <= 0). Rejects with an AbortError (`name` 'AbortError',
 * `cause` the signal's reason) when `signal` is aborted, before or during the wait. As a plain
 * timer, the wait keeps the process alive (a CLI backing off between retries must not exit).
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await wait(Math.max(0, ms), undefined, signal ? { signal } : undefined);
}

/** Whether `err` is the rejection of an aborted wait (sleep's, or any Node API's AbortError). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/**
 * One signal for a deadline and the caller's signal: an AbortController, a timer and one listener,
 * released by dispose() when the work is over. AbortSignal.timeout and AbortSignal.any do the
 * same but cannot be released early (some 50 µs a call in Node 20, and AbortSignal.any keeps a
 * weak reference at the source). On the deadline, the reason is a TimeoutError DOMException, as
 * AbortSignal.timeout's; on the caller's abort, the caller's reason.
 */
export function deadlineSignal(ms: number, caller?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  if (caller?.aborted) {
    ac.abort(caller.reason);
    return { signal: ac.signal, dispose() {} };
  }
  const timer = setTimeout(() => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  // As AbortSignal.timeout's: the deadline alone does not keep the process alive.
  timer.unref();
  const onAbort = (): void => {
    clearTimeout(timer);
    ac.abort(caller!.reason);
  };
  caller?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ac.signal,
    dispose() {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * The daemon's clock: milliseconds since 1970. Date.now unless a test moves it (ManualClock), so
 * what runs on days (signature refresh, key rollover, trust-anchor hold-downs) is tested without
 * waiting. Timers still fire on real time; each pass reads this clock for what is due.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** Whole seconds since 1970 on `clock` (DNSSEC's times). */
export function unixSeconds(clock: Clock = systemClock): number {
  return Math.floor(clock() / 1000);
}

/** A clock that only moves when told: for tests of what happens after days. */
export class ManualClock {
  constructor(public ms: number = Date.now()) {}

  /** The clock as a `Clock` function. */
  readonly now: Clock = () => this.ms;

  /** Move forward by `seconds`. */
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }

  /** Whole seconds since 1970. */
  seconds(): number {
    return Math.floor(this.ms / 1000);
  }
}

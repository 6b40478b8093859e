// The failover loop: one operation tried at a card's endpoints in call order until one succeeds,
// with policy and circuit skips, transient retries with jittered backoff inside the deadline, one
// new session on a 404, and the breaker told how each endpoint did.

import { performance } from 'node:perf_hooks';
import { sleep } from '../../base/time.js';
import type { Logger } from '../../base/log.js';
import type { AgentCard, AgentEndpoint } from '../../agent/index.js';
import type { CircuitBreaker } from '../breaker.js';
import { describeAttempts, HandOffError, type Attempt } from '../errors.js';
import { classify, SetupFailure } from './classify.js';
import type { EndpointPolicy } from './policy.js';
import type { EndpointStats } from './endpoint-stats.js';

/** What one operation got from the endpoint that answered. */
export interface Reached<T> {
  value: T;
  card: AgentCard;
  endpoint: string;
  attempts: Attempt[];
}

/** One try of an operation at one endpoint; a SetupFailure says the session could not be opened. */
export type EndpointOp<T> = (e: AgentEndpoint, card: AgentCard, signal: AbortSignal, deadlineAt: number) => Promise<T>;

export interface FailoverOptions {
  policy: EndpointPolicy;
  breaker: CircuitBreaker;
  /** Forget and close the session at a URL (its request may still be pending). */
  dropSession: (url: string) => Promise<void>;
  log: Logger;
  retries: number;
  backoffMs: number;
  random: () => number;
  /** Told of every endpoint's outcome, for the order of later calls. */
  stats?: EndpointStats;
}

/** ERR_ENDPOINT_REFUSED when policy refused them all, else ERR_ENDPOINT_UNREACHABLE. */
function noEndpoint(card: AgentCard, tried: Attempt[]): HandOffError {
  const refused = tried.length > 0 && tried.every((a) => a.code === 'REFUSED_HTTP' || a.code === 'REFUSED_LOOPBACK' || a.code === 'REFUSED_SELF');
  if (refused) return new HandOffError('ERR_ENDPOINT_REFUSED', `${card.name}: every endpoint refused by policy: ${describeAttempts(tried)}`, { tried, agent: card.name });
  if (tried.length === 0) return new HandOffError('ERR_ENDPOINT_UNREACHABLE', `${card.name}: no endpoint to try`, { tried, agent: card.name });
  // A certificate that fails its secure TLSA is not a network fault: someone may be in the path.
  if (tried.some((a) => a.code === 'DANE_MISMATCH')) return new HandOffError('ERR_DANE_MISMATCH', `${card.name}: no endpoint could be used, and a certificate failed DANE: ${describeAttempts(tried)}`, { tried, agent: card.name });
  return new HandOffError('ERR_ENDPOINT_UNREACHABLE', `${card.name}: no endpoint could be reached: ${describeAttempts(tried)}`, { tried, agent: card.name });
}

/**
 * Run `op` at the card's endpoints in call order until one succeeds. Throws ERR_ENDPOINT_UNREACHABLE
 * (or _REFUSED) with `tried` when none did, and at once on an answer from the agent or the deadline.
 */
export async function tryEndpoints<T>(o: FailoverOptions, card: AgentCard, signal: AbortSignal, deadlineAt: number, aborted: (tried: Attempt[]) => HandOffError, op: EndpointOp<T>): Promise<Reached<T>> {
  const tried: Attempt[] = [];
  const candidates = o.policy.candidates(card, tried);
  for (const e of candidates) {
    if (!o.breaker.allow(e.url)) {
      tried.push({ url: e.url, ok: false, code: 'CIRCUIT_OPEN', error: `circuit open (${o.breaker.retryInMs(e.url)} ms to the next probe)`, ms: 0 });
      continue;
    }
    let reported = false;
    const report = (ok: boolean): void => {
      if (reported) return;
      reported = true;
      if (ok) {
        o.breaker.success(e.url);
        o.stats?.success(e.url);
      } else {
        o.breaker.failure(e.url);
        o.stats?.failure(e.url, tried.at(-1)?.error);
      }
    };
    try {
      let sessionRetried = false;
      for (let attempt = 0; ; attempt++) {
        const t0 = performance.now();
        try {
          const value = await op(e, card, signal, deadlineAt);
          tried.push({ url: e.url, ok: true, ms: Math.round(performance.now() - t0) });
          report(true);
          return { value, card, endpoint: e.url, attempts: tried };
        } catch (caught) {
          const phase = caught instanceof SetupFailure ? 'setup' : 'call';
          const err = caught instanceof SetupFailure ? caught.error : caught;
          if (err instanceof HandOffError) {
            // An answer from the agent (tool missing, tool error, a demand for authorization): the endpoint works.
            if (err.code === 'ERR_TOOL_MISSING' || err.code === 'ERR_TOOL_ERROR' || err.code === 'ERR_HANDOFF_USAGE' || err.code.startsWith('ERR_AUTH_')) report(true);
            if (err.tried !== undefined) throw err;
            tried.push({ url: e.url, ok: false, code: err.code, error: err.message, ms: Math.round(performance.now() - t0) });
            throw new HandOffError(err.code, err.message, { tried, agent: card.name, cause: err.cause, ...(err.result ? { result: err.result } : {}) });
          }
          if (signal.aborted) {
            const e2 = aborted(tried);
            tried.push({ url: e.url, ok: false, code: e2.code, error: e2.message, ms: Math.round(performance.now() - t0) });
            // The request may still be pending on that session: drop it, which closes its HTTP stream.
            await o.dropSession(e.url);
            throw e2;
          }
          const v = classify(err, phase, signal);
          const ms = Math.round(performance.now() - t0);
          if (v.kind === 'final') {
            tried.push({ url: e.url, ok: false, code: v.error.code, error: v.error.message, ms });
            // A reply cut off at its limits leaves the session mid-stream: close it (and its connection).
            if (v.error.code === 'ERR_REPLY_TOO_LARGE') await o.dropSession(e.url);
            throw new HandOffError(v.error.code, v.error.message, { tried, agent: card.name, cause: err });
          }
          tried.push({ url: e.url, ok: false, code: v.code, error: v.message, ms });
          await o.dropSession(e.url);
          if (v.kind === 'session' && !sessionRetried) {
            sessionRetried = true;
            attempt--;
            o.log.info(`hand-off: ${e.url}: ${v.message}; opening a new session`);
            continue;
          }
          if ((v.kind === 'transient' || v.kind === 'session') && attempt < o.retries) {
            const delay = o.backoffMs * 2 ** attempt * (0.5 + o.random());
            if (performance.now() + delay < deadlineAt) {
              o.log.info(`hand-off: ${e.url}: ${v.message}; retry ${attempt + 1} of ${o.retries} in ${Math.round(delay)} ms`);
              try {
                await sleep(delay, signal);
              } catch {
                throw aborted(tried);
              }
              continue;
            }
          }
          o.log.warn(`hand-off: ${card.name}: ${e.url}: ${v.message}`);
          report(false);
          break;
        }
      }
    } finally {
      // Aborted mid-try: count it against the endpoint, so a half-open probe never stays pending.
      if (!reported) report(false);
    }
  }
  throw noEndpoint(card, tried);
}

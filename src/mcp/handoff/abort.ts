// Abort plumbing: a call's deadline or its caller's AbortSignal, turned into the error that says which.

import { HandOffError, type Attempt } from '../errors.js';

/** ERR_CALL_ABORTED when the caller aborted, else ERR_CALL_TIMEOUT. */
export function abortError(caller: AbortSignal | undefined, timeoutMs: number, tried: Attempt[] | undefined, agent?: string): HandOffError {
  const extra = { ...(tried ? { tried } : {}), ...(agent ? { agent } : {}) };
  if (caller?.aborted) {
    const why = caller.reason instanceof Error ? caller.reason.message : String(caller.reason);
    return new HandOffError('ERR_CALL_ABORTED', `the call was aborted: ${why}`, { ...extra, cause: caller.reason });
  }
  return new HandOffError('ERR_CALL_TIMEOUT', `${agent ? `${agent}: ` : ''}no answer within ${timeoutMs} ms`, extra);
}

/** Run `fn`, turning an abort of `signal` into ERR_CALL_TIMEOUT or ERR_CALL_ABORTED. */
export async function guard<T>(signal: AbortSignal, caller: AbortSignal | undefined, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (signal.aborted && !(err instanceof HandOffError && err.code !== 'ERR_LOOKUP_FAILED')) throw abortError(caller, timeoutMs, undefined);
    throw err;
  }
}

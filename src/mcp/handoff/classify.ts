// One failure classifier for every MCP exchange the hand-off makes: what a failed try of one
// endpoint means (open a new session, retry here, fail over, or stop with a HandOffError).

import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { HandOffError } from '../errors.js';
import { ReplyTooLargeError } from '../http.js';

/** What to do after a failed try of one endpoint. */
export type Verdict =
  | { kind: 'session'; code: string; message: string }
  | { kind: 'transient'; code: string; message: string }
  | { kind: 'failover'; code: string; message: string }
  | { kind: 'final'; error: HandOffError };

/** A failure while opening the session (connect, initialize, tools/list): nothing reached the tool yet. */
export class SetupFailure {
  constructor(readonly error: unknown) {}
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

/** The first of `err` and its causes (five deep) that `pick` gives a value for. */
export function inCauses<T>(err: unknown, pick: (e: object) => T | undefined): T | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && typeof e === 'object' && e !== null; i++) {
    const v = pick(e);
    if (v !== undefined) return v;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The string `code` of an error or of one of its causes (fetch wraps socket errors in TypeError). */
export function causeCode(err: unknown): string | undefined {
  return inCauses(err, (e) => {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  });
}

/** The ReplyTooLargeError an error is or was caused by (fetch's body stream fails with TypeError: terminated). */
export function tooLarge(err: unknown): ReplyTooLargeError | undefined {
  return inCauses(err, (e) => (e instanceof ReplyTooLargeError ? e : undefined));
}

/** The message worth showing: fetch's "fetch failed" replaced by its cause's. */
export function causeMessage(err: unknown): string {
  let e: unknown = err;
  let msg = err instanceof Error ? err.message : String(err);
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    if (e.cause instanceof Error && e.message === 'fetch failed') msg = e.cause.message;
    e = e.cause;
  }
  return msg;
}

/** Sort one failed try: open a new session, retry here, go to the next endpoint, or stop. */
export function classify(err: unknown, phase: 'setup' | 'call', signal: AbortSignal): Verdict {
  if (err instanceof HandOffError) return { kind: 'final', error: err };
  const big = tooLarge(err);
  if (big !== undefined) return { kind: 'final', error: new HandOffError('ERR_REPLY_TOO_LARGE', `the reply was cut off: ${big.message}`, { cause: big }) };
  if (err instanceof StreamableHTTPError) {
    const status = err.code ?? 0;
    if (status === 404 && phase === 'call') return { kind: 'session', code: 'HTTP_404', message: 'HTTP 404: the session has expired' };
    if (status === 508) return { kind: 'final', error: new HandOffError('ERR_HOP_LIMIT', `the endpoint refused the call: it came through too many gateways (HTTP 508)${err.message ? `: ${err.message.slice(0, 200)}` : ''}`, { cause: err }) };
    if (status === 503 || status === 429) return { kind: 'transient', code: `HTTP_${status}`, message: `HTTP ${status}` };
    if (status === -1) return { kind: 'final', error: new HandOffError('ERR_BAD_AGENT_REPLY', `not an MCP reply: ${err.message}`, { cause: err }) };
    return { kind: 'failover', code: `HTTP_${status}`, message: `HTTP ${status}${err.message ? `: ${err.message.slice(0, 200)}` : ''}` };
  }
  if (err instanceof McpError) {
    if (err.code === ErrorCode.RequestTimeout) {
      if (phase === 'setup') return { kind: 'failover', code: 'CONNECT_TIMEOUT', message: err.message };
      return { kind: 'final', error: new HandOffError('ERR_CALL_TIMEOUT', `no answer: ${err.message}`, { cause: err }) };
    }
    if (err.code === ErrorCode.ConnectionClosed) return { kind: 'transient', code: 'CONNECTION_CLOSED', message: err.message };
    return { kind: 'failover', code: `MCP_${err.code}`, message: `MCP error ${err.code}: ${err.message}` };
  }
  const name = (err as { name?: unknown } | null)?.name;
  if (err instanceof SyntaxError || name === 'ZodError' || name === '$ZodError') {
    return { kind: 'final', error: new HandOffError('ERR_BAD_AGENT_REPLY', `not an MCP reply: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`, { cause: err }) };
  }
  const code = causeCode(err) ?? 'ERROR';
  const message = causeMessage(err);
  if (signal.aborted) return { kind: 'failover', code: 'ABORTED', message };
  if (TRANSIENT_CODES.has(code)) return { kind: 'transient', code, message };
  return { kind: 'failover', code, message };
}

// Errors of the hand-off: each a stable code a user can act on, with its own `aop call` exit status.

import { AopError } from '../base/errors.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** Every HandOffError code, its CLI exit status and what it means (docs/errors.md has a row for each). */
export const HandOffCode = {
  ERR_HANDOFF_USAGE: { exit: 1, means: 'a bad argument to the hand-off: agent name, tool arguments, option out of range' },
  ERR_AGENT_NOT_FOUND: { exit: 2, means: 'the agent name does not exist (NXDOMAIN)' },
  ERR_NO_AGENT_RECORD: { exit: 3, means: 'the name exists but has no usable SVCB agent record (or an alias loop, or AliasMode to ".")' },
  ERR_ENDPOINT_UNREACHABLE: { exit: 4, means: 'no endpoint of the agent could be reached; `tried` says what each did' },
  ERR_TOOL_MISSING: { exit: 5, means: "the endpoint's tools/list does not have the tool the record names" },
  ERR_CAP_UNREACHABLE: { exit: 17, means: "the DNS-AID capability document (cap) could not be fetched: no address, refused, connect/TLS failure, a status other than 200, timeout" },
  ERR_CAP_TOO_LARGE: { exit: 18, means: 'the capability document is larger than the limit (256 000 bytes)' },
  ERR_CAP_NOT_JSON: { exit: 19, means: 'the capability document is not a JSON object served as JSON' },
  ERR_CAP_DIGEST_MISMATCH: { exit: 20, means: "the capability document's SHA-256 is not the record's cap-sha256: the record is refused" },
  ERR_CAP_NO_ENDPOINT: { exit: 21, means: 'the capability document has no endpoints.mcp path' },
  ERR_CAP_DANE_MISMATCH: { exit: 32, means: "the certificate of the capability document's https origin matches none of its DNSSEC-secure TLSA records (DANE): the record is refused, nothing is called" },
  ERR_TOOL_ERROR: { exit: 6, means: 'the agent answered with an error: isError, or a JSON-RPC error to tools/call' },
  ERR_CALL_TIMEOUT: { exit: 7, means: 'the call did not finish within its deadline' },
  ERR_ENDPOINT_REFUSED: { exit: 8, means: "policy refused every endpoint: plain http to a non-loopback address, loopback for a zone not served here, or the caller's own listener" },
  ERR_HOP_LIMIT: { exit: 16, means: 'a gateway refused the call: it came through too many gateways (the aop-hops header)' },
  ERR_AGENT_BOGUS: { exit: 28, means: "the validating resolver found the agent's records bogus (DNSSEC: forged, or signed wrongly): the agent is not called" },
  ERR_AGENT_INSECURE: { exit: 29, means: "with --require-secure: a record the agent rests on is not DNSSEC-secure (unsigned, or from a resolver not trusted to validate): the agent is not called" },
  ERR_DANE_MISMATCH: { exit: 30, means: "an https endpoint's certificate matches none of its DNSSEC-secure TLSA records (DANE, RFC 6698/7671): it is not called" },
  ERR_LOOKUP_FAILED: { exit: 9, means: 'the DNS lookup failed: SERVFAIL, REFUSED, no reply or a truncated one' },
  ERR_LOOKUP_REFERRAL: { exit: 13, means: 'the DNS server answered with a referral: it does not recurse and does not serve the name' },
  ERR_LOOKUP_LAME: { exit: 14, means: 'the DNS server gave a lame answer: not authoritative, and neither data nor a referral' },
  ERR_BAD_AGENT_REPLY: { exit: 11, means: 'the endpoint answered with something that is not a valid MCP reply' },
  ERR_REPLY_TOO_LARGE: { exit: 15, means: 'the endpoint sent a reply past the limits: a body or an SSE event over maxReplyBytes, or more than maxReplyEvents events' },
  ERR_CALL_ABORTED: { exit: 12, means: "the caller's AbortSignal aborted the call" },
  ERR_HANDOFF_CLOSED: { exit: 10, means: 'the HandOff was closed' },
  ERR_AUTH_REQUIRED: { exit: 22, means: 'the endpoint demands authorization (HTTP 401) and none is configured for it, or it publishes no usable metadata' },
  ERR_AUTH_CONSENT_REFUSED: { exit: 23, means: 'the person at the authorization server refused consent (access_denied), or the login was not finished in time' },
  ERR_AUTH_TOKEN_FAILED: { exit: 24, means: "the authorization server refused the token request: its error and error_description are in the message" },
  ERR_AUTH_INSUFFICIENT_SCOPE: { exit: 25, means: 'the endpoint still answers 403 insufficient_scope after the step-ups allowed' },
  ERR_AUTH_SERVER_INVALID: { exit: 26, means: 'the authorization metadata or server was refused: another origin, plain http, too large, no answer in time, not valid metadata, a redirect' },
  ERR_AUTH_HINT_MISMATCH: { exit: 31, means: "the record's auth hint promises authorization (OAuth, an API key, ...) but the endpoint answers without demanding it, or demands another scheme than the OAuth promised: a likely downgrade or a stale record; the tool is not called" },
  ERR_AUTH_CREDENTIALS: { exit: 27, means: 'the credentials file cannot be used: unreadable, not YAML, readable by others, or an entry that is wrong' },
} as const;

export type HandOffCodeName = keyof typeof HandOffCode;

/** One try of one endpoint: what was contacted and how it went. */
export interface Attempt {
  url: string;
  ok: boolean;
  /** Why it failed, in words (`connect ECONNREFUSED 127.0.0.1:18101`, `HTTP 503`, `circuit open`). */
  error?: string;
  /** A short machine-readable reason: ECONNREFUSED, HTTP_503, TIMEOUT, CIRCUIT_OPEN, REFUSED_HTTP, NO_ADDRESS... */
  code?: string;
  /** Milliseconds spent on it. */
  ms: number;
}

export class HandOffError extends AopError {
  declare readonly code: HandOffCodeName;
  /** The `aop call` exit status for this code. */
  readonly exitCode: number;
  /** The endpoints tried, in order, when the failure came after trying some. */
  readonly tried?: Attempt[];
  /** The agent name the call was for, when known. */
  readonly agent?: string;
  /** For ERR_TOOL_ERROR from a result with isError: the result as the agent sent it. */
  readonly result?: CallToolResult;
  constructor(code: HandOffCodeName, message: string, extra: { tried?: Attempt[]; agent?: string; cause?: unknown; result?: CallToolResult } = {}) {
    super(code, message, { cause: extra.cause });
    this.exitCode = HandOffCode[code].exit;
    if (extra.tried !== undefined) this.tried = extra.tried;
    if (extra.agent !== undefined) this.agent = extra.agent;
    if (extra.result !== undefined) this.result = extra.result;
  }
}

/** One line per attempt: `http://mcp.acme.agents:18101/agents/writer/mcp: connect ECONNREFUSED (3 ms)`. */
export function describeAttempts(tried: readonly Attempt[]): string {
  return tried.map((a) => `${a.url}: ${a.ok ? 'ok' : a.error ?? a.code ?? 'failed'}`).join('; ');
}

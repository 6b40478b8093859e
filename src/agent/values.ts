// The value rules of aop's SVCB keys (docs/records.md, "The keys"), shared by the reader (records to
// card) and the writer (card to records). Each check returns why a value is bad, or undefined.

export type Transport = 'streamable-http' | 'sse';
export type Scheme = 'https' | 'http';

export const TRANSPORTS: readonly Transport[] = ['streamable-http', 'sse'];
export const SCHEMES: readonly Scheme[] = ['https', 'http'];

/** Default port per scheme, used when the record has no port key. */
export const DEFAULT_PORT: Record<Scheme, number> = { https: 443, http: 80 };

export const MAX_PATH = 255;
export const MAX_TOOL = 128;
export const MAX_CAPABILITIES = 255;
export const MAX_CAPABILITY = 63;
export const MAX_DESCRIPTION = 100;
export const MAX_AUTH = 32;

const PATH = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
const TOOL = /^[A-Za-z0-9_.-]+$/;
const CAPABILITY = /^[a-z0-9][a-z0-9-]*$/;
const AUTH = /^[a-z0-9_]+$/;
const BAP = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CAP_SHA256 = /^[A-Za-z0-9_-]{43}$/;

/** A value for a message: quoted as JSON, cut when long. */
export function show(v: string): string {
  return JSON.stringify(v.length > 80 ? v.slice(0, 77) + '...' : v);
}

export function pathProblem(v: string): string | undefined {
  if (Buffer.byteLength(v, 'latin1') > MAX_PATH) return `over ${MAX_PATH} octets`;
  if (!v.startsWith('/')) return 'does not start with "/"';
  if (v.includes('?') || v.includes('#')) return 'has a query or fragment';
  if (!PATH.test(v)) return 'has characters outside RFC 3986 path characters and %XX escapes';
  if (v.split('/').some((seg) => seg === '.' || seg === '..')) return 'has a "." or ".." segment, which URL parsing removes';
  return undefined;
}

export function transportProblem(v: string): string | undefined {
  return (TRANSPORTS as readonly string[]).includes(v) ? undefined : 'not "streamable-http" or "sse"';
}

export function toolProblem(v: string): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_TOOL) return `over ${MAX_TOOL} characters`;
  return TOOL.test(v) ? undefined : 'has characters outside A-Z a-z 0-9 _ - .';
}

export function capabilitiesProblem(v: string): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_CAPABILITIES) return `over ${MAX_CAPABILITIES} octets`;
  const list = v.split(',');
  for (const c of list) {
    if (c.length === 0) return 'has an empty item';
    if (c.length > MAX_CAPABILITY) return `item ${show(c)} is over ${MAX_CAPABILITY} characters`;
    if (!CAPABILITY.test(c)) return `item ${show(c)} is not [a-z0-9][a-z0-9-]*`;
  }
  if (new Set(list).size !== list.length) return 'lists an item twice';
  return undefined;
}

/** The description's octets; UTF-8 text of 1-100 octets without control characters. */
export function descriptionProblem(v: Uint8Array): string | undefined {
  if (v.length === 0) return 'empty';
  if (v.length > MAX_DESCRIPTION) return `${v.length} octets (limit ${MAX_DESCRIPTION})`;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(v);
  } catch {
    return 'not UTF-8';
  }
  return /\p{Cc}/u.test(text) ? 'has control characters' : undefined;
}

export function authProblem(v: string): string | undefined {
  if (v.length === 0 || v.length > MAX_AUTH) return `not 1-${MAX_AUTH} characters`;
  return AUTH.test(v) ? undefined : 'not [a-z0-9_]';
}

export function schemeProblem(v: string): string | undefined {
  return (SCHEMES as readonly string[]).includes(v) ? undefined : 'not "https" or "http"';
}

/** key65400: an absolute URI. */
export function capProblem(v: string): string | undefined {
  if (/[\s"<>\\^`{|}]|[^\x21-\x7e]/.test(v)) return 'has characters a URI cannot hold';
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(v)) return 'not an absolute URI';
  try {
    new URL(v);
  } catch {
    return 'not an absolute URI';
  }
  return undefined;
}

/** key65401: base64url SHA-256 without padding. */
export function capSha256Problem(v: string): string | undefined {
  return CAP_SHA256.test(v) ? undefined : 'not a base64url SHA-256 digest (43 characters, no padding)';
}

/** key65402 bap: the protocol token before any `=` or `/` (implementations write mcp, mcp=2.1, mcp/1). */
export function bapToken(v: string): string | undefined {
  const token = v.split(/[=/]/, 1)[0] ?? '';
  return BAP.test(token) ? token : undefined;
}

export function alpnIdProblem(id: string): string | undefined {
  if (id.length === 0 || id.length > 255) return `ALPN id ${show(id)} is not 1-255 octets`;
  return /^[\x21-\x7e]+$/.test(id) && !/[,\\"]/.test(id) ? undefined : `ALPN id ${show(id)} has characters aop does not write`;
}

// Where a DNS-AID agent's MCP endpoint is (a card of form 'dns-aid': its records carry no path):
// the `cap` document's `endpoints.mcp` (fetched over https, size-capped, checked against
// `cap-sha256`), else the `endpoints.mcp` of /.well-known/agent-card.json on the endpoint, else `/mcp`,
// as dns-aid-core 0.28 finds it. A `cap` that cannot be used refuses the card; the agent card is a hint.

import { AopError } from '../base/errors.js';
import { createHash } from 'node:crypto';
import { buildUrl, type AgentCard, type AgentEndpoint } from '../agent/index.js';
import { nameEquals, readName } from '../wire/name.js';
import { formatIPv4, formatIPv6 } from '../wire/rdata/addr.js';
import { RRType } from '../wire/types.js';
import { isLocal, sameHost } from './address.js';
import { HandOffError, type HandOffCodeName } from './errors.js';
import type { OriginPools, ReplyTooLargeError } from './http.js';
import type { DnsLookup } from './lookup.js';
import { isSecurityRefusal } from './security.js';

/** The largest capability document or agent card read (dns-aid-core's limit). */
export const MAX_DESCRIPTOR_BYTES = 256_000;

/** The agent card A2A and dns-aid-core read on an endpoint's host. */
export const AGENT_CARD_PATH = '/.well-known/agent-card.json';

export interface LocateOptions {
  lookup: DnsLookup;
  /** The pool the documents come through: its reply limit (MAX_DESCRIPTOR_BYTES) caps their size, its CA list checks them. */
  pools: OriginPools;
  /** Whether the card's zone may use loopback addresses (the hand-off's loopbackZones); the documents obey it too. */
  loopbackOk: boolean;
  /** Addresses and ports never contacted: the caller's own listeners. */
  self?: ReadonlyArray<{ address: string; port: number }>;
  /** Milliseconds per document, connect included. Default 5000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

type Failure = { code: 'ERR_CAP_UNREACHABLE' | 'ERR_CAP_TOO_LARGE' | 'ERR_CAP_NOT_JSON'; message: string };

class DocumentError extends AopError {
  constructor(readonly failure: Failure) {
    super(failure.code, failure.message);
  }
}

/** base64url SHA-256 without padding, as key65401 holds it. */
export function capDigest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64url');
}

/** The host's A and AAAA addresses by the lookup (CNAMEs in the answer followed). */
async function addressesOf(lookup: DnsLookup, host: string, signal: AbortSignal | undefined): Promise<string[]> {
  const out: string[] = [];
  for (const type of [RRType.A, RRType.AAAA]) {
    const r = await lookup.query(host, type, signal);
    let target = host;
    for (let hop = 0; hop < 8; hop++) {
      const c = r.answers.find((x) => x.type === RRType.CNAME && nameEquals(x.name, target));
      if (c === undefined) break;
      target = readName(c.rdata, 0).name;
    }
    for (const rr of r.answers) {
      if (rr.type !== type || !nameEquals(rr.name, target)) continue;
      if (type === RRType.A && rr.rdata.length === 4) out.push(formatIPv4(rr.rdata));
      if (type === RRType.AAAA && rr.rdata.length === 16) out.push(formatIPv6(rr.rdata));
    }
  }
  return out;
}

/** Why policy refuses fetching from these addresses, as the hand-off refuses endpoints. */
function refusal(addrs: readonly string[], port: number, o: LocateOptions, zone: string | undefined): string | undefined {
  const own = addrs.filter((a) => (o.self ?? []).some((s) => s.port === port && sameHost(s.address, a)));
  if (own.length > 0) return `${own.join(', ')} port ${port} is this host's own listener: never fetched`;
  const local = addrs.filter(isLocal);
  if (local.length > 0 && !o.loopbackOk) return `loopback address ${local.join(', ')} for an agent of ${zone === undefined ? 'an unknown zone' : `zone ${zone}`}, which this host does not serve, is not allowed`;
  return undefined;
}

function causeText(err: unknown): string {
  let e: unknown = err;
  let msg = err instanceof Error ? err.message : String(err);
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    if (e.cause instanceof Error && (e.message === 'fetch failed' || e.message === 'terminated')) msg = e.cause.message;
    e = e.cause;
  }
  return msg;
}

/** GET `url` at `addresses`: the body bytes and the JSON object in them, or a DocumentError. */
async function fetchDocument(url: string, addresses: readonly string[], o: LocateOptions): Promise<{ bytes: Buffer; json: Record<string, unknown> }> {
  const ms = o.timeoutMs ?? 5000;
  const timer = AbortSignal.timeout(ms);
  const signal = o.signal ? AbortSignal.any([o.signal, timer]) : timer;
  let big: ReplyTooLargeError | undefined;
  const fetch = o.pools.fetchFor(url, addresses, (e) => { big = e; });
  let bytes: Buffer;
  let type: string;
  try {
    // Only the URL the record names is fetched: no redirects.
    const res = await fetch(url, { signal, redirect: 'manual', headers: { accept: 'application/json' } });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new DocumentError({ code: 'ERR_CAP_UNREACHABLE', message: `${url}: HTTP ${res.status}${res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : ''}` });
    }
    const length = Number(res.headers.get('content-length') ?? '0');
    if (length > MAX_DESCRIPTOR_BYTES) {
      await res.body?.cancel().catch(() => undefined);
      throw new DocumentError({ code: 'ERR_CAP_TOO_LARGE', message: `${url}: ${length} bytes, more than ${MAX_DESCRIPTOR_BYTES}` });
    }
    type = (res.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
    bytes = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    if (err instanceof DocumentError) throw err;
    if (big !== undefined) throw new DocumentError({ code: 'ERR_CAP_TOO_LARGE', message: `${url}: more than ${MAX_DESCRIPTOR_BYTES} bytes` });
    if (o.signal?.aborted) throw err;
    if (timer.aborted) throw new DocumentError({ code: 'ERR_CAP_UNREACHABLE', message: `${url}: no answer within ${ms} ms` });
    throw new DocumentError({ code: 'ERR_CAP_UNREACHABLE', message: `${url}: ${causeText(err)}` });
  }
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new DocumentError({ code: 'ERR_CAP_NOT_JSON', message: `${url}: served as ${type === '' ? 'no content type' : type}, not application/json` });
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new DocumentError({ code: 'ERR_CAP_NOT_JSON', message: `${url}: not JSON (${(err as Error).message})` });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DocumentError({ code: 'ERR_CAP_NOT_JSON', message: `${url}: not a JSON object` });
  return { bytes, json: json as Record<string, unknown> };
}

/** `endpoints.mcp` of a document as a path for `e`: a path, or an https URL at e's own origin. */
function mcpPath(json: Record<string, unknown>, e: AgentEndpoint): string | undefined {
  const endpoints = json.endpoints;
  if (typeof endpoints !== 'object' || endpoints === null) return undefined;
  const v = (endpoints as Record<string, unknown>).mcp;
  if (typeof v !== 'string' || v.length === 0 || v.length > 2048) return undefined;
  if (v.startsWith('/')) return 'url' in buildUrl(e.scheme, e.host, e.port, v) ? v : undefined;
  try {
    const u = new URL(v);
    const own = new URL(e.url);
    return u.origin === own.origin && u.search === '' && u.hash === '' ? u.pathname : undefined;
  } catch {
    return undefined;
  }
}

function withPath(e: AgentEndpoint, path: string): AgentEndpoint {
  const built = buildUrl(e.scheme, e.host, e.port, path);
  return 'url' in built ? { ...e, path, url: built.url } : e;
}

function refuse(card: AgentCard, code: HandOffCodeName, message: string, cause?: unknown): HandOffError {
  return new HandOffError(code, `${card.name}: capability document (cap): ${message}`, { agent: card.name, ...(cause !== undefined ? { cause } : {}) });
}

/**
 * The card with its endpoints' path located; cards of aop's form come back as they are. Throws
 * HandOffError ERR_CAP_UNREACHABLE, _TOO_LARGE, _NOT_JSON, _DIGEST_MISMATCH or _NO_ENDPOINT when the
 * record names an https `cap` that cannot be used: then nothing is called.
 */
export async function locateEndpoint(card: AgentCard, o: LocateOptions): Promise<AgentCard> {
  if (card.form !== 'dns-aid' || card.located !== undefined) return card;
  const warnings = [...card.warnings];
  if (card.cap !== undefined && /^https:\/\//i.test(card.cap)) {
    const url = new URL(card.cap);
    const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.?$/, '.');
    const port = url.port === '' ? 443 : Number(url.port);
    let addrs: string[];
    try {
      addrs = await addressesOf(o.lookup, host, o.signal);
    } catch (err) {
      if (o.signal?.aborted || isSecurityRefusal(err)) throw err;
      throw refuse(card, 'ERR_CAP_UNREACHABLE', `${card.cap}: no DNS answer for ${host}: ${(err as Error).message}`, err);
    }
    if (addrs.length === 0) throw refuse(card, 'ERR_CAP_UNREACHABLE', `${card.cap}: no A/AAAA record for ${host}`);
    const why = refusal(addrs, port, o, card.zone);
    if (why !== undefined) throw refuse(card, 'ERR_CAP_UNREACHABLE', `${card.cap}: refused: ${why}`);
    let doc: { bytes: Buffer; json: Record<string, unknown> };
    try {
      doc = await fetchDocument(card.cap, addrs, o);
    } catch (err) {
      if (err instanceof DocumentError) throw refuse(card, err.failure.code, err.failure.message, err);
      throw err;
    }
    if (card.capSha256 !== undefined) {
      const actual = capDigest(doc.bytes);
      if (actual !== card.capSha256) throw refuse(card, 'ERR_CAP_DIGEST_MISMATCH', `${card.cap}: SHA-256 ${actual}, but the record's cap-sha256 is ${card.capSha256}; the record is refused`);
    } else {
      warnings.push(`${card.name}: no cap-sha256: the capability document ${card.cap} is used unverified`);
    }
    const endpoints = card.endpoints.map((e) => {
      const p = mcpPath(doc.json, e);
      if (p === undefined) throw refuse(card, 'ERR_CAP_NO_ENDPOINT', `${card.cap}: no endpoints.mcp path (a top-level "endpoints": {"mcp": "/path"})`);
      return withPath(e, p);
    });
    return { ...card, endpoints, located: 'cap', warnings };
  }
  if (card.cap !== undefined) warnings.push(`${card.name}: cap ${card.cap} is not an https URL: not fetched`);

  // No cap: the agent card on each endpoint's origin, once per origin; a failure leaves `/mcp`.
  const byOrigin = new Map<string, Promise<string | undefined>>();
  let found = false;
  const endpoints = await Promise.all(card.endpoints.map(async (e) => {
    const origin = new URL(e.url).origin;
    let p = byOrigin.get(origin);
    if (p === undefined) {
      p = (async () => {
        const addrs = e.addresses ?? [];
        const url = `${origin}${AGENT_CARD_PATH}`;
        if (addrs.length === 0 || refusal(addrs, e.port, o, card.zone) !== undefined) return undefined;
        try {
          const doc = await fetchDocument(url, addrs, o);
          const path = mcpPath(doc.json, e);
          if (path === undefined) warnings.push(`${url}: no endpoints.mcp path; using /mcp`);
          return path;
        } catch (err) {
          if (!(err instanceof DocumentError)) throw err;
          warnings.push(`${err.message}; using /mcp`);
          return undefined;
        }
      })();
      byOrigin.set(origin, p);
    }
    const path = await p;
    if (path === undefined) return e;
    found = true;
    return withPath(e, path);
  }));
  return { ...card, endpoints, located: found ? 'agent-card' : 'default', warnings };
}

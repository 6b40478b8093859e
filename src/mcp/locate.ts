// Where a DNS-AID agent's MCP endpoint is (a card of form 'dns-aid': its records carry no path):
// the `cap` document's `endpoints.mcp` (fetched over https, size-capped, checked against
// `cap-sha256`), else the `endpoints.mcp` of /.well-known/agent-card.json on the endpoint, else `/mcp`,
// as dns-aid-core 0.28 finds it. A `cap` that cannot be used refuses the card; the agent card is a hint.
// A card in aop's form that carries `cap` and `cap-sha256` has its document fetched and checked
// too (aop verifying its own records): a mismatch refuses it. Refusals are remembered briefly.
// The documents' https origins are DANE-checked as the endpoints are (tlsa-lookup.ts, dane.ts):
// a certificate that fails a secure TLSA RRset refuses the card, whatever its form.

import { LRUCache } from 'lru-cache';
import { AopError } from '../base/errors.js';
import {
  buildUrl, capDigest, CapabilityError, type CapabilityCodeName, MAX_CAPABILITY_BYTES, parseCapability, type AgentCard, type AgentEndpoint, type ParsedCapability,
} from '../agent/index.js';
import { nameEquals, readName } from '../wire/name.js';
import { formatIPv4, formatIPv6 } from '../wire/rdata/addr.js';
import { RRType } from '../wire/types.js';
import { isLocal, sameHost } from './address.js';
import { HandOffError, type HandOffCodeName } from './errors.js';
import type { OriginPools, ReplyTooLargeError } from './http.js';
import type { DnsLookup } from './lookup.js';
import { isSecurityRefusal, weakestSecurity, type SecurityRecord } from './security.js';
import { judged } from './resolve.js';
import type { DnssecChainLink } from '../agent/index.js';
import { originTlsa, secureExpansion, secureTlsa, tlsaName, type TlsaFound } from './tlsa-lookup.js';

/** The largest capability document or agent card read (dns-aid-core's limit). */
export const MAX_DESCRIPTOR_BYTES = MAX_CAPABILITY_BYTES;

export { capDigest };

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
  /**
   * Where refusals of `cap` documents are remembered. Default: one per `pools` (a HandOff keeps its
   * pools for its life, so each hand-off, and the gateway's, has its own; the CA list is the pools').
   */
  refusals?: CapRefusals;
}

/**
 * Refused `cap` documents, remembered for a short while by URL and digest, so an agent whose
 * document is down, too large or tampered with is not fetched again on every call (a gateway
 * calls on behalf of many clients). Bounded: the least recently used entries go first.
 */
export class CapRefusals {
  private readonly cache: LRUCache<string, HandOffError>;
  /** `now`: milliseconds, for tests (default performance.now). */
  constructor(opts: { max?: number; ttlMs?: number; now?: () => number } = {}) {
    this.cache = new LRUCache({ max: opts.max ?? 1024, ttl: opts.ttlMs ?? 30_000, ttlResolution: 0, ...(opts.now !== undefined ? { perf: { now: opts.now } } : {}) });
  }
  /** By URL and digest, and whether loopback was allowed (a policy refusal holds for that policy only). */
  private static key(url: string, digest: string | undefined, loopbackOk: boolean): string {
    return `${url}\n${digest ?? ''}\n${loopbackOk ? 1 : 0}`;
  }
  get(url: string, digest: string | undefined, loopbackOk: boolean): HandOffError | undefined {
    return this.cache.get(CapRefusals.key(url, digest, loopbackOk));
  }
  set(url: string, digest: string | undefined, loopbackOk: boolean, err: HandOffError): void {
    this.cache.set(CapRefusals.key(url, digest, loopbackOk), err);
  }
  get size(): number {
    return this.cache.size;
  }
  clear(): void {
    this.cache.clear();
  }
}

/** The refusals of each pool set (LocateOptions.refusals' default). */
const byPools = new WeakMap<OriginPools, CapRefusals>();

function refusalsOf(o: LocateOptions): CapRefusals {
  if (o.refusals !== undefined) return o.refusals;
  let r = byPools.get(o.pools);
  if (r === undefined) byPools.set(o.pools, (r = new CapRefusals()));
  return r;
}

type Failure = { code: 'ERR_CAP_UNREACHABLE' | 'ERR_CAP_TOO_LARGE' | 'ERR_CAP_NOT_JSON' | 'ERR_CAP_NO_ENDPOINT' | 'ERR_CAP_DANE_MISMATCH'; message: string };

class DocumentError extends AopError {
  constructor(readonly failure: Failure) {
    super(failure.code, failure.message);
  }
}

/** The hand-off code for a parser refusal of a fetched document. */
const PARSE_CODES: Record<CapabilityCodeName, Failure['code']> = {
  ERR_CAP_DOC_TOO_LARGE: 'ERR_CAP_TOO_LARGE',
  ERR_CAP_DOC_NOT_JSON: 'ERR_CAP_NOT_JSON',
  ERR_CAP_DOC_NOT_OBJECT: 'ERR_CAP_NOT_JSON',
  ERR_CAP_DOC_INVALID: 'ERR_CAP_NOT_JSON',
  ERR_CAP_DOC_ENDPOINT: 'ERR_CAP_NO_ENDPOINT',
  ERR_CAP_DOC_TOOL_MISSING: 'ERR_CAP_NOT_JSON',
};

/** The host's A and AAAA addresses by the lookup (at most 8 CNAMEs in the answer followed, so a loop ends here). */
export async function addressesOf(lookup: DnsLookup, host: string, signal?: AbortSignal): Promise<string[]> {
  return (await hostAddresses(lookup, host, signal)).addresses;
}

/** addressesOf, with the name the host expands to when a secure CNAME chain gave the addresses (the TLSA base domain, RFC 7671 7). */
export async function hostAddresses(lookup: DnsLookup, host: string, signal?: AbortSignal): Promise<{ addresses: string[]; expanded?: string }> {
  const out: string[] = [];
  let expanded: string | undefined;
  for (const type of [RRType.A, RRType.AAAA]) {
    const r = await lookup.query(host, type, signal);
    expanded ??= secureExpansion(r, host);
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
  return { addresses: out, ...(expanded !== undefined ? { expanded } : {}) };
}

/**
 * The secure TLSA RDATA (hex) for a document's origin, `[]` for none (WebPKI); a lookup that gets
 * no reply leaves a warning and WebPKI, as for the endpoints (resolve.ts). `atHost`: the lookup at
 * the host's TLSA name, started beside the addresses.
 */
export async function documentTlsa(lookup: DnsLookup, host: string, port: number, o: { expanded?: string | undefined; atHost?: Promise<TlsaFound>; signal?: AbortSignal | undefined }, warnings: string[]): Promise<string[]> {
  try {
    const t = await originTlsa(lookup, host, port, o);
    return t.found ? t.rdata : [];
  } catch (err) {
    if (o.signal?.aborted || isSecurityRefusal(err)) throw err;
    warnings.push(`${tlsaName(host, port)} TLSA: no DNS reply (${err instanceof Error ? err.message : String(err)}); WebPKI is used`);
    return [];
  }
}

/** Whether a failed fetch ended at a certificate that failed DANE (http.ts gives the connect error that code). */
export function failedDane(err: unknown): Error | undefined {
  let e: unknown = err;
  for (let i = 0; i < 6 && e instanceof Error; i++) {
    if ((e as NodeJS.ErrnoException).code === 'DANE_MISMATCH') return e;
    e = e.cause;
  }
  return undefined;
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

/** GET `url` at `addresses`: the body bytes (served as JSON), or a DocumentError. `tlsa`: the origin's secure TLSA RDATA (hex), [] for WebPKI. */
async function fetchDocument(url: string, addresses: readonly string[], o: LocateOptions, tlsa: readonly string[], expanded?: string): Promise<Buffer> {
  const ms = o.timeoutMs ?? 5000;
  const timer = AbortSignal.timeout(ms);
  const signal = o.signal ? AbortSignal.any([o.signal, timer]) : timer;
  let big: ReplyTooLargeError | undefined;
  const fetch = o.pools.fetchFor(url, addresses, (e) => { big = e; }, /^https:/i.test(url) ? tlsa : undefined, expanded !== undefined ? [expanded] : undefined);
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
    const dane = failedDane(err);
    if (dane !== undefined) throw new DocumentError({ code: 'ERR_CAP_DANE_MISMATCH', message: `${url}: ${dane.message}; the record is refused` });
    throw new DocumentError({ code: 'ERR_CAP_UNREACHABLE', message: `${url}: ${causeText(err)}` });
  }
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new DocumentError({ code: 'ERR_CAP_NOT_JSON', message: `${url}: served as ${type === '' ? 'no content type' : type}, not application/json` });
  }
  return bytes;
}

/** The document read by the parser (src/agent/capability.ts), or a HandOffError-ready failure. */
function parsed(url: string, bytes: Buffer): ParsedCapability {
  try {
    return parseCapability(bytes);
  } catch (err) {
    if (err instanceof CapabilityError) throw new DocumentError({ code: PARSE_CODES[err.code], message: `${url}: ${err.message}` });
    throw err;
  }
}

/** `endpoints.mcp` of a document as a path for `e`: a path, or an https URL at e's own origin. */
function mcpPath(doc: ParsedCapability, e: AgentEndpoint): string | undefined {
  const v = doc.mcp;
  if (v === undefined) return undefined;
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

/** Whether `card.cap` is a URL the client fetches: https only, as dns-aid-core. */
const fetchable = (cap: string | undefined): cap is string => cap !== undefined && /^https:\/\//i.test(cap);

/**
 * Whether locateEndpoint has work to do for the card: a DNS-AID card not yet located, or a card
 * in aop's form with an https `cap` and a `cap-sha256` not yet checked. The hand-off calls it
 * for every card it resolves (not only DNS-AID ones), so aop's own records are verified too.
 */
export function mustLocate(card: AgentCard): boolean {
  if (card.form === 'dns-aid') return card.located === undefined;
  return fetchable(card.cap) && card.capSha256 !== undefined && card.capVerified !== true;
}

/** The document at card.cap, fetched, checked against cap-sha256 and parsed; refusals remembered (o.refusals). */
async function capDocument(card: AgentCard & { cap: string }, o: LocateOptions, warnings: string[]): Promise<ParsedCapability> {
  const refusals = refusalsOf(o);
  const known = refusals.get(card.cap, card.capSha256, o.loopbackOk);
  if (known !== undefined) throw refuse(card, known.code, `${known.message.replace(/^.*?capability document \(cap\): /, '')} (refused within the last moments; not fetched again)`, known);
  try {
    return await capDocumentOnce(card, o, warnings);
  } catch (err) {
    if (err instanceof HandOffError && !o.signal?.aborted) refusals.set(card.cap, card.capSha256, o.loopbackOk, err);
    throw err;
  }
}

async function capDocumentOnce(card: AgentCard & { cap: string }, o: LocateOptions, warnings: string[]): Promise<ParsedCapability> {
  const url = new URL(card.cap);
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.?$/, '.');
  const port = url.port === '' ? 443 : Number(url.port);
  let addrs: string[];
  let expanded: string | undefined;
  // The TLSA at the host's name is asked beside its addresses (DANE for the document's origin).
  const atHost = secureTlsa(o.lookup, tlsaName(host, port), o.signal);
  atHost.catch(() => undefined);
  try {
    ({ addresses: addrs, expanded } = await hostAddresses(o.lookup, host, o.signal));
  } catch (err) {
    if (o.signal?.aborted || isSecurityRefusal(err)) throw err;
    throw refuse(card, 'ERR_CAP_UNREACHABLE', `${card.cap}: no DNS answer for ${host}: ${(err as Error).message}`, err);
  }
  const tlsa = await documentTlsa(o.lookup, host, port, { expanded, atHost, signal: o.signal }, warnings);
  if (addrs.length === 0) throw refuse(card, 'ERR_CAP_UNREACHABLE', `${card.cap}: no A/AAAA record for ${host}`);
  const why = refusal(addrs, port, o, card.zone);
  if (why !== undefined) throw refuse(card, 'ERR_CAP_UNREACHABLE', `${card.cap}: refused: ${why}`);
  try {
    const bytes = await fetchDocument(card.cap, addrs, o, tlsa, expanded);
    // The digest before the parse: a tampered document is refused as tampered, whatever it holds.
    if (card.capSha256 !== undefined) {
      const actual = capDigest(bytes);
      if (actual !== card.capSha256) throw refuse(card, 'ERR_CAP_DIGEST_MISMATCH', `${card.cap}: SHA-256 ${actual}, but the record's cap-sha256 is ${card.capSha256}; the record is refused`);
    } else {
      warnings.push(`${card.name}: no cap-sha256: the capability document ${card.cap} is used unverified`);
    }
    return parsed(card.cap, bytes);
  } catch (err) {
    if (err instanceof DocumentError) throw refuse(card, err.failure.code, err.failure.message, err);
    throw err;
  }
}

/**
 * The card with its endpoints' path located, or its `cap` verified; other cards come back as they
 * are (mustLocate). Throws HandOffError ERR_CAP_UNREACHABLE, _TOO_LARGE, _NOT_JSON,
 * _DIGEST_MISMATCH or _NO_ENDPOINT when the record names an https `cap` that cannot be used:
 * then nothing is called.
 */
export async function locateEndpoint(card: AgentCard, given: LocateOptions): Promise<AgentCard> {
  if (!mustLocate(card)) return card;
  // The documents' hosts' records (A/AAAA, TLSA) join the card's DNSSEC records: the card rests on them too.
  const seen: SecurityRecord[] = [];
  const o: LocateOptions = { ...given, lookup: judged(given.lookup, seen, new Map<string, DnssecChainLink>()) };
  return withRecords(await locateWith(card, o), seen);
}

/** `card` with `seen` beside its DNSSEC records (those it already lists once), the state the weakest of all. */
function withRecords(card: AgentCard, seen: readonly SecurityRecord[]): AgentCard {
  if (card.dnssec === undefined || seen.length === 0) return card;
  const known = new Set(card.dnssec.records.map((r) => `${r.name.toLowerCase()} ${r.type}`));
  const added = seen.filter((r) => !known.has(`${r.name.toLowerCase()} ${r.type}`) && known.add(`${r.name.toLowerCase()} ${r.type}`))
    .map((r) => ({ name: r.name, type: r.type, security: r.security, ...(r.signedBy ? { signedBy: r.signedBy } : {}) }));
  if (added.length === 0) return card;
  const records = [...card.dnssec.records, ...added];
  return { ...card, dnssec: { ...card.dnssec, records, state: weakestSecurity(records) } };
}

async function locateWith(card: AgentCard, o: LocateOptions): Promise<AgentCard> {
  const warnings = [...card.warnings];
  if (card.form !== 'dns-aid') {
    // aop's own form: the records say where to call; the document must be the one they hash. A
    // document that does not match refuses the card; one that cannot be had (unreachable, a CA
    // this client does not trust, too large) is a warning: the call does not depend on it.
    let doc: ParsedCapability;
    try {
      doc = await capDocument(card as AgentCard & { cap: string }, o, warnings);
    } catch (err) {
      // A certificate failing its secure TLSA, or bogus records of the document's host, are refused
      // like a tampered document: someone may be in the path.
      if (!(err instanceof HandOffError) || err.code === 'ERR_CAP_DIGEST_MISMATCH' || err.code === 'ERR_CAP_DANE_MISMATCH' || err.code === 'ERR_AGENT_BOGUS' || o.signal?.aborted) throw err;
      return { ...card, capVerified: false, warnings: [...warnings, `${err.message}; calling the records' endpoints unverified by it`] };
    }
    const preferred = card.endpoints[0];
    if (doc.document !== undefined && preferred !== undefined && doc.document.endpoints.mcp !== preferred.path) {
      warnings.push(`${card.name}: the capability document's endpoints.mcp ${doc.document.endpoints.mcp} is not the record's path ${preferred.path}; DNS-AID clients call the document's`);
    }
    if (doc.document?.tool !== undefined && doc.document.tool !== card.tool) warnings.push(`${card.name}: the capability document names tool ${doc.document.tool}, the record ${card.tool ?? '(none)'}`);
    return { ...card, capVerified: true, warnings };
  }
  if (fetchable(card.cap)) {
    const doc = await capDocument(card as AgentCard & { cap: string }, o, warnings);
    const endpoints = card.endpoints.map((e) => {
      const p = mcpPath(doc, e);
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
          // The agent card is at the endpoint's origin: its secure TLSA (the card's) holds for it too.
          const doc = parsed(url, await fetchDocument(url, addrs, o, e.scheme === 'https' ? e.tlsa ?? [] : [], e.expanded));
          const path = mcpPath(doc, e);
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

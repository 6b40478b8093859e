// A capability document fetched for the index: the https URL of the record's `cap`, at the
// addresses the DNS gives its host, never more than the zone's document cap (counted as the bytes
// arrive), checked against `cap-sha256` before it is read. Only what the document says is kept;
// nothing in it is trusted beyond being words to search. Its origin is DANE-checked as the
// hand-off checks it (src/mcp/locate.ts): a certificate failing a secure TLSA RRset is refused.

import { capDigest, parseCapability, type AgentCard, type ParsedCapability } from '../agent/index.js';
import { isLocal } from '../mcp/address.js';
import { OriginPools, ReplyTooLargeError } from '../mcp/http.js';
import type { DnsLookup } from '../mcp/lookup.js';
import { documentTlsa, failedDane, hostAddresses } from '../mcp/locate.js';
import type { CapCheck } from './record.js';
import type { ZoneSpend } from './budget.js';

export interface CapFetchOptions {
  lookup: DnsLookup;
  pools: OriginPools;
  /** Whether documents on loopback addresses may be fetched (local zones, tests). Default false. */
  allowLoopback?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CapOutcome {
  check: CapCheck;
  doc?: ParsedCapability;
  /** Why the document could not be used. */
  problem?: { code: string; message: string };
}

/** The card's document, when its records name an https `cap`; what the digest check found. */
export async function fetchCapability(card: AgentCard, spend: ZoneSpend, o: CapFetchOptions): Promise<CapOutcome> {
  const cap = card.cap;
  if (cap === undefined) return { check: 'absent' };
  const fail = (message: string, code = 'ERR_CAP_UNREACHABLE'): CapOutcome => ({ check: 'unreachable', problem: { code, message: `${card.name.replace(/\.$/, '')}: cap ${cap}: ${message}` } });
  if (!/^https:\/\//i.test(cap)) return fail('not an https URL: not fetched', 'ERR_CAP_UNREACHABLE');
  let url: URL;
  try {
    url = new URL(cap);
  } catch {
    return fail('not a URL');
  }
  await spend.step(o.signal);
  let addrs: string[];
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.?$/, '.');
  let expanded: string | undefined;
  try {
    ({ addresses: addrs, expanded } = await hostAddresses(o.lookup, host, o.signal));
  } catch (err) {
    return fail(`no DNS answer for its host: ${(err as Error).message}`);
  }
  let tlsa: string[];
  try {
    tlsa = await documentTlsa(o.lookup, host, url.port === '' ? 443 : Number(url.port), { expanded, signal: o.signal }, []);
  } catch (err) {
    // A bogus TLSA RRset (the lookup's DNSSEC policy): the document is not fetched.
    if (o.signal?.aborted) throw err;
    return fail(`its TLSA: ${(err as Error).message}`);
  }
  if (addrs.length === 0) return fail('no A/AAAA record for its host');
  if (!o.allowLoopback && addrs.some(isLocal)) return fail(`its host is on loopback (${addrs.join(', ')}); not fetched (--allow-loopback to crawl local zones)`);
  const max = spend.budget.maxDocBytes;
  let big: ReplyTooLargeError | undefined;
  const fetch = o.pools.fetchFor(cap, addrs, (e) => { big = e; }, tlsa, expanded !== undefined ? [expanded] : undefined);
  const timer = AbortSignal.timeout(o.timeoutMs ?? 5000);
  const signal = o.signal ? AbortSignal.any([o.signal, timer]) : timer;
  let bytes: Buffer;
  try {
    const res = await fetch(cap, { signal, redirect: 'manual', headers: { accept: 'application/json' } });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      return fail(`HTTP ${res.status}`);
    }
    const length = Number(res.headers.get('content-length') ?? '0');
    if (length > max) {
      await res.body?.cancel().catch(() => undefined);
      return fail(`${length} bytes, more than ${max}`, 'ERR_CAP_TOO_LARGE');
    }
    bytes = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    if (big !== undefined) return fail(`more than ${max} bytes`, 'ERR_CAP_TOO_LARGE');
    if (o.signal?.aborted) throw err;
    const dane = failedDane(err);
    if (dane !== undefined) return fail(dane.message, 'ERR_CAP_DANE_MISMATCH');
    return fail(timer.aborted ? 'no answer in time' : (err as Error).message);
  }
  spend.spendBytes(bytes.length);
  if (card.capSha256 !== undefined && capDigest(bytes) !== card.capSha256) {
    return { check: 'mismatch', problem: { code: 'ERR_CAP_DIGEST_MISMATCH', message: `${card.name.replace(/\.$/, '')}: cap ${cap}: SHA-256 ${capDigest(bytes)}, but the record's cap-sha256 is ${card.capSha256}` } };
  }
  let doc: ParsedCapability;
  try {
    doc = parseCapability(bytes);
  } catch (err) {
    return { check: card.capSha256 !== undefined ? 'checked' : 'unpinned', problem: { code: 'ERR_CAP_NOT_JSON', message: `${card.name.replace(/\.$/, '')}: cap ${cap}: ${(err as Error).message}` } };
  }
  return { check: card.capSha256 !== undefined ? 'checked' : 'unpinned', doc };
}

/** The pools documents are fetched through: replies capped at `maxDocBytes`. */
export function capPools(maxDocBytes: number, ca?: string[]): OriginPools {
  return new OriginPools({ connectTimeoutMs: 5000, limits: { maxReplyBytes: maxDocBytes }, ...(ca !== undefined ? { ca } : {}) });
}

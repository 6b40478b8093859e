// The DNSSEC-secure TLSA RRset of an https origin (RFC 6698 section 3, RFC 7671 section 7), for
// the MCP endpoints (resolve.ts) and the capability documents (locate.ts, the crawler's fetch):
// asked at `_<port>._tcp.<host>` through the lookup the caller validates with. A CNAME at the TLSA
// name is followed (sharing one RRset among many services is common), and when the host itself is
// a CNAME whose expansion was secure, the expanded name is the TLSA base domain tried first, the
// host after. Every reply on the way must be secure, or no TLSA is used: an insecure step could
// have been forged, and DANE from forged records would be worse than WebPKI.

import { nameEquals, nameKey, readName } from '../wire/name.js';
import { Rcode, RRType, rcodeToString } from '../wire/types.js';
import type { DnsLookup, LookupReply } from './lookup.js';

/** CNAMEs followed from a TLSA name at most (as many as an agent name's aliases). */
const MAX_TLSA_CNAMES = 8;

/** `_<port>._tcp.<host>.`, the TLSA name of an https origin. */
export function tlsaName(host: string, port: number): string {
  return `_${port}._tcp.${host.replace(/\.?$/, '.')}`;
}

export type TlsaFound =
  /** A secure, non-empty TLSA RRset: its RDATA in hex, the name holding it, and the names followed to it. */
  | { found: true; rdata: string[]; owner: string; via: string[] }
  /** None usable: absent, or some step not secure (why says which). */
  | { found: false; why: string };

/** The target of the CNAME chain in `reply` from `name`, at most MAX_TLSA_CNAMES hops; the names in order. */
function cnameChain(reply: LookupReply, name: string): string[] {
  const names = [name];
  const seen = new Set([nameKey(name)]);
  for (let hop = 0; hop < MAX_TLSA_CNAMES; hop++) {
    const current = names[names.length - 1]!;
    const c = reply.answers.find((r) => r.type === RRType.CNAME && nameEquals(r.name, current));
    if (c === undefined) break;
    const target = readName(c.rdata, 0).name;
    if (seen.has(nameKey(target))) break;
    seen.add(nameKey(target));
    names.push(target);
  }
  return names;
}

/**
 * The secure TLSA RRset at `qname`, CNAMEs followed (asking again at a target the server did not
 * chase) while every reply is secure. Rejects when a lookup gets no reply; a DNSSEC refusal of
 * the lookup (security.ts) passes through.
 */
export async function secureTlsa(lookup: DnsLookup, qname: string, signal?: AbortSignal): Promise<TlsaFound> {
  const via: string[] = [];
  let name = qname;
  for (let asks = 0; asks <= MAX_TLSA_CNAMES; asks++) {
    const r = await lookup.query(name, RRType.TLSA, signal);
    const step = via.length === 0 ? name : `${name} (via CNAME from ${via[0]})`;
    if (r.rcode !== Rcode.NOERROR) return { found: false, why: `${step} TLSA: ${rcodeToString(r.rcode)}` };
    if (r.security !== 'secure') return { found: false, why: `${step} TLSA: ${r.security ?? 'not validated'}, not secure` };
    const chain = cnameChain(r, name);
    via.push(...chain.slice(0, -1));
    name = chain[chain.length - 1]!;
    if (via.length > MAX_TLSA_CNAMES) return { found: false, why: `more than ${MAX_TLSA_CNAMES} CNAMEs from ${qname}` };
    const rrs = r.answers.filter((x) => x.type === RRType.TLSA && nameEquals(x.name, name));
    if (rrs.length > 0) return { found: true, rdata: rrs.map((x) => x.rdata.toString('hex')), owner: name, via };
    // A CNAME whose target the server did not chase (another zone): ask there. Otherwise: none.
    if (chain.length === 1) return { found: false, why: `${step}: no TLSA record` };
  }
  return { found: false, why: `more than ${MAX_TLSA_CNAMES} CNAMEs from ${qname}` };
}

/**
 * The name `host` expands to by the CNAMEs of an address reply, when the reply was secure (RFC
 * 7671 section 7: only a secure expansion may be the TLSA base domain); undefined otherwise.
 */
export function secureExpansion(reply: LookupReply, host: string): string | undefined {
  if (reply.security !== 'secure') return undefined;
  const chain = cnameChain(reply, host);
  return chain.length > 1 ? chain[chain.length - 1] : undefined;
}

/**
 * The TLSA for `host`:`port`: at the secure expansion of the host first (when there is one), then
 * at the host. `atHost` may be a lookup already under way at the host's TLSA name.
 */
export async function originTlsa(lookup: DnsLookup, host: string, port: number, o: { expanded?: string | undefined; atHost?: Promise<TlsaFound>; signal?: AbortSignal | undefined } = {}): Promise<TlsaFound> {
  const atHost = o.atHost ?? secureTlsa(lookup, tlsaName(host, port), o.signal);
  // Handled here as well, so a failure while the expanded name is asked is not an unhandled rejection.
  atHost.catch(() => undefined);
  if (o.expanded !== undefined && !nameEquals(o.expanded, host)) {
    const first = await secureTlsa(lookup, tlsaName(o.expanded, port), o.signal);
    if (first.found) return first;
  }
  return atHost;
}

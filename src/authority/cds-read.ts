// Reading a child zone's CDS/CDNSKEY for the parental agent (cds-scan.ts, cds-bootstrap.ts):
// one RRset and its RRSIGs from one of the child's name servers, and what the CDS and CDNSKEY
// RRsets ask of the parent's DS set (RFC 7344 section 4, RFC 8078 section 4): a DS set, the
// delete signal (`CDS 0 0 0 00` / `CDNSKEY 0 3 0 AA==`), nothing, or a fault.

import { dsFromDnskey, dsMatches, supportedDigest } from '../dnssec/ds.js';
import { query, type Server } from '../transport/exchange.js';
import type { UpstreamUdp } from '../transport/udp.js';
import type { RR } from '../wire/rr.js';
import { nameEquals } from '../wire/name.js';
import { Rcode, RRType } from '../wire/types.js';

/** How the child's servers are asked: ms per query (default 1500), and the UDP socket code (the daemon's --udp-io). */
export interface FetchOptions {
  timeout?: number;
  udp?: UpstreamUdp;
}

export interface Fetched {
  rdata: Buffer[];
  sigs: Buffer[];
}

/** `type` at `name` from one server, authoritative; a string says why not. */
export async function fetchFrom(s: Server, name: string, type: number, ask: FetchOptions = {}): Promise<Fetched | string> {
  try {
    const r = await query(s, { name, type, class: 1 }, { rd: false, edns: { udpSize: 1232, dnssecOk: true }, timeout: ask.timeout ?? 1500, ...(ask.udp ? { udp: ask.udp } : {}) });
    if (r.message.rcode !== Rcode.NOERROR) return `${s.address}: rcode ${r.message.rcode}`;
    if (!r.message.aa) return `${s.address}: not authoritative for ${name}`;
    const at = (rr: RR) => nameEquals(rr.name, name);
    return {
      rdata: r.message.answers.filter((rr) => at(rr) && rr.type === type).map((rr) => rr.rdata),
      sigs: r.message.answers.filter((rr) => at(rr) && rr.type === RRType.RRSIG && rr.rdata.length >= 2 && rr.rdata.readUInt16BE(0) === type).map((rr) => rr.rdata),
    };
  } catch (err) {
    return `${s.address}: ${(err as Error).message}`;
  }
}

/** `type` at `name` from the first of `servers` that answers. */
export async function fetchSet(servers: readonly Server[], name: string, type: number, ask: FetchOptions = {}): Promise<Fetched | string> {
  let last = 'no servers';
  for (const s of servers) {
    const got = await fetchFrom(s, name, type, ask);
    if (typeof got !== 'string') return got;
    last = got;
  }
  return last;
}

export type Asked =
  | { ds: Buffer[] }
  | { delete: true }
  | { none: true }
  | { fault: string };

const isDeleteCds = (r: Buffer): boolean => r.length >= 4 && r[2] === 0;
const isDeleteCdnskey = (r: Buffer): boolean => r.length >= 4 && r[3] === 0;

/**
 * What the child's CDS and CDNSKEY RRsets (either may be empty) ask for. The CDS says the DS
 * exactly (digests we support); a CDNSKEY alone is made into DS digest type 2. With both, they
 * must name the same keys (RFC 7344 4: the parent cannot tell which one the child meant).
 */
export function askedDs(child: string, cds: readonly Buffer[], cdnskey: readonly Buffer[]): Asked {
  if (cds.length === 0 && cdnskey.length === 0) return { none: true };
  const delCds = cds.some(isDeleteCds);
  const delKey = cdnskey.some(isDeleteCdnskey);
  // RFC 8078 4: the delete signal stands alone in its RRset.
  if (delCds && cds.length > 1) return { fault: 'the CDS RRset mixes the delete signal (algorithm 0) with DS records' };
  if (delKey && cdnskey.length > 1) return { fault: 'the CDNSKEY RRset mixes the delete signal (algorithm 0) with keys' };
  if (delCds || delKey) {
    if ((cds.length > 0 && !delCds) || (cdnskey.length > 0 && !delKey)) return { fault: 'CDS and CDNSKEY disagree: one is the delete signal, the other is not' };
    return { delete: true };
  }
  const fromCds = cds.filter((r) => r.length > 4 && supportedDigest(r[3]!));
  if (cds.length > 0 && fromCds.length === 0) return { fault: 'no CDS record has a digest type we support (2 or 4)' };
  if (cds.length > 0 && cdnskey.length > 0) {
    const named = (k: Buffer) => fromCds.some((d) => dsMatches(child, d, k));
    const keyed = (d: Buffer) => cdnskey.some((k) => dsMatches(child, d, k));
    if (!cdnskey.every(named) || !fromCds.every(keyed)) return { fault: 'CDS and CDNSKEY disagree: they name different keys' };
  }
  return { ds: cds.length > 0 ? fromCds : cdnskey.map((k) => dsFromDnskey(child, k, 2)) };
}

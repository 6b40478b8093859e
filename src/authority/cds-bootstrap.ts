// RFC 8078 section 3.3 ("accept after delay"): an insecure delegation made secure from the
// child's CDS/CDNSKEY. With no DS, there is no chain
// to check the CDS against, so it is taken only when every name server of the delegation gives
// the same CDS (an attacker must then hold the path to all of them), each self-consistent (its
// DNSKEY RRset, CDS and CDNSKEY signed by a key the CDS names, so the child holds that key),
// and it has stayed so for a hold time (the tracking is in `BootstrapWatch`). The hold starts
// again whenever the servers disagree, fail, or change what they ask for; it is kept in memory,
// so a restart starts it again too.

import { dsMatches } from '../dnssec/ds.js';
import { keysThatSigned } from '../dnssec/rrsig.js';
import type { Server } from '../transport/exchange.js';
import { RRType } from '../wire/types.js';
import { askedDs, fetchFrom } from './cds-read.js';

export type BootstrapSeen = { ds: Buffer[]; why: string } | { ds?: undefined; why: string };

const setKey = (ds: readonly Buffer[]): string => ds.map((d) => d.toString('hex')).sort().join(',');

/** What one name server asks for, checked for self-consistency. */
async function askOne(child: string, s: Server, now: number, timeout: number): Promise<BootstrapSeen> {
  const dnskey = await fetchFrom(s, child, RRType.DNSKEY, timeout);
  if (typeof dnskey === 'string') return { why: `no DNSKEY RRset: ${dnskey}` };
  const cds = await fetchFrom(s, child, RRType.CDS, timeout);
  if (typeof cds === 'string') return { why: `no CDS answer: ${cds}` };
  const cdnskey = await fetchFrom(s, child, RRType.CDNSKEY, timeout);
  if (typeof cdnskey === 'string') return { why: `no CDNSKEY answer: ${cdnskey}` };
  const asked = askedDs(child, cds.rdata, cdnskey.rdata);
  if ('fault' in asked) return { why: `${s.address}: ${asked.fault}` };
  if ('none' in asked) return { why: `${s.address}: no CDS or CDNSKEY published` };
  if ('delete' in asked) return { why: `${s.address}: the CDS delete signal, and there is no DS to remove` };
  const set = (type: number, rdata: Buffer[]) => ({ name: child, type, class: 1, rdata });
  const named = dnskey.rdata.filter((k) => asked.ds.some((d) => dsMatches(child, d, k)));
  const signers = keysThatSigned(set(RRType.DNSKEY, dnskey.rdata), dnskey.sigs, named, child, now);
  if (signers.length === 0) return { why: `${s.address}: no key the CDS names signs the DNSKEY RRset` };
  for (const [what, got, type] of [['CDS', cds, RRType.CDS], ['CDNSKEY', cdnskey, RRType.CDNSKEY]] as const) {
    if (got.rdata.length > 0 && keysThatSigned(set(type, got.rdata), got.sigs, signers, child, now).length === 0) return { why: `${s.address}: the ${what} RRset is not signed by a key it names` };
  }
  return { ds: asked.ds, why: 'consistent' };
}

/** The DS set every one of `servers` asks for, or why there is none. */
export async function bootstrapChild(child: string, servers: readonly Server[], now: number, timeout = 1500): Promise<BootstrapSeen> {
  if (servers.length === 0) return { why: 'no name server addresses' };
  let first: Buffer[] | undefined;
  for (const s of servers) {
    const got = await askOne(child, s, now, timeout);
    if (!got.ds) return got;
    if (first === undefined) first = got.ds;
    else if (setKey(first) !== setKey(got.ds)) return { why: `the name servers disagree: ${servers[0]!.address} asks for DS ${first.map((d) => d.readUInt16BE(0)).join(',')}, ${s.address} for ${got.ds.map((d) => d.readUInt16BE(0)).join(',')}` };
  }
  return { ds: first!, why: `all ${servers.length} name servers ask for DS ${first!.map((d) => d.readUInt16BE(0)).join(',')}` };
}

/** Per child, what was seen consistently and since when; `hold` seconds of it accept the DS. */
export class BootstrapWatch {
  private readonly seen = new Map<string, { key: string; since: number }>();

  constructor(readonly hold: number) {}

  /** One sighting at `now`: 'accept' once held long enough, else 'new' or 'waiting' (with the time it may be accepted). */
  note(child: string, ds: readonly Buffer[], now: number): { state: 'new' | 'waiting' | 'accept'; at: number } {
    const key = setKey(ds);
    const was = this.seen.get(child);
    if (!was || was.key !== key) {
      this.seen.set(child, { key, since: now });
      return { state: this.hold <= 0 ? 'accept' : 'new', at: now + this.hold };
    }
    return { state: now - was.since >= this.hold ? 'accept' : 'waiting', at: was.since + this.hold };
  }

  /** Forget a child (accepted, or no longer consistent): the next sighting starts the hold again. */
  reset(child: string): boolean {
    return this.seen.delete(child);
  }
}

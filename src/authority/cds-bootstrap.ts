// RFC 8078 section 3.3 ("accept after delay"): an insecure delegation made secure from the
// child's CDS/CDNSKEY. With no DS, there is no chain
// to check the CDS against, so it is taken only when every name server of the delegation gives
// the same CDS (an attacker must then hold the path to all of them), each self-consistent (its
// DNSKEY RRset, CDS and CDNSKEY signed by a key the CDS names, so the child holds that key),
// and it has stayed so for a hold time (the tracking is in `BootstrapWatch`). The hold starts
// again whenever the servers disagree, fail, or change what they ask for. The sightings are kept
// in a file in the key folder (`cds-bootstrap.json`, written atomically at every change), so a
// restart of the parent does not start the hold again: else a parent restarted more often than
// the hold would never bootstrap anything.

import { existsSync, readFileSync } from 'node:fs';
import { atomicWrite } from '../base/atomic-write.js';
import { silentLogger, type Logger } from '../base/log.js';
import { dsMatches } from '../dnssec/ds.js';
import { keysThatSigned } from '../dnssec/rrsig.js';
import type { Server } from '../transport/exchange.js';
import { RRType } from '../wire/types.js';
import { askedDs, fetchFrom, type FetchOptions } from './cds-read.js';

export type BootstrapSeen = { ds: Buffer[]; why: string } | { ds?: undefined; why: string };

const setKey = (ds: readonly Buffer[]): string => ds.map((d) => d.toString('hex')).sort().join(',');

/** What one name server asks for, checked for self-consistency. */
async function askOne(child: string, s: Server, now: number, ask: FetchOptions): Promise<BootstrapSeen> {
  const dnskey = await fetchFrom(s, child, RRType.DNSKEY, ask);
  if (typeof dnskey === 'string') return { why: `no DNSKEY RRset: ${dnskey}` };
  const cds = await fetchFrom(s, child, RRType.CDS, ask);
  if (typeof cds === 'string') return { why: `no CDS answer: ${cds}` };
  const cdnskey = await fetchFrom(s, child, RRType.CDNSKEY, ask);
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
export async function bootstrapChild(child: string, servers: readonly Server[], now: number, ask: FetchOptions = {}): Promise<BootstrapSeen> {
  if (servers.length === 0) return { why: 'no name server addresses' };
  let first: Buffer[] | undefined;
  for (const s of servers) {
    const got = await askOne(child, s, now, ask);
    if (!got.ds) return got;
    if (first === undefined) first = got.ds;
    else if (setKey(first) !== setKey(got.ds)) return { why: `the name servers disagree: ${servers[0]!.address} asks for DS ${first.map((d) => d.readUInt16BE(0)).join(',')}, ${s.address} for ${got.ds.map((d) => d.readUInt16BE(0)).join(',')}` };
  }
  return { ds: first!, why: `all ${servers.length} name servers ask for DS ${first!.map((d) => d.readUInt16BE(0)).join(',')}` };
}

/** The sightings file's name in the key folder. */
export const BOOTSTRAP_FILE = 'cds-bootstrap.json';

type Sighting = { key: string; since: number };

/**
 * The sightings in `text` (the file's contents), or why they cannot be read. Shape:
 * `{"version":1,"children":{"child.example.":{"ds":"<hex>,<hex>","since":<seconds>}}}`.
 */
export function readSightings(text: string): Map<string, Sighting> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (typeof v !== 'object' || v === null || (v as { version?: unknown }).version !== 1) return 'not version 1 of the sightings file';
  const children = (v as { children?: unknown }).children;
  if (typeof children !== 'object' || children === null || Array.isArray(children)) return '"children" is not an object';
  const out = new Map<string, Sighting>();
  for (const [child, s] of Object.entries(children as Record<string, unknown>)) {
    const ds = (s as { ds?: unknown } | null)?.ds;
    const since = (s as { since?: unknown } | null)?.since;
    if (typeof ds !== 'string' || !/^[0-9a-f]+(,[0-9a-f]+)*$/.test(ds)) return `${child}: "ds" is not a list of DS RDATA in hex`;
    if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) return `${child}: "since" is not a time in seconds`;
    out.set(child, { key: ds, since });
  }
  return out;
}

/**
 * Per child, what was seen consistently and since when; `hold` seconds of it accept the DS. With
 * `file`, the sightings are read from it at the start and written to it at every change; a file
 * that cannot be read is logged and ignored (the holds start again: the safe side).
 */
export class BootstrapWatch {
  private readonly seen: Map<string, Sighting>;
  private readonly file: string | undefined;
  private readonly log: Logger;

  constructor(readonly hold: number, o: { file?: string; log?: Logger } = {}) {
    this.file = o.file;
    this.log = o.log ?? silentLogger;
    this.seen = this.load();
  }

  private load(): Map<string, Sighting> {
    if (this.file === undefined || !existsSync(this.file)) return new Map();
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      this.log.warn(`${this.file}: the RFC 8078 bootstrap sightings cannot be read (${(err as Error).message}); every hold starts again`);
      return new Map();
    }
    const got = readSightings(text);
    if (typeof got === 'string') {
      this.log.warn(`${this.file}: the RFC 8078 bootstrap sightings are not usable: ${got}; every hold starts again`);
      return new Map();
    }
    if (got.size > 0) this.log.info(`${this.file}: RFC 8078 bootstrap holds kept from before the restart: ${[...got].map(([c, s]) => `${c} since ${new Date(s.since * 1000).toISOString()}`).join(', ')}`);
    return got;
  }

  private save(): void {
    if (this.file === undefined) return;
    const children = Object.fromEntries([...this.seen].map(([c, s]) => [c, { ds: s.key, since: s.since }]));
    try {
      atomicWrite(this.file, JSON.stringify({ version: 1, children }, null, 1) + '\n', { mode: 0o644 });
    } catch (err) {
      // The watch goes on in memory; only a restart would lose it.
      this.log.error(`${this.file}: the RFC 8078 bootstrap sightings not written (${(err as Error).message}); a restart starts the holds again`);
    }
  }

  /** One sighting at `now`: 'accept' once held long enough, else 'new' or 'waiting' (with the time it may be accepted). */
  note(child: string, ds: readonly Buffer[], now: number): { state: 'new' | 'waiting' | 'accept'; at: number } {
    const key = setKey(ds);
    const was = this.seen.get(child);
    if (!was || was.key !== key) {
      this.seen.set(child, { key, since: now });
      this.save();
      return { state: this.hold <= 0 ? 'accept' : 'new', at: now + this.hold };
    }
    return { state: now - was.since >= this.hold ? 'accept' : 'waiting', at: was.since + this.hold };
  }

  /** Forget a child (accepted, or no longer consistent): the next sighting starts the hold again. */
  reset(child: string): boolean {
    if (!this.seen.delete(child)) return false;
    this.save();
    return true;
  }
}

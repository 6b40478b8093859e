// IXFR history for zones changed by a reload of their files, as BIND's ixfr-from-differences
// keeps it: the difference between the version that was in service and the one read, so a
// secondary (or the directory's crawler) that holds the old serial gets the changed records, not
// the whole zone. Kept in memory, a few differences per zone; a zone too big to compare, or a
// change by other means in between (an UPDATE: its journal is the history then), breaks the chain
// and the next transfer from before it is a whole one.

import type { RR } from '../wire/rr.js';
import { nameKey } from '../wire/name.js';
import { RRType } from '../wire/types.js';
import type { Zone } from '../zone/zone.js';
import { soaSerial, type ZoneDiff, type ZoneHistory } from './diff.js';

const soaOf = (z: Zone): RR => ({ name: z.soa.name, type: RRType.SOA, class: z.soa.class, ttl: z.soa.ttl, rdata: z.soa.rdata[0]! });
const keyOf = (rr: RR): string => `${nameKey(rr.name)}\0${rr.type}\0${rr.class}\0${rr.ttl}\0${Buffer.from(rr.rdata).toString('latin1')}`;

/** The records `before` has and `after` has not, and the other way round (SOAs as from/to; a TTL change is a removal and an addition). */
export function zoneDifference(before: Zone, after: Zone): ZoneDiff {
  const old = new Map<string, RR>();
  for (const rr of before.records()) if (rr.type !== RRType.SOA) old.set(keyOf(rr), rr);
  const added: RR[] = [];
  for (const rr of after.records()) {
    if (rr.type === RRType.SOA) continue;
    const k = keyOf(rr);
    if (!old.delete(k)) added.push(rr);
  }
  return { from: soaOf(before), removed: [...old.values()], to: soaOf(after), added };
}

export class ReloadHistory implements ZoneHistory {
  private readonly diffs = new Map<string, ZoneDiff[]>();
  private readonly maxDiffs: number;
  private readonly maxRecords: number;

  /** `maxDiffs` kept per zone (default 8); zones of more than `maxRecords` records (both versions together, default 2,000,000) are not compared. */
  constructor(opts: { maxDiffs?: number; maxRecords?: number } = {}) {
    this.maxDiffs = opts.maxDiffs ?? 8;
    this.maxRecords = opts.maxRecords ?? 2_000_000;
  }

  /** A reload replaced `before` with `after` (a new serial): their difference is kept. */
  record(before: Zone, after: Zone): void {
    const key = nameKey(after.origin);
    if (before.size + after.size > this.maxRecords) {
      this.diffs.delete(key);
      return;
    }
    const list = this.diffs.get(key) ?? [];
    list.push(zoneDifference(before, after));
    if (list.length > this.maxDiffs) list.splice(0, list.length - this.maxDiffs);
    this.diffs.set(key, list);
  }

  /** The zone is no longer served (or no longer from its file). */
  forget(origin: string): void {
    this.diffs.delete(nameKey(origin));
  }

  changesSince(origin: string, serial: number): ZoneDiff[] | undefined {
    const list = this.diffs.get(nameKey(origin));
    if (list === undefined) return undefined;
    const at = list.findIndex((d) => soaSerial(d.from) === serial);
    if (at < 0) return undefined;
    const out = list.slice(at);
    // Each difference must start where the one before ended (ixfrResponse checks the last against the zone).
    for (let i = 1; i < out.length; i++) if (soaSerial(out[i]!.from) !== soaSerial(out[i - 1]!.to)) return undefined;
    return out;
  }
}

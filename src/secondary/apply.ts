// A transferred zone -> a validated Zone: the whole zone from AXFR, or our copy with IXFR's
// changes applied. Validation is src/zone's, so a bad transfer never replaces a good copy.

import { checkRdata } from '../wire/rdata.js';
import { nameKey } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { RRClass, RRType } from '../wire/types.js';
import type { SourcedRR } from '../zone/parser.js';
import { validateZone } from '../zone/validate.js';
import { Zone } from '../zone/zone.js';
import { XfrError } from '../xfr/errors.js';
import { soaSerial, type ZoneDiff } from '../xfr/diff.js';

/** Build and validate a zone from transferred records; throws XfrError ERR_XFR_BAD_ZONE listing the faults. */
export function zoneFromRecords(origin: string, records: readonly RR[], source: string): Zone {
  const sourced: SourcedRR[] = [];
  const bad: string[] = [];
  records.forEach((rr, i) => {
    try {
      checkRdata(rr.type, rr.rdata);
    } catch (e) {
      bad.push(`${source}: record ${i + 1} (${rr.name} type ${rr.type}): ${(e as Error).message}`);
    }
    sourced.push({ ...rr, file: source, line: i + 1, col: 1 });
  });
  const faults = validateZone(origin, sourced, source).map((f) => `${f.file}: record ${f.line}: ${f.message}`);
  const all = [...bad, ...faults];
  if (all.length > 0) {
    const shown = all.slice(0, 5).join('\n') + (all.length > 5 ? `\n(and ${all.length - 5} more)` : '');
    throw new XfrError('ERR_XFR_BAD_ZONE', `the zone ${origin} from ${source} does not validate; keeping the copy we have:\n${shown}`);
  }
  return new Zone(origin, records, RRClass.IN);
}

const keyOf = (rr: RR): string => `${nameKey(rr.name)}|${rr.type}|${rr.class}|${rr.rdata.toString('hex')}`;

/**
 * Apply IXFR changes to `zone`'s records, oldest first. Each change must start at the serial
 * reached so far and remove only records present; anything else throws ERR_XFR_BAD_STREAM
 * (the caller falls back to AXFR).
 */
export function applyDiffs(zone: Zone, diffs: readonly ZoneDiff[]): RR[] {
  const records = new Map<string, RR>();
  for (const rr of zone.records()) records.set(keyOf(rr), rr);
  let serial = zone.serial;
  for (const d of diffs) {
    if (soaSerial(d.from) !== serial) throw new XfrError('ERR_XFR_BAD_STREAM', `an IXFR change from serial ${soaSerial(d.from)} where our copy is at ${serial}`);
    for (const rr of d.removed) {
      if (!records.delete(keyOf(rr))) throw new XfrError('ERR_XFR_BAD_STREAM', `IXFR removes ${rr.name} type ${rr.type}, which our copy at serial ${serial} does not hold`);
    }
    for (const rr of d.added) {
      if (rr.type === RRType.SOA) throw new XfrError('ERR_XFR_BAD_STREAM', 'an SOA among the records an IXFR change adds');
      records.set(keyOf(rr), rr);
    }
    serial = soaSerial(d.to);
  }
  const soa = diffs[diffs.length - 1]?.to;
  const out: RR[] = [];
  for (const rr of records.values()) if (rr.type !== RRType.SOA) out.push(rr);
  if (soa) out.unshift(soa);
  else out.unshift(...[...records.values()].filter((rr) => rr.type === RRType.SOA));
  return out;
}

// Zone history as IXFR needs it (RFC 1995): a sequence of SOA-delimited differences.

import type { RR } from '../wire/rr.js';
import { RRType } from '../wire/types.js';

/** One change of a zone: the SOA it left, the records removed, the SOA it reached, the records added. */
export interface ZoneDiff {
  from: RR;
  removed: RR[];
  to: RR;
  added: RR[];
}

/**
 * Where IXFR-out finds the history of a zone: the differences that lead from `serial` to the
 * zone's current serial, oldest first, or undefined when the history does not reach that far back.
 */
export interface ZoneHistory {
  changesSince(origin: string, serial: number): ZoneDiff[] | undefined;
}

/** The serial of an SOA record's RDATA (serial, refresh, retry, expire, minimum are its last 20 octets). */
export function soaSerial(rr: { rdata: Buffer }): number {
  return rr.rdata.readUInt32BE(rr.rdata.length - 20);
}

/** The SOA timers (seconds) of an SOA record's RDATA. */
export function soaTimers(rr: { rdata: Buffer }): { serial: number; refresh: number; retry: number; expire: number; minimum: number } {
  const d = rr.rdata;
  const at = d.length - 20;
  return { serial: d.readUInt32BE(at), refresh: d.readUInt32BE(at + 4), retry: d.readUInt32BE(at + 8), expire: d.readUInt32BE(at + 12), minimum: d.readUInt32BE(at + 16) };
}

/** RFC 1982 serial number arithmetic: is `a` before `b`? (Undefined pairs, 2^31 apart, count as not before.) */
export function serialLess(a: number, b: number): boolean {
  return a !== b && ((a < b && b - a < 0x80000000) || (a > b && a - b > 0x80000000));
}

export function isSoa(rr: RR): boolean {
  return rr.type === RRType.SOA;
}

/** A journal's change as src/zone/journal.ts keeps it: `deleted` and `added` each start with an SOA. */
export interface JournalChange {
  deleted: RR[];
  added: RR[];
}

/** IXFR history read from per-zone journals (`changesSince` of src/zone/journal.ts). */
export function historyFromJournals(journal: (origin: string) => { changesSince(serial: number): readonly JournalChange[] | undefined } | undefined): ZoneHistory {
  return {
    changesSince(origin, serial) {
      const changes = journal(origin)?.changesSince(serial);
      if (!changes) return undefined;
      const out: ZoneDiff[] = [];
      for (const c of changes) {
        const from = c.deleted[0];
        const to = c.added[0];
        // A change without its SOAs cannot be sent as IXFR: give the whole zone instead.
        if (!from || !to || from.type !== RRType.SOA || to.type !== RRType.SOA) return undefined;
        out.push({ from, removed: c.deleted.slice(1), to, added: c.added.slice(1) });
      }
      return out;
    },
  };
}

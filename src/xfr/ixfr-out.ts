// IXFR out (RFC 1995): the differences since the client's serial when the history reaches back
// that far, else the whole zone AXFR-style; the SOA alone when the client is current, or over UDP.

import type { Message } from '../wire/message.js';
import type { RR } from '../wire/rr.js';
import { RRType } from '../wire/types.js';
import { nameEquals } from '../wire/name.js';
import type { Zone } from '../zone/zone.js';
import { axfrRecords, transferTemplate } from './axfr-out.js';
import { serialLess, soaSerial, type ZoneDiff, type ZoneHistory } from './diff.js';
import { packRecords, type PackOptions } from './pack.js';

export type IxfrKind = 'current' | 'incremental' | 'axfr' | 'udp-soa';

/** The client's serial from the SOA in the IXFR query's authority section, or undefined when it has none. */
export function clientSerial(request: Message, origin: string): number | undefined {
  const soa = request.authority.find((rr) => rr.type === RRType.SOA && nameEquals(rr.name, origin));
  if (!soa || soa.rdata.length < 22) return undefined;
  return soaSerial(soa);
}

const rrKey = (rr: RR): string => `${rr.name.toLowerCase()}|${rr.type}|${rr.class}|${rr.ttl}|${rr.rdata.toString('hex')}`;

/**
 * Several consecutive changes as one (RFC 1995 4 allows the server to condense): what the first
 * change's zone lacks of the last's is added, what it had and the last lacks is removed. A record
 * added and later removed (or the reverse) cancels out. The TTL is part of a record's identity
 * here, so a TTL change survives as a removal and an addition.
 */
export function condense(diffs: readonly ZoneDiff[]): ZoneDiff[] {
  if (diffs.length <= 1) return [...diffs];
  const removed = new Map<string, RR>();
  const added = new Map<string, RR>();
  for (const d of diffs) {
    for (const rr of d.removed) {
      const k = rrKey(rr);
      if (added.has(k)) added.delete(k);
      else removed.set(k, rr);
    }
    for (const rr of d.added) {
      const k = rrKey(rr);
      if (removed.has(k)) removed.delete(k);
      else added.set(k, rr);
    }
  }
  return [{ from: diffs[0]!.from, removed: [...removed.values()], to: diffs[diffs.length - 1]!.to, added: [...added.values()] }];
}

/** The records of an incremental reply: new SOA, then per change old SOA, removed, new SOA, added, then new SOA. */
export function ixfrRecords(current: RR, diffs: readonly ZoneDiff[]): RR[] {
  const out: RR[] = [current];
  for (const d of diffs) out.push(d.from, ...d.removed, d.to, ...d.added);
  out.push(current);
  return out;
}

/**
 * The IXFR reply for a client at `serial`. Over UDP only the SOA is sent (RFC 1995 2: it tells a
 * client that is behind to come back over TCP). `history` may be undefined (no journal): then a
 * client that is behind gets the whole zone.
 */
export function ixfrResponse(
  request: Message, zone: Zone, serial: number, transport: 'udp' | 'tcp', history: ZoneHistory | undefined, opts: PackOptions = {},
): { kind: IxfrKind; messages: Buffer[] } {
  const soa: RR = { name: zone.soa.name, type: RRType.SOA, class: zone.soa.class, ttl: zone.soa.ttl, rdata: zone.soa.rdata[0]! };
  const template = transferTemplate(request);
  if (!serialLess(serial, zone.serial)) return { kind: 'current', messages: packRecords(template, [soa], opts) };
  if (transport === 'udp') return { kind: 'udp-soa', messages: packRecords(template, [soa], opts) };
  const diffs = history?.changesSince(zone.origin, serial);
  if (diffs && diffs.length > 0 && soaSerial(diffs[diffs.length - 1]!.to) === zone.serial && soaSerial(diffs[0]!.from) === serial) {
    return { kind: 'incremental', messages: packRecords(template, ixfrRecords(soa, condense(diffs)), opts) };
  }
  return { kind: 'axfr', messages: packRecords(template, axfrRecords(zone), opts) };
}

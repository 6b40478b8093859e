// AXFR out (RFC 5936): the zone as it is served now, SOA first and last, every record once.

import type { Message } from '../wire/message.js';
import type { RR } from '../wire/rr.js';
import { RRType } from '../wire/types.js';
import type { Zone } from '../zone/zone.js';
import { packRecords, type PackOptions } from './pack.js';

/** The reply's header, question and EDNS for a transfer request: authoritative, same ID and opcode. */
export function transferTemplate(request: Message, rcode = 0, udpSize = 1232): Message {
  const m: Message = {
    id: request.id, qr: true, opcode: request.opcode, aa: rcode === 0, tc: false, rd: request.rd, ra: false,
    ad: false, cd: false, rcode, questions: request.questions.slice(0, 1), answers: [], authority: [], additional: [],
  };
  if (request.edns) m.edns = { udpSize, version: 0, dnssecOk: false, extendedRcode: 0, flags: 0, options: [] };
  return m;
}

/** Every record of the zone in AXFR order: the SOA, the rest (apex first), the SOA again. */
export function axfrRecords(zone: Zone): RR[] {
  const soa: RR = { name: zone.soa.name, type: RRType.SOA, class: zone.soa.class, ttl: zone.soa.ttl, rdata: zone.soa.rdata[0]! };
  const out: RR[] = [soa];
  for (const rr of zone.records()) {
    if (rr.type === RRType.SOA) continue;
    // The zone keeps one TTL for all the RRSIGs at a name; each goes out with the TTL of the
    // RRset it covers (RFC 4034 3), as BIND and NSD send them.
    const covered = rr.type === RRType.RRSIG && rr.rdata.length >= 2 ? zone.rrset(rr.name, rr.rdata.readUInt16BE(0)) : undefined;
    out.push(covered && covered.ttl !== rr.ttl ? { ...rr, ttl: covered.ttl } : rr);
  }
  out.push(soa);
  return out;
}

/** The AXFR reply messages for `zone`. The zone object is immutable, so the copy is consistent. */
export function axfrResponse(request: Message, zone: Zone, opts: PackOptions = {}): Buffer[] {
  return packRecords(transferTemplate(request), axfrRecords(zone), opts);
}

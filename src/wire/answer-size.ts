// Whether an RRset can be sent at all: the smallest answer that holds it (header, the question,
// the whole set with names compressed, an OPT record) against the 65,535 octets of a DNS message
// over TCP (RFC 1035 4.2.2). An RRset past that is never served whole: the server can only set
// TC, over TCP too, so the zone check and the UPDATE handler refuse to let one be published
// silently (docs/records.md, "Size limits").

import type { RRset } from './rr.js';
import { encodeMessage, newMessage } from './message.js';

/** The most octets a DNS message can have (the TCP length prefix is 16 bits). */
export const MAX_DNS_MESSAGE = 65535;

/** Octets of the smallest answer holding the whole RRset, or undefined when it fits easily. */
export function answerOctets(set: RRset): number | undefined {
  // Upper bound without encoding: header, question, each RR with a 2-octet owner pointer, OPT.
  let bound = 12 + set.name.length + 6 + 11;
  for (const d of set.rdata) bound += 12 + d.length;
  if (bound <= MAX_DNS_MESSAGE) return undefined;
  const msg = newMessage({
    qr: true, aa: true, questions: [{ name: set.name, type: set.type, class: set.class }],
    answers: set.rdata.map((rdata) => ({ name: set.name, type: set.type, class: set.class, ttl: set.ttl, rdata })),
    edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, flags: 0, options: [] },
  });
  const out = encodeMessage(msg);
  // TC: it did not fit even with compression; the bound (> 65,535) says by how much, roughly.
  return (out[2]! & 0x02) === 0 ? out.length : bound;
}

/** True when the RRset cannot be sent in one DNS message, not even over TCP. */
export function tooLargeForAnyMessage(set: RRset): boolean {
  const n = answerOctets(set);
  return n !== undefined && n > MAX_DNS_MESSAGE;
}

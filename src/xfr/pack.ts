// Records of a transfer -> as few DNS messages as fit the 64 KiB TCP limit (RFC 5936 2.2),
// names compressed, the question in the first message only.

import { encodeMessage, MAX_MESSAGE, type Message } from '../wire/message.js';
import type { RR } from '../wire/rr.js';
import { XfrError } from './errors.js';

export interface PackOptions {
  /** Largest message; default 65535. */
  maxSize?: number;
  /** Bytes kept free in each message for a signature added afterwards (TSIG). */
  reserve?: number;
}

/** A record is at least 11 octets on the wire (a 1-octet name or pointer is 2, plus 10 of header). */
const MIN_RR = 11;

/**
 * Encode `records` as the answer sections of a run of messages built from `template` (its ID,
 * flags, question and EDNS). A record set that does not fit in what is left of a message starts
 * the next one; a single record too big for any message throws ERR_XFR_RECORD_TOO_BIG.
 */
export function packRecords(template: Message, records: readonly RR[], opts: PackOptions = {}): Buffer[] {
  const maxSize = Math.min(opts.maxSize ?? MAX_MESSAGE, MAX_MESSAGE) - (opts.reserve ?? 0);
  const out: Buffer[] = [];
  let i = 0;
  // Bounded: every pass either sends at least one record or throws.
  while (i < records.length || out.length === 0) {
    const first = out.length === 0;
    const base: Message = { ...template, tc: false, questions: first ? template.questions : [], authority: [], additional: [] };
    const take = records.slice(i, i + Math.ceil(maxSize / MIN_RR));
    let buf = encodeMessage({ ...base, answers: take }, { maxSize });
    let count = buf.readUInt16BE(6);
    if (count === 0 && take.length > 0) {
      // A whole RRset that fills more than a message: send it one record at a time.
      buf = encodeMessage({ ...base, answers: take.slice(0, 1) }, { maxSize });
      count = buf.readUInt16BE(6);
      if (count === 0) {
        const rr = take[0]!;
        throw new XfrError('ERR_XFR_RECORD_TOO_BIG', `${rr.name} type ${rr.type} does not fit in a ${maxSize}-byte message`);
      }
    }
    buf[2] = buf[2]! & ~0x02; // encodeMessage sets TC for what it left out; the next message carries it
    out.push(buf);
    i += count;
    if (records.length === 0) break;
  }
  return out;
}

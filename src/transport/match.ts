// Reply matching (RFC 5452 9.1): which datagram or TCP frame is the answer to our query.

import { readName, nameEquals } from '../wire/name.js';
import { decodeMessage, type Message, type Question } from '../wire/message.js';
import { Rcode } from '../wire/types.js';
import { TransportError } from './errors.js';

/** What a reply must echo: taken from the query bytes we send. */
export interface Expected {
  id: number;
  questions: Question[];
}

export type Verdict =
  /** The answer. */
  | { kind: 'accept'; message: Message }
  /** Our reply with TC=1; `message` is absent when the truncated reply does not decode. */
  | { kind: 'truncated'; message?: Message; error?: unknown }
  /** Not ours (or not a reply): keep waiting. */
  | { kind: 'ignore'; reason: 'short' | 'id' | 'not-response' | 'question' }
  /** Ours by ID and QR, but undecodable. */
  | { kind: 'bad'; error: unknown };

/**
 * Error replies that may come without the question section: a server that could not parse the
 * query (FORMERR) or will not handle it may send none (RFC 1035 does not require the echo).
 * Accepting them costs nothing: they carry no data to cache, and a spoofer who can guess the ID
 * and port could as well have echoed the question. Any other reply must echo it exactly.
 */
const BARE_ERRORS = new Set<number>([Rcode.FORMERR, Rcode.SERVFAIL, Rcode.NOTIMP, Rcode.REFUSED, Rcode.BADVERS]);

/**
 * The ID and question section of a query we are about to send. Only the header and questions are
 * read, so a deliberately odd query (extra records, unusual flags) still goes out as given.
 */
export function parseQuery(query: Buffer): Expected {
  if (!Buffer.isBuffer(query)) throw new TransportError('ERR_TRANSPORT_BAD_QUERY', 'the query must be a Buffer');
  if (query.length < 12) throw new TransportError('ERR_TRANSPORT_BAD_QUERY', `a ${query.length}-byte query is shorter than a DNS header`);
  if (query.length > 0xffff) throw new TransportError('ERR_TRANSPORT_BAD_QUERY', `a ${query.length}-byte query is over 65535 bytes`);
  const qdcount = query.readUInt16BE(4);
  const questions: Question[] = [];
  let pos = 12;
  try {
    for (let i = 0; i < qdcount; i++) {
      const { name, end } = readName(query, pos);
      if (end + 4 > query.length) throw new Error(`the query ends inside question ${i + 1}`);
      questions.push({ name, type: query.readUInt16BE(end), class: query.readUInt16BE(end + 2) });
      pos = end + 4;
    }
  } catch (err) {
    throw new TransportError('ERR_TRANSPORT_BAD_QUERY', `cannot read the question section of the query: ${(err as Error).message}`, { cause: err });
  }
  return { id: query.readUInt16BE(0), questions };
}

function sameQuestions(got: Question[], want: Question[]): boolean {
  if (got.length !== want.length) return false;
  return got.every((q, i) => {
    const w = want[i]!;
    return q.type === w.type && q.class === w.class && nameEquals(q.name, w.name);
  });
}

/**
 * Judge one reply. The cheap header checks (ID, QR) come before decoding, so junk costs little.
 * A TC=1 reply that does not decode is still a reason to retry over TCP (old servers cut mid-record
 * and the TCP answer is checked in full), so it is `truncated`, not `bad`.
 */
export function checkReply(reply: Buffer, expected: Expected): Verdict {
  if (reply.length < 12) return { kind: 'ignore', reason: 'short' };
  if (reply.readUInt16BE(0) !== expected.id) return { kind: 'ignore', reason: 'id' };
  const flags = reply.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return { kind: 'ignore', reason: 'not-response' };
  let message: Message;
  try {
    message = decodeMessage(reply);
  } catch (error) {
    if (flags & 0x0200) return { kind: 'truncated', error };
    return { kind: 'bad', error };
  }
  const bare = message.questions.length === 0 && expected.questions.length > 0 && BARE_ERRORS.has(message.rcode);
  if (!bare && !sameQuestions(message.questions, expected.questions)) return { kind: 'ignore', reason: 'question' };
  if (message.tc) return { kind: 'truncated', message };
  return { kind: 'accept', message };
}

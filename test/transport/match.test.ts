// Reply matching (RFC 5452): ID, QR, question (case-insensitive), bare error replies, TC, junk.

import t from 'tap';
import { checkReply, parseQuery } from '../../src/transport/match.js';
import { encodeMessage, encodeQuery, newMessage, type Message } from '../../src/wire/message.js';
import { Rcode, RRType } from '../../src/wire/types.js';

const query = encodeQuery('writer.acme.agents.', RRType.A, { id: 4242 });
const expected = parseQuery(query);

function reply(fields: Partial<Message>): Buffer {
  return encodeMessage(newMessage({ id: 4242, qr: true, questions: [{ name: 'writer.acme.agents.', type: RRType.A, class: 1 }], ...fields }));
}

t.test('parseQuery reads the ID and questions', async (t) => {
  t.same(expected, { id: 4242, questions: [{ name: 'writer.acme.agents.', type: RRType.A, class: 1 }] });
  t.throws(() => parseQuery(Buffer.alloc(5)), { code: 'ERR_TRANSPORT_BAD_QUERY' });
  const cut = query.subarray(0, 20);
  t.throws(() => parseQuery(cut), { code: 'ERR_TRANSPORT_BAD_QUERY' }, 'question cut off');
  t.throws(() => parseQuery('abc' as unknown as Buffer), { code: 'ERR_TRANSPORT_BAD_QUERY' });
  const none = Buffer.alloc(12);
  t.same(parseQuery(none).questions, [], 'no questions is allowed');
});

t.test('accepts the matching reply, case-insensitively', async (t) => {
  t.equal(checkReply(reply({}), expected).kind, 'accept');
  const upper = reply({ questions: [{ name: 'WRITER.Acme.AGENTS.', type: RRType.A, class: 1 }] });
  t.equal(checkReply(upper, expected).kind, 'accept');
});

t.test('ignores what is not our reply', async (t) => {
  t.same(checkReply(Buffer.alloc(11), expected), { kind: 'ignore', reason: 'short' });
  t.same(checkReply(reply({ id: 4243 }), expected), { kind: 'ignore', reason: 'id' });
  t.same(checkReply(reply({ qr: false }), expected), { kind: 'ignore', reason: 'not-response' });
  const other = (q: { name?: string; type?: number; class?: number }) =>
    reply({ questions: [{ name: 'writer.acme.agents.', type: RRType.A, class: 1, ...q }] });
  t.same(checkReply(other({ name: 'reader.acme.agents.' }), expected), { kind: 'ignore', reason: 'question' });
  t.same(checkReply(other({ type: RRType.AAAA }), expected), { kind: 'ignore', reason: 'question' });
  t.same(checkReply(other({ class: 3 }), expected), { kind: 'ignore', reason: 'question' });
  const two = reply({ questions: [{ name: 'writer.acme.agents.', type: RRType.A, class: 1 }, { name: 'x.', type: 1, class: 1 }] });
  t.same(checkReply(two, expected), { kind: 'ignore', reason: 'question' });
});

t.test('an empty question section is accepted only for error rcodes', async (t) => {
  for (const rcode of [Rcode.FORMERR, Rcode.SERVFAIL, Rcode.NOTIMP, Rcode.REFUSED]) {
    t.equal(checkReply(reply({ questions: [], rcode }), expected).kind, 'accept', `rcode ${rcode}`);
  }
  const badvers = reply({ questions: [], rcode: Rcode.BADVERS, edns: { udpSize: 1232, version: 0, dnssecOk: false, extendedRcode: 1, flags: 0, options: [] } });
  t.equal(checkReply(badvers, expected).kind, 'accept', 'BADVERS');
  for (const rcode of [Rcode.NOERROR, Rcode.NXDOMAIN]) {
    t.same(checkReply(reply({ questions: [], rcode }), expected), { kind: 'ignore', reason: 'question' }, `rcode ${rcode}`);
  }
});

t.test('TC=1 is truncated, even when the rest does not decode', async (t) => {
  const tc = checkReply(reply({ tc: true }), expected);
  t.equal(tc.kind, 'truncated');
  t.ok(tc.kind === 'truncated' && tc.message?.tc);
  // Header with TC and ANCOUNT=1 but no record: an old-style cut mid-record.
  const cut = Buffer.concat([reply({ tc: true }), Buffer.from([0xc0])]);
  cut.writeUInt16BE(1, 6);
  const v = checkReply(cut, expected);
  t.equal(v.kind, 'truncated');
  t.ok(v.kind === 'truncated' && v.message === undefined && v.error !== undefined);
  t.equal(checkReply(cut.subarray(0, 12), expected).kind, 'truncated', 'just the header with TC');
});

t.test('our ID and QR but undecodable is bad', async (t) => {
  const junk = Buffer.concat([reply({}), Buffer.from([1, 2, 3])]);
  const v = checkReply(junk, expected);
  t.equal(v.kind, 'bad');
  t.match(v.kind === 'bad' ? v.error : undefined, { code: /^ERR_DECODE_/ });
  const h = Buffer.alloc(12);
  h.writeUInt16BE(4242, 0);
  h.writeUInt16BE(0x8000, 2);
  h.writeUInt16BE(1, 4);
  t.equal(checkReply(h, expected).kind, 'bad', 'question count without a question');
});

// The rate limiter's table on its own, with an injected clock: the token bucket, the slip,
// the client prefixes, the answer kinds, exemptions and the bound on the table.

import t from 'tap';
import { RateLimiter, answerClass, clientPrefix, truncatedReply, type RrlOptions } from '../../src/server/rrl.js';
import { decodeMessage, encodeMessage, type Message } from '../../src/wire/message.js';
import { Rcode, RRType } from '../../src/wire/types.js';

function response(name: string, rcode: number, opts: { answers?: number; zone?: string } = {}): Buffer {
  const m: Message = {
    id: 7, qr: true, opcode: 0, aa: true, tc: false, rd: false, ra: false, ad: false, cd: false, rcode,
    questions: [{ name, type: RRType.A, class: 1 }],
    answers: Array.from({ length: opts.answers ?? 0 }, () => ({ name, type: RRType.A, class: 1, ttl: 60, rdata: Buffer.from([192, 0, 2, 1]) })),
    authority: opts.zone ? [{ name: opts.zone, type: RRType.SOA, class: 1, ttl: 60, rdata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]) }] : [],
    additional: [],
  };
  return encodeMessage(m);
}

function limiter(over: Partial<RrlOptions> = {}): { rrl: RateLimiter; clock: { ms: number } } {
  const clock = { ms: 1_000_000 };
  const rrl = new RateLimiter({ rate: 5, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56, exempt: [], now: () => clock.ms, ...over });
  return { rrl, clock };
}

const pos = response('www.example.', Rcode.NOERROR, { answers: 1 });

t.test('a bucket sends the burst, then the rate, refilling with time', async (t) => {
  const { rrl, clock } = limiter();
  const first = Array.from({ length: 8 }, () => rrl.check(pos, '192.0.2.1'));
  t.same(first, ['send', 'send', 'send', 'send', 'send', 'drop', 'slip', 'drop'], 'burst of 5, then every 2nd dropped answer slips');
  clock.ms += 200; // one token at 5/s
  t.equal(rrl.check(pos, '192.0.2.1'), 'send');
  t.not(rrl.check(pos, '192.0.2.1'), 'send', 'and only one');
  clock.ms += 10_000;
  t.same(Array.from({ length: 6 }, () => rrl.check(pos, '192.0.2.1')).filter((v) => v === 'send').length, 5, 'a long quiet time refills to the burst, no more');
  clock.ms -= 60_000;
  t.not(rrl.check(pos, '192.0.2.1'), 'send', 'a clock stepped back adds nothing');
});

t.test('slip 0 never slips, slip 1 always does', async (t) => {
  for (const [slip, want] of [[0, 'drop'], [1, 'slip']] as const) {
    const { rrl } = limiter({ slip, burst: 1 });
    rrl.check(pos, '192.0.2.1');
    t.same([rrl.check(pos, '192.0.2.1'), rrl.check(pos, '192.0.2.1'), rrl.check(pos, '192.0.2.1')], [want, want, want], `slip ${slip}`);
  }
});

t.test('clients are counted by prefix', async (t) => {
  t.equal(clientPrefix('192.0.2.77', 24, 56), '192.0.2.0/24');
  t.equal(clientPrefix('::ffff:192.0.2.77', 24, 56), '192.0.2.0/24', 'IPv4-mapped as IPv4');
  t.equal(clientPrefix('192.0.2.77', 32, 56), '192.0.2.77/32');
  t.equal(clientPrefix('2001:db8:1:2ff::1', 24, 56), '2001:db8:1:200:0:0:0:0/56');
  t.equal(clientPrefix('2001:db8:1:2ff::1', 24, 64), '2001:db8:1:2ff:0:0:0:0/64');
  const { rrl } = limiter({ burst: 1, slip: 0 });
  t.equal(rrl.check(pos, '192.0.2.1'), 'send');
  t.equal(rrl.check(pos, '192.0.2.200'), 'drop', 'the same /24 shares a bucket');
  t.equal(rrl.check(pos, '192.0.3.1'), 'send', 'another /24 has its own');
  t.equal(rrl.check(pos, '2001:db8:0:1::1'), 'send');
  t.equal(rrl.check(pos, '2001:db8:0:2::1'), 'drop', 'the same IPv6 /56 shares one');
});

t.test('answers are counted by kind', async (t) => {
  t.equal(answerClass(pos), 'a|www.example.');
  t.equal(answerClass(response('WWW.Example.', Rcode.NOERROR, { answers: 1 })), 'a|www.example.', 'case does not matter');
  t.equal(answerClass(response('a1.example.', Rcode.NXDOMAIN, { zone: 'example.' })), 'x|example.', 'NXDOMAIN by zone');
  t.equal(answerClass(response('a2.example.', Rcode.NXDOMAIN, { zone: 'example.' })), 'x|example.', 'so random names share it');
  t.equal(answerClass(response('www.example.', Rcode.NOERROR, { zone: 'example.' })), 'n|example.', 'NODATA by zone');
  t.equal(answerClass(response('x.example.', Rcode.REFUSED)), 'e', 'errors together');
  const { rrl } = limiter({ burst: 1, slip: 0 });
  t.equal(rrl.check(pos, '192.0.2.1'), 'send');
  t.equal(rrl.check(response('other.example.', Rcode.NOERROR, { answers: 1 }), '192.0.2.1'), 'send', 'another name has its own bucket');
  t.equal(rrl.check(response('a1.example.', Rcode.NXDOMAIN, { zone: 'example.' }), '192.0.2.1'), 'send');
  t.equal(rrl.check(response('a2.example.', Rcode.NXDOMAIN, { zone: 'example.' }), '192.0.2.1'), 'drop', 'random NXDOMAIN names do not escape');
});

t.test('exempt networks and trusted requests are never limited', async (t) => {
  const { rrl } = limiter({ burst: 1, slip: 0, exempt: ['10.0.0.0/8'] });
  t.same(Array.from({ length: 5 }, () => rrl.check(pos, '10.1.2.3')), Array(5).fill('send'));
  const q = Buffer.alloc(12);
  let asked = 0;
  const trusted = (): boolean => { asked++; return true; };
  t.equal(rrl.check(pos, '192.0.2.1', trusted, q), 'send');
  t.equal(asked, 0, 'trust is asked only over the rate');
  t.equal(rrl.check(pos, '192.0.2.1', trusted, q), 'send');
  t.equal(asked, 1);
});

t.test('the table is bounded', async (t) => {
  const { rrl } = limiter({ tableSize: 100 });
  for (let i = 0; i < 10_000; i++) rrl.check(pos, `10.${(i >> 8) & 0xff}.${i & 0xff}.1`);
  t.ok(rrl.size <= 100, `${rrl.size} buckets for 10000 prefixes`);
});

t.test('a slip is the header and question with TC=1', async (t) => {
  const big = response('www.example.', Rcode.NOERROR, { answers: 3, zone: 'example.' });
  const slip = truncatedReply(big);
  const m = decodeMessage(slip);
  t.equal(m.id, 7);
  t.ok(m.tc, 'TC=1');
  t.same(m.questions, [{ name: 'www.example.', type: RRType.A, class: 1 }]);
  t.same([m.answers.length, m.authority.length, m.additional.length], [0, 0, 0]);
  t.ok(slip.length < big.length, 'smaller than the answer');
});

t.test('a slip of an answer whose question cannot be cut out is the header alone', async (t) => {
  const header = Buffer.from([0, 7, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const compressed = Buffer.concat([header, Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]);
  const slip = truncatedReply(compressed);
  t.equal(slip.length, 12);
  t.equal(slip.readUInt16BE(4), 0, 'no question');
  t.ok((slip[2]! & 0x02) !== 0, 'TC=1');
  // A label whose last byte has the top bits set is still a label, not a pointer.
  const odd = Buffer.concat([header, Buffer.from([2, 0x61, 0xc1, 0, 0, 1, 0, 1])]);
  t.equal(truncatedReply(odd).length, odd.length, 'the question is kept');
});

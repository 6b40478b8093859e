// Reply classification and scrubbing: answers, negatives, referrals with in-bailiwick glue only,
// and the lame cases (errors, upward or sideways referrals, non-authoritative answers).

import t from 'tap';
import { classify, toRRsets } from '../../src/resolver/classify.js';
import { parseHints } from '../../src/resolver/hints.js';
import { newMessage, type Message } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import { RRType, Rcode } from '../../src/wire/types.js';
import type { RR } from '../../src/wire/rr.js';

const a = (name: string, ip: number[], ttl = 300): RR => ({ name, type: RRType.A, class: 1, ttl, rdata: Buffer.from(ip) });
const ns = (name: string, target: string): RR => ({ name, type: RRType.NS, class: 1, ttl: 3600, rdata: nameToWire(target) });
const soa = (name: string): RR => ({ name, type: RRType.SOA, class: 1, ttl: 600, rdata: Buffer.concat([nameToWire(`ns1.${name}`), nameToWire(`h.${name}`), Buffer.alloc(20, 1)]) });

function reply(qname: string, fields: Partial<Message>): Message {
  return newMessage({ qr: true, questions: [{ name: qname, type: RRType.A, class: 1 }], ...fields });
}

t.test('authoritative answers keep only in-bailiwick records', async (t) => {
  const c = classify(reply('w.acme.agents.', { aa: true, answers: [a('w.acme.agents.', [127, 0, 0, 1]), a('bank.example.', [6, 6, 6, 6])] }), 'w.acme.agents.', 'acme.agents.');
  t.equal(c.kind, 'answer');
  if (c.kind === 'answer') t.same(c.sets.map((s) => s.name), ['w.acme.agents.']);
  t.match(classify(reply('w.acme.agents.', { aa: false, answers: [a('w.acme.agents.', [1, 2, 3, 4])] }), 'w.acme.agents.', 'acme.agents.'), { kind: 'lame' });
});

t.test('negative answers need authority', async (t) => {
  t.match(classify(reply('x.acme.agents.', { aa: true, rcode: Rcode.NXDOMAIN, authority: [soa('acme.agents.')] }), 'x.acme.agents.', 'acme.agents.'), { kind: 'nxdomain', soa: { name: 'acme.agents.' } });
  t.match(classify(reply('x.acme.agents.', { aa: true, authority: [soa('acme.agents.')] }), 'x.acme.agents.', 'acme.agents.'), { kind: 'nodata' });
  const foreignSoa = classify(reply('x.acme.agents.', { aa: true, rcode: Rcode.NXDOMAIN, authority: [soa('globex.agents.')] }), 'x.acme.agents.', 'agents.');
  t.match(foreignSoa, { kind: 'nxdomain', soa: undefined }, 'an SOA that does not cover the name is not used');
  t.match(classify(reply('x.acme.agents.', { rcode: Rcode.NXDOMAIN }), 'x.acme.agents.', 'acme.agents.'), { kind: 'lame' });
});

t.test('referrals lead down, with glue only for the named servers inside the bailiwick', async (t) => {
  const c = classify(reply('w.acme.agents.', {
    authority: [ns('acme.agents.', 'ns1.acme.agents.'), ns('acme.agents.', 'ns.other.example.')],
    additional: [a('ns1.acme.agents.', [127, 0, 0, 3]), a('ns.other.example.', [6, 6, 6, 6]), a('mcp.acme.agents.', [6, 6, 6, 6])],
  }), 'w.acme.agents.', 'agents.');
  t.equal(c.kind, 'referral');
  if (c.kind !== 'referral') return;
  t.equal(c.zone, 'acme.agents.');
  t.same(c.nameservers, ['ns1.acme.agents.', 'ns.other.example.']);
  t.same([...c.glue.entries()], [['ns1.acme.agents.', ['127.0.0.3']]]);
  t.match(classify(reply('w.acme.agents.', { authority: [ns('agents.', 'a.root.agents.')] }), 'w.acme.agents.', 'agents.'), { kind: 'lame' }, 'referral to itself');
  t.match(classify(reply('w.acme.agents.', { authority: [ns('globex.agents.', 'ns1.globex.agents.')] }), 'w.acme.agents.', 'agents.'), { kind: 'lame' }, 'sideways');
  t.match(classify(reply('w.acme.agents.', { authority: [ns('.', 'a.root-servers.net.')] }), 'w.acme.agents.', 'acme.agents.'), { kind: 'lame' }, 'upward');
});

t.test('errors and mismatched questions are lame', async (t) => {
  for (const rcode of [Rcode.SERVFAIL, Rcode.REFUSED, Rcode.FORMERR, Rcode.NOTIMP]) {
    t.match(classify(reply('w.acme.agents.', { rcode }), 'w.acme.agents.', 'acme.agents.'), { kind: 'lame' });
  }
  t.match(classify(reply('other.acme.agents.', { aa: true }), 'w.acme.agents.', 'acme.agents.'), { kind: 'lame' });
  t.match(classify(reply('W.ACME.agents.', { aa: true, answers: [a('w.acme.agents.', [1, 1, 1, 1])] }), 'w.acme.agents.', 'acme.agents.'), { kind: 'answer' }, 'case-insensitive question match');
});

t.test('toRRsets groups by owner and type, smallest TTL wins', async (t) => {
  const sets = toRRsets([a('x.', [1, 1, 1, 1], 60), a('X.', [2, 2, 2, 2], 30), a('x.', [1, 1, 1, 1], 60), a('y.', [3, 3, 3, 3])]);
  t.equal(sets.length, 2);
  t.equal(sets[0]!.ttl, 30);
  t.equal(sets[0]!.rdata.length, 2, 'duplicates collapse');
});

t.test('root hints', async (t) => {
  const h = parseHints('agents. 3600000 IN NS a.root.agents.\nagents. 3600000 IN NS b.root.agents.\na.root.agents. IN A 127.0.0.2\nb.root.agents. IN AAAA ::1\n');
  t.equal(h.zone, 'agents.');
  t.same(h.servers.map((s) => s.addresses), [['127.0.0.2'], ['0:0:0:0:0:0:0:1']]);
  t.throws(() => parseHints('a.root.agents. IN A 127.0.0.2\n'), { code: 'ERR_HINTS_INVALID', message: /no NS records/ });
  t.throws(() => parseHints('agents. IN NS a.root.agents.\n'), { code: 'ERR_HINTS_INVALID', message: /has no A or AAAA/ });
  t.throws(() => parseHints('agents. IN NS a.root.agents.\nother. IN NS a.root.agents.\na.root.agents. IN A 1.2.3.4\n'), { code: 'ERR_HINTS_INVALID', message: /one zone/ });
  t.throws(() => parseHints('agents. IN NS\n'), { code: 'ERR_HINTS_INVALID', message: /:1:/ });
});

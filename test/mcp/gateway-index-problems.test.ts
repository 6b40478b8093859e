// An index the gateway cannot read is a zone problem, with the zone and the reason, whatever
// the reason: SERVFAIL, REFUSED, no reply (a timeout), a referral, a lame reply, a truncated
// reply. Silent emptiness is reserved for a zone that really has no index (NXDOMAIN, NODATA).

import t from 'tap';
import { AgentDirectory, type AgentClient } from '../../src/mcp/gateway/index.js';
import type { DnsLookup, LookupReply } from '../../src/mcp/lookup.js';
import { nameToWire } from '../../src/wire/name.js';
import { Rcode, RRClass, RRType } from '../../src/wire/types.js';

const rr = (name: string, type: number, target: string) => ({ name, type, class: RRClass.IN, ttl: 300, rdata: nameToWire(target) });
const soa = (zone: string) => ({ name: zone, type: RRType.SOA, class: RRClass.IN, ttl: 300, rdata: Buffer.concat([nameToWire(`ns.${zone}`), nameToWire(`h.${zone}`), Buffer.alloc(20)]) });

/** Each zone's index owner answered as the zone's name says. */
const answers: Record<string, () => Partial<LookupReply>> = {
  'servfail.example': () => ({ rcode: Rcode.SERVFAIL }),
  'refused.example': () => ({ rcode: Rcode.REFUSED }),
  'timeout.example': () => { throw new Error('udp 192.0.2.1:53: no reply within 2000 ms'); },
  'referral.example': () => ({ aa: false, authority: [rr('referral.example.', RRType.NS, 'ns1.referral.example.')] }),
  'lame.example': () => ({ aa: false }),
  'truncated.example': () => ({ aa: true, tc: true }),
  'nxdomain.example': () => ({ rcode: Rcode.NXDOMAIN, aa: true, authority: [soa('nxdomain.example.')] }),
  'nodata.example': () => ({ aa: true, authority: [soa('nodata.example.')] }),
  'ok.example': () => ({ aa: true, answers: [rr('_index._agents.ok.example.', RRType.PTR, 'one.ok.example.')] }),
};

t.test('every unreadable index shows in the problems, with its zone and reason', async (t) => {
  const lookup: DnsLookup = {
    source: '192.0.2.53:53',
    async query(name) {
      const zone = name.replace(/^_index\._agents\./, '').replace(/\.$/, '');
      return { rcode: Rcode.NOERROR, answers: [], authority: [], additional: [], ...answers[zone]!() };
    },
  };
  const client: AgentClient = {
    async resolve(name) { return { name: `${name}.`, endpoints: [], tool: 'x', capabilities: [], ttl: 300, warnings: [] }; },
    async call() { throw new Error('not used'); },
    async listTools() { return []; },
  };
  const dir = new AgentDirectory({ lookup, client, zones: () => Object.keys(answers) });
  const snap = await dir.list();
  t.same(snap.agents.map((a) => a.name), ['one.ok.example']);
  const problems = Object.fromEntries(snap.problems.map((p) => [p.zone, p]));
  t.same(Object.keys(problems).sort(), ['lame.example', 'referral.example', 'refused.example', 'servfail.example', 'timeout.example', 'truncated.example'], 'every unreadable zone, and only those');
  t.match(problems['servfail.example'], { code: 'ERR_LOOKUP_FAILED', message: '_index._agents.servfail.example. PTR: 192.0.2.53:53 answered SERVFAIL' });
  t.match(problems['refused.example'], { code: 'ERR_LOOKUP_FAILED', message: /answered REFUSED$/ });
  t.match(problems['timeout.example'], { code: 'ERR_LOOKUP_FAILED', message: /no reply within 2000 ms/ });
  t.match(problems['referral.example'], { code: 'ERR_LOOKUP_REFERRAL', message: '_index._agents.referral.example. PTR: 192.0.2.53:53 answered with a referral to referral.example (ns1.referral.example.); ask a recursive resolver or a server for referral.example' });
  t.match(problems['lame.example'], { code: 'ERR_LOOKUP_LAME', message: /gave a lame answer/ });
  t.match(problems['truncated.example'], { code: 'ERR_LOOKUP_FAILED', message: /truncated reply \(TC=1\)/ });
});

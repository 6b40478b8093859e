// Extended DNS Errors on resolver answers, on the wire: serve-stale data carries 3 Stale
// Answer, a stale NXDOMAIN 19 Stale NXDOMAIN, and a name no server answers for 22 No
// Reachable Authority when every attempt timed out. The upstream is a fake transport whose
// servers can be taken down (as in resolver-answer-cache.test.ts), on an injected clock.

import t from 'tap';
import { DnsCache } from '../../src/cache/index.js';
import { Acl } from '../../src/resolver/acl.js';
import { Resolver } from '../../src/resolver/resolver.js';
import { Catalog } from '../../src/authority/catalog.js';
import { ResolverHandler } from '../../src/server/resolver-handler.js';
import { AuthorityHandler } from '../../src/server/authority-handler.js';
import { Responder } from '../../src/server/respond.js';
import { Stats } from '../../src/server/stats.js';
import { silentLogger } from '../../src/base/log.js';
import { EDNS_EDE } from '../../src/server/ede.js';
import { TransportError, type ExchangeResult, type QueryOptions, type Server } from '../../src/transport/index.js';
import { decodeMessage, encodeMessage, encodeQuery, type Message, type Question } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import { RRType, Rcode } from '../../src/wire/types.js';

const soa = (): Buffer => {
  const tail = Buffer.alloc(20);
  [1, 3600, 600, 86400, 60].forEach((v, i) => tail.writeUInt32BE(v, i * 4));
  return Buffer.concat([nameToWire('ns.agents.'), nameToWire('host.agents.'), tail]);
};

function setup() {
  let now = 1_000_000;
  const up = { down: false };
  const query = async (server: Server, q: Question, _opts: QueryOptions): Promise<ExchangeResult> => {
    if (up.down) throw new TransportError('ERR_TRANSPORT_TIMEOUT', 'no reply (test)', { transport: 'udp', server: { address: server.address, port: server.port ?? 53 } });
    const writer = q.name.toLowerCase() === 'writer.agents.';
    const message: Message = {
      id: 1, qr: true, opcode: 0, aa: true, tc: false, rd: false, ra: false, ad: false, cd: false, rcode: writer ? Rcode.NOERROR : Rcode.NXDOMAIN,
      questions: [q], answers: writer && q.type === RRType.A ? [{ name: 'writer.agents.', type: RRType.A, class: 1, ttl: 300, rdata: Buffer.from([127, 0, 0, 9]) }] : [],
      authority: writer && q.type === RRType.A ? [] : [{ name: 'agents.', type: RRType.SOA, class: 1, ttl: 300, rdata: soa() }], additional: [],
    };
    const reply = encodeMessage(message);
    return { message: decodeMessage(reply), reply, transport: 'udp', rtt: 1, server: { address: server.address, port: server.port ?? 53 }, bytes: reply.length };
  };
  const resolver = new Resolver({
    hints: { zone: 'agents.', servers: [{ name: 'a.root.agents.', addresses: ['127.0.0.2'] }], ttl: 3600 },
    cache: new DnsCache({ now: () => now }), query, timeout: 100, prefetch: false,
  });
  const catalog = new Catalog();
  const responder = new Responder([new ResolverHandler(resolver, new Acl(['127.0.0.0/8']), catalog, silentLogger), new AuthorityHandler(catalog)], new Stats());
  const ask = async (name: string): Promise<{ rcode: number; ede: number[] }> => {
    const out = await responder.respond(encodeQuery(name, RRType.A, { id: 7 }), 'udp', '127.0.0.1', 5353);
    const m = decodeMessage(out as Buffer);
    return { rcode: m.rcode, ede: (m.edns?.options ?? []).filter((o) => o.code === EDNS_EDE).map((o) => o.data.readUInt16BE(0)) };
  };
  return { up, ask, advance: (s: number) => { now += s * 1000; } };
}

t.test('stale data and unreachable servers get their extended errors', async (t) => {
  const s = setup();
  t.same(await s.ask('writer.agents.'), { rcode: Rcode.NOERROR, ede: [] }, 'a fresh answer: none');
  t.same(await s.ask('nobody.agents.'), { rcode: Rcode.NXDOMAIN, ede: [] }, 'a fresh NXDOMAIN: none');
  s.up.down = true;
  s.advance(400);
  t.same(await s.ask('writer.agents.'), { rcode: Rcode.NOERROR, ede: [3] }, 'stale answer: 3');
  t.same(await s.ask('nobody.agents.'), { rcode: Rcode.NXDOMAIN, ede: [19] }, 'stale NXDOMAIN: 19');
  t.same(await s.ask('never.seen.agents.'), { rcode: Rcode.SERVFAIL, ede: [22] }, 'nothing cached, no server answers: 22');
});

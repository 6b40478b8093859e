// Resolver answers kept encoded by the responder: served synchronously (`Responder.cached`) to
// allowed clients only, with the ID patched, the asker's 0x20 spelling echoed and the TTLs
// counted down; dropped by every flush, before the prefetch window (so prefetch still sees
// popular names), at expiry, and never made from stale data. The upstream is a fake transport.

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
import { ttlOffsets } from '../../src/server/answer-cache.js';
import { TransportError, type ExchangeResult, type QueryOptions, type Server } from '../../src/transport/index.js';
import { decodeMessage, encodeMessage, encodeQuery, type Message, type Question } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import type { RR } from '../../src/wire/rr.js';
import { RRType, Rcode } from '../../src/wire/types.js';
import { waitUntil } from '../helpers/wait.js';

const ROOT = '127.0.0.2';
const soaRdata = (): Buffer => {
  const tail = Buffer.alloc(20);
  [1, 3600, 600, 86400, 60].forEach((v, i) => tail.writeUInt32BE(v, i * 4));
  return Buffer.concat([nameToWire('ns.agents.'), nameToWire('host.agents.'), tail]);
};
const rr = (name: string, type: number, ttl: number, rdata: Buffer): RR => ({ name, type, class: 1, ttl, rdata });

/**
 * A root server authoritative for all of agents.: writer (A 300), alias (CNAME 600 -> writer),
 * old (DNAME 120 -> agents., so X.old.agents. is X.agents.), NXDOMAIN for the rest.
 */
function upstream() {
  const u = {
    queries: 0,
    down: false,
    /** Queries to lose (time out) before answering again. */
    drop: 0,
    query: async (server: Server, q: Question, _opts: QueryOptions): Promise<ExchangeResult> => {
      u.queries++;
      if (u.drop > 0) {
        u.drop--;
        throw new TransportError('ERR_TRANSPORT_TIMEOUT', 'no reply (test)', { transport: 'udp', server: { address: server.address, port: server.port ?? 53 } });
      }
      if (u.down) throw new TransportError('ERR_TRANSPORT_TIMEOUT', 'no reply (test)', { transport: 'udp', server: { address: server.address, port: server.port ?? 53 } });
      const name = q.name.toLowerCase();
      const answers: RR[] = [];
      const authority: RR[] = [];
      let rcode: number = Rcode.NOERROR;
      const writer = rr('writer.agents.', RRType.A, 300, Buffer.from([127, 0, 0, 9]));
      if (name === 'writer.agents.' && q.type === RRType.A) answers.push(writer);
      else if (name === 'alias.agents.') answers.push(rr('alias.agents.', RRType.CNAME, 600, nameToWire('writer.agents.')), ...(q.type === RRType.A ? [writer] : []));
      else if (name === 'old.agents.' && q.type === RRType.DNAME) answers.push(rr('old.agents.', RRType.DNAME, 120, nameToWire('agents.')));
      else if (name === 'old.agents.') authority.push(rr('agents.', RRType.SOA, 3600, soaRdata()));
      else if (name.endsWith('.old.agents.')) {
        const target = name.slice(0, -'old.agents.'.length) + 'agents.';
        answers.push(rr('old.agents.', RRType.DNAME, 120, nameToWire('agents.')), rr(q.name, RRType.CNAME, 120, nameToWire(target)));
        if (target === 'writer.agents.' && q.type === RRType.A) answers.push(writer);
      }
      else if (name === 'writer.agents.') authority.push(rr('agents.', RRType.SOA, 3600, soaRdata()));
      else {
        rcode = Rcode.NXDOMAIN;
        authority.push(rr('agents.', RRType.SOA, 3600, soaRdata()));
      }
      const message: Message = {
        id: 1, qr: true, opcode: 0, aa: true, tc: false, rd: false, ra: false, ad: false, cd: false, rcode,
        questions: [q], answers, authority, additional: [],
      };
      const reply = encodeMessage(message);
      return { message: decodeMessage(reply), reply, transport: 'udp', rtt: 1, server: { address: server.address, port: server.port ?? 53 }, bytes: reply.length };
    },
  };
  return u;
}

function setup(opts: { prefetch?: boolean } = {}) {
  let now = 1_000_000;
  const clock = { now: () => now, advance: (s: number) => { now += s * 1000; } };
  const up = upstream();
  const cache = new DnsCache({ now: clock.now });
  const resolver = new Resolver({
    hints: { zone: 'agents.', servers: [{ name: 'a.root.agents.', addresses: [ROOT] }], ttl: 3600 },
    cache, query: up.query, timeout: 100, prefetch: opts.prefetch ?? true,
  });
  const catalog = new Catalog();
  const stats = new Stats();
  const handler = new ResolverHandler(resolver, new Acl(['127.0.0.0/8']), catalog, silentLogger);
  const responder = new Responder([handler, new AuthorityHandler(catalog)], stats);
  const ask = async (name: string, type: number, from = '127.0.0.1', q: Parameters<typeof encodeQuery>[2] = {}) => {
    const buf = encodeQuery(name, type, { id: 4242, ...q });
    const fast = responder.cached(buf, 'udp', from);
    const out = fast ?? await responder.respond(buf, 'udp', from, 5353);
    return { fast: fast !== undefined, msg: decodeMessage(out as Buffer), raw: out as Buffer };
  };
  return { clock, up, cache, resolver, responder, stats, ask };
}

t.test('a warm resolver answer is served synchronously, TTLs counted down', async (t) => {
  const s = setup();
  const first = await s.ask('writer.agents.', RRType.A);
  t.equal(first.msg.rcode, Rcode.NOERROR);
  t.equal(first.fast, false, 'the first answer is resolved');
  t.equal(first.msg.answers[0]!.ttl, 300);
  const second = await s.ask('writer.agents.', RRType.A);
  t.equal(second.fast, false, 'the first cache hit is encoded through the handler chain');
  t.equal(s.up.queries, 1);
  const q0 = s.resolver.stats.questions;
  s.clock.advance(10);
  const third = await s.ask('WrItEr.AgEnTs.', RRType.A, '127.0.0.1', { id: 777 });
  t.equal(third.fast, true, 'then from the encoded answer');
  t.equal(third.msg.id, 777, 'ID patched');
  t.equal(third.msg.questions[0]!.name, 'WrItEr.AgEnTs.', '0x20 spelling echoed');
  t.equal(third.msg.answers[0]!.ttl, 290, 'TTL counted down by the time passed');
  t.ok(third.msg.ra, 'RA set');
  t.notOk(third.msg.aa, 'AA clear');
  t.equal(s.resolver.stats.questions, q0, 'the resolver was not asked');
  s.clock.advance(100);
  const fourth = await s.ask('writer.agents.', RRType.A);
  t.equal(fourth.fast, true);
  t.equal(fourth.msg.answers[0]!.ttl, 190, 'and further on later hits');
  t.equal(s.up.queries, 1, 'no upstream query');
  t.ok(s.stats.answerCacheHits >= 2);
});

t.test('a CNAME chain and a negative answer are reused too, every TTL counted down', async (t) => {
  const s = setup();
  await s.ask('alias.agents.', RRType.A);
  await s.ask('alias.agents.', RRType.A);
  s.clock.advance(5);
  const c = await s.ask('alias.agents.', RRType.A);
  t.equal(c.fast, true);
  t.same(c.msg.answers.map((a) => [a.type, a.ttl]), [[RRType.CNAME, 595], [RRType.A, 295]]);
  await s.ask('nobody.agents.', RRType.A);
  await s.ask('nobody.agents.', RRType.A);
  s.clock.advance(7);
  const nx = await s.ask('nobody.agents.', RRType.A);
  t.equal(nx.fast, true, 'NXDOMAIN from the encoded answer');
  t.equal(nx.msg.rcode, Rcode.NXDOMAIN);
  t.equal(nx.msg.authority[0]!.type, RRType.SOA);
  t.equal(nx.msg.authority[0]!.ttl, 53, 'the SOA carries the negative TTL left (RFC 2308: min(3600, 60) - 7)');
  s.clock.advance(60);
  const gone = await s.ask('nobody.agents.', RRType.A);
  t.equal(gone.fast, false, 'expired with the negative entry');
  const nodata1 = await s.ask('writer.agents.', RRType.TXT);
  t.equal(nodata1.msg.answers.length, 0);
  await s.ask('writer.agents.', RRType.TXT);
  const nodata = await s.ask('writer.agents.', RRType.TXT);
  t.equal(nodata.fast, true, 'NODATA reused');
  t.equal(nodata.msg.rcode, Rcode.NOERROR);
});

t.test('only allowed clients get it; RD=0 never does', async (t) => {
  const s = setup();
  await s.ask('writer.agents.', RRType.A);
  await s.ask('writer.agents.', RRType.A);
  t.equal((await s.ask('writer.agents.', RRType.A)).fast, true);
  const other = await s.ask('writer.agents.', RRType.A, '192.0.2.9');
  t.equal(other.fast, false, 'not from the stored answer');
  t.equal(other.msg.rcode, Rcode.REFUSED, 'a client outside --allow is REFUSED');
  t.notOk(other.msg.ra);
  const mapped = await s.ask('writer.agents.', RRType.A, '::ffff:127.0.0.1');
  t.equal(mapped.fast, true, 'an IPv4-mapped loopback client is allowed');
  t.equal(s.responder.cached(encodeQuery('writer.agents.', RRType.A, { id: 1 }), 'udp'), undefined, 'no address, no answer');
  const norec = await s.ask('writer.agents.', RRType.A, '127.0.0.1', { rd: false });
  t.equal(norec.msg.rcode, Rcode.REFUSED, 'RD=0 is not recursion: no zone serves it');
});

t.test('every flush empties it', async (t) => {
  const s = setup();
  const warm = async () => {
    await s.ask('writer.agents.', RRType.A);
    await s.ask('writer.agents.', RRType.A);
    t.equal((await s.ask('writer.agents.', RRType.A)).fast, true, 'warm');
  };
  await warm();
  s.cache.flushName('writer.agents.');
  const a = await s.ask('writer.agents.', RRType.A);
  t.equal(a.fast, false, 'after flush name');
  t.equal(s.up.queries, 2, 'and resolved again');
  await warm();
  s.cache.flushTree('agents.');
  t.equal((await s.ask('writer.agents.', RRType.A)).fast, false, 'after flush zone');
  await warm();
  s.cache.flushAll();
  t.equal((await s.ask('writer.agents.', RRType.A)).fast, false, 'after flush all');
  await warm();
  s.responder.invalidate();
  t.equal((await s.ask('writer.agents.', RRType.A)).fast, false, 'after a reload');
});

t.test('it ends before the prefetch window, so prefetch still refreshes popular names', async (t) => {
  const s = setup();
  await s.ask('writer.agents.', RRType.A);
  await s.ask('writer.agents.', RRType.A);
  s.clock.advance(260);
  t.equal((await s.ask('writer.agents.', RRType.A)).fast, true, 'at 40 s left of 300: still reused');
  s.clock.advance(15);
  const r = await s.ask('writer.agents.', RRType.A);
  t.equal(r.fast, false, 'at 25 s left (last 10%): back to the resolver');
  t.equal(r.msg.answers[0]!.ttl, 25);
  await waitUntil(() => s.up.queries >= 2, { intervalMs: 1 });
  t.equal(s.resolver.stats.prefetches, 1, 'which prefetched');
  t.equal(s.up.queries, 2);
  await s.ask('writer.agents.', RRType.A);
  const after = await s.ask('writer.agents.', RRType.A);
  t.equal(after.fast, true, 'the refreshed entry is reused again');
  t.equal(after.msg.answers[0]!.ttl, 300);

  const np = setup({ prefetch: false });
  await np.ask('writer.agents.', RRType.A);
  await np.ask('writer.agents.', RRType.A);
  np.clock.advance(295);
  const late = await np.ask('writer.agents.', RRType.A);
  t.equal(late.fast, true, 'without prefetch it lasts to the expiry');
  t.equal(late.msg.answers[0]!.ttl, 5);
  np.clock.advance(5);
  t.equal((await np.ask('writer.agents.', RRType.A)).fast, false, 'and not past it');
});

t.test('a DNAME answer is reused with the DNAME, the synthesized CNAME counting down with it', async (t) => {
  const s = setup();
  const first = await s.ask('writer.old.agents.', RRType.A);
  const shape = (m: Message) => m.answers.map((a) => [a.name, a.type, a.ttl]);
  t.same(shape(first.msg), [['old.agents.', RRType.DNAME, 120], ['writer.old.agents.', RRType.CNAME, 120], ['writer.agents.', RRType.A, 300]], 'upstream: DNAME, CNAME, target');
  t.equal(s.cache.rrsets.peek('writer.old.agents.', RRType.CNAME), undefined, 'the synthesized CNAME is not cached');
  const second = await s.ask('writer.old.agents.', RRType.A);
  t.equal(second.fast, false);
  t.same(shape(second.msg), shape(first.msg), 'from the cache: the same, the CNAME synthesised from the DNAME');
  s.clock.advance(10);
  const third = await s.ask('writer.old.agents.', RRType.A);
  t.equal(third.fast, true, 'then from the encoded answer');
  t.same(shape(third.msg), [['old.agents.', RRType.DNAME, 110], ['writer.old.agents.', RRType.CNAME, 110], ['writer.agents.', RRType.A, 290]]);
  t.equal(s.up.queries, 1);
  // Kept only until the DNAME enters its prefetch window (108 of 120 s), not the A's 300 s.
  s.clock.advance(99);
  const late = await s.ask('writer.old.agents.', RRType.A);
  t.equal(late.fast, false, 'the encoded answer ends with the DNAME');
  t.same(shape(late.msg).slice(0, 2), [['old.agents.', RRType.DNAME, 11], ['writer.old.agents.', RRType.CNAME, 11]]);
  await waitUntil(() => s.up.queries >= 2, { intervalMs: 1 });
  t.equal(s.up.queries, 2, 'and the DNAME itself is prefetched');
  // Without prefetch: past the DNAME's TTL the server is asked again, no CNAME lingers in the cache.
  const np = setup({ prefetch: false });
  await np.ask('writer.old.agents.', RRType.A);
  await np.ask('writer.old.agents.', RRType.A);
  np.clock.advance(121);
  const expired = await np.ask('writer.old.agents.', RRType.A);
  t.equal(expired.fast, false);
  t.equal(np.up.queries, 2, 'asked again');
  t.same(shape(expired.msg), shape(first.msg), 'fresh again');
});

t.test('stale answers are never stored', async (t) => {
  const s = setup();
  await s.ask('writer.agents.', RRType.A);
  await s.ask('writer.agents.', RRType.A);
  s.up.down = true;
  s.clock.advance(400);
  const stale = await s.ask('writer.agents.', RRType.A);
  t.equal(stale.fast, false);
  t.equal(stale.msg.rcode, Rcode.NOERROR, 'served stale');
  t.equal(stale.msg.answers[0]!.ttl, 30, 'with TTL 30 (RFC 8767)');
  const again = await s.ask('writer.agents.', RRType.A);
  t.equal(again.fast, false, 'the stale answer was not kept');
  t.equal(s.resolver.stats.staleAnswers, 2);
});

t.test('ttlOffsets finds every TTL but the OPT record', async (t) => {
  const s = setup();
  const r = await s.ask('alias.agents.', RRType.A);
  const offs = [...ttlOffsets(r.raw)!];
  t.equal(offs.length, 2, 'CNAME and A; not the OPT');
  t.same(offs.map((o) => r.raw.readUInt32BE(o)), [600, 300]);
  t.equal(ttlOffsets(r.raw.subarray(0, r.raw.length - 3)), undefined, 'a cut message does not parse');
});

t.test('a timed-out server is asked again before the question fails', async (t) => {
  const s = setup();
  s.up.drop = 1;
  const r = await s.ask('writer.agents.', RRType.A);
  t.equal(r.msg.rcode, Rcode.NOERROR, 'one lost reply does not make a SERVFAIL');
  t.equal(s.up.queries, 2, 'the only server was asked twice');
  t.equal(s.resolver.stats.upstreamTimeouts, 1);
  s.up.drop = 10;
  const f = await s.ask('other.agents.', RRType.A);
  t.equal(f.msg.rcode, Rcode.SERVFAIL, 'a server that stays silent still fails the question');
  t.equal(s.up.queries, 5, 'after three attempts in all');
});

t.test('the start-up warm-up resolves made-up names and leaves nothing behind', async (t) => {
  const { warmUpResolver } = await import('../../src/server/resolver-warm-up.js');
  const { openSockets, transportStats } = await import('../../src/transport/index.js');
  const sent = transportStats.sent;
  // Its upstream is a real loopback socket: attempts of at least 2 s, so a stalled machine does
  // not time its fake servers out (three lost attempts would make a SERVFAIL).
  const r = await warmUpResolver({ questions: 40, concurrency: 4, resolver: { timeout: 4000 }, cache: { infra: { minTimeout: 2000 } } });
  t.ok((r.rcodes.get(Rcode.NOERROR) ?? 0) > 0, 'answers');
  t.ok((r.rcodes.get(Rcode.NXDOMAIN) ?? 0) > 0, 'and NXDOMAINs');
  t.notOk(r.rcodes.has(Rcode.SERVFAIL), 'no failures');
  t.ok(r.stored > 0, 'stored answers used');
  t.equal(openSockets(), 0, 'no socket left open');
  t.equal(transportStats.sent, sent, 'the process-wide transport counters are untouched');
});

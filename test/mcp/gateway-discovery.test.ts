// The gateway's directory and helpers on their own, with a scripted DnsLookup and agent client:
// which index entries count, what a failing zone reports, how long a snapshot lives, tool names,
// the zones a catalog yields, and the in-process lookup's checks.

import t from 'tap';
import type { AgentCard } from '../../src/agent/index.js';
import { AgentDirectory, checkZoneName, ResolverLookup, toolNameFor, zonesFromCatalog, type AgentClient } from '../../src/mcp/gateway/index.js';
import type { DnsLookup, LookupReply } from '../../src/mcp/lookup.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import { Rcode, RRClass, RRType } from '../../src/wire/types.js';
import { Zone } from '../../src/zone/zone.js';
import { loadZoneDir } from '../../src/zone/load.js';
import { bundledZones } from '../helpers/gateway.js';

const ptr = (owner: string, target: string, ttl = 300) => ({ name: owner, type: RRType.PTR, class: RRClass.IN, ttl, rdata: nameToWire(target) });
const reply = (rcode: number, answers: LookupReply['answers'] = []): LookupReply => ({ rcode, answers, authority: [], additional: [] });

function card(name: string, ttl = 300): AgentCard {
  return { name: `${name}.`, endpoints: [], tool: 'x', capabilities: [], ttl, warnings: [] };
}

t.test('the directory reads the indexes', async (t) => {
  let clock = 1_000_000;
  const asked: string[] = [];
  const lookup: DnsLookup = {
    async query(name) {
      asked.push(name);
      if (name === '_index._agents.a.example.') {
        return reply(Rcode.NOERROR, [
          ptr(name, 'one.a.example.', 120), ptr(name, 'two.a.example.'), ptr(name, 'One.A.Example.'),
          ptr(name, 'other.b.example.'), ptr(name, 'a.example.'), ptr('elsewhere.a.example.', 'three.a.example.'),
        ]);
      }
      if (name === '_index._agents.b.example.') return reply(Rcode.SERVFAIL);
      if (name === '_index._agents.c.example.') throw new Error('timed out');
      return reply(Rcode.NXDOMAIN);
    },
  };
  const client: AgentClient = {
    async resolve(name) {
      if (name === 'two.a.example') throw Object.assign(new Error('two.a.example.: no SVCB'), { code: 'ERR_NO_AGENT_RECORD' });
      return card(name, 200);
    },
    async call() { throw new Error('not used'); },
    async listTools() { return []; },
  };
  const dir = new AgentDirectory({ lookup, client, zones: () => ['A.example.', 'b.example', 'c.example', 'd.example', 'a.example'], now: () => clock });
  const snap = await dir.list();
  t.same(snap.zones, ['a.example', 'b.example', 'c.example', 'd.example'], 'zones checked, lowercased, without duplicates');
  t.same(snap.agents.map((a) => a.name), ['one.a.example', 'two.a.example'], 'one entry per name; outside the zone, the apex and other owners left out');
  t.same(snap.agents.map((a) => a.toolName), ['one_a_example', 'two_a_example']);
  t.equal(snap.agents[0]!.card?.ttl, 200);
  t.same(snap.agents[1]!.error, { code: 'ERR_NO_AGENT_RECORD', message: 'two.a.example.: no SVCB' }, 'a listed name that is no agent keeps its error');
  t.same(snap.problems.map((p) => [p.zone, p.code]), [['a.example', 'ERR_GATEWAY_BAD_INDEX'], ['a.example', 'ERR_GATEWAY_BAD_INDEX'], ['b.example', 'ERR_LOOKUP_FAILED'], ['c.example', 'ERR_LOOKUP_FAILED']]);
  t.match(snap.problems[2]!.message, /SERVFAIL/);
  t.equal(snap.expires - snap.at, 120_000, 'kept for the smallest TTL: the PTR at 120 s');

  const n = asked.length;
  clock += 119_000;
  t.equal(await dir.list(), snap, 'the same snapshot before it expires');
  t.equal(asked.length, n, 'no query');
  clock += 2000;
  const again = await dir.list();
  t.not(again, snap, 'read again after');
  t.equal(asked.length, 2 * n);
  t.equal((await dir.find('ONE.a.example.'))?.name, 'one.a.example', 'find by DNS name');
  t.equal((await dir.find('two_a_example'))?.name, 'two.a.example', 'find by tool name');
  t.equal(await dir.find('three.a.example'), undefined);
  dir.invalidate();
  await dir.list();
  t.equal(asked.length, 3 * n, 'invalidate() forces a read');

  const ac = new AbortController();
  ac.abort(new Error('caller gave up'));
  await t.rejects(dir.list(ac.signal), /caller gave up/);
});

t.test('names, zones and the catalog', async (t) => {
  t.equal(toolNameFor('writer.acme.agents.'), 'writer_acme_agents');
  t.equal(toolNameFor('My-Agent.Example'), 'my_agent_example');
  t.equal(toolNameFor('a'.repeat(63) + '.' + 'b'.repeat(63) + '.' + 'c'.repeat(63)).length, 128);
  t.equal(checkZoneName(' Acme.Agents. '), 'acme.agents');
  t.equal(checkZoneName('.'), '.');
  for (const bad of ['bad zone', 'a..b', '-x.agents', 'x'.repeat(64) + '.agents']) t.throws(() => checkZoneName(bad), { code: 'ERR_GATEWAY_BAD_ZONE' }, bad);
  const { zones } = loadZoneDir(bundledZones);
  t.same(zonesFromCatalog(zones), ['acme.agents', 'agents', 'globex.agents']);
  const root = zones.find((z) => z.origin === 'agents.')!;
  t.same(zonesFromCatalog([root]), ['acme.agents', 'agents', 'globex.agents'], 'the root alone yields the zones it delegates');
  t.same(zonesFromCatalog([new Zone('empty.example.', [])]), ['empty.example']);
});

t.test('ResolverLookup: the daemon answers in-process', async (t) => {
  const answered = new ResolverLookup({
    async respond(q) {
      const m = decodeMessage(q);
      t.equal(m.rd, true, 'RD=1, as a stub resolver asks');
      return encodeMessage({ ...m, qr: true, ra: true, rcode: Rcode.NOERROR, answers: [ptr(m.questions[0]!.name, 'x.example.')] });
    },
  });
  const r = await answered.query('_index._agents.example', RRType.PTR);
  t.equal(r.rcode, Rcode.NOERROR);
  t.equal(r.answers.length, 1);
  const dropped = new ResolverLookup({ async respond() { return undefined; } });
  await t.rejects(dropped.query('x.example.', RRType.A), { code: 'ERR_INPROCESS_LOOKUP', message: /dropped/ });
  const wrong = new ResolverLookup({
    async respond(q) {
      const m = decodeMessage(q);
      return encodeMessage({ ...m, qr: true, questions: [{ name: 'other.example.', type: RRType.A, class: RRClass.IN }] });
    },
  });
  await t.rejects(wrong.query('x.example.', RRType.A), { code: 'ERR_INPROCESS_LOOKUP', message: /does not match/ });
  const ac = new AbortController();
  ac.abort();
  await t.rejects(answered.query('x.example.', RRType.A, ac.signal));
});

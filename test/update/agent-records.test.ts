// One record builder for `aop zone add-agent` and `aop register`: the same inputs give the same
// records (SVCB set with every key, `key65402` included, A for an IP endpoint, `_agent` TXT, index
// PTR), and the UPDATE that registers an agent carries exactly those, after the deletions.

import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAgentZone, readSvcb, SvcKey } from '../../src/agent/index.js';
import { planAgentEdit } from '../../src/update/agent-edit.js';
import { buildAgent, type AgentSpec } from '../../src/update/agent-records.js';
import { deregisterUpdate, registerUpdate } from '../../src/update/build.js';
import { decodeMessage } from '../../src/wire/message.js';
import { readName } from '../../src/wire/name.js';
import type { RR } from '../../src/wire/rr.js';
import { Opcode, RRClass, RRType } from '../../src/wire/types.js';
import { readZoneSource } from '../../src/zone/edit.js';
import { loadZoneText } from '../../src/zone/load.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const acme = readFileSync(path.join(root, 'zones', 'acme.agents.zone'), 'utf8');

// The index PTR joins the zone's index RRset, whose TTL add-agent gives it: compare it without TTL.
const key = (rr: RR): string => `${rr.name.toLowerCase()} ${rr.type} ${rr.type === RRType.PTR ? '-' : rr.ttl} ${rr.rdata.toString('hex')}`;
const keys = (rrs: readonly RR[]): string[] => rrs.map(key).sort();

/** The records add-agent writes into the bundled acme zone for `spec`, and the UPDATE's additions for the same spec. */
function both(spec: AgentSpec): { added: RR[]; update: RR[]; deletions: RR[] } {
  const src = readZoneSource(acme, { origin: 'acme.agents.', file: 'acme.agents.zone' });
  const edit = planAgentEdit(src, { add: [spec] });
  // The index as the primary would serve it (register reads it first): the UPDATE rewrites its TXT.
  const zone = loadZoneText(acme, { origin: 'acme.agents.' });
  const index = {
    agents: zone.rrset('_index._agents.acme.agents.', RRType.PTR)!.rdata.map((d) => readName(d, 0).name),
    txt: zone.rrset('_index._agents.acme.agents.', RRType.TXT)!.rdata,
    ttl: 300,
  };
  const u = registerUpdate({ ...spec, name: `${spec.name}.acme.agents` }, undefined, index);
  const m = decodeMessage(u.message);
  return {
    added: edit.added,
    update: m.authority.filter((r) => r.class === RRClass.IN),
    deletions: m.authority.filter((r) => r.class !== RRClass.IN),
  };
}

t.test('add-agent and register build the same records from the same inputs', async (t) => {
  const specs: Record<string, AgentSpec> = {
    'an IP endpoint (refused by register before)': { name: 'poet', endpoints: ['http://127.0.0.1:18110/mcp'], tool: 'write_poem' },
    'a host in the zone, two endpoints, every option': {
      name: 'poet', endpoints: ['http://mcp.acme.agents:18110/mcp', 'http://mcp-backup.acme.agents:18111/mcp'], tool: 'write_poem',
      description: 'Writes short poems', capabilities: ['writing', 'poetry'], auth: 'none', priorities: [1, 5], ttl: 600,
    },
    'a host outside the zone, https': { name: 'poet', endpoints: ['https://mcp.acme.example/poet/mcp'], tool: 'write_poem', transport: 'streamable-http' },
  };
  for (const [what, spec] of Object.entries(specs)) {
    const { added, update } = both(spec);
    t.same(keys(update), keys(added), what);
    const svcb = update.filter((r) => r.type === RRType.SVCB);
    t.ok(svcb.length > 0, `${what}: SVCB records`);
    for (const r of svcb) {
      const params = readSvcb(r.rdata).params;
      for (const k of [SvcKey.path, SvcKey.transport, SvcKey.tool, SvcKey.bap]) t.ok(params.has(k), `${what}: key${k} in every SVCB`);
    }
    t.ok(update.some((r) => r.type === RRType.TXT && r.name === '_agent.poet.acme.agents.'), `${what}: the _agent TXT`);
    t.ok(update.some((r) => r.type === RRType.PTR && r.name === '_index._agents.acme.agents.'), `${what}: the index PTR`);
  }
});

t.test('an IP endpoint: the agent name is the host, with its A record, and the UPDATE replaces it', async (t) => {
  const { update, deletions } = both({ name: 'poet', endpoints: ['http://127.0.0.1:18110/mcp'], tool: 'write_poem' });
  const svcb = update.find((r) => r.type === RRType.SVCB)!;
  t.equal(readSvcb(svcb.rdata).target, '.');
  t.same(update.filter((r) => r.type === RRType.A).map((r) => [r.name, [...r.rdata].join('.')]), [['poet.acme.agents.', '127.0.0.1']]);
  t.same(deletions.map((r) => [r.name, r.type, r.class]), [
    ['poet.acme.agents.', RRType.SVCB, RRClass.ANY], ['poet.acme.agents.', RRType.A, RRClass.ANY], ['poet.acme.agents.', RRType.AAAA, RRClass.ANY],
    ['_agent.poet.acme.agents.', RRType.TXT, RRClass.ANY], ['_index._agents.acme.agents.', RRType.TXT, RRClass.NONE],
  ], 'the old TXT index goes, record by record, the new one comes in');
});

t.test('the records register writes pass the checks aop clients apply', async (t) => {
  const src = readZoneSource(acme, { origin: 'acme.agents.', file: 'acme.agents.zone' });
  for (const endpoints of [['http://127.0.0.1:18110/mcp'], ['http://mcp.acme.agents:18110/mcp']]) {
    const edit = planAgentEdit(src, { add: [{ name: 'poet', endpoints, tool: 'write_poem' }] });
    const zone = loadZoneText(edit.text, { origin: 'acme.agents.' });
    // Plain-http agents draw the warning about what AID clients refuse; nothing else may be said of
    // the records register writes.
    const clientWarnings = new Set(['ERR_AGENT_ZONE_AID_REFUSED', 'ERR_AGENT_ZONE_DNSAID_TARGET']);
    t.same(checkAgentZone(zone).filter((f) => !clientWarnings.has(f.code)).map((f) => `${f.severity} ${f.message}`), [], `${endpoints[0]}: no other warnings, no errors`);
  }
});

t.test('the builder without the zone in sight names the hosts add-agent would check', async (t) => {
  const built = buildAgent({ origin: 'acme.agents.', records: [], unseen: true }, { name: 'poet', endpoints: ['http://nohost.acme.agents:1/mcp', 'http://nohost.acme.agents:2/mcp', 'https://x.example/mcp'], tool: 't' });
  t.same(built.uncheckedHosts, ['nohost.acme.agents.'], 'each host inside the zone once');
  t.match(built.warnings, [/x\.example\. is outside zone acme\.agents\./]);
  const src = readZoneSource(acme, { origin: 'acme.agents.', file: 'acme.agents.zone' });
  t.throws(() => planAgentEdit(src, { add: [{ name: 'poet', endpoints: ['http://nohost.acme.agents:1/mcp'], tool: 't' }] }), { code: 'ERR_ZONE_AGENT_HOST' });
});

t.test('register input errors are the builder\'s', async (t) => {
  t.throws(() => registerUpdate({ name: 'poet.acme.agents', endpoints: ['ftp://x/'], tool: 't' }), { code: 'ERR_ZONE_AGENT_BAD' });
  t.throws(() => registerUpdate({ name: 'poet.acme.agents', endpoints: [], tool: 't' }), { code: 'ERR_ZONE_AGENT_BAD' });
  t.throws(() => registerUpdate({ name: 'agents', endpoints: ['http://127.0.0.1:1/mcp'], tool: 't' }), { code: 'ERR_ZONE_AGENT_NAME' });
  t.throws(() => registerUpdate({ name: 'po_et.acme.agents', endpoints: ['http://127.0.0.1:1/mcp'], tool: 't' }), { code: 'ERR_ZONE_AGENT_NAME' });
  t.throws(() => registerUpdate({ name: 'poet.acme.agents', zone: 'globex.agents', endpoints: ['http://127.0.0.1:1/mcp'], tool: 't' }), { code: 'ERR_ZONE_AGENT_NAME' });
});

t.test('deregister: SVCB, own addresses, TXT and only its own index PTR', async (t) => {
  const u = deregisterUpdate({ name: 'poet.acme.agents' });
  const m = decodeMessage(u.message);
  t.equal(m.opcode, Opcode.UPDATE);
  t.same(m.questions.map((q) => [q.name, q.type]), [['acme.agents.', RRType.SOA]]);
  t.same(m.authority.map((r) => [r.name, r.type, r.class]), [
    ['poet.acme.agents.', RRType.SVCB, RRClass.ANY], ['poet.acme.agents.', RRType.A, RRClass.ANY], ['poet.acme.agents.', RRType.AAAA, RRClass.ANY],
    ['_agent.poet.acme.agents.', RRType.TXT, RRClass.ANY], ['_index._agents.acme.agents.', RRType.PTR, RRClass.NONE],
  ]);
});

// The one record builder writes DNS-AID's `bap` (key65402) on every agent SVCB, as one token
// ("mcp": dns-aid-core rejects lists), whichever way the agent is published (add-agent,
// register, import-mcp text), and never a `mandatory` key: a generic RFC 9460 client ignores a
// record whose mandatory list names keys it does not know, and private keys are such keys.

import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSvcb, SvcKey } from '../../src/agent/index.js';
import { agentsText, planAgentEdit } from '../../src/update/agent-edit.js';
import { registerUpdate } from '../../src/update/build.js';
import { decodeMessage } from '../../src/wire/message.js';
import type { RR } from '../../src/wire/rr.js';
import { RRType } from '../../src/wire/types.js';
import { readZoneSource } from '../../src/zone/edit.js';
import { loadZoneText } from '../../src/zone/load.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const acme = readFileSync(path.join(root, 'zones', 'acme.agents.zone'), 'utf8');
const spec = { name: 'poet', endpoints: ['https://mcp.acme.example/poet/mcp', 'http://127.0.0.1:18110/mcp'], tool: 'write_poem', description: 'Writes poems' };

function checkSvcb(t: Test, what: string, rrs: readonly RR[]): void {
  const svcb = rrs.filter((r) => r.type === RRType.SVCB && r.rdata.length > 0);
  t.ok(svcb.length > 0, `${what}: SVCB records`);
  for (const r of svcb) {
    const p = readSvcb(r.rdata).params;
    t.equal(p.get(SvcKey.bap)?.toString('latin1'), 'mcp', `${what}: bap is the one token "mcp"`);
    t.notOk(p.has(0), `${what}: no mandatory key`);
  }
}

t.test('add-agent, register and import-mcp text all write bap and no mandatory', async (t) => {
  const edit = planAgentEdit(readZoneSource(acme, { origin: 'acme.agents.' }), { add: [{ ...spec, endpoints: [spec.endpoints[0]!] }] });
  checkSvcb(t, 'add-agent', edit.added);
  checkSvcb(t, 'register', decodeMessage(registerUpdate({ ...spec, name: 'poet.acme.agents', endpoints: [spec.endpoints[0]!] }).message).authority);
  const text = agentsText('acme.agents', [spec], []);
  checkSvcb(t, 'import-mcp', [...loadZoneText(`$TTL 300\n@ IN SOA ns1.acme.agents. h.acme.agents. 1 2 3 4 5\n@ IN NS ns1.acme.agents.\nns1.acme.agents. IN A 127.0.0.1\n${text}`, { origin: 'acme.agents.' }).records()]);
  t.match(text, /key65402="mcp"/);
  t.notMatch(text, /mandatory|key0=/);
});

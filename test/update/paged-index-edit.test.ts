// Index maintenance by zone-file edits (aop zone add-agent / remove-agent / import-mcp, through
// planAgentEdit): in a paged index an added agent is one PTR line on its page and one in its
// capability's index, a removed one takes those lines with it; adding the 501st agent to a flat
// index pages it (the TXT index goes, the capability indexes are built); the zone check finds
// nothing to say about the result, and walking it lists exactly the agents.

import t from 'tap';
import { capIndexRoot, checkAgentZone, entryHash, orgIndexRoot, PAGE_MAX, pageOwner, zoneIndexEntries } from '../../src/agent/index.js';
import { agentsText, planAgentEdit } from '../../src/update/agent-edit.js';
import { RRType } from '../../src/wire/types.js';
import { readZoneSource } from '../../src/zone/edit.js';
import { loadZoneText } from '../../src/zone/load.js';
import { agentLabel, CAPABILITIES, largeOrgText } from '../helpers/large-org.js';

const ORG = 'big.agents.';
const INDEX = orgIndexRoot(ORG);
const spec = (name: string, cap: string) => ({ name, endpoints: [`https://mcp.${ORG.slice(0, -1)}:18999/mcp`], tool: 'tool', capabilities: [cap] });
const indexFaults = (text: string) => checkAgentZone(loadZoneText(text, { origin: ORG })).filter((f) => /INDEX|UNLISTED|TOO_LARGE/.test(f.code));
const agentsOf = (text: string, root = INDEX) => zoneIndexEntries(loadZoneText(text, { origin: ORG }), root).entries.map((e) => e.target).sort();

t.test('a paged index: one line on the page, one in the capability index; removed again', async (t) => {
  const text = largeOrgText({ org: 'big.agents', agents: 2000, address: '127.0.0.1', layout: 'paged' });
  const name = `newcomer.${ORG}`;
  const added = planAgentEdit(readZoneSource(text, { origin: ORG }), { add: [spec('newcomer', 'translation')] });
  const ptrLines = added.diff.split('\n').filter((l) => /^\+.*IN PTR/.test(l));
  t.equal(ptrLines.length, 2, `two index lines: ${ptrLines.join(' | ')}`);
  const hash = entryHash(name, ORG);
  t.ok(ptrLines.some((l) => l.includes(pageOwner(INDEX, hash, 1)) || l.includes(pageOwner(INDEX, hash, 2))), 'one on the agent\'s page');
  t.ok(ptrLines.some((l) => l.includes(capIndexRoot(ORG, 'translation')!)), 'one in the capability index');
  t.notOk(added.diff.split('\n').some((l) => /^-.*IN PTR/.test(l)), 'no index line removed');
  t.same(indexFaults(added.text), []);
  t.equal(agentsOf(added.text).length, 2001);
  t.ok(agentsOf(added.text, capIndexRoot(ORG, 'translation')).includes(name));

  const gone = planAgentEdit(readZoneSource(added.text, { origin: ORG }), { remove: ['newcomer'] });
  t.equal(gone.diff.split('\n').filter((l) => /^-.*IN PTR/.test(l)).length, 2, 'both index lines go');
  t.same(indexFaults(gone.text), []);
  t.equal(agentsOf(gone.text).length, 2000);
});

t.test('the 501st agent pages a flat index', async (t) => {
  const text = largeOrgText({ org: 'big.agents', agents: PAGE_MAX, address: '127.0.0.1', layout: 'flat' });
  const r = planAgentEdit(readZoneSource(text, { origin: ORG }), { add: [spec('one-more', 'writing')] });
  const zone = loadZoneText(r.text, { origin: ORG });
  t.equal(zone.rrset(INDEX, RRType.PTR)!.rdata.length, 16, 'the root lists 16 pages');
  t.equal(zone.rrset(INDEX, RRType.TXT), undefined, 'no TXT index');
  t.same(indexFaults(r.text), []);
  t.equal(agentsOf(r.text).length, PAGE_MAX + 1);
  const want = Array.from({ length: PAGE_MAX }, (_, i) => i).filter((i) => i % CAPABILITIES.length === 1).map((i) => `${agentLabel(i)}.${ORG}`);
  t.same(agentsOf(r.text, capIndexRoot(ORG, 'writing')), [...want, `one-more.${ORG}`].sort(), 'the capability index of every agent, the new one too');
});

t.test('import-mcp text of more than PAGE_MAX agents carries a paged index', async (t) => {
  const specs = Array.from({ length: PAGE_MAX + 100 }, (_, i) => spec(agentLabel(i), CAPABILITIES[i % CAPABILITIES.length]!));
  const body = agentsText(ORG, specs, []);
  const head = `$ORIGIN ${ORG}\n$TTL 300\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ 3600 IN NS ns1\nns1 IN A 127.0.0.3\nmcp IN A 127.0.0.1\n`;
  const text = head + body;
  t.notMatch(body, /IN TXT +"agents=/, 'no TXT index');
  t.same(indexFaults(text), []);
  t.equal(agentsOf(text).length, PAGE_MAX + 100);
  t.equal(agentsOf(text, capIndexRoot(ORG, 'review')).length, specs.filter((x) => x.capabilities[0] === 'review').length);
});

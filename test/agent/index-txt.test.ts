// The TXT index's format is the one dns-aid-core 0.28 reads (indexer.py parse_index_txt and
// read_index_via_dns): `agents=label:proto,...` per character-string, the first string that holds
// an entry wins. aop writes it sorted, splits it at entry boundaries into strings of at most 255
// octets that each start with `agents=`, and reads every string back.

import t from 'tap';
import {
  dnsAidIndexView, indexLabel, indexStrings, indexTxtRdata, parseIndexString, parseIndexTxt,
} from '../../src/agent/index.js';

const org = 'acme.agents.';

t.test('one string, sorted by label, relative to the organisation, duplicates dropped', async (t) => {
  const s = indexStrings(['writer.acme.agents.', 'Editor.acme.agents.', 'team.lead.acme.agents.', 'writer.acme.agents.'], org);
  t.same(s, ['agents=editor:mcp,team.lead:mcp,writer:mcp']);
  t.same(indexStrings([], org), [], 'no agents: no strings (the record goes)');
  t.equal(indexLabel('writer.acme.agents.', org), 'writer');
  t.throws(() => indexLabel('writer.globex.agents.', org), { code: 'ERR_AGENT_BAD_CARD' });
  t.throws(() => indexLabel(org, org), { code: 'ERR_AGENT_BAD_CARD' });
});

t.test('parsed as dns-aid-core parses it', async (t) => {
  t.same(parseIndexString('agents=chat:mcp, billing:A2A,bad,:x,y:'), [{ label: 'chat', protocol: 'mcp' }, { label: 'billing', protocol: 'a2a' }],
    'entries trimmed, protocol lower-cased, entries without both halves skipped');
  t.same(parseIndexString('v=aid2;agents=x:mcp'), [], 'a string that does not start with agents= holds nothing');
  t.same(parseIndexString('agents='), []);
});

t.test('a long index: strings of at most 255 octets, each a valid index on its own', async (t) => {
  const names = Array.from({ length: 60 }, (_, i) => `agent-${String(i).padStart(2, '0')}.acme.agents.`);
  const strings = indexStrings(names, org);
  t.ok(strings.length > 1, `${strings.length} strings`);
  for (const s of strings) {
    t.ok(Buffer.byteLength(s) <= 255, `${Buffer.byteLength(s)} octets`);
    t.match(s, /^agents=[a-z0-9.-]+:mcp(,[a-z0-9.-]+:mcp)*$/, 'starts with agents= and ends at an entry boundary');
  }
  const rdata = indexTxtRdata(strings);
  t.same(parseIndexTxt([rdata]).map((e) => e.label), names.map((n) => n.replace('.acme.agents.', '')), 'aop reads every entry back, in order');
  const seen = dnsAidIndexView([rdata]);
  t.same(seen, parseIndexString(strings[0]!), 'DNS-AID sees the first string only');
  t.equal(seen[0]!.label, 'agent-00', 'the alphabetically first agents');
  t.ok(seen.length < names.length);
});

t.test('DNS-AID takes the first string with entries, over the records in answer order', async (t) => {
  const a = indexTxtRdata(['v=other', 'agents=b:mcp']);
  const b = indexTxtRdata(['agents=a:mcp']);
  t.same(dnsAidIndexView([a, b]), [{ label: 'b', protocol: 'mcp' }]);
  t.same(dnsAidIndexView([b, a]), [{ label: 'a', protocol: 'mcp' }], 'so two records give an answer that depends on their order');
  t.same(dnsAidIndexView([Buffer.from([9, 0x61])]), [], 'malformed RDATA holds nothing');
});

// The agent zone checker compares the TXT index (what DNS-AID clients walk) with the PTR set:
// names one lists and the other does not, and a TXT index split over several records, are
// warnings that say what to write. A zone with PTRs and no TXT index is not flagged.

import t from 'tap';
import { checkAgentZone, type AgentZoneFault } from '../../src/agent/index.js';
import { loadZoneText } from '../../src/zone/load.js';

const HEAD = '$ORIGIN x.agents.\n$TTL 300\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ 3600 IN NS ns1\nns1 IN A 127.0.0.3\nmcp IN A 127.0.0.1\n';
const AGENT = (name: string): string =>
  `${name} IN SVCB 1 mcp.x.agents. alpn="mcp" port=18101 key65320="/mcp" key65321="streamable-http" key65322="t_${name}" key65326="http" key65402="mcp"\n`
  + `_agent.${name} IN TXT "v=aid2;u=http://mcp.x.agents:18101/mcp;p=mcp"\n`;
const AGENTS = AGENT('a') + AGENT('b') + '_index._agents IN PTR a.x.agents.\n_index._agents IN PTR b.x.agents.\n';

// The test agents are plain http: what AID clients say of that is another test's subject.
const brief = (body: string): string[] =>
  checkAgentZone(loadZoneText(HEAD + body, { origin: 'x.agents.' }))
    .filter((f: AgentZoneFault) => f.code !== 'ERR_AGENT_ZONE_AID_REFUSED')
    .map((f: AgentZoneFault) => `${f.severity} ${f.code} ${f.message}`);

t.test('a TXT index that agrees with the PTR set: no fault', async (t) => {
  t.same(brief(AGENTS + '_index._agents IN TXT "agents=a:mcp,b:mcp"\n'), []);
  t.same(brief(AGENTS + '_index._agents IN TXT "agents=b:mcp" "agents=a:mcp"\n'), [], 'split over strings of one record, in any order');
  t.same(brief(AGENTS), [], 'no TXT index at all: not flagged');
});

t.test('a TXT index that disagrees: a warning naming the difference and the record to write', async (t) => {
  t.same(brief(AGENTS + '_index._agents IN TXT "agents=a:mcp,ghost:mcp"\n'), [
    'warning ERR_AGENT_ZONE_INDEX _index._agents.x.agents. TXT: lacks b and lists ghost, which the PTR set does not; DNS-AID clients walk this list, aop clients the PTRs; write it as "agents=a:mcp,b:mcp"',
  ]);
  t.same(brief(AGENT('a') + '_index._agents IN TXT "agents=a:mcp"\n'), [
    'warning ERR_AGENT_ZONE_INDEX _index._agents.x.agents. TXT: lists a, which the PTR set does not; DNS-AID clients walk this list, aop clients the PTRs; remove it',
  ], 'a TXT index without PTRs');
});

t.test('several TXT records: DNS-AID reads one of them, in whatever order the resolver gives', async (t) => {
  t.same(brief(AGENTS + '_index._agents IN TXT "agents=a:mcp"\n_index._agents IN TXT "agents=b:mcp"\n'), [
    'warning ERR_AGENT_ZONE_INDEX _index._agents.x.agents. TXT: 2 records; DNS-AID clients read only the first string of the first record in the answer, whose order resolvers may change: use one record with several "agents=" strings',
  ]);
});

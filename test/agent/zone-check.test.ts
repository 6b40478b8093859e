// checkAgentZone on zones loaded in-process: which records count as agent records, errors and
// warnings with their codes, names below a delegation and `_` names left alone, the locate hook,
// the log cap; and cardFromRecords' onSkip hook it is built on.

import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentFaultLines, cardFromRecords, checkAgentZone, formatAgentFault, type AgentZoneFault } from '../../src/agent/index.js';
import { loadZoneFile, loadZoneText } from '../../src/zone/load.js';
import { RRType } from '../../src/wire/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const HEAD = '$ORIGIN x.agents.\n$TTL 300\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ 3600 IN NS ns1\nns1 IN A 127.0.0.3\nmcp IN A 127.0.0.1\n';
// https, so that AID clients take the TXT too (test/agent/zone-check-clients.test.ts has the http warnings).
const OK = (name: string, extra = ''): string =>
  `${name} IN SVCB 1 mcp.x.agents. alpn="mcp,h2" port=18101 key65320="/mcp" key65321="streamable-http" key65322="t_${name}"${extra}\n`
  + `_agent.${name} IN TXT "v=aid2;u=https://mcp.x.agents:18101/mcp;p=mcp"\n`;

function check(body: string): AgentZoneFault[] {
  return checkAgentZone(loadZoneText(HEAD + body, { origin: 'x.agents.' }));
}
const brief = (faults: AgentZoneFault[]): string[] => faults.map((f) => `${f.severity} ${f.code} ${f.message}`);

// The bundled zones carry each agent's https endpoint first (the local CA's), so AID 2.x accepts
// their u=, and name every target, so DNS-AID clients keep every record: no fault at all, not
// even one of the warnings about what other clients refuse.
t.test('the bundled zones have no fault, not even about what other clients refuse', async (t) => {
  for (const z of ['acme.agents', 'globex.agents', 'agents']) {
    const faults = checkAgentZone(loadZoneFile(path.join(root, 'zones', `${z}.zone`), { origin: `${z}.` }));
    t.same(faults.map((f) => `${f.severity} ${f.code} ${f.message}`), [], `${z}: nothing to say`);
  }
});

t.test('which SVCB records are agent records', async (t) => {
  t.same(check(OK('a')), [], 'a complete agent');
  t.same(check('_dns IN SVCB 1 mcp.x.agents. alpn="h2" key65320="bad"\n_index._agents IN SVCB 1 x.agents. alpn="mcp"\n'), [], 'names starting with _ are not agents');
  t.same(check('web IN SVCB 1 mcp.x.agents. alpn="h2" port=443\n'), [], 'an SVCB for another protocol');
  t.same(brief(check('web IN SVCB 1 mcp.x.agents. alpn="h2" key65320="/x"\n')),
    ['warning ERR_AGENT_ZONE_NOTE web.x.agents. SVCB 1: has aop keys but its alpn lacks "mcp", so it is no agent record; aop clients skip it']);
  t.same(brief(check('noalpn IN SVCB 1 mcp.x.agents. key65320="x"\n')),
    ['error ERR_AGENT_ZONE_RECORD noalpn.x.agents. SVCB 1: no alpn (it must contain "mcp"); bad key65320 (path) "x": does not start with "/"; missing key65321 (transport); missing key65322 (tool)'],
    'aop keys without alpn: an agent record, and a bad value is an error');
  t.same(brief(check('dnsaid IN SVCB 1 mcp.x.agents. alpn="mcp,h2" port=443\n')),
    ['warning ERR_AGENT_ZONE_INCOMPLETE dnsaid.x.agents. SVCB 1: missing key65320 (path); missing key65321 (transport); missing key65322 (tool); aop clients read it in DNS-AID form (the path from its cap, else the agent card on its host, else /mcp; the tool from tools/list)']);
  t.same(brief(check('listed IN SVCB 1 mcp.x.agents. alpn="h2" port=443\n_index._agents IN PTR listed.x.agents.\n')).map((l) => l.split(':')[0]),
    ['error ERR_AGENT_ZONE_RECORD listed.x.agents. SVCB 1'], 'a name the index lists is an agent, whatever its alpn');
});

t.test('errors', async (t) => {
  t.same(brief(check(OK('a', ' port=0').replace(' port=18101', ''))),
    ['error ERR_AGENT_ZONE_RECORD a.x.agents. SVCB 1: port 0 (must be 1-65535)']);
  // One bad record beside a good one is still refused: the zone must not publish it.
  const two = OK('a') + 'a IN SVCB 2 mcp.x.agents. alpn="mcp" port=18102 key65320="/mcp" key65321="smoke-signals" key65322="t_a"\n';
  t.same(brief(check(two)), ['error ERR_AGENT_ZONE_RECORD a.x.agents. SVCB 2: bad key65321 (transport) "smoke-signals": not "streamable-http" or "sse"']);
  t.same(brief(check(OK('a').replace('mcp.x.agents.', 'lab.x.agents.').replace('mcp.x.agents:', 'lab.x.agents:'))),
    ['error ERR_AGENT_ZONE_TARGET a.x.agents. SVCB 1 lab.x.agents.: target lab.x.agents. has no A or AAAA record in the zone; clients cannot connect']);
  t.same(check(OK('a').replace('mcp.x.agents.', 'lab.x.agents.').replace('mcp.x.agents:', 'lab.x.agents:') + 'lab IN CNAME mcp\n'), [], 'a target that is a CNAME is fine');
  t.same(check(OK('a').replace('mcp.x.agents.', 'mcp.elsewhere.example.').replace('mcp.x.agents:', 'mcp.elsewhere.example:')), [], 'a target outside the zone is not checked');
  // Below a delegation: the child's data, not checked.
  t.same(check('sub IN NS ns.sub\nns.sub IN A 127.0.0.9\n' + OK('a').replace('mcp.x.agents.', 'mcp.sub.x.agents.').replace('mcp.x.agents:', 'mcp.sub.x.agents:')
    + '_index._agents IN PTR a.x.agents.\n_index._agents IN PTR b.sub.x.agents.\n'), [], 'targets and index entries below a cut');
  t.same(brief(check(OK('a').replace(';p=mcp', ''))), ['error ERR_AGENT_ZONE_AID _agent.a.x.agents. TXT: not a valid AID record: AID record has no "p" (proto)']);
});

t.test('warnings: the index and the rest', async (t) => {
  t.same(brief(check(OK('a') + OK('b') + '_index._agents IN PTR a.x.agents.\n_index._agents IN PTR ghost.x.agents.\n_index._agents IN PTR copy.x.agents.\ncopy IN SVCB 0 a.x.agents.\n')), [
    'warning ERR_AGENT_ZONE_INDEX _index._agents.x.agents. PTR ghost.x.agents.: no agent of that name in the zone (no SVCB or CNAME record there); remove the entry or add the agent',
    'warning ERR_AGENT_ZONE_UNLISTED b.x.agents.: agent not listed in _index._agents.x.agents.; add "_index._agents.x.agents. PTR b.x.agents." so clients can browse it',
  ], 'an alias may be listed; aliases need not be');
  t.same(check(OK('a') + OK('b')), [], 'no index: nothing to be listed in');
});

t.test('locate, formatting and the log cap', async (t) => {
  const zone = loadZoneText(HEAD + OK('a', ' key65323="Bad Caps"') + OK('b', ' key65323="Bad Caps"'), { origin: 'x.agents.' });
  const seen: Array<[string, number, boolean]> = [];
  const faults = checkAgentZone(zone, { locate: (owner, type, rdata) => { seen.push([owner, type, rdata !== undefined]); return { file: 'x.zone', line: seen.length, col: 1 }; } });
  t.same(seen, [['a.x.agents.', RRType.SVCB, true], ['b.x.agents.', RRType.SVCB, true]], 'each fault located, with the record meant');
  t.equal(formatAgentFault(faults[0]!, 'x.agents.'), 'x.zone:1:1: a.x.agents. SVCB 1: bad key65323 (capabilities) "Bad Caps": ' + faults[0]!.message.split('"Bad Caps": ')[1]);
  const unplaced = { ...faults[1]!, severity: 'warning' as const };
  delete unplaced.file;
  t.match(formatAgentFault(unplaced, 'x.agents.'), /^zone x\.agents\.: warning: b\.x\.agents\. SVCB 1: /);
  const lines = agentFaultLines(faults, 'x.agents.', 1);
  t.equal(lines.errors.length, 2);
  t.equal(lines.errors[1], 'zone x.agents.: ... and 1 more errors (aop zone check lists them all, with file:line:col)');
  t.same(lines.warnings, []);
});

t.test('cardFromRecords onSkip: every skipped record, with the record', async (t) => {
  const zone = loadZoneText(HEAD + ['1 mcp.x.agents. alpn="mcp" port=1 key65320="/m" key65321="sse" key65322="t"',
    '2 mcp.x.agents. alpn="mcp" port=2 key65320="/m" key65321="sse" key65322="u"',
    '3 mcp.x.agents. alpn="mcp" port=3 key65320="m" key65321="sse" key65322="t"'].map((r) => `w IN SVCB ${r}\n`).join(''), { origin: 'x.agents.' });
  const [good, other, bad] = [...zone.records()].filter((r) => r.type === RRType.SVCB);
  if (!good || !other || !bad) throw new Error('three records');
  const skipped: Array<[string, Buffer]> = [];
  const card = cardFromRecords('w.x.agents.', [good, other, bad], { onSkip: (p, r) => skipped.push([p.reasons.join('; '), r.rdata]) });
  t.equal(card.endpoints.length, 1);
  t.same(skipped.map((s) => s[0]), ['bad key65320 (path) "m": does not start with "/"', 'key65322 (tool) "u" differs from w.x.agents. SVCB 1\'s "t" (one tool per agent)']);
  t.equal(skipped[0]![1], bad.rdata);
  t.equal(skipped[1]![1], other.rdata);
  t.same(card.warnings.length, 2, 'the warnings are as before');
});

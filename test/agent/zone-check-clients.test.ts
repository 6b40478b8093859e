// checkAgentZone and what clients other than aop accept and refuse: an aid1 + aid2 pair at one
// name (both AID client generations take it), two records of one version (refused), and the
// warnings for what AID 2.x and dns-aid-core 0.28 refuse: http u=, TargetName ".", a cap that is
// not https, private keys in mandatory, a bap of more than one token. Each case also through the
// full check alone, so the fast path (zone-fast.ts) cannot hide one.

import t from 'tap';
import { checkAgentZone, type AgentZoneFault } from '../../src/agent/index.js';
import { loadZoneText } from '../../src/zone/load.js';

const HEAD = '$ORIGIN x.agents.\n$TTL 300\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ 3600 IN NS ns1\nns1 IN A 127.0.0.3\nmcp IN A 127.0.0.1\na IN A 127.0.0.1\n';
const SVCB = (extra = '', target = 'mcp.x.agents.'): string =>
  `a IN SVCB 1 ${target} alpn="mcp,h2" port=18101 key65320="/mcp" key65321="streamable-http" key65322="t"${extra}\n`;
const TXT = (text: string): string => `_agent.a IN TXT "${text}"\n`;
const U = 'u=https://mcp.x.agents:18101/mcp;p=mcp';

function check(body: string): string[] {
  const zone = loadZoneText(HEAD + body, { origin: 'x.agents.' });
  const brief = (faults: AgentZoneFault[]): string[] => faults.map((f) => `${f.severity} ${f.code} ${f.message}`);
  const fast = brief(checkAgentZone(zone));
  t.same(fast, brief(checkAgentZone(zone, { fast: false })), 'the fast path gives the full check\'s faults');
  return fast;
}

t.test('an https agent: nothing to say', async (t) => {
  t.same(check(SVCB() + TXT(`v=aid2;${U}`)), []);
  t.same(check(SVCB(' key65400="https://mcp.x.agents/cap.json" key65402="mcp=1.0"') + TXT(`v=aid2;${U}`)), [], 'an https cap and a versioned bap');
  t.same(check(SVCB(' key65402="mcp"') + TXT(`v=aid1;${U}`)), [], 'a legacy aid1 record alone');
});

t.test('an aid1 + aid2 pair at one name is accepted; two of one version are not', async (t) => {
  t.same(check(SVCB() + TXT(`v=aid1;${U}`) + TXT(`v=aid2;${U}`)), [], 'one of each version');
  t.same(check(SVCB() + TXT(`v=aid1;${U};k=zOldKey;i=g1`) + TXT(`v=aid2;${U}`)), [], 'the aid1 record with its legacy key and kid');
  t.same(check(SVCB() + TXT(`v=aid2;${U}`) + TXT(`v=aid2;${U};s=Other`)), [
    'error ERR_AGENT_ZONE_AID _agent.a.x.agents. TXT: 2 aid2 records; AID clients refuse a name with more than one valid record of a version (one aid2 and one aid1 are fine)',
  ]);
  t.same(check(SVCB() + TXT(`v=aid1;${U}`) + TXT(`v=aid1;${U};s=Other`) + TXT(`v=aid2;${U}`)), [
    'error ERR_AGENT_ZONE_AID _agent.a.x.agents. TXT: 2 aid1 records; AID clients refuse a name with more than one valid record of a version (one aid2 and one aid1 are fine)',
  ], 'two aid1 beside an aid2: AID 1.x clients would pick by answer order');
  t.same(check(SVCB() + TXT('v=aid1;u=https://elsewhere.example/mcp;p=mcp') + TXT(`v=aid2;${U}`)), [], 'the aid2 record is the one compared with the SVCB');
  t.match(check(SVCB() + TXT('v=aid1;u=https://elsewhere.example/mcp;p=mcp')), [/warning ERR_AGENT_ZONE_NOTE _agent\.a\.x\.agents\. TXT: u=https:\/\/elsewhere\.example\/mcp is not the URL/], 'an aid1 record alone is compared');
  t.match(check(SVCB() + TXT('v=aid3;u=https://x/;p=mcp') + TXT(`v=aid2;${U}`)), [/^error ERR_AGENT_ZONE_AID .*v="aid3" is not aid2 or aid1/]);
});

t.test('AID clients refuse http u=, loopback included', async (t) => {
  const http = 'a IN SVCB 1 mcp.x.agents. alpn="mcp" port=18101 key65320="/mcp" key65321="streamable-http" key65322="t" key65326="http"\n';
  t.same(check(http + TXT('v=aid2;u=http://mcp.x.agents:18101/mcp;p=mcp')), [
    'warning ERR_AGENT_ZONE_AID_REFUSED _agent.a.x.agents. TXT: u=http://mcp.x.agents:18101/mcp does not start with "https://"; AID clients (1.x and 2.x) refuse a remote agent without TLS, loopback included',
  ]);
  t.match(check(http + TXT('v=aid1;u=http://mcp.x.agents:18101/mcp;p=mcp') + TXT('v=aid2;u=http://mcp.x.agents:18101/mcp;p=mcp')).length, 2, 'each record of a pair');
  t.match(check(SVCB() + TXT('v=aid2;u=HTTPS://mcp.x.agents:18101/mcp;p=mcp')), [/ERR_AGENT_ZONE_AID_REFUSED .*u=HTTPS:.* does not start with "https:\/\/"/], 'the clients compare the text');
  t.same(check(SVCB() + TXT(`v=aid2;${U};i=g1`)), ['warning ERR_AGENT_ZONE_AID_REFUSED _agent.a.x.agents. TXT: i= (kid) is not allowed in an aid2 record; AID 2.x clients refuse it']);
  t.same(check(SVCB() + TXT(`v=aid1;${U};k=zKey`)), ['warning ERR_AGENT_ZONE_AID_REFUSED _agent.a.x.agents. TXT: k= (pka) without i= (kid); AID clients refuse an aid1 record so']);
});

t.test('DNS-AID clients drop a TargetName "."', async (t) => {
  t.same(check(SVCB('', '.') + TXT('v=aid2;u=https://a.x.agents:18101/mcp;p=mcp')), [
    'warning ERR_AGENT_ZONE_DNSAID_TARGET a.x.agents. SVCB 1 .: TargetName "." (the agent\'s own name); DNS-AID clients (dns-aid-core) build an empty host from it and drop the record; name the host instead',
  ]);
  t.same(check(SVCB('', 'a.x.agents.') + TXT('v=aid2;u=https://a.x.agents:18101/mcp;p=mcp')), [], 'the agent\'s own name written out');
});

t.test('DNS-AID clients fetch cap only over https', async (t) => {
  t.same(check(SVCB(' key65400="http://mcp.x.agents/cap.json"') + TXT(`v=aid2;${U}`)), [
    'warning ERR_AGENT_ZONE_DNSAID_CAP a.x.agents. SVCB 1: key65400 (cap) "http://mcp.x.agents/cap.json" is not an https URL; DNS-AID clients fetch the capability document only over https, so they never see the path in it',
  ]);
  t.match(check(SVCB(' key65400="urn:example:cap"') + TXT(`v=aid2;${U}`)), [/ERR_AGENT_ZONE_DNSAID_CAP .*"urn:example:cap" is not an https URL/]);
  t.same(check(SVCB(' key65400="HTTPS://mcp.x.agents/cap.json"') + TXT(`v=aid2;${U}`)), [], 'the scheme in any case (dns-aid-core lowercases it)');
});

t.test('private-use keys in mandatory', async (t) => {
  t.same(check(SVCB(' mandatory=alpn,port') + TXT(`v=aid2;${U}`)), [], 'registered keys, as dns-aid-core writes them');
  t.same(check(SVCB(' mandatory=alpn,key65320,key65322') + TXT(`v=aid2;${U}`)), [
    'warning ERR_AGENT_ZONE_MANDATORY_PRIVATE a.x.agents. SVCB 1: mandatory lists private-use keys (key65320 (path), key65322 (tool)); every RFC 9460 client that does not implement them drops the record, DNS-AID clients included',
  ], 'said once, not again as a note');
});

t.test('bap holds one token', async (t) => {
  t.same(check(SVCB(' key65402="mcp,a2a"') + TXT(`v=aid2;${U}`)), [
    'warning ERR_AGENT_ZONE_DNSAID_BAP a.x.agents. SVCB 1: key65402 (bap) "mcp,a2a" holds 2 tokens; dns-aid-core keeps only "mcp" (one protocol per record: publish one SVCB record per protocol)',
    'warning ERR_AGENT_ZONE_NOTE a.x.agents. SVCB 1: ignored key65402 (bap) "mcp,a2a": not a protocol token',
  ], 'and aop ignores it');
  t.match(check(SVCB(' key65402="mcp a2a"') + TXT(`v=aid2;${U}`)), [/ERR_AGENT_ZONE_DNSAID_BAP .*"mcp a2a" holds 2 tokens; dns-aid-core refuses the record/]);
  t.same(check(SVCB(' key65402="mcp/1"') + TXT(`v=aid2;${U}`)), [
    'warning ERR_AGENT_ZONE_DNSAID_BAP a.x.agents. SVCB 1: key65402 (bap) "mcp/1" is not one token of the form "mcp" or "mcp=1.0"; dns-aid-core refuses the record',
  ], 'aop reads mcp/1, dns-aid-core does not');
  t.match(check(SVCB(' key65402="mcp/1,a2a"') + TXT(`v=aid2;${U}`)), [/keeps the first, "mcp\/1", which it refuses with the record/]);
});

t.test('every record of a set, with the target when priorities are shared', async (t) => {
  const two = SVCB(' key65400="http://mcp.x.agents/c.json"') + SVCB(' key65400="http://mcp.x.agents/c.json"', 'a.x.agents.') + TXT(`v=aid2;${U}`);
  t.match(check(two), [/a\.x\.agents\. SVCB 1 mcp\.x\.agents\.: key65400/, /a\.x\.agents\. SVCB 1 a\.x\.agents\.: key65400/]);
  const skipped = 'a IN SVCB 1 . alpn="mcp,h2" port=443\n';
  t.match(check(SVCB() + skipped + TXT(`v=aid2;${U}`)), [/ERR_AGENT_ZONE_INCOMPLETE/, /ERR_AGENT_ZONE_DNSAID_TARGET a\.x\.agents\. SVCB 1 \.: /], 'a record aop skips is another client\'s, and checked for it');
});

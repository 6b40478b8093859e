// cardFromRecords with `dnsAid`: records in DNS-AID form (none of aop's keys, alpn or bap "mcp")
// make a card of form 'dns-aid' (https, streamable-http, path /mcp to be located, no tool); the
// zone tooling's default still refuses them; aop's form wins beside them.

import t from 'tap';
import { AgentRecordError, cardFromRecords, recordsFromCard } from '../../src/agent/index.js';
import { loadZoneText } from '../../src/zone/load.js';
import type { RR } from '../../src/wire/rr.js';

const ORIGIN = 'example.test.';
const HEAD = `$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 192.0.2.1
mcp A 192.0.2.2
`;

/** What `fn` throws (undefined when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function recs(body: string): RR[] {
  return [...loadZoneText(HEAD + body, { origin: ORIGIN }).records()];
}

// As dns-aid-core's publisher writes it (test/fixtures/dns-aid/dnsaid.test.zone says where from).
const DNS_AID = 'writer IN SVCB 1 mcp.example.test. alpn="mcp" port="443" mandatory="alpn,port" key65400="https://mcp.example.test/cap.json" key65401="47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU" key65402="mcp"\n';

t.test('a DNS-AID record makes a dns-aid card', async (t) => {
  const c = cardFromRecords('writer.example.test', recs(DNS_AID), { dnsAid: true });
  t.equal(c.form, 'dns-aid');
  t.equal(c.tool, undefined, 'no tool: tools/list says');
  t.equal(c.located, undefined, 'not located yet');
  t.equal(c.endpoints.length, 1);
  const e = c.endpoints[0]!;
  t.equal(e.url, 'https://mcp.example.test/mcp', 'https, the port, /mcp until located');
  t.equal(e.transport, 'streamable-http');
  t.equal(e.addresses?.[0], '192.0.2.2');
  t.equal(c.cap, 'https://mcp.example.test/cap.json');
  t.equal(c.capSha256, '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
  t.equal(c.bap, 'mcp');
});

t.test('bap says mcp (with a version) while alpn names transports only', async (t) => {
  const c = cardFromRecords('w.example.test', recs('w IN SVCB 1 mcp.example.test. alpn="h2,h3" port=8443 key65402="mcp=1.0"\n'), { dnsAid: true });
  t.equal(c.form, 'dns-aid');
  t.equal(c.endpoints[0]!.url, 'https://mcp.example.test:8443/mcp');
});

t.test('neither alpn nor bap says mcp, or bap is a list: not an MCP agent', async (t) => {
  for (const body of ['w IN SVCB 1 mcp.example.test. alpn="a2a" port=443 key65402="a2a"\n', 'w IN SVCB 1 mcp.example.test. alpn="h2" port=443 key65402="mcp,a2a"\n']) {
    const err = thrown(() => cardFromRecords('w.example.test', recs(body), { dnsAid: true }));
    t.ok(err instanceof AgentRecordError && err.code === 'ERR_AGENT_BAD_RECORD', body.trim());
  }
});

t.test('without the option (the zone tooling) a DNS-AID record is still refused', async (t) => {
  const err = thrown(() => cardFromRecords('writer.example.test', recs(DNS_AID))) as AgentRecordError;
  t.equal(err.code, 'ERR_AGENT_BAD_RECORD');
  t.match(err.message, /missing key65320 \(path\); missing key65321 \(transport\); missing key65322 \(tool\)/);
});

t.test('one of aop\'s keys makes it an aop record, held to aop\'s rules', async (t) => {
  const err = thrown(() => cardFromRecords('w.example.test', recs('w IN SVCB 1 mcp.example.test. alpn="mcp" port=443 key65322="draft"\n'), { dnsAid: true })) as AgentRecordError;
  t.equal(err.code, 'ERR_AGENT_BAD_RECORD');
  t.match(err.message, /missing key65320 \(path\); missing key65321 \(transport\)/);
});

t.test('beside records in aop\'s form, a DNS-AID record is skipped with a warning', async (t) => {
  const body = DNS_AID.replace('SVCB 1', 'SVCB 2') + 'writer IN SVCB 1 mcp.example.test. alpn="mcp" port=443 key65320="/agents/writer/mcp" key65321="streamable-http" key65322="draft_copy"\n';
  const c = cardFromRecords('writer.example.test', recs(body), { dnsAid: true });
  t.equal(c.form, undefined);
  t.equal(c.tool, 'draft_copy');
  t.equal(c.endpoints.length, 1);
  t.ok(c.warnings.some((w) => /SVCB 2: skipped: a DNS-AID record/.test(w)));
});

t.test('a card without a tool cannot be written as aop records', async (t) => {
  const c = cardFromRecords('writer.example.test', recs(DNS_AID), { dnsAid: true, zone: ORIGIN });
  const err = thrown(() => recordsFromCard(c)) as AgentRecordError;
  t.equal(err.code, 'ERR_AGENT_BAD_CARD');
  t.match(err.message, /no tool/);
});

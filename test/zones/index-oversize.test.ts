// An RRset no DNS message can hold is never served as an empty directory. The case of issue 19:
// one organisation of 10,000 agents with one flat `_index._agents` PTR set (some 260 KB). The
// zone check warns about it by name; the server answers it over TCP as BIND does (TC=1, no
// records: BIND's client.c renders the answer section without DNS_MESSAGERENDER_PARTIAL, so the
// RRset is rolled back whole); the gateway of `aop serve --mcp` does not take that for "no
// agents" but reports it in zone_problems.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkAgentZone } from '../../src/agent/index.js';
import { exchange } from '../../src/transport/index.js';
import { encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { loadZoneText } from '../../src/zone/load.js';
import { connect, json } from '../helpers/gateway.js';
import { largeOrgText } from '../helpers/large-org.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { serveWithGateway } from '../helpers/serve-process.js';

const NET = await leaseNet(t);
const HOST = NET.host(1);
const ORG = 'big.agents';
const text = largeOrgText({ org: ORG, agents: 10_000, address: HOST, layout: 'flat' });

t.test('the zone check names the RRset too large for any message', async (t) => {
  const zone = loadZoneText(text, { origin: `${ORG}.` });
  const faults = checkAgentZone(zone).filter((f) => f.code === 'ERR_AGENT_ZONE_RRSET_TOO_LARGE');
  t.equal(faults.length, 1);
  t.equal(faults[0]!.severity, 'warning', 'the rest of the zone is served');
  t.match(faults[0]!.message, /^_index\._agents\.big\.agents\. PTR: 10000 records need about \d+ octets in an answer, more than the 65535 one DNS message holds \(over TCP too\).*page the index/);
});

t.test('aop serve --mcp: TC=1 over TCP, and the gateway reports the index instead of listing none', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-oversize-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, `${ORG}.zone`), text);
  const s = await serveWithGateway(t, dir, HOST);
  t.match(s.log(), /warning: _index\._agents\.big\.agents\. PTR: 10000 records/, 'the load warns');

  const r = await exchange({ address: HOST, port: s.dnsPort }, encodeQuery(`_index._agents.${ORG}`, RRType.PTR, { rd: false }), { tcp: true, timeout: 5000 });
  t.equal(r.message.tc, true, 'TC=1 over TCP, as BIND answers');
  t.equal(r.message.answers.length, 0, 'no partial set');

  const client = await connect(t, s.mcpUrl);
  const list = json(await client.callTool({ name: 'list_agents', arguments: {} }));
  const info = json(await client.callTool({ name: 'get_server_info', arguments: {} }));
  const problems = (info.server_info.zone_problems as Array<{ zone: string; code: string; message: string }>).filter((p) => p.zone === ORG);
  t.ok(problems.some((p) => /truncated reply \(TC=1\)/.test(p.message)), `the index problem is reported: ${JSON.stringify(problems)}`);
  t.equal(list.total_count, 0, 'nothing could be listed from the flat index');
  await client.close();
});

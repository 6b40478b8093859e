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
import { startDaemon } from '../helpers/server.js';
import { parseListen } from '../../src/server/listen.js';
import { parsePolicy } from '../../src/update/policy.js';
import { sendUpdate } from '../../src/update/client.js';
import { encodeMessage, newMessage } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import { Keyring, type TsigKey } from '../../src/wire/tsig.js';
import { Opcode, Rcode, RRClass } from '../../src/wire/types.js';

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

t.test('an UPDATE that pushes an RRset past what a message holds is refused', async (t) => {
  const key: TsigKey = { name: 'admin-key', algorithm: 'hmac-sha256.', secret: Buffer.from('YWRtaW4ga2V5IGZvciB0aGUgb3ZlcnNpemUgdGVzdCE=', 'base64') };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-oversize-update-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // 2,200 entries fit (61,654 octets as an answer); 200 more do not.
  writeFileSync(path.join(dir, `${ORG}.zone`), largeOrgText({ org: ORG, agents: 2200, address: HOST, layout: 'flat' }));
  const { daemon, host, port } = await startDaemon(t, {
    zonesDir: dir, listen: [parseListen(`${NET.host(3)}:0`)], keyring: new Keyring([key]),
    update: { policy: parsePolicy(['grant admin-key zonesub ANY']), flushDelayMs: 50 },
  });
  const owner = `_index._agents.${ORG}.`;
  const ptrs = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ name: owner, type: RRType.PTR, class: RRClass.IN, ttl: 300, rdata: nameToWire(`extra-${from + i}.${ORG}.`) }));
  const update = (rrs: ReturnType<typeof ptrs>) => encodeMessage(newMessage({ id: 7, opcode: Opcode.UPDATE, questions: [{ name: `${ORG}.`, type: RRType.SOA, class: RRClass.IN }], authority: rrs }));
  t.equal(await sendUpdate(update(ptrs(0, 200)), { key, server: { address: host, port }, tcp: true }), Rcode.REFUSED, 'REFUSED');
  t.equal(daemon.catalog.get(`${ORG}.`)!.rrset(owner, RRType.PTR)!.rdata.length, 2200, 'nothing changed');
  t.equal(await sendUpdate(update(ptrs(0, 5)), { key, server: { address: host, port }, tcp: true }), Rcode.NOERROR, 'a change that still fits goes through');
});

// The paged organisation index (docs/records.md, "A paged index"): at 1,000,000 agents every
// node's PTR set is within PAGE_MAX entries and far under a DNS message; an organisation of
// 10,000 agents served by `aop serve --mcp` lists all 10,000 through the gateway's list_agents
// (issue 19's case), with no zone problem; its capability indexes answer "which agents offer
// translation" a level of pages at a time; the zone check finds nothing to say about the index.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  capIndexRoot, checkAgentZone, entryHash, layoutIndex, MAX_PAGE_DEPTH, orgIndexRoot, PAGE_MAX, pageDepth, type IndexMember,
} from '../../src/agent/index.js';
import { walkCapabilityIndex, walkOrgIndex } from '../../src/mcp/index-walk.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { answerOctets } from '../../src/wire/answer-size.js';
import { nameToWire } from '../../src/wire/name.js';
import { RRClass, RRType } from '../../src/wire/types.js';
import { loadZoneText } from '../../src/zone/load.js';
import { connect, json } from '../helpers/gateway.js';
import { agentLabel, CAPABILITIES, largeOrgText } from '../helpers/large-org.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { serveWithGateway } from '../helpers/serve-process.js';

const NET = await leaseNet(t);
const HOST = NET.host(1);
const ORG = 'big.agents';
const N = 10_000;

t.test('1,000,000 agents: every node within PAGE_MAX and far under 64 KiB, three levels of pages', async (t) => {
  const org = 'huge.agents.';
  const root = orgIndexRoot(org);
  const members: IndexMember[] = [];
  for (let i = 0; i < 1_000_000; i++) {
    const name = `${agentLabel(i)}.${org}`;
    members.push({ name, hash: entryHash(name, org) });
  }
  const layout = layoutIndex(root, members);
  let agents = 0;
  let deepest = 0;
  const over: string[] = [];
  for (const [owner, targets] of layout) {
    if (targets.length > PAGE_MAX) over.push(`${owner}: ${targets.length}`);
    deepest = Math.max(deepest, owner === root ? 0 : pageDepth(owner, root) ?? 99);
    if (targets.every((x) => !x.endsWith(`.${root}`))) agents += targets.length;
  }
  t.same(over, [], `no node over ${PAGE_MAX} entries`);
  t.equal(agents, 1_000_000, 'every agent on one leaf page');
  t.equal(deepest, 3, `three levels of pages (as many as are read: ${MAX_PAGE_DEPTH})`);
  // The biggest node, as an answer.
  const [bigOwner, bigTargets] = [...layout].sort((a, b) => b[1].length - a[1].length)[0]!;
  const octets = answerOctets({ name: bigOwner, type: RRType.PTR, class: RRClass.IN, ttl: 300, rdata: bigTargets.map((x) => nameToWire(x)) });
  t.ok(octets === undefined || octets < 20_000, `the largest node (${bigTargets.length} entries) needs ${octets ?? '< 65535'} octets`);
  t.ok(layout.get(root)!.length === 16, 'the root lists 16 pages');
});

t.test('10,000 agents, paged: the zone check is quiet about the index, and aop serve --mcp lists them all', async (t) => {
  const text = largeOrgText({ org: ORG, agents: N, address: HOST, layout: 'paged' });
  const zone = loadZoneText(text, { origin: `${ORG}.` });
  const index = checkAgentZone(zone).filter((f) => /INDEX|UNLISTED|TOO_LARGE/.test(f.code));
  t.same(index, [], 'no index fault');

  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-paged-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, `${ORG}.zone`), text);
  const s = await serveWithGateway(t, dir, HOST);

  // Over the network, as any client walks it.
  const lookup = new NetworkLookup({ address: HOST, port: s.dnsPort });
  const walk = await walkOrgIndex(lookup, ORG);
  t.same(walk.problems, []);
  t.equal(walk.names.length, N, 'every agent found through the pages');
  t.equal(walk.nodes, 1 + 16 + 256, 'the root, its 16 pages and their 16 each');
  const want = Array.from({ length: N }, (_, i) => i).filter((i) => i % CAPABILITIES.length === 0).map((i) => `${agentLabel(i)}.${ORG}`);
  const cap = await walkCapabilityIndex(lookup, ORG, 'translation');
  t.same(cap.problems, []);
  t.same([...cap.names].sort(), want.sort(), 'the translation index lists exactly the agents offering it');
  t.equal(cap.nodes, 17, `${cap.nodes} queries in two rounds (the root, then 16 pages at once) for ${want.length} agents`);
  t.equal(capIndexRoot(ORG, 'translation'), `translation._cap._agents.${ORG}.`);

  const client = await connect(t, s.mcpUrl);
  const list = json(await client.callTool({ name: 'list_agents', arguments: {} }));
  t.equal(list.total_count, N, 'list_agents lists all 10,000');
  const info = json(await client.callTool({ name: 'get_server_info', arguments: {} }));
  t.same((info.server_info.zone_problems as unknown[]), [], 'no zone problem');
  await client.close();
});

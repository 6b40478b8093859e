// Index maintenance under UPDATE (docs/records.md, "A paged index"): `aop register` of the 501st
// agent splits the flat root into pages (its TXT index goes, the capability indexes are built
// from every agent's records); after that a registration adds one PTR on one page of the
// organisation index and one on its capability's, and a deregistration removes them; the
// index read back over the network lists exactly the agents registered.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { capIndexRoot, entryHash, orgIndexRoot, PAGE_MAX, pageOwner } from '../../src/agent/index.js';
import { walkCapabilityIndex, walkOrgIndex } from '../../src/mcp/index-walk.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { registerUpdate } from '../../src/update/build.js';
import { readIndexState } from '../../src/update/client.js';
import { decide, parsePolicy } from '../../src/update/policy.js';
import { parseListen } from '../../src/server/listen.js';
import { decodeMessage } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import { Keyring, type TsigKey } from '../../src/wire/tsig.js';
import { formatKeyFile } from '../../src/wire/tsig-key.js';
import { RRClass, RRType } from '../../src/wire/types.js';
import { agentLabel, CAPABILITIES, largeOrgText } from '../helpers/large-org.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { run } from '../helpers/peers.js';
import { startDaemon } from '../helpers/server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const aop = (args: string[]) => run(process.execPath, [path.join(root, 'bin', 'aop.js'), ...args], 120_000);
const ORG = 'big.agents';
const INDEX = orgIndexRoot(ORG);
const admin: TsigKey = { name: 'admin-key', algorithm: 'hmac-sha256.', secret: Buffer.from('YWRtaW4ga2V5IGZvciB0aGUgcGFnZWQgaW5kZXggdGVzdA==', 'base64') };

t.test('register and deregister keep a paged index, one page at a time', async (t) => {
  const net = await leaseNet(t);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-paged-update-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // PAGE_MAX - 1 agents, flat: two registrations fill the root, then split it.
  writeFileSync(path.join(dir, `${ORG}.zone`), largeOrgText({ org: ORG, agents: PAGE_MAX - 1, address: net.host(2), layout: 'flat' }));
  const keyFile = path.join(dir, 'admin.key');
  writeFileSync(keyFile, formatKeyFile(admin));
  const { daemon, host, port } = await startDaemon(t, {
    zonesDir: dir, listen: [parseListen(`${net.host(1)}:0`)], keyring: new Keyring([admin]),
    update: { policy: parsePolicy([`grant admin-key zonesub ANY`]), flushDelayMs: 50 },
  });
  const serverText = `${host}:${port}`;
  const lookup = new NetworkLookup({ address: host, port });
  const register = (i: number) => aop(['register', `${agentLabel(i)}.${ORG}`, '--endpoint', `https://mcp.${ORG}:18999/mcp`, '--tool', 'tool',
    '--capabilities', CAPABILITIES[i % CAPABILITIES.length]!, '--key', keyFile, '--server', serverText, '--timeout', '15000']);

  let r = await register(PAGE_MAX - 1);
  t.equal(r.code, 0, r.stderr);
  let zone = daemon.catalog.get(`${ORG}.`)!;
  t.equal(zone.rrset(INDEX, RRType.PTR)!.rdata.length, PAGE_MAX, `${PAGE_MAX} agents: still flat`);
  t.ok(zone.rrset(INDEX, RRType.TXT) !== undefined, 'with its TXT index');

  r = await register(PAGE_MAX);
  t.equal(r.code, 0, r.stderr);
  zone = daemon.catalog.get(`${ORG}.`)!;
  t.equal(zone.rrset(INDEX, RRType.PTR)!.rdata.length, 16, 'the 501st agent split the root into 16 pages');
  t.equal(zone.rrset(INDEX, RRType.TXT), undefined, 'the TXT index is gone');
  let walk = await walkOrgIndex(lookup, ORG);
  t.same(walk.problems, []);
  t.equal(walk.names.length, PAGE_MAX + 1, 'every agent in a page');
  const want = (n: number, c: number) => Array.from({ length: n }, (_, i) => i).filter((i) => i % CAPABILITIES.length === c).map((i) => `${agentLabel(i)}.${ORG}`).sort();
  let cap = await walkCapabilityIndex(lookup, ORG, 'translation');
  t.same([...cap.names].sort(), want(PAGE_MAX + 1, 0), 'the capability index was built from every agent\'s records');

  // Paged: the UPDATE carries one PTR on one page of each index.
  const next = PAGE_MAX + 1;
  const name = `${agentLabel(next)}.${ORG}.`;
  const capName = CAPABILITIES[next % CAPABILITIES.length]!;
  const state = await readIndexState(`${ORG}.`, { address: host, port }, 5000, { name, capabilities: [capName] });
  const u = registerUpdate({ name, endpoints: [`https://mcp.${ORG}:18999/mcp`], tool: 'tool', capabilities: [capName] }, undefined, state);
  t.same(u.before, [], 'no UPDATE before it');
  const ptrs = decodeMessage(u.message).authority.filter((x) => x.type === RRType.PTR);
  const hash = entryHash(name, `${ORG}.`);
  t.same(ptrs.map((x) => x.name.toLowerCase()).sort(), [pageOwner(INDEX, hash, 1), capIndexRoot(ORG, capName)!].sort(),
    'one PTR on the agent\'s page, one in its capability\'s index');
  // Its prerequisites: the two nodes it adds to, exactly as read (a split meanwhile makes it fail
  // and be built again: test/update/paged-index-race.test.ts).
  const pre = decodeMessage(u.message).answers;
  t.same([...new Set(pre.map((x) => x.name.toLowerCase()))].sort(), [pageOwner(INDEX, hash, 1), capIndexRoot(ORG, capName)!].sort(), 'prerequisites on those two nodes only');
  t.ok(pre.every((x) => x.type === RRType.PTR && x.ttl === 0), 'their PTR sets as read (RFC 2136 2.4.2)');
  t.equal(pre.filter((x) => x.name.toLowerCase() === pageOwner(INDEX, hash, 1)).length, state.paths!.filter((p) => p.owner.toLowerCase() === pageOwner(INDEX, hash, 1)).length, 'every PTR of the page as read');
  r = await register(next);
  t.equal(r.code, 0, r.stderr);
  walk = await walkOrgIndex(lookup, ORG);
  t.equal(walk.names.length, PAGE_MAX + 2);

  r = await aop(['deregister', name, '--key', keyFile, '--server', serverText, '--timeout', '15000']);
  t.equal(r.code, 0, r.stderr);
  walk = await walkOrgIndex(lookup, ORG);
  t.equal(walk.names.length, PAGE_MAX + 1, 'deregistered: gone from its page');
  t.notOk(walk.names.includes(name.slice(0, -1)));
  cap = await walkCapabilityIndex(lookup, ORG, capName);
  t.notOk(cap.names.includes(name.slice(0, -1)), 'and from its capability index');
  t.same(walk.problems, []);
});

t.test('the agent update-policy rule grants its PTR on its own page, and page entries, nothing else', async (t) => {
  const org = `${ORG}.`;
  const agent = `${agentLabel(7)}.${org}`;
  const other = `${agentLabel(8)}.${org}`;
  const rules = parsePolicy([`grant robot agent ${agent}`]);
  const rr = (owner: string, target: string) => ({ name: owner, type: RRType.PTR, class: RRClass.IN, rdata: nameToWire(target) });
  const page = pageOwner(INDEX, entryHash(agent, org), 1);
  const otherPage = pageOwner(INDEX, (parseInt(entryHash(agent, org)[0]!, 16) ^ 1).toString(16), 1);
  t.match(decide(rules, 'robot', rr(page, agent), org), { allowed: true }, 'its PTR on its page');
  t.match(decide(rules, 'robot', rr(otherPage, agent), org), { allowed: false }, 'not on another page');
  t.match(decide(rules, 'robot', rr(page, other), org), { allowed: false }, 'not another agent\'s PTR');
  t.match(decide(rules, 'robot', rr(INDEX, page), org), { allowed: true }, 'a page entry at the root');
  const capPage = pageOwner(capIndexRoot(ORG, 'translation')!, entryHash(agent, org), 1);
  t.match(decide(rules, 'robot', rr(capPage, agent), org), { allowed: true }, 'its PTR on its capability index page');
});

// A registration racing a page split (docs/records.md, "A paged index"): X reads its page with
// room for one more; meanwhile Y fills the page and Z splits it into sub-pages. X's UPDATE, built
// from the stale read, must fail its prerequisites (the page's PTR set as read) instead of
// leaving X listed at a node that has become pages; built again from a fresh read it lands on
// X's sub-page, and the index lists every agent exactly once.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { entryHash, isPage, layoutIndex, orgIndexRoot, PAGE_MAX, pageOwner, type IndexMember } from '../../src/agent/index.js';
import { walkOrgIndex } from '../../src/mcp/index-walk.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { registerUpdate } from '../../src/update/build.js';
import { readIndexState, sendUpdate, sendWithIndex } from '../../src/update/client.js';
import { parsePolicy } from '../../src/update/policy.js';
import { parseListen } from '../../src/server/listen.js';
import { readName } from '../../src/wire/name.js';
import { Keyring, type TsigKey } from '../../src/wire/tsig.js';
import { Rcode, RRType } from '../../src/wire/types.js';
import { agentLabel, indexLines } from '../helpers/large-org.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { startDaemon } from '../helpers/server.js';

const ORG = 'race.agents.';
const INDEX = orgIndexRoot(ORG);
const admin: TsigKey = { name: 'admin-key', algorithm: 'hmac-sha256.', secret: Buffer.from('YWRtaW4ga2V5IGZvciB0aGUgcGFnZSByYWNlIHRlc3Q=', 'base64') };

t.test('a registration built before a split of its page is refused and built again', async (t) => {
  const net = await leaseNet(t);
  // Agents whose hash starts with 'a' fill page a to one short of PAGE_MAX; 600 others page the root.
  const inA: string[] = [];
  const others: string[] = [];
  const spare: string[] = [];
  for (let i = 0; inA.length < PAGE_MAX - 1 || others.length < 600 || spare.length < 3; i++) {
    const name = `${agentLabel(i)}.${ORG}`;
    const first = entryHash(name, ORG)[0];
    if (first === 'a') (inA.length < PAGE_MAX - 1 ? inA : spare.length < 3 ? spare : []).push(name);
    else if (others.length < 600) others.push(name);
  }
  const [x, y, z] = spare as [string, string, string];
  const members: IndexMember[] = [...inA, ...others].map((name) => ({ name, hash: entryHash(name, ORG) }));
  const page = pageOwner(INDEX, entryHash(x, ORG), 1);
  const agentLines = [...inA, ...others].map((n) => `${n} IN SVCB 1 mcp.${ORG} alpn="mcp" port=18999 key65320="/mcp" key65321="streamable-http" key65322="tool" key65402="mcp"\n`).join('');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-page-race-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'race.agents.zone'), `$ORIGIN ${ORG}\n$TTL 300\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ 3600 IN NS ns1\nns1 IN A ${net.host(2)}\nmcp IN A ${net.host(2)}\n`
    + agentLines + [...indexLines(layoutIndex(INDEX, members))].join(''));
  const { daemon, host, port } = await startDaemon(t, {
    zonesDir: dir, listen: [parseListen(`${net.host(1)}:0`)], keyring: new Keyring([admin]),
    update: { policy: parsePolicy(['grant admin-key zonesub ANY']), flushDelayMs: 50 },
  });
  const server = { address: host, port };
  const opts = { key: admin, server, tcp: true, timeout: 15_000 };
  const spec = (name: string) => ({ name, endpoints: [`https://mcp.${ORG.slice(0, -1)}:18999/mcp`], tool: 'tool', capabilities: [] });
  const ptrsAt = (owner: string): string[] => (daemon.catalog.get(ORG)!.rrset(owner, RRType.PTR)?.rdata ?? []).map((d) => readName(d, 0).name.toLowerCase());
  t.equal(ptrsAt(page).length, PAGE_MAX - 1, `page ${page} one short of full`);

  // X reads now: its page has room, so its UPDATE adds it there without a split.
  const stale = registerUpdate(spec(x), undefined, await readIndexState(ORG, server, 15_000, { name: x, capabilities: [] }));
  // Y fills the page, Z splits it.
  t.equal(await sendWithIndex((index) => { const u = registerUpdate(spec(y), undefined, index); return { message: u.message, before: u.before }; }, ORG, opts, { name: y, capabilities: [] }), Rcode.NOERROR, 'Y registered');
  t.equal(ptrsAt(page).length, PAGE_MAX, 'the page is full');
  t.equal(await sendWithIndex((index) => { const u = registerUpdate(spec(z), undefined, index); return { message: u.message, before: u.before }; }, ORG, opts, { name: z, capabilities: [] }), Rcode.NOERROR, 'Z registered');
  t.ok(ptrsAt(page).every((target) => isPage(target, INDEX)), 'Z split the page: it lists sub-pages only');

  const rcode = await sendUpdate(stale.message, opts);
  t.ok(rcode === Rcode.NXRRSET || rcode === Rcode.YXRRSET, `X's stale UPDATE fails its prerequisites (rcode ${rcode})`);
  t.ok(ptrsAt(page).every((target) => isPage(target, INDEX)), 'and the split page still lists sub-pages only');

  t.equal(await sendWithIndex((index) => { const u = registerUpdate(spec(x), undefined, index); return { message: u.message, before: u.before }; }, ORG, opts, { name: x, capabilities: [] }), Rcode.NOERROR, 'X registered from a fresh read');
  const walk = await walkOrgIndex(new NetworkLookup({ address: host, port }), ORG.slice(0, -1));
  t.same(walk.problems, []);
  const names = walk.names.map((n) => n.toLowerCase().replace(/\.?$/, '.'));
  t.equal(names.length, new Set(names).size, 'no agent listed twice');
  t.equal(names.length, inA.length + others.length + 3, 'every agent listed');
  for (const n of [x, y, z]) t.ok(names.includes(n), `${n} listed`);
  t.ok(ptrsAt(page).every((target) => isPage(target, INDEX)), 'no agent at the split page itself');
});

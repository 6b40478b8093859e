// The TXT index at `_index._agents` is kept in step with the PTR set by every way aop changes a
// zone: add-agent / remove-agent / import-mcp (a zone-file edit) and register / deregister (a DNS
// UPDATE that reads the index first and rewrites its TXT under a prerequisite, so registrations
// that race each other both end up listed). Read back with dig, as a DNS-AID client would.

import t from 'tap';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dnsAidIndexView, indexTxtRdata, parseIndexTxt } from '../../src/agent/index.js';
import { sendUpdate } from '../../src/update/client.js';
import { registerUpdate } from '../../src/update/build.js';
import { agentsText, planAgentEdit } from '../../src/update/agent-edit.js';
import { decide, parsePolicy } from '../../src/update/policy.js';
import { parseListen } from '../../src/server/listen.js';
import { nameToWire, readName } from '../../src/wire/name.js';
import { Keyring, type TsigKey } from '../../src/wire/tsig.js';
import { formatKeyFile } from '../../src/wire/tsig-key.js';
import { Rcode, RRType } from '../../src/wire/types.js';
import { readZoneSource } from '../../src/zone/edit.js';
import { loadZoneText } from '../../src/zone/load.js';
import type { Zone } from '../../src/zone/zone.js';
import { dig } from '../helpers/dig.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool, run } from '../helpers/peers.js';
import { startDaemon } from '../helpers/server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const aop = (args: string[]) => run(process.execPath, [path.join(root, 'bin', 'aop.js'), ...args], 60_000);
const ORG = 'acme.agents.';
const INDEX = `_index._agents.${ORG}`;

/** The labels of the TXT index and of the PTR set, as sorted lists. */
function lists(zone: Zone): { txt: string[]; ptr: string[]; records: number } {
  const txt = zone.rrset(INDEX, RRType.TXT)?.rdata ?? [];
  const ptr = (zone.rrset(INDEX, RRType.PTR)?.rdata ?? []).map((d) => readName(d, 0).name.replace(`.${ORG}`, '')).sort();
  return { txt: parseIndexTxt(txt).map((e) => e.label), ptr, records: txt.length };
}

t.test('zone edits: the TXT index follows every add and remove, one record, sorted', async (t) => {
  let text = (await import('node:fs')).readFileSync(path.join(root, 'zones', 'acme.agents.zone'), 'utf8');
  const edit = (req: Parameters<typeof planAgentEdit>[1]): void => {
    text = planAgentEdit(readZoneSource(text, { origin: ORG }), req).text;
    const l = lists(loadZoneText(text, { origin: ORG }));
    t.same(l.txt, l.ptr, `TXT = PTR set (${l.ptr.join(',')})`);
    t.ok(l.records <= 1, 'one TXT record at most');
  };
  edit({ add: [{ name: 'poet', endpoints: ['http://127.0.0.1:18110/mcp'], tool: 'write_poem' }] });
  edit({ remove: ['writer'], withAliases: true });
  edit({ add: [{ name: 'writer', endpoints: ['http://mcp.acme.agents:18101/agents/writer/mcp'], tool: 'draft_copy' }] });
  edit({ add: [{ name: 'poet', endpoints: ['http://127.0.0.1:18111/mcp'], tool: 'write_poem' }], replace: true });
  // Enough agents that the list outgrows one string: still one record, several strings.
  edit({ add: Array.from({ length: 30 }, (_, i) => ({ name: `bulk-agent-${i}`, endpoints: [`http://mcp.acme.agents:${19000 + i}/mcp`], tool: 'bulk' })) });
  const zone = loadZoneText(text, { origin: ORG });
  const rdata = zone.rrset(INDEX, RRType.TXT)!.rdata[0]!;
  t.ok(rdata[0]! <= 255 && rdata.length > 256, 'several character-strings');
  const seen = dnsAidIndexView([rdata]);
  t.ok(seen.length > 0 && seen.length < lists(zone).ptr.length, `a DNS-AID client sees the first ${seen.length} of ${lists(zone).ptr.length}`);
  for (const name of [...Array.from({ length: 30 }, (_, i) => `bulk-agent-${i}`), 'editor', 'poet', 'researcher', 'summarizer', 'translator', 'writer']) {
    text = planAgentEdit(readZoneSource(text, { origin: ORG }), { remove: [name], withAliases: true }).text;
  }
  const empty = loadZoneText(text, { origin: ORG });
  t.equal(empty.rrset(INDEX, RRType.PTR), undefined, 'no agent left: no PTR');
  t.equal(empty.rrset(INDEX, RRType.TXT), undefined, 'and no TXT index');
});

t.test('import-mcp text without a zone file carries the TXT index too', async (t) => {
  const warnings: string[] = [];
  const text = agentsText('new.agents', [
    { name: 'b', endpoints: ['https://mcp.example/b'], tool: 'tb' }, { name: 'a', endpoints: ['https://mcp.example/a'], tool: 'ta' },
  ], warnings);
  t.match(text, /\n_index\._agents +300 IN PTR +b\.new\.agents\.\n +300 IN PTR +a\.new\.agents\.\n +300 IN TXT +"agents=a:mcp,b:mcp"\n$/);
});

const robot: TsigKey = { name: 'robot-key', algorithm: 'hmac-sha256.', secret: Buffer.from('cm9ib3Qga2V5IGZvciB0aGUgdHh0IGluZGV4IHRlc3Qh', 'base64') };

t.test('register / deregister rewrite the TXT index; racing registrations are all listed', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const net = await leaseNet(t);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-txt-index-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), path.join(dir, 'acme.agents.zone'));
  const keyFile = path.join(dir, 'robot.key');
  writeFileSync(keyFile, formatKeyFile(robot));
  const names = ['r1', 'r2', 'r3', 'r4'];
  const { daemon, host, port } = await startDaemon(t, {
    zonesDir: dir, listen: [parseListen(`${net.host(1)}:0`)], keyring: new Keyring([robot]),
    update: { policy: parsePolicy(names.map((n) => `grant robot-key agent ${n}.acme.agents.`)), flushDelayMs: 50 },
  });
  const server = { address: host, port };
  const serverText = `${host}:${port}`;
  const txtByDig = async (): Promise<string[]> => (await dig(port, ['+tcp', INDEX, 'TXT'], host)).answer;

  // Four at once: each reads the index, the first UPDATE wins, the others' prerequisite fails and they try again.
  const regs = await Promise.all(names.map((n) => aop(['register', `${n}.acme.agents`, '--endpoint', `http://mcp.acme.agents:${18180 + names.indexOf(n)}/mcp`,
    '--tool', `t_${n}`, '--key', keyFile, '--server', serverText, '--timeout', '15000'])));
  const ok = regs.filter((r) => r.code === 0).length;
  t.ok(ok >= 2, `${ok} of 4 racing registrations succeeded`);
  for (const r of regs.filter((x) => x.code !== 0)) t.match(r.stderr, /answered (NXRRSET|YXRRSET)/, 'a registration that lost every race says so');
  const zone = daemon.catalog.get(ORG)!;
  const l = lists(zone);
  t.same(l.txt, l.ptr, 'the TXT index lists exactly the PTR set');
  t.equal(l.records, 1, 'in one record');
  const answer = await txtByDig();
  t.equal(answer.length, 1);
  for (const n of names.filter((_, i) => regs[i]!.code === 0)) t.match(answer[0]!, new RegExp(`[=,]${n}:mcp[,"]`), `dig: ${n} listed`);
  t.match(answer[0]!, /"agents=editor:mcp,r1:mcp/, 'sorted, the bundled agents kept');

  // An UPDATE built from an index read before another registration is refused, and changes nothing.
  const serial = daemon.catalog.get(ORG)!.serial;
  const spec = { name: 'r1.acme.agents', endpoints: ['http://mcp.acme.agents:18199/mcp'], tool: 't_r1' };
  const staleTxt = indexTxtRdata(['agents=editor:mcp']);
  const agents = zone.rrset(INDEX, RRType.PTR)!.rdata.map((d) => readName(d, 0).name);
  t.equal(await sendUpdate(registerUpdate(spec, undefined, { agents, txt: [staleTxt], ttl: 300 }).message, { key: robot, server }), Rcode.NXRRSET,
    'a TXT index that is no longer there: NXRRSET');
  t.equal(await sendUpdate(registerUpdate(spec, undefined, { agents, txt: [], ttl: 300 }).message, { key: robot, server }), Rcode.YXRRSET,
    'no TXT index read, but there is one now: YXRRSET');
  t.equal(await sendUpdate(registerUpdate(spec, undefined, { agents: agents.slice(1), txt: zone.rrset(INDEX, RRType.TXT)!.rdata, ttl: 300 }).message, { key: robot, server }),
    Rcode.NXRRSET, 'a PTR set read before another registration: NXRRSET');
  t.equal(daemon.catalog.get(ORG)!.serial, serial, 'nothing changed');

  const gone = await aop(['deregister', 'r1.acme.agents', '--key', keyFile, '--server', serverText, '--timeout', '15000']);
  t.equal(gone.code, 0, gone.stderr);
  t.notMatch((await txtByDig())[0]!, /r1:mcp/, 'deregistered: gone from the TXT index');
  const after = lists(daemon.catalog.get(ORG)!);
  t.same(after.txt, after.ptr);
});

t.test('the agent update-policy rule grants the TXT index, and still only the agent\'s own PTR', async (t) => {
  const rules = parsePolicy(['grant robot-key agent r1.acme.agents.']);
  const rr = (name: string, type: number, rdata: Buffer = Buffer.alloc(0)) => ({ name, type, rdata });
  t.match(decide(rules, 'robot-key', rr(INDEX, RRType.TXT, indexTxtRdata(['agents=r1:mcp'])), ORG), { allowed: true }, 'a TXT index record');
  t.match(decide(rules, 'robot-key', rr(INDEX, RRType.TXT), ORG), { allowed: true }, 'the TXT set deleted (nsupdate "update delete NAME TXT")');
  t.match(decide(rules, 'robot-key', rr(`_x.${ORG}`, RRType.TXT, Buffer.from([1, 0x61])), ORG), { allowed: false }, 'a TXT elsewhere');
  t.match(decide(rules, 'robot-key', rr(INDEX, RRType.PTR, nameToWire('writer.acme.agents.')), ORG), { allowed: false }, 'another agent\'s PTR');
});

t.test('zone edits with a hand-written TXT index: before the PTRs, between them, or with its own TTL', async (t) => {
  const head = '$ORIGIN x.agents.\n$TTL 300\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ 3600 IN NS ns1\nns1 IN A 127.0.0.3\nmcp IN A 127.0.0.1\n'
    + 'a IN SVCB 1 mcp.x.agents. alpn="mcp" port=1 key65320="/mcp" key65321="streamable-http" key65322="t" key65326="http" key65402="mcp"\n'
    + '_agent.a IN TXT "v=aid2;u=http://mcp.x.agents:1/mcp;p=mcp"\n'
    + 'c IN SVCB 1 mcp.x.agents. alpn="mcp" port=3 key65320="/mcp" key65321="streamable-http" key65322="t" key65326="http" key65402="mcp"\n'
    + '_agent.c IN TXT "v=aid2;u=http://mcp.x.agents:3/mcp;p=mcp"\n';
  const layouts: Record<string, string> = {
    'TXT first': '_index._agents IN TXT "agents=a:mcp,c:mcp"\n               IN PTR a.x.agents.\n               IN PTR c.x.agents.\n',
    'TXT between': '_index._agents IN PTR a.x.agents.\n               IN TXT "agents=a:mcp,c:mcp"\n               IN PTR c.x.agents.\n',
    'TXT with its own TTL, elsewhere': '_index._agents IN PTR a.x.agents.\n               IN PTR c.x.agents.\nns2 IN A 127.0.0.4\n_index._agents 60 IN TXT "agents=a:mcp,c:mcp"\n',
  };
  for (const [what, index] of Object.entries(layouts)) {
    const src = readZoneSource(head + index, { origin: 'x.agents.' });
    const added = planAgentEdit(src, { add: [{ name: 'b', endpoints: ['http://mcp.x.agents:2/mcp'], tool: 't' }] });
    const z = loadZoneText(added.text, { origin: 'x.agents.' });
    t.same(parseIndexTxt(z.rrset('_index._agents.x.agents.', RRType.TXT)!.rdata).map((e) => e.label), ['a', 'b', 'c'], `${what}: b added`);
    t.equal(z.rrset('_index._agents.x.agents.', RRType.PTR)!.rdata.length, 3);
    const removed = planAgentEdit(readZoneSource(added.text, { origin: 'x.agents.' }), { remove: ['a'] });
    const z2 = loadZoneText(removed.text, { origin: 'x.agents.' });
    t.same(parseIndexTxt(z2.rrset('_index._agents.x.agents.', RRType.TXT)!.rdata).map((e) => e.label), ['b', 'c'], `${what}: a removed`);
    if (what.includes('TTL')) t.equal(z2.rrset('_index._agents.x.agents.', RRType.TXT)!.ttl, 60, 'the TXT keeps its TTL');
  }
});

t.test('an index entry outside the zone is left out of the TXT index, and does not stop the edit', async (t) => {
  const head = '$ORIGIN x.agents.\n$TTL 300\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ 3600 IN NS ns1\nns1 IN A 127.0.0.3\nmcp IN A 127.0.0.1\n'
    + '_index._agents IN PTR elsewhere.example.\n';
  const r = planAgentEdit(readZoneSource(head, { origin: 'x.agents.' }), { add: [{ name: 'b', endpoints: ['http://mcp.x.agents:2/mcp'], tool: 't' }] });
  const z = loadZoneText(r.text, { origin: 'x.agents.' });
  t.same(parseIndexTxt(z.rrset('_index._agents.x.agents.', RRType.TXT)!.rdata).map((e) => e.label), ['b']);
});

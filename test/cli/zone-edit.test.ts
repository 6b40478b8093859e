// `aop zone add-agent` / `remove-agent` on copies of the bundled zones: only the intended lines
// change (comments and layout kept), the serial goes up, the index and _agent TXT stay in step
// with the agents (the rules of test/zones/bundled.test.ts), named-checkzone accepts every
// result, --dry-run's diff is the real change, and every refusal leaves the file as it was.

import t, { type Test } from 'tap';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadZoneFile, loadZoneText } from '../../src/zone/load.js';
import { readZoneSource, readZoneSourceFile, writeFileAtomic } from '../../src/zone/edit.js';
import { planAgentEdit, type AgentEditRequest, type AgentEditResult, type AgentSpec } from '../../src/update/agent-edit.js';
import { aliasTarget, cardFromRecords, readSvcb } from '../../src/agent/index.js';
import { isInDomain, nameEquals, readName } from '../../src/wire/name.js';
import { RRType } from '../../src/wire/types.js';
import type { RR } from '../../src/wire/rr.js';
import { requireTool, run } from '../helpers/peers.js';
import { runAop, type AopRun } from '../helpers/aop-cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const need = (t: object, tool: string, pkg: string): boolean => requireTool(t as Parameters<typeof requireTool>[0], tool, pkg);

type Run = AopRun;
type TT = Test;

/** What the CLI does, in-process (each `aop` process costs a second or more on a busy machine). */
function libEdit(file: string, origin: string, req: AgentEditRequest): AgentEditResult {
  const src = readZoneSourceFile(file, { origin });
  const r = planAgentEdit(src, req);
  writeFileAtomic(file, r.text, { expect: src.text });
  return r;
}

const aop = (args: string[]): Promise<AopRun> => runAop(args);

function tmp(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-zone-edit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A copy of a bundled zone in a fresh folder. */
function copy(t: { teardown(fn: () => unknown): void }, origin: string): string {
  const file = path.join(tmp(t), `${origin}zone`);
  copyFileSync(path.join(root, 'zones', `${origin}zone`), file);
  return file;
}

/**
 * Lines that differ, as diff -U0 would list them: removed old lines and added new lines, found by
 * trimming the common head and tail around each change (the edits here are few and far apart).
 */
function changed(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  // Longest common subsequence on lines: the files are small.
  const n = a.length, m = b.length;
  const L: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i]![j] = a[i] === b[j] ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
  const removed: string[] = [], added: string[] = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { i++; j++; }
    else if (L[i + 1]![j]! >= L[i]![j + 1]!) removed.push(a[i++]!);
    else added.push(b[j++]!);
  }
  removed.push(...a.slice(i));
  added.push(...b.slice(j));
  return { removed, added };
}

const serialLine = (text: string): string => text.split('\n').find((l) => /; serial/.test(l))!;

/** The bundled-zone rules that an edit must keep: index = agents, _agent TXT agrees, hosts have addresses. */
function consistent(t: TT, file: string, origin: string): void {
  const zone = loadZoneFile(file, { origin });
  const recs: RR[] = [...zone.records()];
  const agents = [...new Set(recs.filter((r) => r.type === RRType.SVCB && !r.name.startsWith('_') && aliasTarget(r) === undefined).map((r) => r.name))];
  const index = recs.filter((r) => r.type === RRType.PTR && nameEquals(r.name, `_index._agents.${origin}`)).map((r) => readName(r.rdata, 0).name);
  for (const a of agents) {
    t.ok(index.some((e) => nameEquals(e, a)), `${a} is listed in the index`);
    const card = cardFromRecords(a, recs, { zone: origin });
    t.same(card.warnings, [], `${a}: its records agree (SVCB, _agent TXT)`);
    t.equal(recs.filter((r) => r.type === RRType.TXT && nameEquals(r.name, `_agent.${a}`)).length, 1, `${a}: one _agent TXT`);
    for (const e of card.endpoints) {
      if (!isInDomain(e.host, origin)) continue;
      t.ok(recs.some((r) => (r.type === RRType.A || r.type === RRType.AAAA) && nameEquals(r.name, e.host)), `${a}: host ${e.host} has addresses`);
    }
  }
  for (const e of index) {
    const at = recs.filter((r) => nameEquals(r.name, e) && (r.type === RRType.SVCB || r.type === RRType.CNAME));
    t.ok(at.length > 0, `index entry ${e} is an agent or an alias`);
    t.equal(new Set(index.map((x) => x.toLowerCase())).size, index.length, 'no entry twice');
  }
}

async function bindAccepts(t: TT, file: string, origin: string): Promise<void> {
  if (!need(t, 'named-checkzone', 'bind9-utils')) return;
  const r = await run('named-checkzone', ['-i', 'local', '-k', 'fail', origin, file]);
  t.equal(r.code, 0, `named-checkzone accepts the edited ${origin}: ${r.stdout.trim()} ${r.stderr.trim()}`);
}

t.test('add-agent by IP, then remove-agent: the file comes back byte for byte but for the serial', async (t) => {
  const file = copy(t, 'acme.agents.');
  chmodSync(file, 0o640);
  const before = readFileSync(file, 'utf8');
  const add = await aop(['zone', 'add-agent', file, 'poet', '--endpoint', 'http://127.0.0.1:18110/mcp', '--tool', 'write_poem',
    '--description', 'Writes short poems', '--capabilities', 'writing,poetry']);
  t.equal(add.code, 0, add.stderr);
  t.match(add.stdout, /^zone acme\.agents\.: added agent poet\.acme\.agents\., serial 2026112501 -> \d{10}\n$/);
  const after = readFileSync(file, 'utf8');
  const oldTxt = '                 IN TXT   "agents=editor:mcp,researcher:mcp,summarizer:mcp,translator:mcp,writer:mcp"';
  t.equal(after, before.replace(serialLine(before), serialLine(after)).replace(`${oldTxt}\n`, '') + [
    '                 IN PTR   poet.acme.agents.',
    '                 IN TXT   "agents=editor:mcp,poet:mcp,researcher:mcp,summarizer:mcp,translator:mcp,writer:mcp"',
    '',
    'poet             IN SVCB  1 . (',
    '                          alpn="mcp" port=18110 key65320="/mcp"',
    '                          key65321="streamable-http" key65322="write_poem"',
    '                          key65323="writing,poetry" key65324="Writes short poems"',
    '                          key65326="http" key65402="mcp" )',
    '                 IN A     127.0.0.1',
    '_agent.poet      IN TXT   "v=aid2;u=http://poet.acme.agents:18110/mcp;p=mcp;s=Writes short poems"',
    '',
  ].join('\n'), 'the serial, then the index entry, the TXT index rewritten and the agent block appended; nothing else');
  t.same(changed(before, after).removed, [serialLine(before), oldTxt], 'no line removed but the serial and the old TXT index');
  t.ok(Number(/(\d{10}) ; serial/.exec(after)![1]) > 2026112501, 'serial went up');
  t.equal(statSync(file).mode & 0o777, 0o640, 'mode kept');
  t.same(readdirSync(path.dirname(file)), [path.basename(file)], 'no temporary file left');
  consistent(t, file, 'acme.agents.');
  await bindAccepts(t, file, 'acme.agents.');

  const rm = await aop(['zone', 'remove-agent', file, 'poet.acme.agents.']);
  t.equal(rm.code, 0, rm.stderr);
  t.match(rm.stdout, /removed agent poet\.acme\.agents\. \(4 records\)/);
  const back = readFileSync(file, 'utf8');
  t.same(changed(before, back), { removed: [serialLine(before)], added: [serialLine(back)] }, 'everything else is as it was');
  consistent(t, file, 'acme.agents.');
});

t.test('add-agent on existing hosts with failover, into globex', async (t) => {
  const file = copy(t, 'globex.agents.');
  const before = readFileSync(file, 'utf8');
  libEdit(file, 'globex.agents.', { add: [{
    name: 'tester', endpoints: ['http://hub.globex.agents:18124/agents/tester/mcp', 'http://hub.globex.agents:18125/agents/tester/mcp'],
    tool: 'run_tests', auth: 'none', ttl: 120,
  }] });
  const after = readFileSync(file, 'utf8');
  const d = changed(before, after);
  t.equal(d.removed.length, 2, 'two lines replaced (the serial, the TXT index)');
  t.match(after, /IN PTR {3}copyedit\.globex\.agents\.\n {17}IN PTR {3}tester\.globex\.agents\.\n {17}IN TXT {3}"agents=coder:mcp,copyedit:mcp,planner:mcp,reviewer:mcp,tester:mcp"\n\ntester {11}120 IN SVCB 1 hub\.globex\.agents\. \(/);
  t.match(d.added.join('\n'), /120 IN SVCB 2 hub\.globex\.agents\./, 'the second endpoint at priority 2');
  t.notMatch(d.added.join('\n'), / A /, 'no address records: the host has them');
  const zone = loadZoneFile(file, { origin: 'globex.agents.' });
  const card = cardFromRecords('tester.globex.agents.', [...zone.records()]);
  t.same(card.endpoints.map((e) => [e.priority, e.url]), [[1, 'http://hub.globex.agents:18124/agents/tester/mcp'], [2, 'http://hub.globex.agents:18125/agents/tester/mcp']]);
  t.equal(card.ttl, 120);
  t.equal(card.auth, 'none');
  t.equal(zone.rrset('_index._agents.globex.agents.', RRType.PTR)!.ttl, 300, 'the index keeps its TTL');
  consistent(t, file, 'globex.agents.');
  await bindAccepts(t, file, 'globex.agents.');
});

t.test('remove-agent takes exactly the agent: shared hosts stay, its own address goes, aliases on request', async (t) => {
  const file = copy(t, 'acme.agents.');
  const before = readFileSync(file, 'utf8');

  libEdit(file, 'acme.agents.', { remove: ['translator'] });
  let text = readFileSync(file, 'utf8');
  let d = changed(before, text);
  t.same(d.added.slice(1), ['                 IN TXT   "agents=editor:mcp,researcher:mcp,summarizer:mcp,writer:mcp"'], 'nothing added but the new serial and the TXT index without it');
  t.equal(d.removed.length, 18, 'the serial, sixteen lines (two SVCB records, https with cap and http, the TXT, the PTR) and the old TXT index');
  t.match(d.removed.slice(1).join('\n'), /^translator {7}IN SVCB {2}1 lab\.acme\.agents\. \([^]*key65402="mcp" \)\n_agent\.translator IN TXT [^\n]*\n {17}IN PTR {3}translator\.acme\.agents\.\n {17}IN TXT {3}"agents=[^"]*translator:mcp[^"]*"$/,
    'its SVCB, TXT, index entry and the old TXT index');
  t.match(text, /\nlab {14}IN A {5}127\.0\.0\.1\n {17}IN AAAA  ::1\n/, 'lab (still used by researcher) is untouched');
  t.match(text, /; translator: on a host with both A and AAAA\.\n/, 'comments are never touched');
  consistent(t, file, 'acme.agents.');
  await bindAccepts(t, file, 'acme.agents.');

  // summarizer's target names its own host (not '.', which dns-aid-core drops): that A record is a
  // host record of the zone, as lab's is, and stays; the agent's records go.
  libEdit(file, 'acme.agents.', { remove: ['summarizer'] });
  const prev = text;
  text = readFileSync(file, 'utf8');
  d = changed(prev, text);
  t.notOk(d.removed.some((l) => /IN A /.test(l)), 'the host record stays');
  t.same(text.replace(/^;.*$/gm, '').match(/^.*summarizer.*$/gm), ['summarizer       IN A     127.0.0.1'], 'nothing but the host record names summarizer any more');

  // editor has an alias (proofreader): refused without --with-aliases, file untouched.
  const held = readFileSync(file, 'utf8');
  let r = await aop(['zone', 'remove-agent', file, 'editor']);
  t.equal(r.code, 1);
  t.equal(r.stderr, 'aop: editor.acme.agents. has aliases in the zone: proofreader.acme.agents. (CNAME); remove them too with --with-aliases, or point them elsewhere first\n');
  t.equal(readFileSync(file, 'utf8'), held, 'refused: nothing written');
  libEdit(file, 'acme.agents.', { remove: ['editor'], withAliases: true });
  text = readFileSync(file, 'utf8');
  t.notMatch(text, /^proofreader|^_agent\.proofreader|PTR +editor/m, 'the alias, its _agent CNAME and the index entry are gone');
  consistent(t, file, 'acme.agents.');
  await bindAccepts(t, file, 'acme.agents.');

  // writer is first in the index, whose other entries inherit its owner: the next one gets it written out.
  libEdit(file, 'acme.agents.', { remove: ['writer'], withAliases: true });
  text = readFileSync(file, 'utf8');
  t.match(text, /\n_index\._agents {3}IN PTR {3}researcher\.acme\.agents\.\n {17}IN TXT {3}"agents=researcher:mcp"\n$/, 'the remaining entry carries the owner, aligned as before; the TXT index lists it alone');
  t.notMatch(text, /^copywriter/m, 'the AliasMode alias went with it');
  t.match(text, /\nmcp-backup {7}IN A {5}127\.0\.0\.1\n/, 'mcp-backup stays although no agent uses it now');
  consistent(t, file, 'acme.agents.');
  await bindAccepts(t, file, 'acme.agents.');
});

t.test('refusals: exit status 1, one line on stderr, the file untouched', async (t) => {
  const file = copy(t, 'acme.agents.');
  const before = readFileSync(file, 'utf8');
  const src = readZoneSourceFile(file, { origin: 'acme.agents.' });
  const add = (spec: Partial<AgentSpec>): AgentEditRequest => ({ add: [{ name: 'poet', endpoints: ['http://127.0.0.1:18110/mcp'], tool: 't', ...spec }] });
  const cases: Array<[AgentEditRequest, string, RegExp]> = [
    [add({ name: 'copywriter' }), 'ERR_ZONE_AGENT_EXISTS', /already an alias/],
    [add({ endpoints: ['http://nowhere.acme.agents:18110/mcp'] }), 'ERR_ZONE_AGENT_HOST', /host nowhere\.acme\.agents\. has no A\/AAAA records in zone acme\.agents\.; add them first/],
    [add({ endpoints: ['http://127.0.0.1:1/mcp', 'http://127.0.0.2:1/mcp'] }), 'ERR_ZONE_AGENT_HOST', /different IP addresses/],
    [add({ tool: 'bad tool' }), 'ERR_ZONE_AGENT_BAD', /tool "bad tool": has characters outside/],
    [add({ endpoints: ['ftp://127.0.0.1/mcp'] }), 'ERR_ZONE_AGENT_BAD', /scheme/],
    [add({ endpoints: ['not a url'] }), 'ERR_ZONE_AGENT_BAD', /is not a URL/],
    [add({ description: 'x'.repeat(101) }), 'ERR_ZONE_AGENT_BAD', /description .*101 octets/],
    [add({ name: 'po_et' }), 'ERR_ZONE_AGENT_NAME', /not a host-name label/],
    [add({ name: 'poet.example.' }), 'ERR_ZONE_AGENT_NAME', /not below the zone acme\.agents\./],
    [add({ name: 'lab', endpoints: ['http://127.0.0.2:1/mcp'] }), 'ERR_ZONE_AGENT_CONFLICT', /lab\.acme\.agents\. already has address records \(127\.0\.0\.1, ::1\)/],
    [add({ name: 'ns1' }), 'ERR_ZONE_AGENT_CONFLICT', /already has address records \(127\.0\.0\.3\)/],
    [add({ priorities: [1, 2] }), 'ERR_ZONE_AGENT_BAD', /2 --priority values for 1 --endpoint/],
    [add({ priorities: [0] }), 'ERR_ZONE_AGENT_BAD', /priority 0 is not 1-65535/],
    [add({ endpoints: [] }), 'ERR_ZONE_AGENT_BAD', /at least one --endpoint/],
    [{ remove: ['copywriter'] }, 'ERR_ZONE_AGENT_NOT_FOUND', /copywriter\.acme\.agents\. is an alias of writer\.acme\.agents\., not an agent/],
    [{ remove: ['proofreader'] }, 'ERR_ZONE_AGENT_NOT_FOUND', /proofreader\.acme\.agents\. is an alias of editor\.acme\.agents\./],
    [{ remove: ['mcp'] }, 'ERR_ZONE_AGENT_NOT_FOUND', /no agent mcp\.acme\.agents\./],
    [{ remove: ['nobody'] }, 'ERR_ZONE_AGENT_NOT_FOUND', /^no agent nobody\.acme\.agents\. in zone acme\.agents\. \(its agents: writer, editor, translator, researcher, summarizer\)$/],
  ];
  for (const [req, code, re] of cases) {
    t.throws(() => planAgentEdit(src, req), { code, message: re }, `${code}: ${JSON.stringify(req).slice(0, 90)}`);
  }
  // Through the command line: status 1, one line on stderr, nothing on stdout.
  const cli: Array<[string[], RegExp]> = [
    [['add-agent', file, 'writer', '--endpoint', 'http://mcp.acme.agents:18101/x', '--tool', 't'], /^aop: agent writer\.acme\.agents\. already exists in zone acme\.agents\.; use --replace to replace its records\n$/],
    [['remove-agent', path.join(path.dirname(file), 'missing.agents.zone'), 'x'], /cannot read zone file: no such file\nzone missing\.agents\.: not loaded due to errors\n$/],
  ];
  for (const [args, re] of cli) {
    const r = await aop(['zone', ...args]);
    t.equal(r.code, 1, `aop zone ${args[0]} ... ${args.slice(2).join(' ')}: status 1`);
    t.match(r.stderr, re, `message: ${r.stderr.trim()}`);
    t.equal(r.stdout, '', 'nothing on stdout');
  }
  t.equal(readFileSync(file, 'utf8'), before, 'the file was never changed');
});

t.test('--dry-run prints the diff that the real run then makes; --replace edits in place', async (t) => {
  const file = copy(t, 'acme.agents.');
  const before = readFileSync(file, 'utf8');
  const args = ['zone', 'add-agent', file, 'writer', '--replace', '--endpoint', 'http://mcp.acme.agents:18101/agents/writer/mcp',
    '--tool', 'draft_copy', '--description', 'Drafts marketing copy and slogans', '--capabilities', 'writing,marketing', '--auth', 'none'];
  const dry = await aop([...args, '--dry-run']);
  t.equal(dry.code, 0, dry.stderr);
  t.equal(readFileSync(file, 'utf8'), before, 'dry run: nothing written');
  t.match(dry.stdout, /^--- .*\n\+\+\+ .*\n@@ -9 \+9 @@\n/);
  t.match(dry.stdout, /; dry run: .* not changed \(serial would be \d+\)\n$/);
  const real = await aop(args);
  t.equal(real.code, 0, real.stderr);
  t.match(real.stdout, /replaced agent writer\.acme\.agents\./);
  const after = readFileSync(file, 'utf8');
  if (need(t, 'patch', 'patch')) {
    const patched = path.join(path.dirname(file), 'patched.zone');
    writeFileSync(patched, before);
    writeFileSync(patched + '.diff', dry.stdout.replace(/^; dry run.*\n/m, ''));
    const p = await run('patch', ['-s', patched, patched + '.diff']);
    t.equal(p.code, 0, `patch applies the dry-run diff ${p.stderr}`);
    t.equal(readFileSync(patched, 'utf8'), after, 'and gives exactly what the real run wrote');
  }
  const d = changed(before, after);
  t.ok(d.added.some((l) => /key65324="Drafts marketing copy and slogans"/.test(l)), 'the new description');
  t.notOk(d.added.some((l) => /PTR/.test(l)) || d.removed.some((l) => /PTR/.test(l)), 'the index entry stays as it was');
  const at = after.indexOf('; writer: failover');
  t.match(after.slice(at), /^; writer: failover[^\n]*\nwriter {11}IN SVCB {2}1 mcp\.acme\.agents\. \(/, 'the new records sit where the old ones were');
  consistent(t, file, 'acme.agents.');
  await bindAccepts(t, file, 'acme.agents.');
});

t.test('zones in other shapes: a counter serial on the SOA line, no index yet, $ORIGIN changed at the end', async (t) => {
  const text = [
    '$TTL 600',
    'example.agents. IN SOA ns1.example.agents. host.example.agents. 41 3600 900 604800 300',
    '                IN NS  ns1.example.agents.',
    '$ORIGIN example.agents.',
    'ns1             IN A   192.0.2.1',
    '$ORIGIN sub.example.agents.',
    'www             IN A   192.0.2.2',
    '',
  ].join('\n');
  const src = readZoneSource(text, { origin: 'example.agents.' });
  const spec: AgentSpec = { name: 'solo', endpoints: ['https://ns1.example.agents/mcp'], tool: 'solo_tool' };
  const r = planAgentEdit(src, { add: [spec], now: new Date(Date.UTC(2026, 10, 25)) });
  t.equal(r.serial.new, 42, 'a counter serial goes up by one');
  t.match(r.text, /host\.example\.agents\. 42 3600/, 'rewritten in place on the SOA line');
  t.match(r.text, /\n\n\$ORIGIN example\.agents\.\nsolo {13}300 IN SVCB 1 ns1\.example\.agents\. \(\n {26}alpn="mcp,h2,http\/1\.1" port=443 key65320="\/mcp"/,
    'back to the zone origin first; the TTL is written, $TTL being 600');
  t.match(r.text, /\n_index\._agents {3}300 IN PTR solo\.example\.agents\.\n {17}300 IN TXT "agents=solo:mcp"\n$/, 'a new index at the end, PTR and TXT');
  const zone = loadZoneText(r.text, { origin: 'example.agents.' });
  t.equal(zone.rrset('solo.example.agents.', RRType.SVCB)!.ttl, 300);
  t.ok(zone.rrset('_index._agents.example.agents.', RRType.PTR));
  t.ok(readSvcb(zone.rrset('solo.example.agents.', RRType.SVCB)!.rdata[0]!).priority === 1);

  // Two agents in one edit (what import-mcp does): one serial bump, both listed.
  const two = planAgentEdit(src, { add: [spec, { ...spec, name: 'duo', tool: 'duo_tool' }] });
  const z2 = loadZoneText(two.text, { origin: 'example.agents.' });
  t.equal(z2.rrset('_index._agents.example.agents.', RRType.PTR)!.rdata.length, 2);
  t.throws(() => planAgentEdit(src, { add: [spec, spec] }), { code: 'ERR_ZONE_AGENT_EXISTS' });

  // A CRLF file stays CRLF, and removing what was added gives it back.
  const crlf = readZoneSource(text.replace(/\n/g, '\r\n'), { origin: 'example.agents.' });
  const added = planAgentEdit(crlf, { add: [spec] });
  t.notMatch(added.text, /[^\r]\n/, 'every new line ends in CRLF');
  const removed = planAgentEdit(readZoneSource(added.text, { origin: 'example.agents.' }), { remove: ['solo'] });
  t.equal(removed.text, crlf.text.replace(' 41 ', ' 43 ') + '\r\n$ORIGIN example.agents.\r\n', 'add then remove: the file as it was, two serials on, plus the $ORIGIN line the addition needed');
  t.throws(() => planAgentEdit(src, { remove: ['www.sub'] }), { code: 'ERR_ZONE_AGENT_NOT_FOUND' });
});

t.test('an index kept in an $INCLUDEd file: new entries join it with its TTL', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'inc.zone');
  writeFileSync(file, [
    '$TTL 300',
    '@     IN SOA ns1 host 1 3600 900 604800 300',
    '      IN NS  ns1',
    'ns1   IN A   192.0.2.1',
    'mcp   IN A   192.0.2.2',
    '$INCLUDE agents.inc',
    '',
  ].join('\n'));
  writeFileSync(path.join(dir, 'agents.inc'), [
    'a1 IN SVCB 1 mcp alpn="mcp" port=443 key65320="/m" key65321="streamable-http" key65322="t1"',
    '_agent.a1 IN TXT "v=aid2;u=https://mcp.ex./m;p=mcp"',
    '_index._agents 60 IN PTR a1',
    '',
  ].join('\n'));
  const r = await aop(['zone', 'add-agent', file, 'a2', '--origin', 'ex.', '--endpoint', 'https://mcp.ex/m', '--tool', 't2']);
  t.equal(r.code, 0, `add-agent succeeds: ${r.stderr}`);
  const zone = loadZoneFile(file, { origin: 'ex.' });
  const index = zone.rrset('_index._agents.ex.', RRType.PTR)!;
  t.equal(index.rdata.length, 2, 'both agents listed');
  t.equal(index.ttl, 60, "the included index's TTL is kept");
  t.match(readFileSync(file, 'utf8'), /_index\._agents\s+60 IN PTR a2\.ex\.\n/, 'the new entry written with that TTL');
  t.notMatch(readFileSync(path.join(dir, 'agents.inc'), 'utf8'), /a2/, 'the included file is left alone');
});

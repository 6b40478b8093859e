// The agent check of whole zones (docs/records.md, "Checking a zone") where operators meet it:
// `aop zone check` on a corpus of broken agent zones (test/fixtures/agent-zones), with the exact
// lines and exit statuses; and the daemon's load and reload (what SIGHUP does): a zone with an
// agent error is not served, a reload keeps the previous version, warnings are logged.

import t from 'tap';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../src/base/log.js';
import { startDaemon } from '../helpers/server.js';
import { rawQuery, udpExchange } from '../helpers/udp.js';
import { runAop, type AopRun } from '../helpers/aop-cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = path.join('test', 'fixtures', 'agent-zones');

type Run = AopRun;

const aop = (args: string[]): Promise<AopRun> => runAop(args, { cwd: root });

/** What `aop zone check` says of each zone of the corpus: status, stdout, stderr lines. */
const EXPECTED: Record<string, { code: number; stdout: string; stderr: string[] }> = {
  // Clean for aop; plain http, which AID clients refuse (the other fixtures are https).
  'clean.agents.zone': {
    code: 0, stdout: 'zone clean.agents.: loaded serial 1, 7 records\n', stderr: [
      `${corpus}/clean.agents.zone:9:1: warning: _agent.writer.clean.agents. TXT: u=http://mcp.clean.agents:18101/mcp does not start with "https://"; AID clients (1.x and 2.x) refuse a remote agent without TLS, loopback included`,
    ],
  },
  'bad-values.agents.zone': {
    code: 1, stdout: '', stderr: [
      `${corpus}/bad-values.agents.zone:10:1: bad.bad-values.agents. SVCB 1: bad key65320 (path) "no-slash": does not start with "/"; bad key65321 (transport) "carrier-pigeon": not "streamable-http" or "sse"`,
      'zone bad-values.agents.: not loaded due to errors',
    ],
  },
  'two-tools.agents.zone': {
    code: 1, stdout: '', stderr: [
      `${corpus}/two-tools.agents.zone:9:18: writer.two-tools.agents. SVCB 2: key65322 (tool) "edit" differs from writer.two-tools.agents. SVCB 1's "draft" (one tool per agent)`,
      'zone two-tools.agents.: not loaded due to errors',
    ],
  },
  'no-address.agents.zone': {
    code: 1, stdout: '', stderr: [
      `${corpus}/no-address.agents.zone:8:1: writer.no-address.agents. SVCB 1 mcp9.no-address.agents.: target mcp9.no-address.agents. has no A or AAAA record in the zone; clients cannot connect`,
      `${corpus}/no-address.agents.zone:10:1: warning: solo.no-address.agents. SVCB 1 .: TargetName "." (the agent's own name); DNS-AID clients (dns-aid-core) build an empty host from it and drop the record; name the host instead`,
      `${corpus}/no-address.agents.zone:10:1: solo.no-address.agents. SVCB 1 .: target "." (the agent's own name) has no A or AAAA record in the zone; clients cannot connect`,
      'zone no-address.agents.: not loaded due to errors',
    ],
  },
  'bad-aid.agents.zone': {
    code: 1, stdout: '', stderr: [
      `${corpus}/bad-aid.agents.zone:9:1: _agent.writer.bad-aid.agents. TXT: not a valid AID record: AID record has no "p" (proto)`,
      `${corpus}/bad-aid.agents.zone:11:1: _agent.editor.bad-aid.agents. TXT: 2 aid2 records; AID clients refuse a name with more than one valid record of a version (one aid2 and one aid1 are fine)`,
      'zone bad-aid.agents.: not loaded due to errors',
    ],
  },
  'incomplete.agents.zone': {
    code: 1, stdout: '', stderr: [
      `${corpus}/incomplete.agents.zone:8:1: warning: dnsaid.incomplete.agents. SVCB 1: missing key65320 (path); missing key65321 (transport); missing key65322 (tool); aop clients read it in DNS-AID form (the path from its cap, else the agent card on its host, else /mcp; the tool from tools/list)`,
      `${corpus}/incomplete.agents.zone:9:1: listed.incomplete.agents. SVCB 1: missing key65321 (transport); missing key65322 (tool); _index._agents.incomplete.agents. lists listed.incomplete.agents. but no record of it is usable`,
      `${corpus}/incomplete.agents.zone:10:1: warning: other.incomplete.agents. SVCB 1: has aop keys but its alpn lacks "mcp", so it is no agent record; aop clients skip it`,
      'zone incomplete.agents.: not loaded due to errors',
    ],
  },
  'ghost.agents.zone': {
    code: 0, stdout: 'zone ghost.agents.: loaded serial 1, 9 records\n', stderr: [
      `${corpus}/ghost.agents.zone:11:18: warning: _index._agents.ghost.agents. PTR ghost.ghost.agents.: no agent of that name in the zone (no SVCB or CNAME record there); remove the entry or add the agent`,
      `${corpus}/ghost.agents.zone:12:18: warning: _index._agents.ghost.agents. PTR writer.acme.agents.: outside zone ghost.agents.; aop clients ignore the entry`,
    ],
  },
  'unlisted.agents.zone': {
    code: 0, stdout: 'zone unlisted.agents.: loaded serial 1, 9 records\n', stderr: [
      `${corpus}/unlisted.agents.zone:10:1: warning: poet.unlisted.agents.: agent not listed in _index._agents.unlisted.agents.; add "_index._agents.unlisted.agents. PTR poet.unlisted.agents." so clients can browse it`,
    ],
  },
  'notes.agents.zone': {
    code: 0, stdout: 'zone notes.agents.: loaded serial 1, 10 records\n', stderr: [
      `${corpus}/notes.agents.zone:9:1: warning: _agent.writer.notes.agents. TXT: u=https://mcp.notes.agents:18109/mcp is not the URL of a priority-1 endpoint (https://mcp.notes.agents:18101/mcp); the SVCB wins`,
      `${corpus}/notes.agents.zone:10:1: warning: bare.notes.agents.: no _agent.bare.notes.agents. TXT; AID clients do not find the agent (docs/records.md, "The _agent TXT")`,
      `${corpus}/notes.agents.zone:11:1: warning: _agent.gone.notes.agents. TXT: no agent gone.notes.agents. in the zone (no SVCB record there); aop clients do not use the TXT alone`,
      `${corpus}/notes.agents.zone:12:1: warning: dangling.notes.agents. SVCB 0 nothere.notes.agents.: an alias of a name with no SVCB or CNAME record in the zone; clients get no agent`,
    ],
  },
};

t.test('aop zone check: the corpus of agent zones, line for line', async (t) => {
  const files = Object.keys(EXPECTED);
  const results = await Promise.all(files.map((f) => aop(['zone', 'check', `${corpus}/${f}`])));
  files.forEach((f, i) => {
    const r = results[i]!;
    const want = EXPECTED[f]!;
    t.equal(r.code, want.code, `${f}: exit ${want.code}`);
    t.equal(r.stdout, want.stdout, `${f}: stdout`);
    t.same(r.stderr === '' ? [] : r.stderr.replace(/\n$/, '').split('\n'), want.stderr, `${f}: stderr`);
  });
});

/** The warnings every plain-http bundled agent gets: AID clients refuse its u=, DNS-AID clients a "." target. */
const CLIENT_WARNING = /^zones\/[a-z.]+\.zone:\d+:1: warning: (_agent\.\S+ TXT: u=http:\/\/\S+ does not start with "https:\/\/"; AID clients|\S+ SVCB \d+ \.: TargetName "\." \(the agent's own name\); DNS-AID clients)/;

t.test('aop zone check: the bundled zones have no agent fault but what other clients refuse', async (t) => {
  for (const z of ['acme.agents', 'globex.agents', 'agents']) {
    const r = await aop(['zone', 'check', `zones/${z}.zone`]);
    t.equal(r.code, 0, z);
    t.same(r.stderr.split('\n').filter((l) => l !== '' && !CLIENT_WARNING.test(l)), [], `${z}: only the client warnings on stderr`);
    t.match(r.stdout, new RegExp(`^zone ${z.replace(/\./g, '\\.')}\\.: loaded serial \\d+, \\d+ records\\n$`));
  }
});

t.test('aop zone check: the audit case (a copy of acme.agents with a ghost index entry and a broken agent)', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-zone-check-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'acme.agents.zone');
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), file);
  const lines = readFileSync(file, 'utf8').split('\n').length;
  appendFileSync(file, [
    '_index._agents   IN PTR ghost.acme.agents.',
    'broken           IN SVCB 1 mcp.acme.agents. alpn="mcp" port=18101 key65320="no-slash" key65321="carrier-pigeon" key65322="x"',
    '',
  ].join('\n'));
  const r = await aop(['zone', 'check', file]);
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.same(r.stderr.split('\n').filter((l) => !/: warning: (_agent\.\S+ TXT: u=http:|\S+ SVCB \d+ \.: TargetName)/.test(l)), [
    `${file}:${lines - 1}:18: warning: _index._agents.acme.agents. TXT: lacks ghost; DNS-AID clients walk this list, aop clients the PTRs; write it as "agents=editor:mcp,ghost:mcp,researcher:mcp,summarizer:mcp,translator:mcp,writer:mcp"`,
    `${file}:${lines}:1: warning: _index._agents.acme.agents. PTR ghost.acme.agents.: no agent of that name in the zone (no SVCB or CNAME record there); remove the entry or add the agent`,
    `${file}:${lines + 1}:1: broken.acme.agents. SVCB 1: bad key65320 (path) "no-slash": does not start with "/"; bad key65321 (transport) "carrier-pigeon": not "streamable-http" or "sse"`,
    'zone acme.agents.: not loaded due to errors',
    '',
  ]);
});

/** RCODE and answer count for `name TYPE`. */
async function ask(port: number, name: string, type = 64): Promise<string> {
  const r = await udpExchange(port, rawQuery(1, name.split('.'), type), 1000);
  if (!r) return 'no reply';
  const rcode = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'][r[3]! & 0x0f] ?? String(r[3]! & 0x0f);
  return `${rcode}/${r.readUInt16BE(6)}`;
}

t.test('the daemon: a zone with agent errors is not served; a reload keeps the previous version; warnings are logged', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-zone-check-d-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fixture = (name: string): string => readFileSync(path.join(root, corpus, name), 'utf8');
  // The clean zone under another origin, so the daemon serves it beside the broken one.
  const clean = fixture('clean.agents.zone').replace(' key65326="http"', '').replace('u=http://', 'u=https://');
  writeFileSync(path.join(dir, 'clean.agents.zone'), clean);
  writeFileSync(path.join(dir, 'bad-values.agents.zone'), fixture('bad-values.agents.zone'));
  writeFileSync(path.join(dir, 'ghost.agents.zone'), fixture('ghost.agents.zone'));
  const lines: string[] = [];
  const logger: Logger = { debug() {}, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
  const { daemon, port } = await startDaemon(t, { zonesDir: dir, logger });

  // At start: the broken zone is not served, the others are; the ghost entry is a warning.
  t.equal(await ask(port, 'writer.clean.agents'), 'NOERROR/1');
  t.equal(await ask(port, 'writer.bad-values.agents'), 'REFUSED/0', 'a zone with an agent error is not served');
  t.equal(await ask(port, 'writer.ghost.agents'), 'NOERROR/1', 'a zone with warnings only is served');
  t.same(lines.filter((l) => l.startsWith('error ')), [
    'error zone bad-values.agents. failed to load; not served:\n'
    + 'zone bad-values.agents.: bad.bad-values.agents. SVCB 1: bad key65320 (path) "no-slash": does not start with "/"; bad key65321 (transport) "carrier-pigeon": not "streamable-http" or "sse"',
  ], 'the error names the zone and the record');
  t.same(lines.filter((l) => l.startsWith('warn ')), [
    'warn zone ghost.agents.: warning: _index._agents.ghost.agents. PTR ghost.ghost.agents.: no agent of that name in the zone (no SVCB or CNAME record there); remove the entry or add the agent',
    'warn zone ghost.agents.: warning: _index._agents.ghost.agents. PTR writer.acme.agents.: outside zone ghost.agents.; aop clients ignore the entry',
  ]);

  // SIGHUP's reload with a broken agent added to a served zone: the previous version stays.
  lines.length = 0;
  writeFileSync(path.join(dir, 'clean.agents.zone'), clean.replace(' 1 3600 900 ', ' 2 3600 900 ')
    + 'editor           IN SVCB  1 mcp.clean.agents. alpn="mcp" port=18102 key65320="/mcp" key65321="carrier-pigeon" key65322="edit"\n');
  t.same(daemon.reload(), { loaded: 1, failed: 2 });
  t.equal(daemon.catalog.get('clean.agents.')!.serial, 1, 'serial 1 still in service');
  t.equal(await ask(port, 'editor.clean.agents'), 'NXDOMAIN/0', 'the broken agent is not served');
  t.equal(await ask(port, 'writer.clean.agents'), 'NOERROR/1', 'the previous version answers');
  t.ok(lines.includes('error zone clean.agents. failed to load; keeping serial 1 in service:\n'
    + 'zone clean.agents.: editor.clean.agents. SVCB 1: bad key65321 (transport) "carrier-pigeon": not "streamable-http" or "sse"'), lines.join('\n'));

  // Fixed: the new version is served; the broken zone too, once fixed.
  writeFileSync(path.join(dir, 'clean.agents.zone'), clean.replace(' 1 3600 900 ', ' 3 3600 900 ')
    + 'editor           IN SVCB  1 mcp.clean.agents. alpn="mcp" port=18102 key65320="/mcp" key65321="streamable-http" key65322="edit"\n'
    + '_agent.editor    IN TXT   "v=aid2;u=https://mcp.clean.agents:18102/mcp;p=mcp"\n'
    + '_index._agents   IN PTR   editor.clean.agents.\n');
  writeFileSync(path.join(dir, 'bad-values.agents.zone'), fixture('bad-values.agents.zone').replace('key65320="no-slash" key65321="carrier-pigeon"', 'key65320="/mcp" key65321="sse"'));
  lines.length = 0;
  t.same(daemon.reload(), { loaded: 3, failed: 0 });
  t.equal(await ask(port, 'editor.clean.agents'), 'NOERROR/1');
  t.equal(await ask(port, 'bad.bad-values.agents'), 'NOERROR/1');
  t.same(lines.filter((l) => l.startsWith('error ')), []);
  t.notOk(lines.some((l) => /clean\.agents\.: warning/.test(l)), 'no warning for the fixed zone');
});

t.test('the daemon logs at most 20 faults of a kind per zone', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-zone-check-m-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const many = Array.from({ length: 25 }, (_, i) => `a${i} IN SVCB 1 mcp.many.agents. alpn="mcp" port=18101 key65320="x${i}" key65321="streamable-http" key65322="t" key65326="http"`);
  writeFileSync(path.join(dir, 'many.agents.zone'), '$ORIGIN many.agents.\n$TTL 300\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ 3600 IN NS ns1\nns1 IN A 127.0.0.3\nmcp IN A 127.0.0.1\n' + many.join('\n') + '\n');
  writeFileSync(path.join(dir, 'ok.agents.zone'), '$ORIGIN ok.agents.\n$TTL 300\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ 3600 IN NS ns1\nns1 IN A 127.0.0.3\n');
  const lines: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  await startDaemon(t, { zonesDir: dir, logger });
  const error = lines.find((l) => l.startsWith('zone many.agents. failed to load; not served:'))!;
  const body = error.split('\n').slice(1);
  t.equal(body.length, 21, '20 faults and a line saying how many more');
  t.equal(body[20], 'zone many.agents.: ... and 5 more errors (aop zone check lists them all, with file:line:col)');
});

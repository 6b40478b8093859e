// `aop dig +trace` over the bundled hierarchy on loopback (a leased 127.A.B.x, port 53): each step's
// records and byte count must be what real dig prints for the same question to the same server;
// then failover, a delegation without glue, NXDOMAIN/NODATA endings, +short, +json, exit statuses.

import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canBind53, startTopology, type Topology, type TopologyOptions } from '../helpers/topology.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool, run } from '../helpers/peers.js';
import { runDig } from '../../src/cli/dig.js';

// This file's own loopback /24, leased for its life; the transcripts name its addresses.
const NET = await leaseNet(t);
const N = NET.net;
/** `N` for a RegExp. */
const RN = N.replace(/\./g, '\\.');

interface Output { stdout: string; stderr: string; code: number }

interface Step {
  records: string[];
  bytes: number;
  from: string;
  name: string;
}

/** The trace's blocks: records, then `;; Received N bytes from ADDR#PORT(NAME) in M ms`. */
function steps(out: string): Step[] {
  const found: Step[] = [];
  let records: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^;; Received (\d+) bytes from (\S+)\((\S+)\) in \d+ ms$/.exec(line);
    if (m) {
      found.push({ records, bytes: Number(m[1]), from: m[2]!, name: m[3]! });
      records = [];
    } else if (line !== '' && !line.startsWith(';')) {
      records.push(line);
    }
  }
  return found;
}

class Trace {
  constructor(readonly topo: Topology, readonly hints: string) {}

  async run(args: string[]): Promise<Output> {
    let stdout = '';
    let stderr = '';
    const code = await runDig(['+trace', '--root-hints', this.hints, '+tries=1', '+time=2', ...args], {
      stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, env: {},
    });
    return { stdout, stderr, code };
  }
}

/** What real dig prints for one question to one server, as +trace shows it: answer and authority. */
async function digStep(server: string, args: string[], extra: string[] = []): Promise<{ records: string[]; bytes: number }> {
  const r = await run('dig', [`@${server}`, '+norec', '+dnssec', '+nocookie', '+time=2', '+tries=1', ...args, '+noall', '+answer', '+authority', ...extra, '+stats']);
  const records = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith(';'));
  const size = /MSG SIZE {2}rcvd: (\d+)/.exec(r.stdout);
  return { records, bytes: Number(size?.[1]) };
}

async function setup(t: Test, opts: TopologyOptions = {}): Promise<Trace | undefined> {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return undefined;
  if (!(await canBind53(NET))) {
    if (process.env.CI === 'true') t.fail(`cannot bind port 53 on ${N}x; CI runs as root`);
    else t.skip('binding port 53 on loopback needs root (glue carries addresses, not ports)', () => {});
    return undefined;
  }
  const topo = await startTopology(NET, opts);
  t.teardown(() => topo.close());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-trace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const hints = path.join(dir, 'root.hints');
  writeFileSync(hints, topo.hintsText);
  return new Trace(topo, hints);
}

t.test('walks from the root hints to the answer, step for step as dig sees each server', async (t) => {
  const tr = await setup(t);
  if (!tr) return;
  const r = await tr.run(['writer.acme.agents', 'SVCB']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.match(r.stdout, /^\n; <<>> aop dig \S+ <<>> \+trace --root-hints \S+ \+tries=1 \+time=2 writer\.acme\.agents SVCB\n;; global options: \+cmd\n/);
  const s = steps(r.stdout);
  t.same(s.map((x) => `${x.from}(${x.name})`), [
    `${N}2#53(a.root.agents)`, `${N}2#53(a.root.agents)`, `${N}3#53(ns1.acme.agents)`,
  ], 'priming at the root, the referral from the root, the answer from acme');
  const want = [
    await digStep(`${N}2`, ['agents.', 'NS']),
    await digStep(`${N}2`, ['writer.acme.agents', 'SVCB']),
    await digStep(`${N}3`, ['writer.acme.agents', 'SVCB']),
  ];
  for (let i = 0; i < want.length; i++) {
    t.same(s[i]!.records, want[i]!.records, `step ${i}: the records dig prints, tabs and all`);
    t.equal(s[i]!.bytes, want[i]!.bytes, `step ${i}: the size of the same reply to dig`);
  }
  t.match(s[1]!.records, [/^acme\.agents\.\t\t3600\tIN\tNS\tns1\.acme\.agents\.$/, /ns2\.acme\.agents\.$/]);
  t.match(s[2]!.records, [/^writer\.acme\.agents\.\t300\tIN\tSVCB\t1 mcp\.acme\.agents\. alpn="mcp" port=18401 /, /\tSVCB\t2 mcp\.acme\.agents\. alpn="mcp" port=18101 /, /\tSVCB\t3 mcp-backup/]);
  t.ok(r.stdout.endsWith(' ms\n\n'), 'each step ends with a blank line, as in dig');
});

t.test('+additional shows the glue; @server primes from that server', async (t) => {
  const tr = await setup(t);
  if (!tr) return;
  const glue = await tr.run(['editor.acme.agents', 'SVCB', '+additional']);
  t.equal(glue.code, 0);
  const s = steps(glue.stdout);
  t.same(s[1]!.records, (await digStep(`${N}2`, ['editor.acme.agents', 'SVCB'], ['+additional'])).records);
  t.match(s[1]!.records, [/NS/, /NS/, new RegExp(`^ns1\\.acme\\.agents\\.\\t3600\\tIN\\tA\\t${RN}3$`), new RegExp(`^ns2\\.acme\\.agents\\.\\t3600\\tIN\\tA\\t${RN}4$`)]);

  const at = await tr.run([`@${N}2`, 'editor.acme.agents', 'SVCB']);
  t.equal(at.code, 0);
  t.match(at.stdout, /\n; \(1 server found\)\n/);
  t.same(steps(at.stdout).map((x) => `${x.from}(${x.name})`), [`${N}2#53(${N}2)`, `${N}2#53(a.root.agents)`, `${N}3#53(ns1.acme.agents)`]);
});

t.test('NXDOMAIN and NODATA end the walk with the SOA', async (t) => {
  const tr = await setup(t);
  if (!tr) return;
  const nx = await tr.run(['nobody.acme.agents', 'SVCB']);
  t.equal(nx.code, 0, 'NXDOMAIN is an answer');
  const last = steps(nx.stdout).pop()!;
  t.equal(last.from, `${N}3#53`);
  t.same(last.records, (await digStep(`${N}3`, ['nobody.acme.agents', 'SVCB'])).records);
  t.match(last.records, [/^acme\.agents\.\t\t300\tIN\tSOA\tns1\.acme\.agents\. hostmaster\.acme\.agents\. /]);
  const nodata = await tr.run(['writer.acme.agents', 'AAAA']);
  t.equal(nodata.code, 0);
  t.match(steps(nodata.stdout).pop()!.records, [/\tSOA\t/]);
  const apex = await tr.run(['globex.agents', 'NS']);
  t.equal(apex.code, 0);
  t.same(steps(apex.stdout).map((x) => x.from), [`${N}2#53`, `${N}2#53`, `${N}5#53`], 'the referral, then the child\'s own NS set');
});

t.test('a server that does not answer: the next one', async (t) => {
  const tr = await setup(t, { skip: ['acme1'] });
  if (!tr) return;
  const r = await tr.run(['writer.acme.agents', 'SVCB']);
  t.equal(r.code, 0);
  t.equal(r.stderr, `;; communications error to ${N}3#53: connection refused\n`);
  t.same(steps(r.stdout).map((x) => x.name), ['a.root.agents', 'a.root.agents', 'ns2.acme.agents']);
});

t.test('a delegation without glue: the name server is looked up from the hints', async (t) => {
  // acme.agents delegates team.acme.agents to globex's server, which is not authoritative for it.
  const tr = await setup(t, { extra: { 'acme.agents': 'team IN NS ns1.globex.agents.\n' } });
  if (!tr) return;
  const r = await tr.run(['x.team.acme.agents', 'TXT']);
  const s = steps(r.stdout);
  t.same(s.map((x) => `${x.from}(${x.name})`), [
    `${N}2#53(a.root.agents)`, `${N}2#53(a.root.agents)`, `${N}3#53(ns1.acme.agents)`, `${N}5#53(ns1.globex.agents)`,
  ], 'ns1.globex.agents found by iteration; the lookup itself prints nothing');
  t.match(s[2]!.records, [/^team\.acme\.agents\.\t300\tIN\tNS\tns1\.globex\.agents\.$/]);
  t.equal(r.code, 9, 'the only server for team.acme.agents refuses: no usable reply');
  t.equal(r.stderr, 'aop: dig: no server for team.acme.agents. gave a usable reply (status REFUSED from a server for team.acme.agents.)\n');
});

t.test('+short and +json', async (t) => {
  const tr = await setup(t);
  if (!tr) return;
  const short = await tr.run(['editor.acme.agents', 'SVCB', '+short']);
  t.equal(short.code, 0);
  const lines = short.stdout.trimEnd().split('\n');
  t.equal(lines.length, 3, 'the answers only: priming NS, then the SVCB set (the referral has no answer section)');
  t.match(lines[0]!, /^NS a\.root\.agents\. from server a\.root\.agents in \d+ ms\.$/);
  t.match(lines[1]!, /^SVCB 1 mcp\.acme\.agents\. alpn="mcp" port=18403 .* from server ns1\.acme\.agents in \d+ ms\.$/);
  t.match(lines[2]!, /^SVCB 2 mcp\.acme\.agents\. alpn="mcp" port=18103 .* from server ns1\.acme\.agents in \d+ ms\.$/);

  const json = await tr.run(['editor.acme.agents', 'SVCB', '+json']);
  t.equal(json.code, 0);
  const j = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
  t.equal(j.length, 3);
  t.match(j, [
    { zone: 'agents.', QNAME: 'agents.', QTYPEname: 'NS', server: { address: `${N}2`, port: 53, name: 'a.root.agents' }, answerRRs: [{ rdataNS: 'a.root.agents.' }] },
    { zone: 'agents.', QNAME: 'editor.acme.agents.', ANCOUNT: 0, authorityRRs: [{ NAME: 'acme.agents.', TYPEname: 'NS' }, {}], additionalRRs: [{ rdataA: `${N}3` }, { rdataA: `${N}4` }] },
    { zone: 'acme.agents.', AA: 1, server: { address: `${N}3`, name: 'ns1.acme.agents' }, answerRRs: [{ TYPEname: 'SVCB' }] },
  ]);
});

t.test('failures: no root server, a name outside the hints, bad hints', async (t) => {
  const tr = await setup(t, { skip: ['root'] });
  if (!tr) return;
  const down = await tr.run(['writer.acme.agents', 'SVCB']);
  t.equal(down.code, 9, 'no reply from any server: 9');
  t.equal(down.stderr, `;; communications error to ${N}2#53: connection refused\naop: dig: no server for agents. replied (communications error to ${N}2#53: connection refused)\n`);
  const outside = await tr.run(['www.example.com']);
  t.equal(outside.code, 1);
  t.match(outside.stderr, /^aop: dig: \+trace: www\.example\.com\. is outside agents\., the zone of the root hints/);
  const missing = await runDig(['+trace', '--root-hints', path.join(os.tmpdir(), 'no-such-hints'), 'x.agents'], { stdout: () => {}, stderr: () => {}, env: {} });
  t.equal(missing, 1, 'a --root-hints file that cannot be read: usage error');
});

// Interop with real DNS software: our resolver resolving through NSD and Knot serving the bundled
// zones, and Unbound resolving through our authoritative servers; each must agree with the other
// side, record for record (TTLs aside), on the same names.

import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { requirePort53, hintsText, startTopology, zoneText } from '../helpers/topology.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { dig, type DigResult } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { requireDaemon, scratchDir } from '../helpers/child.js';
import { startNsd } from '../helpers/nsd.js';
import { startKnot } from '../helpers/knot.js';
import { startUnbound } from '../helpers/unbound.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';

// Each hierarchy lives in a loopback /24 leased for its test (leaseNet): every server on port 53.

/** Too big for a 1232-byte UDP answer: every server truncates it and the asker retries over TCP. */
const BIG = Array.from({ length: 12 }, (_, i) => `big.acme.agents. 300 IN TXT "${'x'.repeat(150)}${i}"`).join('\n') + '\n';

/** A DNAME to another zone: the answer is the DNAME, the synthesized CNAME and globex's record (RFC 6672). */
const DNAME = 'old.acme.agents. 300 IN DNAME globex.agents.\n';

/** The bundled acme zone, moved into the /24 of `net` (`127.A.B.`), with BIG and DNAME added. */
const acmeText = (net: string) => zoneText('acme.agents.zone', net) + BIG + DNAME;

/**
 * Questions every pair of peers must answer alike (agents, aliases, negatives, an empty
 * non-terminal, a truncated answer), with the status and answer size the bundled zones give,
 * so that two peers failing alike do not pass.
 */
const QUESTIONS: Array<[name: string, type: string, status: string, answers: number]> = [
  ['writer.acme.agents.', 'SVCB', 'NOERROR', 3],
  ['proofreader.acme.agents.', 'SVCB', 'NOERROR', 3],
  ['nobody.acme.agents.', 'SVCB', 'NXDOMAIN', 0],
  ['planner.globex.agents.', 'SVCB', 'NOERROR', 2],
  ['copywriter.acme.agents.', 'SVCB', 'NOERROR', 1],
  ['copyedit.globex.agents.', 'SVCB', 'NOERROR', 1],
  ['_agent.copyedit.globex.agents.', 'TXT', 'NOERROR', 2],
  ['_agent.proofreader.acme.agents.', 'TXT', 'NOERROR', 2],
  ['_index._agents.acme.agents.', 'PTR', 'NOERROR', 5],
  ['_agents.acme.agents.', 'PTR', 'NOERROR', 0],
  ['researcher.acme.agents.', 'SVCB', 'NOERROR', 3],
  ['summarizer.acme.agents.', 'SVCB', 'NOERROR', 2],
  ['lab.acme.agents.', 'AAAA', 'NOERROR', 1],
  ['writer.acme.agents.', 'AAAA', 'NOERROR', 0],
  ['x.nobody.globex.agents.', 'A', 'NXDOMAIN', 0],
  ['ns1.acme.agents.', 'A', 'NOERROR', 1],
  ['big.acme.agents.', 'TXT', 'NOERROR', 12],
  ['coder.old.acme.agents.', 'SVCB', 'NOERROR', 4],
];

/** Records without their TTL, sorted: RRset order is not significant. */
const norm = (recs: string[]): string[] => recs.map((l) => l.replace(/^(\S+) \d+ /, '$1 ')).sort();

const recurse = (host: string, port: number, name: string, type: string) => dig(port, ['+rec', '+time=6', name, type], host);

/** Our resolver on 127.0.0.1:<ephemeral>, starting from an `agents.` root at `${net}2`. */
async function startOurResolver(t: { teardown(fn: () => unknown): void }, net: string): Promise<number> {
  const hints = parseHints(hintsText(net));
  // Upstream attempts bounded at 2 s, a backstop: the per-server timeout comes from the RTT. No
  // start-up warm-up: seconds of CPU for speed this test does not measure.
  const daemon = new Daemon({ listen: [parseListen('127.0.0.1:0')], resolver: { hints, timeout: 2000, warmUp: 0 } });
  await daemon.start();
  t.teardown(() => daemon.close());
  return daemon.listeners[0]!.address.port;
}

/** Our authoritative server for some zones on `addr:53`. */
async function startOurAuthority(t: { teardown(fn: () => unknown): void }, dir: string, addr: string, zones: Record<string, string>): Promise<Daemon> {
  mkdirSync(dir, { recursive: true });
  for (const [origin, text] of Object.entries(zones)) writeFileSync(path.join(dir, `${origin}.zone`), text);
  const d = new Daemon({ zonesDir: dir, listen: [parseListen(`${addr}:53`)] });
  await d.start();
  t.teardown(() => d.close());
  return d;
}

/**
 * The truth from the authoritative servers themselves, asked without recursion: the answer of
 * the server for the name's zone, with a CNAME that leaves the zone followed to the next zone's
 * server, as a resolver must.
 */
async function authoritative(servers: (name: string) => string, name: string, type: string): Promise<DigResult> {
  let r = await dig(53, ['+norec', name, type], servers(name));
  const answer = [...r.answer];
  for (let hops = 0; hops < 8 && r.status === 'NOERROR'; hops++) {
    const last = answer[answer.length - 1]?.split(' ');
    if (last?.[3] !== 'CNAME' || answer.some((l) => l.split(' ')[0] === last[4])) break;
    r = await dig(53, ['+norec', last[4]!, type], servers(last[4]!));
    answer.push(...r.answer);
  }
  return { ...r, answer };
}

/** What the server at `host:53` says it is (CH TXT version.bind). */
async function version(host: string): Promise<string> {
  return (await dig(53, ['+norec', 'version.bind', 'CH', 'TXT'], host)).answer.join(' ');
}

interface Comparison {
  equal(a: unknown, b: unknown, msg: string): unknown;
  same(a: unknown, b: unknown, msg: string): unknown;
  match(a: unknown, b: unknown, msg: string): unknown;
}

/**
 * `want` (the peer's answer) says what the bundled zones say for `q`, and `got` agrees with it:
 * same status and answer (a CNAME chain starting with the CNAME), and for a negative answer the
 * same SOA in authority.
 */
function agree(t: Comparison, q: (typeof QUESTIONS)[number], got: DigResult, want: DigResult, what: string): void {
  const [name, type, status, answers] = q;
  const label = `${name} ${type}`;
  t.equal(want.status, status, `${label}: ${what} says ${status}`);
  t.equal(want.answer.length, answers, `${label}: ${what} gives ${answers} records`);
  if (want.answer[0]?.includes(' CNAME ')) t.match(got.answer[0], / CNAME /, `${label}: the CNAME first`);
  if (want.answer[0]?.includes(' DNAME ')) t.match(got.answer.slice(0, 2), [/ DNAME /, / CNAME /], `${label}: the DNAME, then the synthesized CNAME`);
  t.equal(got.status, want.status, `${label}: status as ${what}`);
  t.same(norm(got.answer), norm(want.answer), `${label}: answer as ${what}`);
  if (want.answer.length === 0) {
    t.same(norm(got.authority.filter((l) => l.includes(' SOA '))), norm(want.authority.filter((l) => l.includes(' SOA '))), `${label}: negative answer's SOA as ${what}`);
  }
}

t.test('interop with real DNS servers', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  if (!(await requirePort53(t))) return;

  t.test('our resolver through NSD serving the bundled zones', async (t) => {
    if (!requireDaemon(t, 'nsd', 'nsd')) return;
    const dir = scratchDir(t, 'aop-interop-');
    const net = (await leaseNet(t)).net;
    // One NSD per role, so the root refers rather than answering for acme itself.
    await startNsd(t, { dir: path.join(dir, 'root'), addresses: [`${net}2`], zones: [{ origin: 'agents', text: zoneText('agents.zone', net) }] });
    await startNsd(t, { dir: path.join(dir, 'acme'), addresses: [`${net}3`, `${net}4`], zones: [{ origin: 'acme.agents', text: acmeText(net) }] });
    await startNsd(t, { dir: path.join(dir, 'globex'), addresses: [`${net}5`], zones: [{ origin: 'globex.agents', text: zoneText('globex.agents.zone', net) }] });
    const port = await startOurResolver(t, net);
    const servers = (name: string) => `${net}${/acme\.agents\.$/.test(name) ? 3 : /globex\.agents\.$/.test(name) ? 5 : 2}`;

    for (const host of [2, 3, 4, 5]) t.match(await version(`${net}${host}`), /"NSD /, `NSD holds ${net}${host}`);
    const referral = await dig(53, ['+norec', 'writer.acme.agents.', 'SVCB'], `${net}2`);
    t.equal(referral.answer.length, 0, 'the NSD root refers acme (sanity)');
    t.ok(referral.authority.some((l) => / NS ns1\.acme\.agents\.$/.test(l)), 'with acme\'s NS set');

    for (const q of QUESTIONS) {
      const [name, type] = q;
      const want = await authoritative(servers, name, type);
      t.ok(want.flags.has('aa'), `${name} ${type}: NSD answers authoritatively (sanity)`);
      const got = await recurse('127.0.0.1', port, name, type);
      t.ok(got.flags.has('ra'), `${name} ${type}: RA from our resolver`);
      agree(t, q, got, want, 'NSD');
    }
  });

  t.test('our resolver through a mixed hierarchy: our root, acme on Knot, globex on NSD', async (t) => {
    if (!requireDaemon(t, 'knotd', 'knot')) return;
    if (!requireDaemon(t, 'nsd', 'nsd')) return;
    const dir = scratchDir(t, 'aop-interop-');
    const net = (await leaseNet(t)).net;
    await startOurAuthority(t, path.join(dir, 'root'), `${net}2`, { agents: zoneText('agents.zone', net) });
    await startKnot(t, { dir: path.join(dir, 'acme'), addresses: [`${net}3`, `${net}4`], zones: [{ origin: 'acme.agents', text: acmeText(net) }] });
    await startNsd(t, { dir: path.join(dir, 'globex'), addresses: [`${net}5`], zones: [{ origin: 'globex.agents', text: zoneText('globex.agents.zone', net) }] });
    const port = await startOurResolver(t, net);
    const servers = (name: string) => `${net}${/acme\.agents\.$/.test(name) ? 3 : /globex\.agents\.$/.test(name) ? 5 : 2}`;
    for (const host of [3, 4]) t.match(await version(`${net}${host}`), /"Knot DNS /, `Knot holds ${net}${host}`);
    t.match(await version(`${net}5`), /"NSD /, `NSD holds ${net}5`);

    for (const q of QUESTIONS) {
      const [name, type] = q;
      const want = await authoritative(servers, name, type);
      t.ok(want.flags.has('aa'), `${name} ${type}: the peer answers authoritatively (sanity)`);
      const got = await recurse('127.0.0.1', port, name, type);
      agree(t, q, got, want, 'Knot / NSD');
    }
  });

  t.test('Unbound resolves through our authoritative servers as our resolver does', async (t) => {
    if (!requireDaemon(t, 'unbound', 'unbound')) return;
    const dir = scratchDir(t, 'aop-interop-');
    const topo = await startTopology(await leaseNet(t), { extra: { 'acme.agents': BIG + DNAME } });
    t.teardown(() => topo.close());
    const net = topo.net;
    const port = await startOurResolver(t, net);
    // Our root on .2 refers to acme (.3, .4) and globex (.5): Unbound walks the delegations.
    // Strict QNAME minimisation (RFC 9156): Unbound asks each label in turn and never falls back
    // to the full name, so a wrong answer for an intermediate name (say NXDOMAIN for an empty
    // non-terminal) shows up as a different answer.
    await startUnbound(t, {
      dir: path.join(dir, 'unbound'), address: `${net}7`,
      stubs: { 'agents.': [`${net}2`] },
      qnameMinimisation: 'strict',
      ready: { name: 'agents.', type: 'SOA' },
    });
    for (const q of QUESTIONS) {
      const [name, type] = q;
      const ours = await recurse('127.0.0.1', port, name, type);
      const theirs = await recurse(`${net}7`, 53, name, type);
      agree(t, q, ours, theirs, 'Unbound');
    }
    t.ok(topo.acme1.stats.queries + topo.acme2.stats.queries > 0 && topo.globex.stats.queries > 0, 'the org servers were asked');
  });

  t.test('Unbound with a stub zone at one server of ours holding every zone', async (t) => {
    if (!requireDaemon(t, 'unbound', 'unbound')) return;
    const dir = scratchDir(t, 'aop-interop-');
    const net = (await leaseNet(t)).net;
    const all = await startOurAuthority(t, path.join(dir, 'zones'), `${net}6`, {
      agents: zoneText('agents.zone', net),
      'acme.agents': acmeText(net),
      'globex.agents': zoneText('globex.agents.zone', net),
    });
    await startUnbound(t, {
      dir: path.join(dir, 'unbound'), address: `${net}8`,
      stubs: { 'agents.': [`${net}6`] },
      qnameMinimisation: 'strict',
      ready: { name: 'agents.', type: 'SOA' },
    });
    // The truth: the one server's own answers (it is authoritative for every name asked).
    const servers = () => `${net}6`;
    for (const q of QUESTIONS) {
      const [name, type] = q;
      const want = await authoritative(servers, name, type);
      const theirs = await recurse(`${net}8`, 53, name, type);
      agree(t, q, theirs, want, 'our server');
    }
    t.ok(all.stats.queries > QUESTIONS.length, 'Unbound asked our server');
    t.ok(all.stats.truncated >= 1 && all.stats.tcpQueries >= 1, 'and after a truncated answer asked again over TCP');
  });
});

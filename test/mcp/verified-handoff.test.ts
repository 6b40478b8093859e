// The verified hand-off: `aop call` and `aop agent` ask the local validating aop resolver with
// DO=1 and act on its verdict. A BIND-signed root -> org -> secure.org hierarchy (NSD) publishes
// the agent writer.secure.org; a lying authoritative (an aop daemon on secure.org's address,
// serving a forged unsigned zone) points it at a forged endpoint. With validation, aop call
// refuses with ERR_AGENT_BOGUS (exit 28) and the forged endpoint gets no connection; without
// validation it would have been called (checked, so the test can fail). --require-secure refuses
// the agent of an unsigned zone (ERR_AGENT_INSECURE, exit 29) before connecting.

import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { requirePort53 } from '../helpers/topology.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool } from '../helpers/peers.js';
import { scratchDir } from '../helpers/child.js';
import { startNsd } from '../helpers/nsd.js';
import { AGENT_PORT, HOSTS, signedHierarchy, type SignedHierarchy } from '../helpers/bind-signed.js';
import { waitFor } from '../helpers/wait.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parseTrustAnchors } from '../../src/resolver/validate/index.js';
import { runCall, type CallArgs } from '../../src/cli/call.js';
import { runAgent, type AgentArgs } from '../../src/cli/agent.js';
import { resolveAgent } from '../../src/mcp/resolve.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { VerifiedLookup } from '../../src/mcp/security.js';

interface Output { stdout: string; stderr: string; code: number }

const io = (o: Output) => ({ stdout: (s: string) => { o.stdout += s; }, stderr: (s: string) => { o.stderr += s; }, env: {} });

async function call(a: Partial<CallArgs> & { server: string; name: string }): Promise<Output> {
  const o = { stdout: '', stderr: '', code: 0 };
  o.code = await runCall({ json: true, timeout: 8, allowLoopbackZone: ['secure.org', 'unsigned.org'], ...a }, io(o));
  return o;
}

async function agent(a: Partial<AgentArgs> & { server: string; name: string }): Promise<Output> {
  const o = { stdout: '', stderr: '', code: 0 };
  o.code = await runAgent({ json: true, timeout: 8, allowLoopbackZone: ['secure.org', 'unsigned.org'], ...a }, io(o));
  return o;
}

/** A TCP listener that only counts connections (an endpoint that must never be reached, or must be). */
async function counter(t: Test, host: string): Promise<{ connections: number }> {
  const seen = { connections: 0 };
  const server = net.createServer((s) => { seen.connections++; s.destroy(); });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(AGENT_PORT, host, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return seen;
}

async function resolverDaemon(t: Test, h: SignedHierarchy, validate: boolean): Promise<string> {
  const d = new Daemon({
    listen: [parseListen('127.0.0.1:0')],
    resolver: { hints: parseHints(h.hints), timeout: 2000, warmUp: 0, ...(validate ? { validation: { anchors: parseTrustAnchors(h.anchor) } } : {}) },
  });
  await d.start();
  t.teardown(() => d.close());
  return `127.0.0.1:${d.listeners[0]!.address.port}`;
}

/** root and org served by NSD, as signed; the children by NSD too unless `liar` takes their address. */
async function world(t: Test, opts: { liar?: boolean }): Promise<{ h: SignedHierarchy; net: string }> {
  const lease = await leaseNet(t);
  const n = lease.net;
  const dir = scratchDir(t);
  const h = await signedHierarchy(path.join(dir, 'sign'), n, { agentAt: `${n}66` });
  await startNsd(t, { dir: path.join(dir, 'nsd-root'), addresses: [`${n}${HOSTS.root}`], zones: [{ origin: '.', text: h.root }] });
  await startNsd(t, { dir: path.join(dir, 'nsd-org'), addresses: [`${n}${HOSTS.org}`], zones: [{ origin: 'org', text: h.org }] });
  if (!opts.liar) {
    await startNsd(t, { dir: path.join(dir, 'nsd-kids'), addresses: [`${n}${HOSTS.kids}`], zones: Object.entries(h.kids).map(([origin, text]) => ({ origin: origin.replace(/\.$/, ''), text })) });
    return { h, net: n };
  }
  // The liar: secure.org's address, an unsigned secure.org whose agent points at the forger's endpoint.
  const zdir = path.join(dir, 'liar');
  mkdirSync(zdir);
  writeFileSync(path.join(zdir, 'secure.org.zone'), [
    '$TTL 300',
    '@ IN SOA ns.secure.org. hostmaster.secure.org. 1 3600 600 86400 300',
    '@ IN NS ns.secure.org.',
    `ns IN A ${n}${HOSTS.kids}`,
    `writer IN SVCB 1 mcp.secure.org. alpn="mcp" port=${AGENT_PORT} key65320="/mcp" key65321="streamable-http" key65322="echo"`,
    `mcp IN A ${n}77`,
  ].join('\n') + '\n');
  const liar = new Daemon({ zonesDir: zdir, listen: [parseListen(`${n}${HOSTS.kids}:53`)] });
  await liar.start();
  t.teardown(() => liar.close());
  return { h, net: n };
}

t.test('the verified hand-off', async (t) => {
  for (const tool of ['dnssec-keygen', 'dnssec-signzone', 'dnssec-dsfromkey']) if (!requireTool(t, tool, 'bind9-utils')) return;
  if (!requireTool(t, 'nsd', 'nsd')) return;
  if (!(await requirePort53(t))) return;

  t.test('a forged SVCB from a lying authoritative: refused as bogus, the forged endpoint never reached', async (t) => {
    const { h, net: n } = await world(t, { liar: true });
    const forged = await counter(t, `${n}77`);
    const validating = await resolverDaemon(t, h, true);
    const r = await call({ name: 'writer.secure.org', server: validating });
    t.equal(r.code, 28, 'exit 28');
    const e = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    t.equal(e.error.code, 'ERR_AGENT_BOGUS', 'ERR_AGENT_BOGUS');
    t.match(e.error.message, /writer\.secure\.org\. SVCB: .* bogus \(DNSSEC, EDE 9/, 'says which record and why (DNSKEY missing)');
    const card = await agent({ name: 'writer.secure.org', server: validating });
    t.equal(card.code, 28, 'aop agent: exit 28 too');
    t.equal(forged.connections, 0, 'the forged endpoint got no connection');

    // The same call through a resolver that does not validate reaches the forger: what validation prevents.
    const plain = await resolverDaemon(t, h, false);
    await call({ name: 'writer.secure.org', server: plain });
    await waitFor(() => forged.connections > 0, 'the forged endpoint to be reached without validation');
    t.ok(forged.connections > 0, 'without validation the forged endpoint is called');
  });

  t.test('a signed agent: secure, shown by aop agent --json; --require-secure lets it through', async (t) => {
    const { h } = await world(t, {});
    const validating = await resolverDaemon(t, h, true);
    const r = await agent({ name: 'writer.secure.org', server: validating, requireSecure: true });
    t.equal(r.code, 0, 'exit 0');
    const card = JSON.parse(r.stdout) as { endpoints: Array<{ url: string }>; security: { state: string; trusted: boolean; records: Array<{ name: string; type: string; security: string }> } };
    t.equal(card.security.state, 'secure', 'secure');
    t.ok(card.security.trusted, 'from a resolver on this host');
    t.ok(card.security.records.some((x) => x.name === 'writer.secure.org.' && x.type === 'SVCB' && x.security === 'secure'), 'the SVCB record secure');
    t.ok(card.security.records.every((x) => x.security === 'secure'), 'every record it rests on secure');
    // The library: the resolution says the state of the records it rests on (what the gateway shows).
    const [host, port] = validating.split(':');
    const resolved = await resolveAgent(new VerifiedLookup(new NetworkLookup({ address: host!, port: Number(port) }, { dnssec: true })), 'writer.secure.org');
    t.equal(resolved.security?.state, 'secure', 'resolveAgent: secure');
    t.ok(resolved.security!.records.some((x) => x.type === 'SVCB'), 'resolveAgent: the SVCB among its records');
    t.equal(resolved.card.dnssec?.state, 'secure', 'the card itself says so (the gateway\'s resolve_agent shows the card)');
    const text = await agent({ name: 'writer.secure.org', server: validating, json: false });
    t.match(text.stdout, /^dnssec +secure \(/m, 'the text card says secure');
  });

  t.test('--require-secure refuses the agent of an unsigned zone before connecting', async (t) => {
    const { h, net: n } = await world(t, {});
    const endpoint = await counter(t, `${n}66`);
    const validating = await resolverDaemon(t, h, true);
    const r = await call({ name: 'writer.unsigned.org', server: validating, requireSecure: true });
    t.equal(r.code, 29, 'exit 29');
    t.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'ERR_AGENT_INSECURE', 'ERR_AGENT_INSECURE');
    t.equal(endpoint.connections, 0, 'no connection');
    const card = JSON.parse((await agent({ name: 'writer.unsigned.org', server: validating })).stdout) as { security: { state: string } };
    t.equal(card.security.state, 'insecure', 'aop agent --json: insecure');
    // Without the policy an insecure agent is called, as before.
    await call({ name: 'writer.unsigned.org', server: validating });
    await waitFor(() => endpoint.connections > 0, 'the insecure agent to be called without --require-secure');
    t.ok(endpoint.connections > 0, 'without --require-secure it is called');
  });
});

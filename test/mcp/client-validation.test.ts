// The client validates for itself (resolver/validate/stub.ts): given a trust anchor, `aop agent`
// and `aop call` check the records they are given from it, asking the DNSKEY and DS sets with
// CD=1, instead of believing a resolver's AD bit. The bundled world signed by aop and served with
// a validating resolver beside it: the card shows the chain (zones, DS and key tags). A lying
// server that does not validate (an unsigned forged acme.agents beside the real signed root) is
// refused as bogus with no connection to the forged endpoint, where AD alone would have called it.
// The default policy (--require-secure auto): a signed agent whose endpoint host is unsigned is
// refused (exit 29), and --no-require-secure calls it, saying so on stderr.

import t, { type Test } from 'tap';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { scratchDir } from '../helpers/child.js';
import { requireTool, run } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitFor } from '../helpers/wait.js';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { parseTrustAnchors } from '../../src/resolver/validate/index.js';
import { DEFAULT_TIMES, Signer } from '../../src/authority/signer.js';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { Daemon } from '../../src/server/daemon.js';
import { runAgent, type AgentArgs } from '../../src/cli/agent.js';
import { runCall, type CallArgs } from '../../src/cli/call.js';

interface Output { stdout: string; stderr: string; code: number }
const io = (o: Output) => ({ stdout: (s: string) => { o.stdout += s; }, stderr: (s: string) => { o.stderr += s; }, env: {} });
const LOOPBACK = ['acme.agents', 'agents', 'globex.agents'];

async function agent(a: Partial<AgentArgs> & { server: string; name: string }): Promise<Output> {
  const o = { stdout: '', stderr: '', code: 0 };
  o.code = await runAgent({ json: true, timeout: 8, allowLoopbackZone: LOOPBACK, ...a }, io(o));
  return o;
}

async function call(a: Partial<CallArgs> & { server: string; name: string }): Promise<Output> {
  const o = { stdout: '', stderr: '', code: 0 };
  o.code = await runCall({ json: true, timeout: 8, allowLoopbackZone: LOOPBACK, ...a }, io(o));
  return o;
}

async function counter(t: Test, host: string, port: number): Promise<{ connections: number }> {
  const seen = { connections: 0 };
  const server = net.createServer((s) => { seen.connections++; s.destroy(); });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return seen;
}

async function daemon(t: Test, opts: ConstructorParameters<typeof Daemon>[0]): Promise<string> {
  const d = new Daemon(opts);
  await d.start();
  t.teardown(() => d.close());
  const a = d.listeners[0]!.address;
  return `${a.host}:${a.port}`;
}

t.test('client-side DNSSEC validation and the default policy', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const lease = await leaseNet(t);
  const dir = scratchDir(t, 'aop-client-val-');
  const zones = path.join(dir, 'zones');
  mkdirSync(zones);
  for (const z of ['agents.', 'acme.agents.', 'globex.agents.']) copyFileSync(path.join(bundledZonesDir, `${z}zone`), path.join(zones, `${z}zone`));
  // An agent of the signed acme.agents on a host of an unsigned zone.
  appendFileSync(path.join(zones, 'acme.agents.zone'), 'remote IN SVCB 1 mcp.plain.example. alpn="mcp" port=18999 key65320="/mcp" key65321="streamable-http" key65322="echo"\n');
  const plainDir = path.join(dir, 'plain');
  mkdirSync(plainDir);
  writeFileSync(path.join(plainDir, 'plain.example.zone'), '$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 127.0.0.1\nmcp IN A 127.0.0.1\n');
  const plain = await daemon(t, { zonesDir: plainDir, listen: [parseListen(`${lease.host(9)}:0`)] });
  const keyDir = path.join(dir, 'keys');
  new Signer({ keyDir, algorithm: 13, keyLayout: 'combined', times: DEFAULT_TIMES }).keysFor('agents.');
  const anchorText = parentDsLines('agents.', keyDir).join('\n') + '\n';
  const anchorFile = path.join(dir, 'agents.anchor');
  writeFileSync(anchorFile, anchorText);
  const [ph, pp] = plain.split(':');
  // The signed world and its validating resolver in one daemon, as `npm start` runs them.
  const world = await daemon(t, {
    zonesDir: zones, listen: [parseListen(`${lease.host(1)}:0`)], transfers: { allow: ['127.0.0.0/8'] },
    dnssec: { keyDir, algorithm: 13, keyLayout: 'combined', times: DEFAULT_TIMES },
    resolver: {
      hints: parseHints(`agents. 3600 IN NS a.root.agents.\na.root.agents. 3600 IN A ${lease.host(1)}\n`), warmUp: 0, timeout: 2000,
      forwarders: [{ address: ph!, port: Number(pp) }], validation: { anchors: parseTrustAnchors(anchorText) },
    },
  });
  const acmeTag = readKeyDir(keyDir, 'acme.agents.')[0]!.tag;
  const rootTag = readKeyDir(keyDir, 'agents.')[0]!.tag;

  t.test('the card shows the chain, validated here', async (t) => {
    const r = await agent({ name: 'writer.acme.agents', server: world, trustAnchor: [anchorFile] });
    t.equal(r.code, 0, r.stderr);
    const s = (JSON.parse(r.stdout) as { security: { state: string; validatedBy: string; anchors: string[]; records: Array<{ name: string; type: string; security: string; signedBy?: Array<{ zone: string; keys: Array<{ tag: number; algorithm: number }> }> }>; chain: Array<{ zone: string; anchor: boolean; ds: Array<{ tag: number }>; dnskeySignedBy: number[] }> } }).security;
    t.equal(s.state, 'secure');
    t.equal(s.validatedBy, 'aop', 'validated by the client, not read from AD');
    t.same(s.anchors, ['agents.']);
    const svcb = s.records.find((x) => x.type === 'SVCB')!;
    t.same(svcb.signedBy, [{ zone: 'acme.agents.', keys: [{ tag: acmeTag, algorithm: 13, flags: 257 }] }], 'the SVCB: signed by acme.agents. with its key');
    t.same(s.chain.map((l) => [l.zone, l.anchor]), [['agents.', true], ['acme.agents.', false]], 'the chain: the anchor, then acme.agents.');
    t.same(s.chain[0]!.dnskeySignedBy, [rootTag], 'agents.: its DNSKEY set signed by the anchored key');
    t.same(s.chain[1]!.ds.map((d) => d.tag), [acmeTag], 'acme.agents.: the DS at agents. names its key');
    const text = await agent({ name: 'writer.acme.agents', server: world, trustAnchor: [anchorFile], json: false });
    t.match(text.stdout, new RegExp(`^dnssec +secure \\(.*validated here from the trust anchor of agents\\.: agents\\. \\(trust anchor, keys ${rootTag}/13\\) -> acme\\.agents\\. \\(DS ${acmeTag}, keys ${acmeTag}/13\\)`, 'm'), 'the text card says the chain');
  });

  t.test('a forged answer from a server that does not validate: refused as bogus by the client', async (t) => {
    // The liar: the real signed root (as transferred), and a forged unsigned acme.agents.
    const axfr = (await run('dig', [`@${lease.host(1)}`, '-p', world.split(':')[1]!, '+nocmd', '+nostats', '+nocomments', 'agents.', 'AXFR'])).stdout;
    const liarDir = path.join(dir, 'liar');
    mkdirSync(liarDir);
    writeFileSync(path.join(liarDir, 'agents.zone'), '$ORIGIN agents.\n' + axfr.split('\n').filter((l) => l.trim() !== '').slice(0, -1).join('\n') + '\n');
    writeFileSync(path.join(liarDir, 'acme.agents.zone'), [
      '$TTL 300', '@ IN SOA ns1 hostmaster 1 3600 600 86400 300', '@ IN NS ns1', `ns1 IN A ${lease.host(3)}`,
      'writer IN SVCB 1 evil.acme.agents. alpn="mcp" port=18998 key65320="/mcp" key65321="streamable-http" key65322="echo" key65326="http"',
      `evil IN A ${lease.host(77)}`,
    ].join('\n') + '\n');
    t.ok(readFileSync(path.join(liarDir, 'agents.zone'), 'utf8').includes('RRSIG'), 'the liar serves the signed root as signed');
    const liar = await daemon(t, { zonesDir: liarDir, listen: [parseListen(`${lease.host(3)}:0`)] });
    const forged = await counter(t, lease.host(77), 18998);
    const r = await call({ name: 'writer.acme.agents', server: liar, trustAnchor: [anchorFile] });
    t.equal(r.code, 28, `exit 28 (${r.stderr.trim()})`);
    const e = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    t.equal(e.error.code, 'ERR_AGENT_BOGUS');
    t.match(e.error.message, /writer\.acme\.agents\. SVCB: bogus by aop's own DNSSEC validation \(EDE 10/, 'RRSIGs missing, by our own validation');
    t.equal(forged.connections, 0, 'the forged endpoint got no connection');
    // Without the anchor the same server's answer (AD clear: insecure) would be followed.
    await call({ name: 'writer.acme.agents', server: liar, allowLoopbackZone: ['acme.agents'] });
    await waitFor(() => forged.connections > 0, 'the forged endpoint to be called without an anchor');
    t.ok(forged.connections > 0, 'without the anchor the forger is called');
  });

  t.test('the default policy refuses a signed agent resting on unsigned records; --no-require-secure calls it', async (t) => {
    const endpoint = await counter(t, '127.0.0.1', 18999).catch(() => undefined);
    const r = await call({ name: 'remote.acme.agents', server: world, trustAnchor: [anchorFile] });
    t.equal(r.code, 29, `exit 29 (${r.stderr.trim()})`);
    const e = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    t.equal(e.error.code, 'ERR_AGENT_INSECURE');
    t.match(e.error.message, /mcp\.plain\.example\. A: not DNSSEC-secure \(insecure\), but the agent remote\.acme\.agents\. is signed .*--no-require-secure/, 'says the downgrade and the opt-out');
    if (endpoint) t.equal(endpoint.connections, 0, 'no connection');
    // Without an anchor on our side too: the resolver's AD says the SVCB is secure, the address not.
    const viaAd = await call({ name: 'remote.acme.agents', server: world });
    t.equal(viaAd.code, 29, 'refused by the AD bits of the local validating resolver too');
    const optOut = await agent({ name: 'remote.acme.agents', server: world, trustAnchor: [anchorFile], requireSecure: false });
    t.equal(optOut.code, 0, optOut.stderr);
    t.match(optOut.stderr, /--no-require-secure: records that are not DNSSEC-secure are followed/, 'the opt-out is said on stderr');
    t.equal((JSON.parse(optOut.stdout) as { security: { state: string } }).security.state, 'insecure');
    const strict = await agent({ name: 'writer.globex.agents', server: world, trustAnchor: [anchorFile] });
    t.equal(strict.code, 2, 'a name that does not exist is still NXDOMAIN (a secure denial), not a policy refusal');
  });
});

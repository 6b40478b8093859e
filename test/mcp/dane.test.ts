// DANE for https endpoints (RFC 6698, RFC 7671): an aop-signed acme.agents publishes TLSA records
// at _18443._tcp.<host> for three agents on a real https MCP server on loopback, whose certificate
// chains to a CA the client does not trust (WebPKI alone would refuse it). DANE-EE (3 1 1, the
// SHA-256 of the key) lets the call through; a wrong TLSA refuses it with ERR_DANE_MISMATCH (exit
// 30) after the handshake, before any MCP request; DANE-TA (2 0 1, the CA certificate, sent in
// the chain) lets it through, the name checked. openssl computes the 3 1 1 digest as a peer would.

import t, { type Test } from 'tap';
import path from 'node:path';
import { hasTool, requireTool, run } from '../helpers/peers.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { daneWorld } from '../helpers/dane-world.js';
import { runCall, type CallArgs } from '../../src/cli/call.js';
import { runAgent } from '../../src/cli/agent.js';
import { root } from '../helpers/gateway.js';

interface Output { stdout: string; stderr: string; code: number }
const io = (o: Output) => ({ stdout: (s: string) => { o.stdout += s; }, stderr: (s: string) => { o.stderr += s; }, env: {} });
const PORT = 18443;

async function call(a: Partial<CallArgs> & { server: string; name: string }): Promise<Output> {
  const o = { stdout: '', stderr: '', code: 0 };
  o.code = await runCall({ json: true, timeout: 8, allowLoopbackZone: ['acme.agents'], arg: ['text=hi'], ...a }, io(o));
  return o;
}

t.test('DANE-checked https endpoints', async (t: Test) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const rec = (name: string, host: string) => `${name} IN SVCB 1 ${host}.acme.agents. alpn="mcp" port=${PORT} key65320="/mcp" key65321="streamable-http" key65322="echo"`;
  const w = await daneWorld(t, ['dane.acme.agents', 'danebad.acme.agents', 'danta.acme.agents'], (d, lease) => [
    rec('daneok', 'dane'), rec('danefail', 'danebad'), rec('danetrust', 'danta'),
    `dane IN A ${lease.host(20)}`, `danebad IN A ${lease.host(21)}`, `danta IN A ${lease.host(22)}`,
    `_${PORT}._tcp.dane IN TLSA 3 1 1 ${d.spki}`,
    `_${PORT}._tcp.danebad IN TLSA 3 1 1 ${'00'.repeat(32)}`,
    `_${PORT}._tcp.danta IN TLSA 2 0 1 ${d.caCert}`,
  ]);
  const { certs, server, anchorFile, lease } = w;
  const spki = w.digests.spki;
  // openssl's digest of the same key, as `ldns-dane` or a TLSA generator would compute it.
  const o = await run('sh', ['-c', `openssl x509 -in ${certs.cert} -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r`]);
  t.equal(o.stdout.split(' ')[0], spki, 'openssl agrees on the 3 1 1 digest');
  // `aop zone tlsa` prints the record a zone publishes for it.
  const z = await run(process.execPath, [path.join(root, 'bin', 'aop.js'), 'zone', 'tlsa', 'dane.acme.agents', '--cert', certs.cert, '--port', String(PORT)]);
  t.equal(z.stdout, `_${PORT}._tcp.dane.acme.agents. IN TLSA 3 1 1 ${spki.toUpperCase()}\n`, 'aop zone tlsa prints the 3 1 1 record');
  const sites = [
    await startHttpsSite(lease.host(20), PORT, { cert: certs.cert, key: certs.key }, { '/mcp': { mcp: ['echo'] } }),
    await startHttpsSite(lease.host(21), PORT, { cert: certs.cert, key: certs.key }, { '/mcp': { mcp: ['echo'] } }),
    await startHttpsSite(lease.host(22), PORT, { cert: w.chainFile, key: certs.key }, { '/mcp': { mcp: ['echo'] } }),
  ];
  t.teardown(async () => { for (const s of sites) await s.close(); });

  const ok = await call({ name: 'daneok.acme.agents', server, trustAnchor: [anchorFile] });
  t.equal(ok.code, 0, `DANE-EE: called (${ok.stderr.trim()})`);
  t.match(ok.stdout, /echo: hi/);
  const o2 = { stdout: '', stderr: '', code: 0 };
  o2.code = await runAgent({ name: 'daneok.acme.agents', server, json: true, timeout: 8, allowLoopbackZone: ['acme.agents'], trustAnchor: [anchorFile] }, io(o2));
  const card = JSON.parse(o2.stdout) as { endpoints: Array<{ tlsa?: string[] }>; security: { records: Array<{ type: string; security: string }> } };
  t.same(card.endpoints[0]!.tlsa, [`030101${spki}`], 'the card shows the secure TLSA of the endpoint');
  t.ok(card.security.records.some((r) => r.type === 'TLSA' && r.security === 'secure'), 'the TLSA record: secure');

  const bad = await call({ name: 'danefail.acme.agents', server, trustAnchor: [anchorFile] });
  t.equal(bad.code, 30, `a wrong TLSA: exit 30 (${bad.stderr.trim()})`);
  const e = JSON.parse(bad.stdout) as { error: { code: string; message: string } };
  t.equal(e.error.code, 'ERR_DANE_MISMATCH');
  t.match(e.error.message, new RegExp(`matches none of its 1 TLSA record\\(s\\) \\(SHA-256 of its key: ${spki}\\)`), 'says the key digest');
  t.notOk(sites[1]!.hits.includes('/mcp'), 'no MCP request reached the endpoint that failed DANE');

  const ta = await call({ name: 'danetrust.acme.agents', server, trustAnchor: [anchorFile] });
  t.equal(ta.code, 0, `DANE-TA: called (${ta.stderr.trim()})`);
  if (hasTool('ldns-dane')) t.comment('ldns-dane is installed: not used here (it wants port 443 names in the real DNS)');
});

// A CNAME at the TLSA name (RFC 7671 section 7: one TLSA RRset shared by many services): the
// TLSA of `_18443._tcp.<host>` is a CNAME to a name in the signed acme.agents holding the RRset.
// The chain is secure, so the records at its end are used: DANE-EE lets a certificate from an
// untrusted CA through, and a shared RRset that matches nothing refuses the endpoint
// (ERR_DANE_MISMATCH, exit 30) before any MCP request. A CNAME into insec.acme.agents, an
// unsigned child delegated without a DS, is an insecure step: its TLSA is never used (the default
// policy refuses the agent outright, ERR_AGENT_INSECURE; with --no-require-secure the certificate
// is checked by WebPKI alone, so the record there, which matches nothing, does not refuse it).

import t from 'tap';
import { requireTool } from '../helpers/peers.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { daneWorld } from '../helpers/dane-world.js';
import { runCall } from '../../src/cli/call.js';
import { runAgent } from '../../src/cli/agent.js';

const PORT = 18443;

interface Output { stdout: string; stderr: string; code: number }
const io = (o: Output) => ({ stdout: (s: string) => { o.stdout += s; }, stderr: (s: string) => { o.stderr += s; }, env: {} });

t.test('a CNAME at the TLSA name is followed while secure', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const hosts = ['cnok', 'cnbad', 'cninsec'];
  const w = await daneWorld(t, hosts.map((h) => `${h}.acme.agents`), (d, lease) => [
    ...hosts.map((h, i) => `${h} IN SVCB 1 ${h}.acme.agents. alpn="mcp" port=${PORT} key65320="/mcp" key65321="streamable-http" key65322="echo"\n${h} IN A ${lease.host(20 + i)}`),
    `_${PORT}._tcp.cnok IN CNAME tlsa-shared.acme.agents.`,
    `tlsa-shared IN TLSA 3 1 1 ${d.spki}`,
    `_${PORT}._tcp.cnbad IN CNAME tlsa-stale.acme.agents.`,
    `tlsa-stale IN TLSA 3 1 1 ${'00'.repeat(32)}`,
    `_${PORT}._tcp.cninsec IN CNAME tlsa.insec.acme.agents.`,
  ], { unsigned: () => `tlsa IN TLSA 3 1 1 ${'00'.repeat(32)}` });
  const sites = await Promise.all(hosts.map((_, i) => startHttpsSite(w.lease.host(20 + i), PORT, { cert: w.certs.cert, key: w.certs.key }, { '/mcp': { mcp: ['echo'] } })));
  t.teardown(async () => { for (const s of sites) await s.close(); });
  const common = { server: w.server, json: true, timeout: 8, allowLoopbackZone: ['acme.agents'], trustAnchor: [w.anchorFile] };

  const a: Output = { stdout: '', stderr: '', code: 0 };
  a.code = await runAgent({ name: 'cnok.acme.agents', ...common }, io(a));
  t.equal(a.code, 0, a.stderr);
  const card = JSON.parse(a.stdout) as { endpoints: Array<{ tlsa?: string[] }> };
  t.same(card.endpoints[0]!.tlsa, [`030101${w.digests.spki}`], 'the card has the RRset at the end of the CNAME');

  const ok: Output = { stdout: '', stderr: '', code: 0 };
  ok.code = await runCall({ name: 'cnok.acme.agents', arg: ['text=hi'], ...common }, io(ok));
  t.equal(ok.code, 0, `called through DANE-EE (${ok.stderr.trim()})`);
  t.match(ok.stdout, /echo: hi/);

  const bad: Output = { stdout: '', stderr: '', code: 0 };
  bad.code = await runCall({ name: 'cnbad.acme.agents', arg: ['text=hi'], ...common }, io(bad));
  t.equal(bad.code, 30, `the shared RRset matches nothing: exit 30 (${bad.stderr.trim()})`);
  t.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, 'ERR_DANE_MISMATCH');
  t.notOk(sites[1]!.hits.includes('/mcp'), 'no MCP request reached it');

  const refused: Output = { stdout: '', stderr: '', code: 0 };
  refused.code = await runCall({ name: 'cninsec.acme.agents', arg: ['text=hi'], ...common }, io(refused));
  t.equal(refused.code, 29, `an insecure step under the anchor: the default policy refuses the agent (${refused.stderr.trim()})`);
  t.match((JSON.parse(refused.stdout) as { error: { code: string; message: string } }).error, { code: 'ERR_AGENT_INSECURE', message: /_18443\._tcp\.cninsec\.acme\.agents\. TLSA: not DNSSEC-secure/ });
  const webpki: Output = { stdout: '', stderr: '', code: 0 };
  webpki.code = await runCall({ name: 'cninsec.acme.agents', arg: ['text=hi'], ...common, requireSecure: false, ca: w.certs.ca }, io(webpki));
  t.equal(webpki.code, 0, `--no-require-secure: the insecure TLSA is not used, WebPKI (--ca) lets it through (${webpki.stderr.trim()})`);
  t.match(webpki.stdout, /echo: hi/);
});

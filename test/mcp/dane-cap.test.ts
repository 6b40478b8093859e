// DANE for capability documents: an agent in aop's form whose `cap` names an https document on
// another host of the signed acme.agents, with a secure TLSA at that host's _<port>._tcp name. The
// document's server has a certificate from a CA the client does not trust: with a matching TLSA
// (3 1 1) the document is fetched and verified against cap-sha256 (WebPKI alone would refuse it,
// leaving the card unverified); with a TLSA that matches nothing the record is refused with
// ERR_CAP_DANE_MISMATCH (exit 32) before any HTTP request reaches the document's server, and
// the tool is never called.

import t from 'tap';
import { requireTool } from '../helpers/peers.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { daneWorld } from '../helpers/dane-world.js';
import { capDigest } from '../../src/agent/index.js';
import { runCall } from '../../src/cli/call.js';
import { runAgent } from '../../src/cli/agent.js';

const PORT = 18443;
const DOC = Buffer.from('{"endpoints":{"mcp":"/mcp"}}');
const DOC_PATH = '/cap/doc.json';

interface Output { stdout: string; stderr: string; code: number }
const io = (o: Output) => ({ stdout: (s: string) => { o.stdout += s; }, stderr: (s: string) => { o.stderr += s; }, env: {} });

t.test('capability documents are DANE-checked', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const rec = (name: string, capHost: string) => `${name} IN SVCB 1 dane.acme.agents. alpn="mcp" port=${PORT} key65320="/mcp" key65321="streamable-http" key65322="echo" key65400="https://${capHost}.acme.agents:${PORT}${DOC_PATH}" key65401="${capDigest(DOC)}"`;
  const w = await daneWorld(t, ['dane.acme.agents', 'capgood.acme.agents', 'capbad.acme.agents'], (d, lease) => [
    rec('capok', 'capgood'), rec('capfail', 'capbad'),
    `dane IN A ${lease.host(20)}`, `capgood IN A ${lease.host(21)}`, `capbad IN A ${lease.host(22)}`,
    `_${PORT}._tcp.dane IN TLSA 3 1 1 ${d.spki}`,
    `_${PORT}._tcp.capgood IN TLSA 3 1 1 ${d.spki}`,
    `_${PORT}._tcp.capbad IN TLSA 3 1 1 ${'00'.repeat(32)}`,
  ]);
  const tls = { cert: w.certs.cert, key: w.certs.key };
  const endpoint = await startHttpsSite(w.lease.host(20), PORT, tls, { '/mcp': { mcp: ['echo'] } });
  const good = await startHttpsSite(w.lease.host(21), PORT, tls, { [DOC_PATH]: { body: DOC, type: 'application/json' } });
  const bad = await startHttpsSite(w.lease.host(22), PORT, tls, { [DOC_PATH]: { body: DOC, type: 'application/json' } });
  t.teardown(async () => { for (const s of [endpoint, good, bad]) await s.close(); });
  const common = { server: w.server, json: true, timeout: 8, allowLoopbackZone: ['acme.agents'], trustAnchor: [w.anchorFile] };

  const a = { stdout: '', stderr: '', code: 0 };
  a.code = await runAgent({ name: 'capok.acme.agents', ...common }, io(a));
  t.equal(a.code, 0, a.stderr);
  const card = JSON.parse(a.stdout) as { capVerified?: boolean; warnings: string[] };
  t.equal(card.capVerified, true, 'the document came through DANE-EE and its SHA-256 is the record\'s');
  t.ok(good.hits.includes(DOC_PATH), 'the document was fetched');

  // aop agent probed the endpoint (initialize + ping): only what comes after counts below.
  const before = endpoint.hits.length;
  const c = { stdout: '', stderr: '', code: 0 };
  c.code = await runCall({ name: 'capfail.acme.agents', arg: ['text=hi'], ...common }, io(c));
  t.equal(c.code, 32, `a TLSA the document's certificate does not match: exit 32 (${c.stderr.trim()})`);
  const e = JSON.parse(c.stdout) as { error: { code: string; message: string } };
  t.equal(e.error.code, 'ERR_CAP_DANE_MISMATCH');
  t.match(e.error.message, new RegExp(`capability document \\(cap\\): https://capbad\\.acme\\.agents:${PORT}${DOC_PATH}: DANE: the certificate of capbad\\.acme\\.agents matches none of its 1 TLSA record\\(s\\) \\(SHA-256 of its key: ${w.digests.spki}\\)`));
  t.same(bad.hits, [], 'no HTTP request reached the document server that failed DANE');
  t.same(endpoint.hits.slice(before), [], 'the tool was not called: nothing more reached the endpoint');
});

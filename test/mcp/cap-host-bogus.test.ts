// Bogus records of a capability document's host refuse an aop-form record (src/mcp/locate.ts):
// an agent in aop's form whose `cap` names a document on doc.insec.acme.agents, a child that the
// signed acme.agents delegates WITH a DS while the child is served unsigned, so every answer
// under it is bogus. The record's own endpoint is fine (secure, DANE-EE), and a document that
// merely cannot be had is only a warning for a record in aop's form; but bogus records of the
// document's host mean someone may be in the path: `aop agent` and `aop call` refuse with
// ERR_AGENT_BOGUS (exit 28), no request reaches the document's server and the tool is not called.

import t from 'tap';
import { requireTool } from '../helpers/peers.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { daneWorld } from '../helpers/dane-world.js';
import { capDigest } from '../../src/agent/index.js';
import { runCall } from '../../src/cli/call.js';
import { runAgent } from '../../src/cli/agent.js';

const PORT = 18444;
const DOC = Buffer.from('{"endpoints":{"mcp":"/mcp"}}');
const DOC_PATH = '/cap/doc.json';

interface Output { stdout: string; stderr: string; code: number }
const io = (o: Output) => ({ stdout: (s: string) => { o.stdout += s; }, stderr: (s: string) => { o.stderr += s; }, env: {} });

t.test('bogus records of the document host refuse an aop-form record', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const w = await daneWorld(t, ['dane.acme.agents', 'doc.insec.acme.agents'], (d, lease) => [
    `capbogus IN SVCB 1 dane.acme.agents. alpn="mcp" port=${PORT} key65320="/mcp" key65321="streamable-http" key65322="echo" key65400="https://doc.insec.acme.agents:${PORT}${DOC_PATH}" key65401="${capDigest(DOC)}"`,
    `dane IN A ${lease.host(20)}`,
    `_${PORT}._tcp.dane IN TLSA 3 1 1 ${d.spki}`,
    // A DS for a child that is not signed: the chain says signed, the child's answers carry no RRSIG.
    `insec IN DS 4711 13 2 ${'ab'.repeat(32)}`,
  ], { unsigned: (_d, lease) => `doc IN A ${lease.host(21)}` });
  const tls = { cert: w.certs.cert, key: w.certs.key };
  const endpoint = await startHttpsSite(w.lease.host(20), PORT, tls, { '/mcp': { mcp: ['echo'] } });
  const doc = await startHttpsSite(w.lease.host(21), PORT, tls, { [DOC_PATH]: { body: DOC, type: 'application/json' } });
  t.teardown(async () => { for (const s of [endpoint, doc]) await s.close(); });
  const common = { server: w.server, json: true, timeout: 8, allowLoopbackZone: ['acme.agents'], trustAnchor: [w.anchorFile] };

  const a = { stdout: '', stderr: '', code: 0 };
  a.code = await runAgent({ name: 'capbogus.acme.agents', ...common }, io(a));
  t.equal(a.code, 28, `aop agent: the document host's records are bogus: exit 28 (${a.stderr.trim()})`);
  t.match(JSON.parse(a.stdout), { error: { code: 'ERR_AGENT_BOGUS', message: /doc\.insec\.acme\.agents/ } }, 'the error names the document host');

  const c = { stdout: '', stderr: '', code: 0 };
  c.code = await runCall({ name: 'capbogus.acme.agents', arg: ['text=hi'], ...common }, io(c));
  t.equal(c.code, 28, `aop call: refused with exit 28 (${c.stderr.trim()})`);
  t.equal((JSON.parse(c.stdout) as { error: { code: string } }).error.code, 'ERR_AGENT_BOGUS');
  t.same(doc.hits, [], 'no request reached the document server');
  t.same(endpoint.hits, [], 'nothing reached the endpoint: no probe, no tool call');
});

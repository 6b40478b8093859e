// The gateway serves its own capability document beside /mcp, at /.well-known/aop/cap/gateway.json:
// application/json, its SHA-256 as ETag, GET and HEAD only; it lists the fixed tools with the
// schemas tools/list gives, and stays the same bytes when per-agent tools come and go.

import t from 'tap';
import { connect, copyZones, startStack } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { capDigest, parseCapability } from '../../src/agent/index.js';
import { GATEWAY_CAP_PATH } from '../../src/mcp/gateway/capability.js';

const NET = await leaseNet(t);
const DNS = NET.host(1);
const HOSTS = NET.host(2);

t.test('the gateway serves its document beside /mcp', async (t) => {
  const zonesDir = copyZones(t, HOSTS);
  const stack = await startStack(t, { zonesDir, dnsAddress: DNS, agentTools: true, zones: ['acme.agents'] });
  t.equal(stack.http.capabilityUrl, `http://${DNS}:${stack.http.port}${GATEWAY_CAP_PATH}`);
  const res = await fetch(stack.http.capabilityUrl);
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'application/json');
  const bytes = Buffer.from(await res.arrayBuffer());
  t.equal(res.headers.get('etag'), `"${capDigest(bytes)}"`, 'the ETag is the cap-sha256 a record would pin');
  const doc = parseCapability(bytes).document!;
  t.ok(doc !== undefined, "a document in aop's format");
  t.equal(doc.name, 'aop/gateway');
  t.equal(doc.endpoints.mcp, '/mcp');
  t.same(doc.remotes, [{ type: 'streamable-http', url: stack.url }]);

  const client = await connect(t, stack.url);
  const { tools } = await client.listTools();
  const fixed = tools.slice(0, 8);
  t.ok(tools.length > 8, 'tools/list has per-agent tools too');
  t.same(doc.tools.map((x) => x.name), fixed.map((x) => x.name), 'the document lists the fixed tools, in order');
  t.same(doc.tools.map((x) => x.inputSchema), fixed.map((x) => x.inputSchema), 'with the input schemas tools/list gives');
  t.same(doc.tools.map((x) => x.description), fixed.map((x) => x.description));

  const again = Buffer.from(await (await fetch(stack.http.capabilityUrl)).arrayBuffer());
  t.ok(again.equals(bytes), 'the same bytes on every request');
  t.equal((await fetch(stack.http.capabilityUrl, { method: 'HEAD' })).status, 200);
  t.equal((await fetch(stack.http.capabilityUrl, { method: 'DELETE' })).status, 405);
  t.equal((await fetch(stack.http.capabilityUrl, { headers: { 'if-none-match': res.headers.get('etag')! } })).status, 304);
  t.equal((await fetch(`http://${DNS}:${stack.http.port}/.well-known/aop/cap/other.json`)).status, 404, 'nothing else under the folder');
});

// The TLS demo world with a third-party client: the MCP SDK's own client (StreamableHTTPClientTransport
// over undici, trusting the local CA and nothing aop-specific) calls every https demo agent of the
// bundled zones by its URL's host name; the plain-http endpoints still answer; and a client that does
// not trust the CA is refused at the handshake.

import t from 'tap';
import dns from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { startDemoAgents } from '../../src/mcp/demo/index.js';
import { openLocalCa } from '../../src/mcp/local-ca.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { rewrittenZones } from '../helpers/mcp-agents.js';

const ARGS: Record<string, Record<string, unknown>> = {
  draft_copy: { task: 'a haiku' }, edit_text: { text: 'teh cat' }, translate: { text: 'hello', target_language: 'es' },
  research: { topic: 'dns' }, summarize: { text: 'One. Two. Three.' }, plan_project: { goal: 'ship' },
  write_code: { task: 'add' }, review_code: { code: 'eval(x)' },
};

/** undici with the local CA and every name resolved to `address` (the test's loopback), as the zones would. */
function fetchVia(address: string, ca: string | undefined): { fetch: FetchLike; close(): Promise<void> } {
  const lookup: typeof dns.lookup = ((_host: string, opts: dns.LookupOptions, cb: (err: Error | null, address: string | dns.LookupAddress[], family?: number) => void) => {
    if (opts.all) cb(null, [{ address, family: 4 }]);
    else cb(null, address, 4);
  }) as typeof dns.lookup;
  const dispatcher = new Agent({ connect: { lookup, ...(ca !== undefined ? { ca } : {}) } });
  return {
    fetch: ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher } as never)) as unknown as FetchLike,
    close: () => dispatcher.close(),
  };
}

t.test('the MCP SDK client calls every https demo agent, trusting the local CA', async (t) => {
  const net = await leaseNet(t);
  const host = net.host(7);
  const zonesDir = rewrittenZones(t, host, undefined, true);
  const root = mkdtempSync(path.join(os.tmpdir(), 'aop-tls-sdk-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const ca = await openLocalCa(path.join(root, 'local-ca'));
  const demo = await startDemoAgents({ zonesDir, host, tls: ca });
  t.teardown(() => demo.close());
  t.same(demo.httpsHosts, ['hub.globex.agents', 'lab.acme.agents', 'mcp.acme.agents', 'summarizer.acme.agents'], 'one leaf for the https hosts');

  const https = demo.agents.filter((a) => a.url.startsWith('https://'));
  const http = demo.agents.filter((a) => a.url.startsWith('http://'));
  t.equal(https.length, 8, 'one https endpoint per agent');
  t.equal(http.length, 10, 'and the ten plain-http ones');
  for (const a of https) t.match(a.url, /^https:\/\/[a-z.-]+:184\d\d\//, `${a.name}: on a 184xx port`);

  const trusted = fetchVia(host, ca.caPem);
  t.teardown(() => trusted.close());
  for (const a of [...https, ...http]) {
    const client = new Client({ name: 'sdk-tls-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(a.url), { fetch: trusted.fetch }));
    const tools = await client.listTools();
    t.same(tools.tools.map((x) => x.name), [a.tool], `${a.url}: tools/list`);
    const r = await client.callTool({ name: a.tool, arguments: ARGS[a.tool] ?? {} });
    t.notOk(r.isError, `${a.url}: ${a.tool} answered`);
    t.match((r.content as Array<{ text: string }>)[0]!.text, a.name.replace(/\.$/, '').split('.')[0]!, `${a.url}: by ${a.name}`);
    await client.close();
  }

  // Without the CA: the system roots do not know it, and the handshake fails.
  const untrusted = fetchVia(host, undefined);
  t.teardown(() => untrusted.close());
  const client = new Client({ name: 'sdk-tls-test', version: '0.0.0' });
  await t.rejects(client.connect(new StreamableHTTPClientTransport(new URL(https[0]!.url), { fetch: untrusted.fetch })), 'an untrusting client is refused');
  const raw = await untrusted.fetch(https[0]!.url, { method: 'POST' }).then(() => 'answered', (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? err.message);
  t.match(raw, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/, 'a certificate error, not a connection one');
});

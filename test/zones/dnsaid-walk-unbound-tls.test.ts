// The bundled zones through a real Unbound (a stub zone at an aop server holding them), walked as
// the DNS-AID reference client (dns-aid-core 0.28) walks an organisation (the model of
// dnsaid-walk.test.ts): the TXT index's first string, SVCB at `{label}.{org}`, one AliasMode hop,
// the first ServiceMode record of the answer as it comes, `https://<target>:<port>`. Every agent's
// first record gives an https URL with a named host, and the demo agents answer at it over https
// with the local CA's certificate for that name (the MCP SDK's client, trusting the CA). The path
// is aop's key65320 here; dns-aid-core takes it from the `cap` document, which names the same one.

import t from 'tap';
import dns from 'node:dns';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { dnsAidIndexView, readSvcb, SvcKey } from '../../src/agent/index.js';
import { startDemoAgents } from '../../src/mcp/demo/index.js';
import { openLocalCa } from '../../src/mcp/local-ca.js';
import { exchange } from '../../src/transport/index.js';
import { encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { parseListen } from '../../src/server/listen.js';
import { requireDaemon } from '../helpers/child.js';
import { intoNet, leaseNet } from '../helpers/loopback-net.js';
import { startDaemon } from '../helpers/server.js';
import { startUnbound } from '../helpers/unbound.js';
import { repoRoot } from '../helpers/mcp-agents.js';

t.test('a DNS-AID walk through Unbound finds an https URL for every agent, and the demo agents answer it', async (t) => {
  if (!requireDaemon(t, 'unbound', 'unbound')) return;
  const net = (await leaseNet(t)).net;
  const agentsAt = `${net}20`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dnsaid-unbound-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The bundled zones as they are (https first), the agents' hosts on this test's address, the
  // name servers' glue moved into the net (Unbound may ask them).
  const zonesDir = path.join(dir, 'zones');
  mkdirSync(zonesDir);
  for (const f of readdirSync(path.join(repoRoot, 'zones')).filter((n) => n.endsWith('.zone'))) {
    const text = readFileSync(path.join(repoRoot, 'zones', f), 'utf8').replaceAll('127.0.0.1', agentsAt).replace(/^[^\n;]*IN AAAA\s+::1[^\n]*$/gm, '');
    writeFileSync(path.join(zonesDir, f), intoNet(text, net));
  }
  await startDaemon(t, { zonesDir, listen: [parseListen(`${net}6:53`)] });
  const ca = await openLocalCa(path.join(dir, 'local-ca'));
  const demo = await startDemoAgents({ zonesDir, host: agentsAt, tls: ca });
  t.teardown(() => demo.close());
  await startUnbound(t, {
    dir: path.join(dir, 'unbound'), address: `${net}7`,
    stubs: { 'agents.': [`${net}6`] },
    ready: { name: 'agents.', type: 'SOA' },
  });
  const ask = async (name: string, type: number) => {
    const r = await exchange({ address: `${net}7`, port: 53 }, encodeQuery(name, type, { rd: true }), { timeout: 10_000 });
    return r.message.answers.filter((a) => a.type === type && a.name.toLowerCase() === name.toLowerCase());
  };

  // The client: undici trusting the local CA, connecting where Unbound says the target is.
  const resolved = new Map<string, string>();
  const lookup = ((host: string, opts: dns.LookupOptions, cb: (err: Error | null, address: string | dns.LookupAddress[], family?: number) => void) => {
    const address = resolved.get(host.toLowerCase());
    if (address === undefined) cb(Object.assign(new Error(`${host}: not resolved by the walk`), { code: 'ENOTFOUND' }), '');
    else if (opts.all) cb(null, [{ address, family: 4 }]);
    else cb(null, address, 4);
  }) as typeof dns.lookup;
  const dispatcher = new Agent({ connect: { ca: ca.caPem, lookup } });
  t.teardown(() => dispatcher.close());
  const fetch = ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher } as never)) as unknown as FetchLike;

  const called: string[] = [];
  for (const org of ['acme.agents', 'globex.agents']) {
    const txt = await ask(`_index._agents.${org}.`, RRType.TXT);
    const entries = dnsAidIndexView(txt.map((r) => r.rdata));
    t.ok(entries.length > 0, `${org}: the TXT index lists agents`);
    for (const e of entries) {
      const name = `${e.label}.${org}.`;
      let answer = await ask(name, RRType.SVCB);
      let first = readSvcb(answer[0]!.rdata);
      if (first.priority === 0) {
        // One AliasMode hop (also into the other organisation), then the first ServiceMode record.
        answer = await ask(first.target, RRType.SVCB);
        first = readSvcb(answer.find((r) => readSvcb(r.rdata).priority > 0)!.rdata);
      }
      // dns-aid-core strips the final dot: "." would leave no host and drop the record.
      const host = first.target.replace(/\.$/, '');
      t.not(host, '', `${name}: a named target`);
      const port = first.params.get(SvcKey.port)!.readUInt16BE(0);
      t.notOk(first.params.has(SvcKey.scheme), `${name}: the first record is https (no key65326)`);
      const addrs = (await ask(`${host}.`, RRType.A)).map((r) => [...r.rdata].join('.'));
      t.same(addrs, [agentsAt], `${name}: ${host} resolves through Unbound`);
      resolved.set(host.toLowerCase(), addrs[0]!);
      const url = `https://${host}:${port}${first.params.get(SvcKey.path)!.toString('latin1')}`;
      const client = new Client({ name: 'dns-aid-model', version: '0.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch }));
      const tools = await client.listTools();
      t.ok(tools.tools.some((x) => x.name === first.params.get(SvcKey.tool)!.toString('latin1')), `${name}: ${url} answers over https with its tool`);
      await client.close();
      called.push(name);
    }
  }
  t.equal(called.length, 9, 'all nine indexed names, every one callable over https');
});

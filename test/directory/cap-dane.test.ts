// The directory's crawler DANE-checks capability documents as the hand-off does: in an aop-signed
// acme.agents, crawled through a VerifiedLookup at the validating daemon (on loopback, so its AD is
// trusted), an agent whose document server's certificate (from a CA the crawler does not trust)
// matches the secure TLSA of its host has the document read and checked against cap-sha256; one
// whose TLSA matches nothing gets the zone problem ERR_CAP_DANE_MISMATCH and no HTTP request.

import t from 'tap';
import path from 'node:path';
import { requireTool } from '../helpers/peers.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { daneWorld } from '../helpers/dane-world.js';
import { capDigest } from '../../src/agent/index.js';
import { Crawler, DirectoryStore } from '../../src/directory/index.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { VerifiedLookup } from '../../src/mcp/security.js';

const PORT = 18443;
const DOC = Buffer.from(JSON.stringify({ description: 'Echoes', capabilities: ['echo'], endpoints: { mcp: '/mcp' } }));

t.test('the crawler DANE-checks capability documents', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const rec = (name: string, capHost: string) => `${name} IN SVCB 1 mcp.acme.agents. alpn="mcp" port=${PORT} key65320="/mcp" key65321="streamable-http" key65322="echo" key65400="https://${capHost}.acme.agents:${PORT}/doc.json" key65401="${capDigest(DOC)}"\n_index._agents IN PTR ${name}.acme.agents.`;
  const w = await daneWorld(t, ['capgood.acme.agents', 'capbad.acme.agents'], (d, lease) => [
    rec('capok', 'capgood'), rec('capfail', 'capbad'),
    `capgood IN A ${lease.host(20)}`, `capbad IN A ${lease.host(21)}`,
    `_${PORT}._tcp.capgood IN TLSA 3 1 1 ${d.spki}`,
    `_${PORT}._tcp.capbad IN TLSA 3 1 1 ${'00'.repeat(32)}`,
  ]);
  const tls = { cert: w.certs.cert, key: w.certs.key };
  const good = await startHttpsSite(w.lease.host(20), PORT, tls, { '/doc.json': { body: DOC, type: 'application/json' } });
  const bad = await startHttpsSite(w.lease.host(21), PORT, tls, { '/doc.json': { body: DOC, type: 'application/json' } });
  t.teardown(async () => { await good.close(); await bad.close(); });

  const [address, port] = w.server.split(':');
  const lookup = new VerifiedLookup(new NetworkLookup({ address: address!, port: Number(port) }, { dnssec: true }));
  const store = DirectoryStore.open(path.join(w.dir, 'dir.db'));
  t.teardown(() => store.close());
  const crawler = new Crawler({ store, lookup, orgs: ['acme.agents'], transfer: false, allowLoopback: true, concurrency: 2 });
  t.teardown(() => crawler.close());
  const report = (await crawler.crawlOnce()).zones.find((z) => z.zone === 'acme.agents')!;

  t.equal(store.get('capok.acme.agents')?.capCheck, 'checked', 'the document came through DANE-EE and matched cap-sha256');
  t.ok(good.hits.includes('/doc.json'));
  const problem = report.problems.find((p) => /capfail/.test(p.message));
  t.equal(problem?.code, 'ERR_CAP_DANE_MISMATCH', `the failing one is a zone problem of its own (${problem?.message ?? 'none'})`);
  t.match(problem?.message, /DANE: the certificate of capbad\.acme\.agents matches none of its 1 TLSA record\(s\)/);
  t.same(bad.hits, [], 'no HTTP request reached the document server that failed DANE');
});

// Hostile organisations beside a good one, all served by the real daemon on a loopback /24 of the
// test's own and crawled together: an index longer than the budget, index pages that loop and go
// too deep, agents whose names loop through CNAMEs, a capability document of a megabyte and one
// that does not match its cap-sha256, a zone too slow for its time budget, and a zone whose serial
// changes at every check. Each is a zone problem with its reason; the good organisation is whole.

import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { capDigest } from '../../src/agent/index.js';
import { Crawler, DirectoryStore, type ZoneReport } from '../../src/directory/index.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { makeCertificates } from '../helpers/tls-cert.js';

const DOC_PORT = 18943;

function zone(origin: string, addr: string, body: string[], serial = 1): string {
  return [`$ORIGIN ${origin}.`, '$TTL 300', `@ IN SOA ns.${origin}. host.${origin}. ( ${serial} 3600 900 604800 300 )`, `@ IN NS ns.${origin}.`,
    `ns IN A ${addr}`, `mcp IN A ${addr}`, ...body, ''].join('\n');
}

const agent = (label: string, origin: string, extra = ''): string =>
  `${label} IN SVCB 1 mcp.${origin}. ( alpn="mcp" port=18199 key65320="/${label}" key65321="streamable-http" key65322="work_${label.replace(/-/g, '_')}" key65323="testing" key65324="Agent ${label}" key65326="http"${extra} )`;

t.test('hostile organisations cannot starve a good one', async (t) => {
  const net = await leaseNet(t);
  const address = net.host(1);
  const docsAddress = net.host(2);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dir-hostile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const zonesDir = path.join(dir, 'zones');
  const certs = makeCertificates(path.join(dir, 'tls'), { names: ['docs.good.test', 'docs.huge.test'], ips: [] });

  const goodDoc = Buffer.from(JSON.stringify({ description: 'Summarises documents', capabilities: ['summarization'], tools: [{ name: 'summarize_pdf', description: 'Summarises a PDF', inputSchema: { type: 'object', properties: { pdf_url: { type: 'string' } } } }] }));
  const hugeDoc = Buffer.from(JSON.stringify({ description: 'x', padding: 'y'.repeat(1_000_000) }));
  const site = await startHttpsSite(docsAddress, DOC_PORT, { cert: certs.cert, key: certs.key }, {
    '/good.json': { body: goodDoc, type: 'application/json' },
    '/huge.json': { body: hugeDoc, type: 'application/json' },
    '/tampered.json': { body: goodDoc, type: 'application/json' },
  });
  t.teardown(() => site.close());

  const files: Record<string, string> = {
    'good.test.zone': zone('good.test', address, [
      `docs IN A ${docsAddress}`,
      agent('alpha', 'good.test', ` key65400="https://docs.good.test:${DOC_PORT}/good.json" key65401="${capDigest(goodDoc)}"`),
      agent('beta', 'good.test'), agent('gamma', 'good.test'),
      '_index._agents IN PTR alpha.good.test.', '_index._agents IN PTR beta.good.test.', '_index._agents IN PTR gamma.good.test.',
    ]),
    // 600 agents in three pages; the budget takes 400.
    'many.test.zone': zone('many.test', address, [
      ...[0, 1, 2].map((p) => `_index._agents IN PTR p${p}._index._agents.many.test.`),
      ...Array.from({ length: 600 }, (_, i) => [agent(`a${i}`, 'many.test'), `p${i % 3}._index._agents IN PTR a${i}.many.test.`]).flat(),
    ]),
    // Pages that name themselves and each other, a chain one level too deep, and names that CNAME each other.
    'loops.test.zone': zone('loops.test', address, [
      '_index._agents IN PTR d1._index._agents.loops.test.', '_index._agents IN PTR cn1.loops.test.',
      'd1._index._agents IN PTR d1._index._agents.loops.test.', 'd1._index._agents IN PTR _index._agents.loops.test.', 'd1._index._agents IN PTR d2._index._agents.loops.test.',
      'd2._index._agents IN PTR d3._index._agents.loops.test.', 'd3._index._agents IN PTR ok.loops.test.', 'd3._index._agents IN PTR d4._index._agents.loops.test.',
      'd4._index._agents IN PTR deep.loops.test.',
      agent('ok', 'loops.test'), agent('deep', 'loops.test'),
      'cn1 IN CNAME cn2.loops.test.', 'cn2 IN CNAME cn1.loops.test.',
    ]),
    // A document of a megabyte, and one that is not the one its record pins.
    'huge.test.zone': zone('huge.test', address, [
      `docs IN A ${docsAddress}`,
      agent('big', 'huge.test', ` key65400="https://docs.huge.test:${DOC_PORT}/huge.json" key65401="${capDigest(hugeDoc)}"`),
      agent('liar', 'huge.test', ` key65400="https://docs.huge.test:${DOC_PORT}/tampered.json" key65401="${capDigest(Buffer.from('something else'))}"`),
      '_index._agents IN PTR big.huge.test.', '_index._agents IN PTR liar.huge.test.',
    ]),
  };
  const { mkdirSync } = await import('node:fs');
  mkdirSync(zonesDir);
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(zonesDir, f), text);
  const daemon = new Daemon({ zonesDir, listen: [parseListen(`${address}:0`)], transfers: { allow: ['127.0.0.0/8'] } });
  await daemon.start();
  t.teardown(() => daemon.close());
  const server = { address, port: daemon.listeners[0]!.address.port };
  const lookup = new NetworkLookup(server);
  const ca = [readFileSync(certs.ca, 'utf8')];
  const orgs = ['good.test', 'many.test', 'loops.test', 'huge.test'];
  const byZone = (zones: ZoneReport[]): Record<string, ZoneReport> => Object.fromEntries(zones.map((z) => [z.zone, z]));
  const codes = (z: ZoneReport): string[] => [...new Set(z.problems.map((p) => p.code))].sort();

  for (const transfer of [false, true]) {
    t.test(transfer ? 'by zone transfer' : 'by queries', async (t) => {
      const store = DirectoryStore.open(path.join(dir, `hostile-${transfer}.db`));
      t.teardown(() => store.close());
      const crawler = new Crawler({ store, lookup, orgs, transfer, transferServers: () => [server], allowLoopback: true, ca, budget: { maxAgents: 400 }, concurrency: 4 });
      t.teardown(() => crawler.close());
      const r = byZone((await crawler.crawlOnce()).zones);
      t.same(codes(r['good.test']!), [], 'the good organisation has no problem');
      t.same(store.namesOf('good.test'), ['alpha.good.test', 'beta.good.test', 'gamma.good.test'], 'and every agent');
      const alpha = store.get('alpha.good.test')!;
      t.equal(alpha.capCheck, 'checked', 'its document matched cap-sha256');
      t.same(alpha.tools.map((x) => x.name), ['work_alpha', 'summarize_pdf'], 'its tools, from the document too');
      t.ok(store.search('"pdf_url"*', {}, 0, 5).some((a) => a.name === 'alpha.good.test'), 'found by a word of an input schema');

      t.same(codes(r['many.test']!), ['ERR_DIRECTORY_TOO_MANY_AGENTS'], 'the long index: its budget, said');
      t.equal(store.namesOf('many.test').length, 400, 'up to the budget');
      t.match(r['many.test']!.problems[0]!.message, /more than 400 agents/);

      const loops = r['loops.test']!;
      t.ok(codes(loops).includes('ERR_DIRECTORY_INDEX_DEPTH'), 'a page four levels down is not read');
      t.ok(loops.problems.some((p) => /cn1\.loops\.test/.test(p.message)), 'the CNAME loop is a problem of its own');
      t.same(store.namesOf('loops.test'), ['ok.loops.test'], 'pages that loop are read once; the agent three levels down is in');

      const huge = r['huge.test']!;
      t.same(codes(huge), ['ERR_CAP_DIGEST_MISMATCH', 'ERR_CAP_TOO_LARGE'], 'the megabyte and the tampered document');
      t.equal(store.get('big.huge.test')?.capCheck, 'unreachable', 'listed, its document not taken');
      t.equal(store.get('liar.huge.test')?.capCheck, 'mismatch', 'listed as not matching');
      t.same(store.problems().filter((p) => p.zone === 'huge.test').map((p) => p.code).sort(), ['ERR_CAP_DIGEST_MISMATCH', 'ERR_CAP_TOO_LARGE'], 'kept in the store beside the zone');
    });
  }

  t.test('a zone too slow for its time budget ends; the others finish', async (t) => {
    const store = DirectoryStore.open(':memory:');
    t.teardown(() => store.close());
    const crawler = new Crawler({ store, lookup, orgs: ['good.test', 'many.test'], transfer: false, allowLoopback: true, ca, budget: { ratePerSecond: 50, maxMs: 1000 }, concurrency: 2 });
    t.teardown(() => crawler.close());
    const r = byZone((await crawler.crawlOnce()).zones);
    t.same(codes(r['good.test']!), []);
    t.equal(store.namesOf('good.test').length, 3, 'the good organisation whole');
    t.ok(codes(r['many.test']!).includes('ERR_DIRECTORY_ZONE_TIMEOUT'), 'the slow one stopped at its time, with the reason');
    t.ok(store.namesOf('many.test').length < 600, 'having read part of it');
  });

  t.test('a zone that changes at every check is backed off and reported', async (t) => {
    const store = DirectoryStore.open(':memory:');
    t.teardown(() => store.close());
    const crawler = new Crawler({ store, lookup, orgs: ['good.test'], transfer: false, allowLoopback: true, ca, minRefreshMs: 1, maxRefreshMs: 86_400_000, churnLimit: 3 });
    t.teardown(() => crawler.close());
    let last: ZoneReport | undefined;
    for (let serial = 2; serial <= 6; serial++) {
      writeFileSync(path.join(zonesDir, 'good.test.zone'), files['good.test.zone']!.replace('( 1 3600', `( ${serial} 3600`));
      await daemon.reloadAsync();
      last = await crawler.checkZone('good.test');
      t.equal(last.outcome, 'crawled', `serial ${serial}: read again`);
    }
    t.ok(codes(last!).includes('ERR_DIRECTORY_CHURN'), 'the churn is a zone problem');
    const z = store.zone('good.test')!;
    t.ok(z.next! - z.checked! > 3_600_000, 'and the next check is later than its refresh');
  });
});

// A change seen at once on NOTIFY: the real daemon NOTIFYs the crawler's listener (as one of its
// secondaries) when a zone's serial moves on reload, and the crawler, whose next scheduled SOA
// check is an hour away, reads the zone again: the new agent is searchable.

import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Crawler, DirectoryStore, listenForNotify, type ZoneReport } from '../../src/directory/index.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { leaseNet } from '../helpers/loopback-net.js';

const agent = (label: string): string =>
  `${label} IN SVCB 1 mcp.news.test. ( alpn="mcp" port=18199 key65320="/${label}" key65321="streamable-http" key65322="${label}_tool" key65324="Agent ${label}" key65326="http" )`;
const zone = (serial: number, labels: string[]): string => [
  '$ORIGIN news.test.', '$TTL 300', `@ IN SOA ns.news.test. host.news.test. ( ${serial} 3600 900 604800 300 )`, '@ IN NS ns.news.test.', 'ns IN A 127.0.0.1', 'mcp IN A 127.0.0.1',
  ...labels.flatMap((l) => [agent(l), `_index._agents IN PTR ${l}.news.test.`]), ''].join('\n');

t.test('NOTIFY: a change is crawled at once, not at the next refresh', async (t) => {
  const net = await leaseNet(t);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dir-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const zonesDir = path.join(dir, 'zones');
  mkdirSync(zonesDir);
  writeFileSync(path.join(zonesDir, 'news.test.zone'), zone(1, ['anchor', 'reporter']));

  const store = DirectoryStore.open(path.join(dir, 'd.db'));
  t.teardown(() => store.close());
  let crawler: Crawler | undefined;
  const listener = await listenForNotify(net.host(2), 0, (z) => crawler?.knows(z) ?? false, (z) => crawler?.notify(z));
  t.teardown(() => listener.close());

  const address = net.host(1);
  const daemon = new Daemon({ zonesDir, listen: [parseListen(`${address}:0`)], transfers: { allow: ['127.0.0.0/8'], notify: [listener.address] } });
  await daemon.start();
  t.teardown(() => daemon.close());
  const lookup = new NetworkLookup({ address, port: daemon.listeners[0]!.address.port });
  crawler = new Crawler({ store, lookup, orgs: ['news.test'], transfer: false, minRefreshMs: 50 });
  t.teardown(() => crawler!.close());

  const rounds: ZoneReport[][] = [];
  let onRound: (() => void) | undefined;
  const ac = new AbortController();
  const running = crawler.run(ac.signal, (r) => { rounds.push(r); onRound?.(); });
  t.teardown(async () => { ac.abort(); await running; });
  const round = (pred: (r: ZoneReport[]) => boolean): Promise<ZoneReport[]> => new Promise((resolve) => {
    const check = (): void => {
      const hit = rounds.find(pred);
      if (hit) { onRound = undefined; resolve(hit); }
    };
    onRound = check;
    check();
  });

  await round((r) => r.some((z) => z.zone === 'news.test' && z.outcome === 'crawled'));
  t.same(store.namesOf('news.test'), ['anchor.news.test', 'reporter.news.test'], 'the first crawl');
  const z = store.zone('news.test')!;
  t.ok(z.next! - z.checked! >= 3_600_000, 'its next SOA check is an hour away (the SOA refresh)');

  writeFileSync(path.join(zonesDir, 'news.test.zone'), zone(2, ['anchor', 'reporter', 'editor']));
  await daemon.reloadAsync();
  const changed = await round((r) => r.some((x) => x.zone === 'news.test' && x.serial === 2));
  t.equal(changed.find((x) => x.zone === 'news.test')!.agents, 3, 'read again on the NOTIFY');
  t.ok(listener.taken >= 1, 'the NOTIFY was taken');
  t.same(store.search('"editor"*', {}, 0, 5).map((a) => a.name), ['editor.news.test'], 'the new agent is searchable');
});

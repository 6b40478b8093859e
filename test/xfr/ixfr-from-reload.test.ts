// IXFR of a zone changed by editing its file and reloading (as BIND's ixfr-from-differences): the
// daemon keeps the difference between the version in service and the one read, so IXFR from the
// old serial sends the changed records alone (read by our client and by kdig), several reloads
// chain, a serial from before the history is a whole transfer, and the directory's crawler
// reads such a change by IXFR, not AXFR.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Crawler, DirectoryStore } from '../../src/directory/index.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { applyDiffs } from '../../src/secondary/apply.js';
import { parseListen } from '../../src/server/listen.js';
import type { RR } from '../../src/wire/rr.js';
import { RRType } from '../../src/wire/types.js';
import { transferIn } from '../../src/xfr/client.js';
import { zoneToText } from '../../src/zone/load.js';
import { Zone } from '../../src/zone/zone.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool, run } from '../helpers/peers.js';
import { startDaemon } from '../helpers/server.js';

const ORG = 'news.test';
const agent = (l: string): string => `${l} IN SVCB 1 mcp.${ORG}. ( alpn="mcp" port=18199 key65320="/${l}" key65321="streamable-http" key65322="${l}_tool" key65324="Agent ${l}" key65326="http" )\n_index._agents IN PTR ${l}.${ORG}.`;
const zoneText = (serial: number, labels: string[]): string => [
  `$ORIGIN ${ORG}.`, '$TTL 300', `@ IN SOA ns.${ORG}. host.${ORG}. ( ${serial} 3600 900 604800 300 )`, `@ IN NS ns.${ORG}.`, 'ns IN A 127.0.0.1', 'mcp IN A 127.0.0.1',
  ...labels.map(agent), ''].join('\n');
const soaOf = (zone: Zone): RR => ({ name: zone.soa.name, type: RRType.SOA, class: 1, ttl: zone.soa.ttl, rdata: zone.soa.rdata[0]! });

t.test('IXFR from the differences of a reload', async (t) => {
  const net = await leaseNet(t);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-ixfr-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, `${ORG}.zone`);
  writeFileSync(file, zoneText(1, ['anchor', 'reporter']));
  const { daemon, port } = await startDaemon(t, { zonesDir: dir, listen: [parseListen(`${net.host(1)}:0`)], transfers: { allow: ['127.0.0.0/8'] } });
  const ours = { address: net.host(1), port };
  const at = (): Zone => daemon.catalog.get(`${ORG}.`)!;

  const store = DirectoryStore.open(':memory:');
  t.teardown(() => store.close());
  const crawler = new Crawler({ store, lookup: new NetworkLookup(ours), orgs: [ORG], transferServers: () => [ours] });
  t.teardown(() => crawler.close());
  t.equal((await crawler.checkZone(ORG)).method, 'axfr', 'the crawler reads the zone whole first');

  const z1 = at();
  writeFileSync(file, zoneText(2, ['anchor', 'reporter', 'editor']));
  await daemon.reloadAsync();
  const z2 = at();
  t.equal(z2.serial, 2);
  const r = await transferIn(ours, `${ORG}.`, { from: soaOf(z1), timeout: 5000 });
  t.equal(r.kind, 'ixfr', 'IXFR from the serial before the reload is incremental');
  if (r.kind === 'ixfr') {
    t.equal(r.diffs.length, 1);
    t.same(r.diffs[0]!.removed, [], 'nothing removed');
    t.equal(r.diffs[0]!.added.length, 2, 'the SVCB and the PTR added');
    t.equal(zoneToText(new Zone(`${ORG}.`, applyDiffs(z1, r.diffs))), zoneToText(z2), 'applied to the old zone they give the new one');
  }

  const c = await crawler.checkZone(ORG);
  t.equal(c.method, 'ixfr', 'the crawler reads the reload by IXFR');
  t.same(store.namesOf(ORG), [`anchor.${ORG}`, `editor.${ORG}`, `reporter.${ORG}`]);

  writeFileSync(file, zoneText(3, ['anchor', 'editor']));
  await daemon.reloadAsync();
  const z3 = at();
  const chained = await transferIn(ours, `${ORG}.`, { from: soaOf(z1), timeout: 5000 });
  t.equal(chained.kind === 'ixfr' ? zoneToText(new Zone(`${ORG}.`, applyDiffs(z1, chained.diffs))) : chained.kind, zoneToText(z3), 'two reloads chain');
  const older = { ...soaOf(z1), rdata: Buffer.from(z1.soa.rdata[0]!) };
  older.rdata.writeUInt32BE(0, older.rdata.length - 20);
  t.equal((await transferIn(ours, `${ORG}.`, { from: older, timeout: 5000 })).kind, 'axfr', 'a serial from before the history: the whole zone');
  t.equal((await crawler.checkZone(ORG)).removed, 1, 'the crawler removes the agent the reload took out');
  t.same(store.namesOf(ORG), [`anchor.${ORG}`, `editor.${ORG}`]);

  if (requireTool(t, 'kdig', 'knot-dnsutils')) {
    const k = await run('kdig', [`@${ours.address}`, '-p', String(port), `${ORG}.`, 'IXFR=2', '+nocomments', '+nostats', '+noquestion']);
    const soas = k.stdout.split('\n').filter((l) => /\sSOA\s/.test(l)).map((l) => Number(l.split(/\s+/)[6]));
    t.same(soas, [3, 2, 3, 3], 'kdig reads the reload\'s change, SOA-delimited');
  }
});

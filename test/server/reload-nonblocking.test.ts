// A reload (SIGHUP, a cluster worker's reload) does not stop the answers: while a zone of
// 150,000 records reloads, the other zones keep answering, the reloading zone answers from its
// previous version until the new one is whole, and reloads asked for meanwhile are coalesced.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ZoneStore } from '../../src/update/store.js';
import { startDaemon } from '../helpers/server.js';
import { rawQuery, udpExchange } from '../helpers/udp.js';

const RECORDS = 150_000;

function zone(origin: string, serial: number, extra = ''): string {
  return `$ORIGIN ${origin}.\n$TTL 300\n@ SOA ns1 hostmaster ${serial} 3600 600 604800 120\n@ NS ns1\nns1 A 192.0.2.1\n${extra}`;
}

function bigZone(serial: number, extra: string): string {
  const lines: string[] = [];
  for (let i = 0; i < RECORDS; i++) lines.push(`h${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return zone('big.agents', serial, `${lines.join('\n')}\n${extra}`);
}

function rcodeOf(r: Buffer | undefined): string {
  if (!r) return 'no reply';
  return ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN'][r[3]! & 0x0f] ?? String(r[3]! & 0x0f);
}

t.test('other zones answer while a big zone reloads; the old version serves until the new one is whole', { timeout: 120000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-reload-nonblocking-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'small.agents.zone'), zone('small.agents', 1, 'x A 192.0.2.10\n'));
  writeFileSync(path.join(dir, 'big.agents.zone'), bigZone(1, ''));
  const { daemon, port } = await startDaemon(t, { zonesDir: dir });
  t.equal(rcodeOf(await udpExchange(port, rawQuery(1, ['x', 'small', 'agents']))), 'NOERROR');
  t.equal(rcodeOf(await udpExchange(port, rawQuery(2, ['fresh', 'big', 'agents']))), 'NXDOMAIN');

  writeFileSync(path.join(dir, 'big.agents.zone'), bigZone(2, 'fresh A 192.0.2.99\n'));
  t.equal(daemon.reloading, false);
  const run = daemon.reloadAsync();
  t.equal(daemon.reloading, true, 'reloading from the call on');
  let small = 0;
  let old = 0;
  let id = 10;
  while (daemon.reloading) {
    const a = await udpExchange(port, rawQuery(id++, ['x', 'small', 'agents']), 30000);
    if (daemon.reloading && rcodeOf(a) === 'NOERROR') small++;
    const b = await udpExchange(port, rawQuery(id++, ['fresh', 'big', 'agents']), 30000);
    if (daemon.reloading && rcodeOf(b) === 'NXDOMAIN') old++;
  }
  t.same(await run, { loaded: 2, failed: 0 });
  t.ok(small > 0, `the small zone answered during the reload (${small} answers)`);
  t.ok(old > 0, `the big zone answered from its previous version during the reload (${old} answers)`);
  t.equal(rcodeOf(await udpExchange(port, rawQuery(id++, ['fresh', 'big', 'agents']))), 'NOERROR', 'the new version once whole');
  t.equal(daemon.catalog.get('big.agents.')!.serial, 2);
});

t.test('reloads asked for during a reload wait, and run once for all of them', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-reload-coalesce-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a.agents.zone');
  writeFileSync(file, zone('a.agents', 1));
  const { daemon } = await startDaemon(t, { zonesDir: dir });
  writeFileSync(file, zone('a.agents', 2));
  const first = daemon.reloadAsync();
  // Written after the first run read the folder would be missed by it: the queued run sees it.
  writeFileSync(path.join(dir, 'b.agents.zone'), zone('b.agents', 1));
  const second = daemon.reloadAsync();
  const third = daemon.reloadAsync();
  t.not(second, first);
  t.equal(third, second, 'one queued reload for every call during the run');
  const r1 = await first;
  t.equal(daemon.reloading, true, 'the queued reload runs next');
  t.same(await second, { loaded: 2, failed: 0 });
  t.ok(r1.loaded >= 1);
  t.equal(daemon.reloading, false);
  t.equal(daemon.catalog.get('a.agents.')!.serial, 2);
  t.equal(daemon.catalog.get('b.agents.')!.serial, 1);
});

t.test('no zone file is rewritten (nor its journal compacted) while a reload reads the files', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-reload-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new ZoneStore({ zonesDir: dir, flushDelayMs: 0 });
  const order: string[] = [];
  let finish!: () => void;
  const reload = store.exclusive(() => new Promise<void>((resolve) => {
    finish = () => {
      order.push('reload done');
      resolve();
    };
  }));
  const flushed = store.flush().then(() => order.push('rewrite'));
  await new Promise((r) => setImmediate(r));
  finish();
  await Promise.all([reload, flushed]);
  t.same(order, ['reload done', 'rewrite']);
});

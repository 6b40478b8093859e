// Transfers in and NOTIFY: a secondary daemon transfers a zone from a primary daemon, the
// primary's zone changes (a reload with a new serial) and it NOTIFYs the secondary, which
// refreshes. The primary's metrics count the AXFR served and the NOTIFY acknowledged; the
// secondary's the transfer in, the NOTIFY received and the zone's serial. Waited on counters.

import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Metrics } from '../../src/base/metrics.js';
import { parseListen } from '../../src/server/listen.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { startDaemon } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { sample } from './helpers.js';

const NET = await leaseNet(t);
const zone = (serial: number): string => `$ORIGIN example.\n$TTL 60\n@ SOA ns hostmaster ${serial} 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.${serial}\n`;

t.test('transfer in, NOTIFY out and in', async (t) => {
  const dir = t.testdir({ primary: { 'example.zone': zone(1) } });
  const pm = new Metrics({ processMetrics: false });
  const sm = new Metrics({ processMetrics: false });
  const v = async (m: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> => {
    const x = sample((await m.exposition()).text, name, labels);
    return Number.isNaN(x) ? 0 : x;
  };
  // The secondary's port is fixed so the primary can be told where to NOTIFY before it starts.
  const secondaryAt = { address: NET.host(2), port: 5300 };
  const p = await startDaemon(t, {
    zonesDir: path.join(dir, 'primary'), listen: [parseListen(`${NET.host(1)}:5300`)], metrics: pm,
    transfers: { allow: [NET.host(2)], notify: [secondaryAt] },
  });
  const s = await startDaemon(t, {
    zonesDir: undefined as unknown as string, listen: [parseListen(`${secondaryAt.address}:${secondaryAt.port}`)], metrics: sm,
    transfers: { secondaries: [{ origin: 'example.', primary: { address: p.host, port: p.port } }] },
  });
  await waitFor(async () => (await v(sm, 'aop_secondary_zone_serial', { zone: 'example.' })) === 1, 'the first transfer');
  t.equal(await v(sm, 'aop_xfr_in_total', { zone: 'example.', result: 'axfr' }), 1, 'an AXFR in');
  t.equal(await v(sm, 'aop_secondary_zone_expired', { zone: 'example.' }), 0);
  t.equal(await v(pm, 'aop_xfr_out_total', { type: 'AXFR', result: 'full' }), 1, 'an AXFR served');
  writeFileSync(path.join(dir, 'primary', 'example.zone'), zone(2));
  p.daemon.reload();
  await waitFor(async () => (await v(sm, 'aop_secondary_zone_serial', { zone: 'example.' })) === 2, 'the refresh after NOTIFY');
  await waitFor(async () => (await v(pm, 'aop_notify_sent_total', { result: 'acknowledged' })) === 1, 'the NOTIFY acknowledged');
  t.equal(await v(sm, 'aop_notify_received_total', { zone: 'example.' }), 1, 'a NOTIFY received');
  t.equal((await v(sm, 'aop_xfr_in_total', { zone: 'example.', result: 'axfr' })) + (await v(sm, 'aop_xfr_in_total', { zone: 'example.', result: 'ixfr' })), 2, 'a second transfer in');
  void s;
});

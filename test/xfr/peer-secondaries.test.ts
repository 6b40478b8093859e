// NSD and Knot as secondaries of our primary: they transfer the zone, answer every name exactly as
// we do, and after a change (a zone file reload) our NOTIFY makes them pick up the new serial.

import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireDaemon, scratchDir } from '../helpers/child.js';
import { query } from '../../src/transport/index.js';
import { compareServers as compare, serialAt as serialOf, startKnotSecondary, startNsdSecondary, waitForSerial as waitFor } from '../helpers/xfr.js';
import { RRType } from '../../src/wire/types.js';
import type { Daemon } from '../../src/server/daemon.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// This file's own loopback /24 (NSD and Knot listen on port 53 in it), leased for its life.
const NET = await leaseNet(t);
const PRIMARY = NET.host(1);
const NSD = NET.host(2);
const KNOT = NET.host(3);
const ORIGIN = 'acme.agents.';

t.test('NSD and Knot as secondaries of our primary', async (t) => {
  const haveNsd = requireDaemon(t, 'nsd', 'nsd');
  const haveKnot = requireDaemon(t, 'knotd', 'knot');
  if (!haveNsd && !haveKnot) return;
  const zonesDir = mkdtempSync(path.join(os.tmpdir(), 'aop-prim-'));
  t.teardown(() => rmSync(zonesDir, { recursive: true, force: true }));
  cpSync(path.join(root, 'zones'), zonesDir, { recursive: true });
  const started: { daemon: Daemon; host: string; port: number } = await startDaemon(t, {
    zonesDir, listen: [{ host: PRIMARY, port: 0, family: 4 }],
    transfers: { allow: [NSD, KNOT], notify: [...(haveNsd ? [{ address: NSD, port: 53 }] : []), ...(haveKnot ? [{ address: KNOT, port: 53 }] : [])], notifyAttempts: 8 },
  });
  const { daemon, port } = started;
  const ours = { address: PRIMARY, port };
  const peers: [string, { address: string; port: number }][] = [];
  if (haveNsd) {
    await startNsdSecondary(t, { dir: scratchDir(t, 'aop-nsd2-'), address: NSD, origin: ORIGIN, primary: ours });
    peers.push(['NSD', { address: NSD, port: 53 }]);
  }
  if (haveKnot) {
    await startKnotSecondary(t, { dir: scratchDir(t, 'aop-knot2-'), address: KNOT, origin: ORIGIN, primary: ours });
    peers.push(['Knot', { address: KNOT, port: 53 }]);
  }
  const zone = daemon.catalog.get(ORIGIN)!;
  for (const [name, server] of peers) {
    t.equal(await serialOf(server, ORIGIN), zone.serial, `${name} serves serial ${zone.serial} after the first transfer`);
    t.same(await compare(ours, server, zone), [], `${name} answers every name of the zone as we do`);
  }

  // A change: the zone file rewritten with a new serial, a new agent and a removed record, then a reload.
  const file = path.join(zonesDir, 'acme.agents.zone');
  const next = zone.serial + 1;
  const text = readFileSync(file, 'utf8').replace(String(zone.serial), String(next)).replace(/^_agent\.writer\s.*$/m, '')
    + 'fresh IN A 127.0.0.77\nfresh IN TXT "added after the first transfer"\n';
  writeFileSync(file, text);
  daemon.reload();
  const changed = daemon.catalog.get(ORIGIN)!;
  t.equal(changed.serial, next, 'our primary serves the new serial');
  for (const [name, server] of peers) {
    t.equal(await waitFor(server, ORIGIN, next, 60_000), next, `${name} serves serial ${next} after our NOTIFY`);
    t.same(await compare(ours, server, changed), [], `${name} answers every name of the changed zone as we do`);
    const gone = await query(server, { name: `_agent.writer.${ORIGIN}`, type: RRType.TXT, class: 1 }, { rd: false });
    t.equal(gone.message.rcode, 3, `${name}: the removed name is gone (NXDOMAIN)`);
  }
  const acked = [...daemon.transfers!.notifier.acked.values()];
  t.ok(acked.filter((s) => s === next).length === peers.length, 'every secondary acknowledged the NOTIFY');
});

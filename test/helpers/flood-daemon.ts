// A daemon with response rate limiting on one small zone (flood.test.), listening on a leased
// loopback /24, for the tests that flood it from sources of their own in the same /24.

import type { Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { leaseNet, type NetLease } from './loopback-net.js';

export const FLOOD_ZONE = '$TTL 300\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\nwww IN A 192.0.2.1\n';

export interface FloodDaemon {
  daemon: Daemon;
  lease: NetLease;
  host: string;
  port: number;
}

/** RRL at `rate` answers/s with slip 2, per /32 (both clients are in the leased /24 and must each be a client of its own). */
export async function startFloodDaemon(t: Test, rate: number): Promise<FloodDaemon> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-flood-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'flood.test.zone'), FLOOD_ZONE);
  const lease = await leaseNet(t);
  const daemon = new Daemon({ zonesDir: dir, listen: [parseListen(`${lease.host(1)}:0`)], rrl: { rate, slip: 2, ipv4Prefix: 32, ipv6Prefix: 56, exempt: [] } });
  await daemon.start();
  t.teardown(() => daemon.close());
  const { host, port } = daemon.listeners[0]!.address;
  return { daemon, lease, host, port };
}

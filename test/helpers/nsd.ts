// NSD as a real authoritative peer: one instance per call, serving the given zones on the given
// loopback addresses, with its own config, pid, zone list and xfrd files in a folder of the test's.
// The port is 53 unless given: take the addresses from a loopback /24 leased for the test
// (leaseNet in loopback-net.ts), so that nothing else, a second copy of the suite included, has them.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkConfig, sbin, startPeer, waitUntilAnswers, type PeerProcess, type Teardownable } from './child.js';
import { nsdServerConf } from './peer-conf.js';

export interface PeerZone {
  /** Without the trailing dot: 'acme.agents'; the root is '.'. */
  origin: string;
  text: string;
}

export interface NsdOptions {
  /** A folder of its own (created). */
  dir: string;
  addresses: string[];
  port?: number;
  zones: PeerZone[];
}

/** Start `nsd -d` and wait until it answers the first zone's SOA on every address. */
export async function startNsd(t: Teardownable, opts: NsdOptions): Promise<PeerProcess> {
  const port = opts.port ?? 53;
  const dir = opts.dir;
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'nsd.conf');
  const lines = nsdServerConf({
    dir, listen: opts.addresses, port,
    // Tests ask version.bind to be sure NSD, not something else, holds the address.
    extra: ['hide-version: no'],
  });
  for (const z of opts.zones) {
    const file = z.origin === '.' ? 'root.zone' : `${z.origin}.zone`;
    writeFileSync(path.join(dir, file), z.text);
    await checkConfig(sbin('nsd-checkzone'), [z.origin, path.join(dir, file)]);
    lines.push('zone:', `  name: "${z.origin}"`, `  zonefile: "${file}"`);
  }
  writeFileSync(conf, lines.join('\n') + '\n');
  await checkConfig(sbin('nsd-checkconf'), [conf]);
  const proc = startPeer(t, `nsd (${opts.addresses.join(', ')})`, sbin('nsd'), ['-d', '-c', conf]);
  const first = opts.zones[0]!.origin;
  for (const a of opts.addresses) await waitUntilAnswers(proc, a, port, first === '.' ? '.' : `${first}.`, 'SOA');
  return proc;
}

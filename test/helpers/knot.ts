// Knot DNS (knotd) as a real authoritative peer: one instance per call, serving the given zones
// on the given loopback addresses, with its config, database and control socket in a test folder.
// The port is 53 unless given: take the addresses from a loopback /24 leased for the test (leaseNet).

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkConfig, sbin, startPeer, waitUntilAnswers, type PeerProcess, type Teardownable } from './child.js';
import { knotServerConf } from './peer-conf.js';
import type { PeerZone } from './nsd.js';

export interface KnotOptions {
  /** A folder of its own (created). */
  dir: string;
  addresses: string[];
  port?: number;
  zones: PeerZone[];
}

/** Start knotd in the foreground and wait until it answers the first zone's SOA on every address. */
export async function startKnot(t: Teardownable, opts: KnotOptions): Promise<PeerProcess> {
  const port = opts.port ?? 53;
  const dir = opts.dir;
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'knot.conf');
  const lines = [
    ...knotServerConf({ dir, listen: opts.addresses.map((a) => `${a}@${port}`) }),
    'template:',
    '  - id: default',
    `    storage: "${dir}"`,
    '    file: "%s.zone"',
    // Serve the files as they are: never write them back, keep no journal.
    '    zonefile-sync: -1',
    '    zonefile-load: whole',
    '    journal-content: none',
    'zone:',
  ];
  for (const z of opts.zones) {
    writeFileSync(path.join(dir, `${z.origin}.zone`), z.text);
    lines.push(`  - domain: ${z.origin}.`);
  }
  writeFileSync(conf, lines.join('\n') + '\n');
  await checkConfig(sbin('knotc'), ['-c', conf, 'conf-check']);
  const proc = startPeer(t, `knotd (${opts.addresses.join(', ')})`, sbin('knotd'), ['-c', conf]);
  for (const a of opts.addresses) await waitUntilAnswers(proc, a, port, `${opts.zones[0]!.origin}.`, 'SOA');
  return proc;
}

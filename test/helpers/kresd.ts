// Knot Resolver (kresd 5) as a real recursive peer: no DNSSEC unless given trust anchors, root hints pointing at a test
// server of `agents.` on loopback, its config and cache in a folder of the test's.
// It listens on port 53: take its address from a loopback /24 leased for the test (leaseNet).

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sbin, startPeer, waitUntilAnswers, type PeerProcess, type Teardownable } from './child.js';

export interface KresdOptions {
  /** A folder of its own (created): config and cache. */
  dir: string;
  /** Where kresd listens for clients (port 53). */
  address: string;
  /** Root hints: server name -> address (the servers of the test hierarchy's top zone). */
  hints: Record<string, string>;
  /** A name kresd must be able to resolve before the test starts. */
  ready: { name: string; type: string };
  /** Validate from these trust anchors (DS or DNSKEY records in zone-file form) instead of none. */
  trustAnchors?: string[];
}

/** Start `kresd -n` and wait until it resolves `opts.ready` (NOERROR or NXDOMAIN). */
export async function startKresd(t: Teardownable, opts: KresdOptions): Promise<PeerProcess> {
  mkdirSync(opts.dir, { recursive: true });
  const conf = path.join(opts.dir, 'kresd.conf');
  const hints = Object.entries(opts.hints).map(([n, a]) => `['${n}'] = '${a}'`).join(', ');
  writeFileSync(conf, [
    `net.listen('${opts.address}', 53, { kind = 'dns' })`,
    'trust_anchors.remove(\'.\')',
    ...(opts.trustAnchors ?? []).map((a) => `trust_anchors.add('${a}')`),
    "modules.load('hints > iterate')",
    `hints.root({ ${hints} })`,
    'cache.size = 10 * MB',
    '',
  ].join('\n'));
  const proc = startPeer(t, `kresd (${opts.address})`, sbin('kresd'), ['-n', '-q', '-c', conf, opts.dir]);
  await waitUntilAnswers(proc, opts.address, 53, opts.ready.name, opts.ready.type, { statuses: ['NOERROR', 'NXDOMAIN'], recursive: true });
  return proc;
}

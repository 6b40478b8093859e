// PowerDNS Recursor as a real recursive peer: no DNSSEC, `agents.` sent (RD=0, as to
// authoritative servers) to a test server on loopback, its config and sockets in a folder of
// the test's. It listens on port 53: take its address from a loopback /24 leased for the test.

import { mkdirSync, writeFileSync } from 'node:fs';
import { sbin, startPeer, waitUntilAnswers, type PeerProcess, type Teardownable } from './child.js';
import path from 'node:path';

export interface PdnsRecursorOptions {
  /** A folder of its own (created). */
  dir: string;
  /** Where it listens for clients (port 53). */
  address: string;
  /** forward-zones: zone ('agents.') -> its authoritative servers. */
  zones: Record<string, string[]>;
  /** A name it must be able to resolve before the test starts. */
  ready: { name: string; type: string };
}

/** Start `pdns_recursor` in the foreground and wait until it resolves `opts.ready`. */
export async function startPdnsRecursor(t: Teardownable, opts: PdnsRecursorOptions): Promise<PeerProcess> {
  mkdirSync(opts.dir, { recursive: true });
  const fwd = Object.entries(opts.zones).map(([z, s]) => `${z}=${s.join(';')}`).join(',');
  writeFileSync(path.join(opts.dir, 'recursor.conf'), [
    `local-address=${opts.address}`,
    'local-port=53',
    'allow-from=127.0.0.0/8',
    // It refuses to ask servers on loopback by default.
    'dont-query=',
    'dnssec=off',
    `forward-zones=${fwd}`,
    `socket-dir=${opts.dir}`,
    'daemon=no',
    'write-pid=no',
    'threads=1',
    'loglevel=4',
    '',
  ].join('\n'));
  const proc = startPeer(t, `pdns_recursor (${opts.address})`, sbin('pdns_recursor'), [`--config-dir=${opts.dir}`]);
  await waitUntilAnswers(proc, opts.address, 53, opts.ready.name, opts.ready.type, { statuses: ['NOERROR', 'NXDOMAIN'], recursive: true });
  return proc;
}

// Unbound as a real recursive peer: iterator only (validating with a trust anchor when given), stub zones pointing at test
// servers on loopback, its config, pidfile and working folder in a folder of the test's.
// It listens on port 53 unless given: take its address from a loopback /24 leased for the test (leaseNet).

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkConfig, sbin, startPeer, waitUntilAnswers, type PeerProcess, type Teardownable } from './child.js';
import { unboundConf } from './peer-conf.js';

export interface UnboundOptions {
  /** A folder of its own (created). */
  dir: string;
  /** Where Unbound listens for clients. */
  address: string;
  port?: number;
  /** stub-zone name ('agents.') -> its servers, 'addr' or 'addr@port'. */
  stubs: Record<string, string[]>;
  /** Query name minimisation; 'strict' forbids falling back to the full name (RFC 9156). */
  qnameMinimisation?: boolean | 'strict';
  /** A name Unbound must be able to resolve before the test starts. */
  ready: { name: string; type: string };
  /** Validate (module-config "validator iterator") with this trust-anchor-file (DS or DNSKEY lines). */
  trustAnchorFile?: string;
}

/** Start `unbound -d` and wait until it resolves `opts.ready` (NOERROR or NXDOMAIN). */
export async function startUnbound(t: Teardownable, opts: UnboundOptions): Promise<PeerProcess> {
  const port = opts.port ?? 53;
  const dir = opts.dir;
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'unbound.conf');
  const qmin = opts.qnameMinimisation ?? true;
  const lines = unboundConf({
    dir, address: opts.address, port,
    // UNBOUND_VERBOSITY=3 logs every upstream query, for looking into a failure.
    verbosity: process.env.UNBOUND_VERBOSITY ?? 1,
    extra: [
      'so-reuseport: no',
      `qname-minimisation: ${qmin ? 'yes' : 'no'}`,
      `qname-minimisation-strict: ${qmin === 'strict' ? 'yes' : 'no'}`,
      'rrset-roundrobin: no',
      'minimal-responses: no',
      // ede: Extended DNS Errors on SERVFAIL, for comparing verdicts with aop's.
      ...(opts.trustAnchorFile ? [`trust-anchor-file: "${opts.trustAnchorFile}"`, 'ede: yes', 'val-log-level: 2'] : []),
    ],
    stubs: opts.stubs,
    ...(opts.trustAnchorFile ? { modules: 'validator iterator' } : {}),
  });
  writeFileSync(conf, lines.join('\n') + '\n');
  await checkConfig(sbin('unbound-checkconf'), [conf]);
  const proc = startPeer(t, `unbound (${opts.address})`, sbin('unbound'), ['-d', '-c', conf]);
  await waitUntilAnswers(proc, opts.address, port, opts.ready.name, opts.ready.type, { statuses: ['NOERROR', 'NXDOMAIN'], recursive: true });
  return proc;
}

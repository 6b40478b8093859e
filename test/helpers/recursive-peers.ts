// The real recursive resolvers aop is compared with (Unbound, Knot Resolver, PowerDNS Recursor),
// each iterating through a test topology's `agents.` root on `${net}2`, on addresses .7 to .9 of
// the topology's /24. A peer that is not installed is skipped (failed under CI=true).

import path from 'node:path';
import { requireDaemon, type Teardownable } from './child.js';
import { startUnbound } from './unbound.js';
import { startKresd } from './kresd.js';
import { startPdnsRecursor } from './pdns-recursor.js';

export type PeerName = 'Unbound' | 'Knot Resolver' | 'PowerDNS Recursor';

export interface RecursivePeer {
  name: PeerName;
  /** Where it answers clients, on port 53. */
  host: string;
}

interface PeerTest extends Teardownable {
  skip(name: string, cb: () => void): unknown;
  fail(msg: string): unknown;
}

/** Start the peers named in `which` (all three by default) against the hierarchy in `net`. */
export async function startRecursivePeers(t: PeerTest, net: string, dir: string, which: PeerName[] = ['Unbound', 'Knot Resolver', 'PowerDNS Recursor']): Promise<RecursivePeer[]> {
  const ready = { name: 'agents.', type: 'SOA' };
  const out: RecursivePeer[] = [];
  if (which.includes('Unbound') && requireDaemon(t, 'unbound', 'unbound')) {
    await startUnbound(t, { dir: path.join(dir, 'unbound'), address: `${net}7`, stubs: { 'agents.': [`${net}2`] }, ready });
    out.push({ name: 'Unbound', host: `${net}7` });
  }
  if (which.includes('Knot Resolver') && requireDaemon(t, 'kresd', 'knot-resolver')) {
    await startKresd(t, { dir: path.join(dir, 'kresd'), address: `${net}8`, hints: { 'a.root.agents.': `${net}2` }, ready });
    out.push({ name: 'Knot Resolver', host: `${net}8` });
  }
  if (which.includes('PowerDNS Recursor') && requireDaemon(t, 'pdns_recursor', 'pdns-recursor')) {
    await startPdnsRecursor(t, { dir: path.join(dir, 'pdns'), address: `${net}9`, zones: { 'agents.': [`${net}2`] }, ready });
    out.push({ name: 'PowerDNS Recursor', host: `${net}9` });
  }
  return out;
}

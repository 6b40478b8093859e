// The observers of the CDS tests (parent `example.`, child `child.example.`): aop's validating
// resolver anchored at the parent's keys, and a fresh Unbound per question when installed (a
// fresh one, so nothing it cached before a change answers after it).

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ManualClock } from '../../src/base/time.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { parseTrustAnchors } from '../../src/resolver/validate/index.js';
import type { Teardownable } from './child.js';
import { dig, type DigResult } from './dig.js';
import { hasTool } from './peers.js';
import { startUnbound } from './unbound.js';
import type { NetLease } from './loopback-net.js';

export interface CdsObserverOptions {
  net: NetLease;
  dir: string;
  /** The parent's address and key folder (its DS set is the resolvers' trust anchor). */
  parent: string;
  parentKeys: string;
  /** The child's name server addresses, for Unbound's stub. */
  children: string[];
  port: number;
  /** The resolver cache's clock; validation reads it too when `validationNow` is given. */
  clock: ManualClock;
  validationNow?: () => number;
}

export interface CdsObservers {
  /** www.child.example A from aop's validating resolver. */
  www(): Promise<DigResult>;
  /** child.example DS, asked of the parent. */
  dsAtParent(): Promise<DigResult>;
  /** Unbound runs (installed, or CI, where a missing one fails). */
  withUnbound: boolean;
  /** www.child.example A from a fresh Unbound anchored at the parent. */
  unbound(): Promise<DigResult>;
}

export async function cdsObservers(t: Teardownable & { comment(m: string): void }, o: CdsObserverOptions): Promise<CdsObservers> {
  const anchors = parentDsLines('example.', o.parentKeys);
  const resolver = new Daemon({
    listen: [parseListen('127.0.0.1:0')],
    resolver: {
      hints: parseHints(`example. 3600 IN NS ns.example.\nns.example. 3600 IN A ${o.parent}\n`), upstreamPort: o.port, timeout: 2000, warmUp: 0,
      cache: { now: o.clock.now }, validation: { anchors: parseTrustAnchors(anchors.join('\n')), ...(o.validationNow ? { now: o.validationNow } : {}) },
    },
  });
  await resolver.start();
  t.teardown(() => resolver.close());
  const rport = resolver.listeners[0]!.address.port;
  const anchorFile = path.join(o.dir, 'example.anchor');
  writeFileSync(anchorFile, anchors.join('\n') + '\n');
  const withUnbound = hasTool('unbound') || process.env.CI === 'true';
  if (!withUnbound) t.comment('unbound not installed: checked with aop\'s resolver only');
  let n = 10;
  return {
    www: () => dig(rport, ['+rec', '+dnssec', 'www.child.example.', 'A']),
    dsAtParent: () => dig(o.port, ['+dnssec', 'child.example.', 'DS'], o.parent),
    withUnbound,
    unbound: async () => {
      const at = o.net.host(n++);
      await startUnbound(t, {
        dir: path.join(o.dir, `unbound-${n}`), address: at, port: o.port,
        stubs: { 'example.': [`${o.parent}@${o.port}`], 'child.example.': o.children.map((c) => `${c}@${o.port}`) },
        ready: { name: 'example.', type: 'SOA' }, trustAnchorFile: anchorFile,
      });
      return dig(o.port, ['+rec', '+dnssec', 'www.child.example.', 'A'], at);
    },
  };
}

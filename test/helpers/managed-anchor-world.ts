// An RFC 5011 world on the daemon clock: an aop daemon signing `example.` (split keys, in-process,
// 127.0.0.1, port chosen) and an aop validating resolver whose one managed anchor file starts as
// the zone's DS, with a one-hour add hold-down and two hours to remove. Logs are kept.

import type { Test } from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/base/time.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { keyTag } from '../../src/dnssec/keytag.js';
import { ManagedAnchor, TrustAnchors } from '../../src/resolver/validate/index.js';
import { scratchDir } from './child.js';

export const HOUR = 3600;

export async function startManagedAnchorWorld(t: Test, prefix: string) {
  const dir = scratchDir(t, prefix);
  const clock = new ManualClock(Date.now());
  const zones = path.join(dir, 'zones');
  const keys = path.join(dir, 'keys');
  mkdirSync(zones);
  writeFileSync(path.join(zones, 'example.zone'), '$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\nwww A 192.0.2.1\n');
  const auth = new Daemon({
    zonesDir: zones, listen: [parseListen('127.0.0.1:0')],
    dnssec: { keyDir: keys, algorithm: 13, keyLayout: 'split', times: { validity: 20 * 86400, refresh: 5 * 86400, backdate: HOUR }, now: () => clock.seconds() },
  });
  await auth.start();
  t.teardown(() => auth.close());
  const file = path.join(dir, 'example.anchor');
  writeFileSync(file, parentDsLines('example.', keys).join('\n') + '\n');
  const logs: string[] = [];
  const resolver = new Daemon({
    listen: [parseListen('127.0.0.1:0')],
    logger: { debug() {}, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) },
    resolver: {
      hints: parseHints('example. 3600 IN NS ns.example.\nns.example. 3600 IN A 127.0.0.1\n'), upstreamPort: auth.listeners[0]!.address.port, timeout: 2000, warmUp: 0,
      cache: { now: clock.now },
      validation: { anchors: new TrustAnchors(), managed: [new ManagedAnchor({ file, addHoldDown: HOUR, removeHoldDown: 2 * HOUR })], now: () => clock.seconds() },
    },
  });
  await resolver.start();
  t.teardown(() => resolver.close());
  return {
    dir, clock, zones, keys, auth, file, logs, resolver,
    tracker: resolver.validator!.anchorTracker!,
    port: resolver.listeners[0]!.address.port,
    /** The tags the resolver trusts for example. now. */
    trusted: () => resolver.validator!.anchors.at('example.')!.dnskey.map((k) => keyTag(k)).sort(),
    /** A key's RFC 5011 state in the anchor file (Unbound's `;;state=` comment). */
    state: (tag: number) => /;;state=(\d)/.exec(readFileSync(file, 'utf8').split('\n').find((l) => l.includes(`id = ${tag} `)) ?? '')?.[1],
  };
}

// Two aop daemons for a key rollover end to end, on the daemon clock: a child `child.example.`
// (rolling its KSK or combined key, `--dnssec-ksk-lifetime`, with the parent as parental agent)
// and its parent `example.` (`--dnssec-cds-scan`), each on port 53 of its own loopback address
// (glue carries no port), plus an aop validating resolver on the same clock with the parent's
// anchor. The clock starts 40 days back, so the signatures made along the way are valid on the
// real clock too (Unbound's).

import type { Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/base/time.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { parseTrustAnchors } from '../../src/resolver/validate/index.js';
import { requireDaemon, scratchDir } from './child.js';
import { dig } from './dig.js';
import { hasTool, run } from './peers.js';
import { startUnbound } from './unbound.js';
import type { NetLease } from './loopback-net.js';

export const DAY = 86400;
const times = { validity: 80 * DAY, refresh: 30 * DAY, backdate: 3600 };

export interface RollWorld {
  dir: string;
  keyLayout: 'split' | 'combined';
  clock: ManualClock;
  /** The parent's and the child's addresses (port 53). */
  P: string;
  C: string;
  /** The child's key folder, and the parent's. */
  ck: string;
  pk: string;
  child: Daemon;
  parent: Daemon;
  resolver: Daemon;
  /** The resolver's port on 127.0.0.1. */
  rport: number;
  /** The parent's DS set as anchor, in zone-file syntax, and the file holding it. */
  anchorLines: string[];
  anchorFile: string;
}

export async function startRollWorld(t: Test, o: { P: string; C: string; keyLayout: 'split' | 'combined'; prefix: string }): Promise<RollWorld> {
  const { P, C } = o;
  const dir = scratchDir(t, o.prefix);
  const clock = new ManualClock(Date.now() - 40 * DAY * 1000);
  const seconds = () => clock.seconds();
  const mk = (name: string) => { const d = path.join(dir, name); mkdirSync(d); return d; };
  const [pz, cz, pk, ck] = [mk('pzones'), mk('czones'), mk('pkeys'), mk('ckeys')];

  writeFileSync(path.join(cz, 'child.example.zone'), `$ORIGIN child.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${C}\nwww A 192.0.2.3\n`);
  const child = new Daemon({
    zonesDir: cz, listen: [parseListen(`${C}:53`)], transfers: { allow: ['127.0.0.0/8'] },
    dnssec: { keyDir: ck, algorithm: 13, keyLayout: o.keyLayout, times, now: seconds, kskLifetime: 30 * DAY, rollover: { parentalAgents: [{ address: P, port: 53 }] } },
  });
  await child.start();
  t.teardown(() => child.close());
  const ds0 = parentDsLines('child.example.', ck).map((l) => l.replace(' IN DS ', ' 600 IN DS '));
  writeFileSync(path.join(pz, 'example.zone'), `$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${P}\nchild 600 NS ns.child\nns.child A ${C}\n${ds0.join('\n')}\n`);
  const parent = new Daemon({
    zonesDir: pz, listen: [parseListen(`${P}:53`)], transfers: { allow: ['127.0.0.0/8'] },
    dnssec: { keyDir: pk, algorithm: 13, keyLayout: 'combined', times, now: seconds, rollover: { cdsScan: true } },
  });
  await parent.start();
  t.teardown(() => parent.close());

  const anchorLines = parentDsLines('example.', pk);
  const anchorFile = path.join(dir, 'example.anchor');
  writeFileSync(anchorFile, anchorLines.join('\n') + '\n');
  const resolver = new Daemon({
    listen: [parseListen('127.0.0.1:0')],
    resolver: {
      hints: parseHints(`example. 3600 IN NS ns.example.\nns.example. 3600 IN A ${P}\n`), timeout: 2000, warmUp: 0,
      cache: { now: clock.now }, validation: { anchors: parseTrustAnchors(anchorLines.join('\n')), now: seconds },
    },
  });
  await resolver.start();
  t.teardown(() => resolver.close());
  return { dir, keyLayout: o.keyLayout, clock, P, C, ck, pk, child, parent, resolver, rport: resolver.listeners[0]!.address.port, anchorLines, anchorFile };
}

/**
 * The checks of one phase of a roll: aop's resolver sets AD on the child's names (and its
 * proven absence), dnssec-verify (and ldns-verify-zone, with `ldns`) accept an AXFR of both
 * zones, and a fresh Unbound given the parent's anchor (installed, or CI) sets AD on www.
 */
export function rollPhase(t: Test, w: RollWorld, net: NetLease, o: { ldns: boolean }): (t: Test, label: string) => Promise<void> {
  const withUnbound = hasTool('unbound') || process.env.CI === 'true';
  if (!withUnbound) t.comment(`unbound not installed: phases checked with aop, dnssec-verify${o.ldns ? ' and ldns-verify-zone' : ''} only`);
  let unboundN = 10;
  return async (t, label) => {
    for (const [name, type] of [['www.child.example.', 'A'], ['child.example.', 'DNSKEY'], ['child.example.', 'DS'], ['nope.child.example.', 'A']] as const) {
      const r = await dig(w.rport, ['+rec', '+dnssec', name, type]);
      t.ok(r.flags.has('ad') && (r.status === 'NOERROR' || r.status === 'NXDOMAIN'), `${label}: aop resolver AD on ${name} ${type} (${r.status})`);
    }
    // A split child's ZSK alone signs its data (-z only where one key signs all).
    for (const [zone, host, flags] of [['child.example.', w.C, w.keyLayout === 'combined' ? ['-z'] : []], ['example.', w.P, ['-z']]] as const) {
      const axfr = (await run('dig', [`@${host}`, '+nocmd', '+nostats', '+nocomments', zone, 'AXFR'])).stdout;
      const file = path.join(w.dir, `${zone}${label.replace(/\W+/g, '-')}.signed`);
      writeFileSync(file, axfr);
      const v = await run('dnssec-verify', [...flags, '-o', zone, file], 60_000);
      t.equal(v.code, 0, `${label}: dnssec-verify accepts ${zone} ${v.code === 0 ? '' : v.stderr + v.stdout}`);
      if (!o.ldns) continue;
      const l = await run('ldns-verify-zone', [file], 60_000);
      t.equal(l.code, 0, `${label}: ldns-verify-zone accepts ${zone} ${l.code === 0 ? '' : l.stderr + l.stdout}`);
    }
    if (!withUnbound || !requireDaemon(t, 'unbound', 'unbound')) return;
    const at = net.host(unboundN++);
    await startUnbound(t, {
      dir: path.join(w.dir, `unbound-${unboundN}`), address: at, stubs: { 'example.': [`${w.P}@53`], 'child.example.': [`${w.C}@53`] },
      ready: { name: 'example.', type: 'SOA' }, trustAnchorFile: w.anchorFile,
    });
    const r = await dig(53, ['+rec', '+dnssec', 'www.child.example.', 'A'], at);
    t.ok(r.flags.has('ad') && r.status === 'NOERROR', `${label}: Unbound AD on www.child.example A`);
  };
}

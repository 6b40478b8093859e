// The bundled hierarchy on loopback, for resolver tests: the agents. root on .2, acme.agents on
// .3 and .4, globex.agents on .5, all on port 53 (glue carries addresses, not ports). Each
// topology lives in a loopback /24 of its own, leased at run time (loopback-net.ts), so test
// files running in parallel, and a second copy of the suite beside this one, do not collide.

import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Daemon, type ResolverConfig } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { intoNet, leaseNet, type NetLease } from './loopback-net.js';

/**
 * A loopback /24: a lease (leaseNet), its prefix `127.A.B.`, or (old style, fixed, only for
 * tests that never bind a fixed port in it) a number N for `127.0.N.`.
 */
export type NetSpec = NetLease | string | number;

/** The `127.A.B.` prefix of a NetSpec. */
export function netPrefix(net: NetSpec): string {
  if (typeof net === 'number') return `127.0.${net}.`;
  const p = typeof net === 'string' ? net : net.net;
  if (!/^127\.\d{1,3}\.\d{1,3}\.$/.test(p)) throw new Error(`not a loopback /24 prefix such as 127.1.2.: ${p}`);
  return p;
}

export interface Topology {
  /** `127.A.B.` */
  net: string;
  root: Daemon;
  acme1: Daemon;
  acme2: Daemon;
  globex: Daemon;
  /** The zone texts as served (addresses rewritten into this topology's network). */
  texts: Record<string, string>;
  hints: ResolverConfig['hints'];
  /** The bundled root.hints, moved into this topology's network (for `aop serve --root-hints`). */
  hintsText: string;
  /** Upstream queries seen by every authoritative server so far. */
  upstreamQueries(): number;
  close(): Promise<void>;
}

export interface TopologyOptions {
  /** Extra zone-file lines appended to a zone, by origin ('acme.agents'). */
  extra?: Record<string, string>;
  /** Do not start these servers (e.g. to put a fake in their place). */
  skip?: Array<'root' | 'acme1' | 'acme2' | 'globex'>;
}

/** Bundled zone text with 127.0.0.X addresses moved into `net`. */
export function zoneText(file: string, net: NetSpec): string {
  return intoNet(readFileSync(path.join(bundledZonesDir, file), 'utf8'), netPrefix(net));
}

/** The bundled root.hints with the root server moved into `net`. */
export function hintsText(net: NetSpec): string {
  return intoNet(readFileSync(path.join(bundledZonesDir, 'root.hints'), 'utf8'), netPrefix(net));
}

/** Whether this process may bind port 53 in `net` (root, or CAP_NET_BIND_SERVICE). */
export async function canBind53(net: NetSpec): Promise<boolean> {
  const d = new Daemon({ listen: [parseListen(`${netPrefix(net)}250:53`)] });
  try {
    await d.start();
    return true;
  } catch {
    return false;
  } finally {
    await d.close();
  }
}

interface SkippableTest {
  teardown(fn: () => unknown): void;
  skip(name: string, cb: () => void): unknown;
  fail(msg: string): unknown;
}

/**
 * Whether loopback port 53 can be bound here (glue carries addresses, not ports, so every server
 * of a hierarchy must be on 53). If not, the test is skipped, or failed under CI=true (CI runs as root).
 */
export async function requirePort53(t: SkippableTest): Promise<boolean> {
  const probe = await leaseNet(t);
  const ok = await canBind53(probe);
  await probe.release();
  if (ok) return true;
  if (process.env.CI === 'true') t.fail('cannot bind port 53 on loopback; CI runs as root');
  else t.skip('binding port 53 on loopback needs root', () => {});
  return false;
}

/**
 * Start the hierarchy in `net`; with no net, in one leased for the topology's life (released
 * by close()).
 */
export async function startTopology(net?: NetSpec, opts: TopologyOptions = {}): Promise<Topology> {
  const lease = net === undefined ? await leaseNet() : undefined;
  const prefix = netPrefix(lease ?? net!);
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-topo-'));
  const texts: Record<string, string> = {};
  const started: Daemon[] = [];
  const serve = async (origin: string, file: string, host: number): Promise<Daemon> => {
    const zdir = path.join(dir, `${origin}-${host}`);
    mkdirSync(zdir);
    const text = zoneText(file, prefix) + (opts.extra?.[origin] ?? '');
    texts[origin] = text;
    writeFileSync(path.join(zdir, file), text);
    const d = new Daemon({ zonesDir: zdir, listen: [parseListen(`${prefix}${host}:53`)] });
    await d.start();
    started.push(d);
    return d;
  };
  const skip = new Set(opts.skip ?? []);
  const stub = new Daemon({ listen: [] });
  try {
    const root = skip.has('root') ? stub : await serve('agents', 'agents.zone', 2);
    const acme1 = skip.has('acme1') ? stub : await serve('acme.agents', 'acme.agents.zone', 3);
    const acme2 = skip.has('acme2') ? stub : await serve('acme.agents', 'acme.agents.zone', 4);
    const globex = skip.has('globex') ? stub : await serve('globex.agents', 'globex.agents.zone', 5);
    const hintsFile = hintsText(prefix);
    const hints = parseHints(hintsFile);
    const all = [root, acme1, acme2, globex];
    return {
      net: prefix, root, acme1, acme2, globex, texts, hints, hintsText: hintsFile,
      upstreamQueries: () => all.reduce((sum, d) => sum + d.stats.queries, 0),
      async close() {
        await Promise.all(all.map((d) => d.close()));
        rmSync(dir, { recursive: true, force: true });
        await lease?.release();
      },
    };
  } catch (err) {
    await Promise.all(started.map((d) => d.close()));
    rmSync(dir, { recursive: true, force: true });
    await lease?.release();
    throw err;
  }
}

/**
 * A resolver daemon on 127.0.0.1:0 using the topology's hints. Upstream attempts are bounded at
 * 2 s (a backstop: the servers are live and answer in a millisecond; the per-server timeout
 * comes from their RTT). No start-up warm-up (seconds of CPU for code speed these tests do not
 * measure; test/server/resolver-answer-cache.test.ts tests it).
 */
export async function startResolver(topo: Topology, config: Partial<ResolverConfig> = {}): Promise<{ daemon: Daemon; port: number }> {
  const daemon = new Daemon({ listen: [parseListen('127.0.0.1:0')], resolver: { hints: topo.hints, timeout: 2000, warmUp: 0, ...config } });
  await daemon.start();
  return { daemon, port: daemon.listeners[0]!.address.port };
}

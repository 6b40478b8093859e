// The bundled hierarchy on loopback, for resolver tests: the agents. root on .2, acme.agents on
// .3 and .4, globex.agents on .5, all on port 53 (glue carries addresses, not ports). Each test
// file takes its own 127.0.N.0/24 so files running in parallel do not collide.

import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Daemon, type ResolverConfig } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { bundledZonesDir } from '../../src/cli/paths.js';

export interface Topology {
  /** `127.0.N.` */
  net: string;
  root: Daemon;
  acme1: Daemon;
  acme2: Daemon;
  globex: Daemon;
  /** The zone texts as served (addresses rewritten into this topology's network). */
  texts: Record<string, string>;
  hints: ResolverConfig['hints'];
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

/** Bundled zone text with 127.0.0.X addresses moved to 127.0.N.X. */
export function zoneText(file: string, n: number): string {
  return readFileSync(path.join(bundledZonesDir, file), 'utf8').replace(/127\.0\.0\.([2-9])\b/g, `127.0.${n}.$1`);
}

export async function canBind53(n: number): Promise<boolean> {
  const d = new Daemon({ listen: [parseListen(`127.0.${n}.250:53`)] });
  try {
    await d.start();
    return true;
  } catch {
    return false;
  } finally {
    await d.close();
  }
}

export async function startTopology(n: number, opts: TopologyOptions = {}): Promise<Topology> {
  const net = `127.0.${n}.`;
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-topo-'));
  const texts: Record<string, string> = {};
  const serve = async (origin: string, file: string, host: number): Promise<Daemon> => {
    const zdir = path.join(dir, `${origin}-${host}`);
    mkdirSync(zdir);
    const text = zoneText(file, n) + (opts.extra?.[origin] ?? '');
    texts[origin] = text;
    writeFileSync(path.join(zdir, file), text);
    const d = new Daemon({ zonesDir: zdir, listen: [parseListen(`${net}${host}:53`)] });
    await d.start();
    return d;
  };
  const skip = new Set(opts.skip ?? []);
  const stub = new Daemon({ listen: [] });
  const root = skip.has('root') ? stub : await serve('agents', 'agents.zone', 2);
  const acme1 = skip.has('acme1') ? stub : await serve('acme.agents', 'acme.agents.zone', 3);
  const acme2 = skip.has('acme2') ? stub : await serve('acme.agents', 'acme.agents.zone', 4);
  const globex = skip.has('globex') ? stub : await serve('globex.agents', 'globex.agents.zone', 5);
  const hints = parseHints(readFileSync(path.join(bundledZonesDir, 'root.hints'), 'utf8').replace(/127\.0\.0\.2\b/g, `${net}2`));
  const all = [root, acme1, acme2, globex];
  return {
    net, root, acme1, acme2, globex, texts, hints,
    upstreamQueries: () => all.reduce((sum, d) => sum + d.stats.queries, 0),
    async close() {
      await Promise.all(all.map((d) => d.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A resolver daemon on 127.0.0.1:0 using the topology's hints. */
export async function startResolver(topo: Topology, config: Partial<ResolverConfig> = {}): Promise<{ daemon: Daemon; port: number }> {
  const daemon = new Daemon({ listen: [parseListen('127.0.0.1:0')], resolver: { hints: topo.hints, timeout: 400, ...config } });
  await daemon.start();
  return { daemon, port: daemon.listeners[0]!.address.port };
}

// An organisation served by another server than the root: the root zone `agents.` (for aop to
// serve) delegates `initech.agents` to ns1.initech.agents at <net>.6, where NSD (when installed,
// else a second aop) serves it on port 53, and `down.agents` to <net>.8, where nothing runs. The
// root hints point at <net>.2, where nothing runs either: a daemon serving `agents.` must start
// from its own delegations. initech's one agent, analyst (tool summarize), has a demo MCP
// endpoint on <net>.7. Everything lives in a leased loopback /24 (loopback-net.ts).

import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { sbin, scratchDir } from './child.js';
import { hasTool } from './peers.js';
import { leaseNet, type NetLease } from './loopback-net.js';
import { startNsd } from './nsd.js';
import { startDemoAgents, type DemoAgents } from '../../src/mcp/demo/index.js';
import { Daemon, type DaemonOptions, type ResolverConfig } from '../../src/server/daemon.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parseListen } from '../../src/server/listen.js';

interface Test {
  teardown(fn: () => unknown): void;
  skip(name: string, cb: () => void): unknown;
  fail(msg: string): unknown;
}

export const SOA = '( 2026120101 3600 900 604800 300 )';

/** The root zone: initech.agents delegated to <net>.6 with glue, down.agents to <net>.8, and a CNAME into initech. */
export function rootZone(lease: NetLease): string {
  return `$ORIGIN agents.
$TTL 3600
@            86400 IN SOA a.root.agents. hostmaster.agents. ${SOA}
             86400 IN NS  a.root.agents.
a.root       86400 IN A   ${lease.host(2)}
initech            IN NS  ns1.initech.agents.
ns1.initech        IN A   ${lease.host(6)}
down               IN NS  ns1.down.agents.
ns1.down           IN A   ${lease.host(8)}
; An alias in the root that leads into the delegated zone.
analyst-alias      IN CNAME analyst.initech.agents.
`;
}

/** initech.agents: analyst's SVCB (the keys aop requires), its _agent TXT and the index. */
export function orgZone(lease: NetLease, agentPort: number): string {
  return `$ORIGIN initech.agents.
$TTL 300
@         3600 IN SOA ns1.initech.agents. hostmaster.initech.agents. ${SOA}
          3600 IN NS  ns1
ns1       3600 IN A   ${lease.host(6)}
mcp            IN A   ${lease.host(7)}
analyst        IN SVCB 1 mcp.initech.agents. ( alpn="mcp" port=${agentPort} key65320="/agents/analyst/mcp"
                         key65321="streamable-http" key65322="summarize" key65323="analysis,reports"
                         key65324="Summarises reports" key65326="http" key65402="mcp" )
_agent.analyst IN TXT "v=aid2;u=http://mcp.initech.agents:${agentPort}/agents/analyst/mcp;p=mcp;s=Summarises reports"
_index._agents IN PTR analyst.initech.agents.
`;
}

/** A TCP port free on `host` right now (the host is in our lease, so nobody else takes it). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface DelegatedOrg {
  lease: NetLease;
  dir: string;
  /** The folder holding agents.zone, for the root daemon. */
  rootZones: string;
  /** Who serves initech.agents on <net>.6:53. */
  peer: 'nsd' | 'aop';
  /** initech's aop daemon when peer is 'aop' (its stats count the queries it got). */
  orgDaemon?: Daemon;
  demo: DemoAgents;
  /** Root hints for agents. at <net>.2, where nothing listens. */
  hints: ResolverConfig['hints'];
}

function cannotBind(t: Test, why: string): undefined {
  // Glue carries addresses, not ports: the organisation's server must be on port 53.
  if (process.env.CI === 'true') t.fail(`${why}; CI runs as root`);
  else t.skip(`${why} (binding port 53 on loopback needs root)`, () => {});
  return undefined;
}

/**
 * The world above, or undefined when it cannot run here (the test was skipped, or failed under
 * CI=true, with the reason): no port 53, or no NSD under CI.
 */
export async function startDelegatedOrg(t: Test): Promise<DelegatedOrg | undefined> {
  const lease = await leaseNet(t);
  const dir = scratchDir(t, 'aop-deleg-');
  const rootZones = path.join(dir, 'root');
  const orgZones = path.join(dir, 'org');
  mkdirSync(rootZones);
  mkdirSync(orgZones);
  writeFileSync(path.join(rootZones, 'agents.zone'), rootZone(lease));
  const agentPort = await freePort(lease.host(7));
  const text = orgZone(lease, agentPort);
  writeFileSync(path.join(orgZones, 'initech.agents.zone'), text);
  let peer: DelegatedOrg['peer'];
  let orgDaemon: Daemon | undefined;
  // NSD is the better judge; without it (outside CI) a second aop stands in.
  const haveNsd = hasTool('nsd') || sbin('nsd') !== 'nsd';
  if (!haveNsd && process.env.CI === 'true') {
    t.fail('nsd not installed (Debian package nsd); CI must install it');
    return undefined;
  }
  if (haveNsd) {
    try {
      await startNsd(t, { dir: path.join(dir, 'nsd'), addresses: [lease.host(6)], zones: [{ origin: 'initech.agents', text }] });
    } catch (err) {
      return cannotBind(t, `NSD could not serve ${lease.host(6)}:53: ${(err as Error).message.split('\n')[0]}`);
    }
    peer = 'nsd';
  } else {
    orgDaemon = new Daemon({ zonesDir: orgZones, listen: [parseListen(`${lease.host(6)}:53`)] });
    try {
      await orgDaemon.start();
    } catch (err) {
      return cannotBind(t, `cannot serve ${lease.host(6)}:53: ${(err as Error).message}`);
    }
    t.teardown(() => orgDaemon!.close());
    peer = 'aop';
  }
  const demo = await startDemoAgents({ zonesDir: orgZones });
  t.teardown(() => demo.close());
  const hints = parseHints(`agents. 3600000 IN NS a.root.agents.\na.root.agents. 3600000 IN A ${lease.host(2)}\n`);
  return { lease, dir, rootZones, peer, ...(orgDaemon ? { orgDaemon } : {}), demo, hints };
}

/**
 * The root daemon: agents. from `world.rootZones` on <net>.1 port 0, and, unless `resolver` is
 * false, recursion for <net>.0/25 and 127.0.0.1 (the in-process gateway asks as 127.0.0.1);
 * <net>.200 is a client outside the ACL.
 */
export async function startRoot(t: Test, world: DelegatedOrg, opts: { resolver?: boolean } & Omit<Partial<DaemonOptions>, 'resolver'> = {}): Promise<{ daemon: Daemon; host: string; port: number }> {
  const { resolver = true, ...rest } = opts;
  const daemon = new Daemon({
    zonesDir: world.rootZones,
    listen: [parseListen(`${world.lease.host(1)}:0`)],
    ...(resolver ? { resolver: { hints: world.hints, allow: [`${world.lease.net}0/25`, '127.0.0.1/32'], timeout: 500, warmUp: 0 } } : {}),
    ...rest,
  });
  await daemon.start();
  t.teardown(() => daemon.close());
  return { daemon, host: world.lease.host(1), port: daemon.listeners[0]!.address.port };
}

/** An address in the ACL, and one outside it (dig -b). */
export const ALLOWED = (w: DelegatedOrg): string => w.lease.host(10);
export const OUTSIDE = (w: DelegatedOrg): string => w.lease.host(200);

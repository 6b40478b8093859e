// What `aop serve` runs beside the DNS listeners: the MCP gateway (in-process DNS through the
// daemon), the demo agents, and the state file that lets `aop dig` / `aop call` find the daemon.
// With no --zones and no --resolver (`npm start`), all of them are on: the embedded default.

import type { Argv } from 'yargs';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
// Types only at the top: the MCP SDK is loaded when a part starts, so other commands start fast.
import type { DemoAgents } from '../mcp/demo/index.js';
import type { LocalCa } from '../mcp/local-ca.js';
import { checkZoneName, zonesFromCatalog } from '../mcp/gateway/discovery.js';
import type { Gateway, GatewayHttp } from '../mcp/gateway/index.js';
import type { Daemon } from '../server/daemon.js';
import { formatListen, parseListen } from '../server/listen.js';
import type { Metrics } from '../base/metrics.js';
import type { TrustAnchors } from '../resolver/validate/index.js';
import type { Logger } from '../base/log.js';
import { daemonStatePath, defaultControlPath, removeDaemonState, writeDaemonState } from './daemon-state.js';
import { packageRoot } from './paths.js';
import { UsageError } from './common.js';
import { gatewayAuthorizer, gatewayGuard, type McpAuthConfig } from './options/mcp-auth.js';
import type { ServeDirectoryConfig } from './options/directory.js';

export const DEFAULT_MCP_LISTEN = '127.0.0.1:8053';
export const DEFAULT_MCP_PORT = 8053;

/** `--mcp-zones a,b --mcp-zones c` -> [a, b, c], validated. */
export function parseZoneList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((z) => z.trim()).filter((z) => z !== '').map(checkZoneName);
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** The options the gateway, the demo agents and the state file add to `aop serve`. */
export function embeddedOptions<T>(y: Argv<T>) {
  return y
    .option('mcp', { type: 'string', defaultDescription: `${DEFAULT_MCP_LISTEN} with the bundled zones, else off`, describe: 'Serve the MCP gateway (Streamable HTTP at /mcp) on ADDR[:PORT]; --no-mcp turns it off' })
    .option('mcp-zones', { type: 'string', array: true, defaultDescription: 'the served zones and the zones they delegate', describe: 'Zones whose _index._agents lists the gateway\'s agents (comma list or repeat)' })
    .option('mcp-agent-tools', { type: 'boolean', default: false, describe: 'Also surface each discovered agent as a tool of its own (writer_acme_agents)' })
    .option('mcp-allow-http', { type: 'boolean', default: false, describe: 'Let the gateway call plain-http endpoints that are not on loopback' })
    .option('mcp-timeout', { type: 'number', default: 30000, describe: 'Milliseconds a call through the gateway may take, unless the caller says (1-300000)' })
    .option('mcp-max-reply-bytes', { type: 'number', default: 4 * 1024 * 1024, describe: 'Largest reply body, and largest SSE event, the gateway takes from an agent (bytes); past it the call fails with ERR_REPLY_TOO_LARGE' })
    .option('mcp-max-reply-events', { type: 'number', default: 10000, describe: 'Most SSE events one reply of an agent may carry' })
    .option('mcp-max-hops', { type: 'number', default: 4, describe: 'Refuse a request that came through this many gateways (the aop-hops header)' })
    .option('mcp-max-connections', { type: 'number', default: 512, describe: 'Connections the gateway holds open at once; more are closed at accept' })
    .option('mcp-max-connections-per-source', { type: 'number', default: 64, describe: 'Connections the gateway holds open from one address (IPv6: one /64); more are closed at accept' })
    .option('mcp-allowed-host', { type: 'string', array: true, default: [] as string[], describe: 'Extra Host/Origin name the loopback gateway accepts (DNS-rebinding protection)' })
    .option('demo-agents', { type: 'boolean', defaultDescription: 'on with the bundled zones', describe: 'Run demo MCP agents for the agents in the served zones, on their records\' loopback ports' })
    .option('mcp-require-secure', { type: 'boolean', defaultDescription: 'auto: where a trust anchor of the resolver covers the name, or the agent\'s SVCB is secure', describe: 'The gateway calls an agent only if every record it rests on is DNSSEC-secure; --no-mcp-require-secure refuses only bogus records' })
    .option('state-file', { type: 'string', defaultDescription: 'with the bundled zones: $XDG_RUNTIME_DIR/aop/daemon.json or /tmp/aop-$UID/daemon.json', describe: 'Announce this daemon in a file so aop dig, aop call, aop cache and aop reload find it; --no-state-file turns it off' })
    .check((a) => {
      const mcp = a.mcp as unknown;
      if (typeof mcp === 'string' && mcp !== '') {
        try {
          parseListen(mcp, DEFAULT_MCP_PORT);
        } catch (err) {
          throw new Error(`--mcp '${mcp}': ${(err as Error).message}`);
        }
      }
      parseZoneList(a['mcp-zones'] as string[] | undefined);
      const t = a['mcp-timeout'] as number;
      if (!(Number.isInteger(t) && t >= 1 && t <= 300000)) throw new Error('--mcp-timeout must be 1 to 300000 milliseconds');
      for (const k of ['mcp-max-reply-bytes', 'mcp-max-reply-events'] as const) {
        const v = a[k] as number;
        if (!(Number.isSafeInteger(v) && v >= 1)) throw new Error(`--${k} must be a whole number >= 1`);
      }
      for (const k of ['mcp-max-connections', 'mcp-max-connections-per-source'] as const) {
        const v = a[k] as number;
        if (!(Number.isInteger(v) && v >= 1 && v <= 1_000_000)) throw new Error(`--${k} must be a whole number from 1 to 1000000`);
      }
      if ((a['mcp-max-connections-per-source'] as number) > (a['mcp-max-connections'] as number)) throw new Error('--mcp-max-connections-per-source cannot be more than --mcp-max-connections');
      const h = a['mcp-max-hops'] as number;
      if (!(Number.isInteger(h) && h >= 1 && h <= 255)) throw new Error('--mcp-max-hops must be 1 to 255');
      return true;
    });
}

export interface EmbeddedArgs {
  /** `--mcp`: an address, '' (the flag alone), false (--no-mcp) or undefined. */
  mcp: unknown;
  mcpZones?: string[];
  agentTools: boolean;
  allowHttp: boolean;
  timeoutMs: number;
  allowedHosts: string[];
  maxReplyBytes?: number;
  maxReplyEvents?: number;
  maxHops?: number;
  /** --mcp-max-connections, --mcp-max-connections-per-source (the gateway's defaults when absent). */
  maxConnections?: number;
  maxConnectionsPerSource?: number;
  demoAgents?: boolean;
  /** `--state-file`: a path, false (--no-state-file) or undefined. */
  stateFile: unknown;
  zonesDir?: string;
  /** The embedded default: no --zones and no --resolver. */
  embedded: boolean;
  /** The control socket the daemon opened (named in the state file), and whether it is the embedded default's. */
  control?: { path: string; isDefault: boolean };
  /** The metrics listener's URL, announced in the state file. */
  metricsUrl?: string;
  /** The registry the hand-off and the directory count into. */
  metrics?: Metrics;
  /** The gateway's authorization (options/mcp-auth.ts). */
  mcpAuth?: McpAuthConfig;
  /** The trust anchor file of the bundled root (cli/bundled-dnssec.ts), announced in the state file. */
  anchorFile?: string;
  /** The resolver's trust anchors: the gateway validates what it is given from them too (security.ts). */
  anchors?: TrustAnchors;
  /** --mcp-require-secure: undefined is 'auto'. */
  requireSecure?: boolean;
  /** `--directory-db FILE`: the gateway's list tools read it; the daemon crawls into it (options/directory.ts). */
  directory?: ServeDirectoryConfig | undefined;
}

/** The state file the arguments ask for: --state-file PATH, --state-file alone or the embedded default (its usual place), else none. */
export function stateFileFor(a: Pick<EmbeddedArgs, 'stateFile' | 'embedded'>): string | undefined {
  return a.stateFile === false ? undefined : typeof a.stateFile === 'string' && a.stateFile !== '' ? path.resolve(a.stateFile)
    : (a.stateFile === '' || a.embedded) ? daemonStatePath() : undefined;
}

/**
 * The embedded default's control socket, beside its state file (its folder is made, mode 0700),
 * so `aop cache` beside `npm start` needs no flags. None when the state file is off, and none
 * (with a warning) when another live daemon holds that socket: a second `npm start` still starts.
 */
export async function embeddedControlPath(a: Pick<EmbeddedArgs, 'stateFile' | 'embedded'>, log: Logger): Promise<string | undefined> {
  if (!a.embedded) return undefined;
  const stateFile = stateFileFor(a);
  if (stateFile === undefined) return undefined;
  const socket = defaultControlPath(stateFile);
  if (existsSync(socket)) {
    const live = await new Promise<boolean>((resolve) => {
      const c = net.connect(socket, () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (live) {
      log.warn(`control socket ${socket} is in use by another daemon: this one runs without one (give --control PATH for one)`);
      return undefined;
    }
  }
  mkdirSync(path.dirname(socket), { recursive: true, mode: 0o700 });
  return socket;
}

export interface Embedded {
  /** The local CA certificate file the https demo agents chain to, when they run. */
  caFile?: string;
  gateway?: Gateway;
  http?: GatewayHttp;
  demo?: DemoAgents;
  stateFile?: string;
  /** Tell the gateway the zones were reloaded. */
  reloaded(): void;
  close(): Promise<void>;
}

/**
 * Start what the arguments ask for beside an opened daemon; on failure, stop what was started.
 * `beforeAnnounce` runs once the sockets are open and before the state file is written (aop
 * serve warms the resolver up there, so the daemon is announced when it answers).
 */
export async function startEmbedded(a: EmbeddedArgs, daemon: Daemon, log: Logger, beforeAnnounce?: () => Promise<void>): Promise<Embedded> {
  const parts: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const p of parts.splice(0).reverse()) await p().catch((err: Error) => log.warn(`shutdown: ${err.message}`));
  };
  const out: Embedded = { reloaded: () => out.gateway?.toolsChanged(), close };
  let caPem: string | undefined;
  try {
    if (a.demoAgents ?? a.embedded) {
      if (a.zonesDir === undefined) throw new Error('--demo-agents needs zones to take the agents from (--zones)');
      const { startDemoAgents } = await import('../mcp/demo/index.js');
      // The https endpoints' certificate: the local CA beside the state file (its usual place
      // without one), opened only when the zones have https endpoints.
      const { LocalCaError, localCaDirFor, openLocalCa } = await import('../mcp/local-ca.js');
      let ca: LocalCa | undefined;
      const demo = await startDemoAgents({
        zonesDir: a.zonesDir, logger: log,
        tls: {
          leafFor: async (hosts) => {
            try {
              ca = await openLocalCa(localCaDirFor(stateFileFor(a) ?? daemonStatePath()), { logger: log });
            } catch (err) {
              // A CA file to fix, as a bad --tls-cert is: exit 1.
              if (err instanceof LocalCaError) throw new UsageError('ERR_LOCAL_CA', err.message, { cause: err });
              throw err;
            }
            return ca.leafFor(hosts);
          },
        },
      });
      parts.push(() => demo.close());
      out.demo = demo;
      log.info(`demo agents: ${demo.agents.length} endpoints on ${demo.listening.join(', ')}`);
      if (ca !== undefined) {
        caPem = ca.caPem;
        out.caFile = ca.files.caCert;
        log.info(`local CA: ${ca.files.caCert} (${ca.created ? 'made now' : 'kept from an earlier start'}); the https demo agents (${demo.httpsHosts.join(', ')}) chain to it. aop call and the gateway trust it for these zones; other clients: curl --cacert ${ca.files.caCert}, SSL_CERT_FILE or NODE_EXTRA_CA_CERTS (zones/README.md)`);
      }
    }
    const mcp = a.mcp === false ? undefined : typeof a.mcp === 'string' && a.mcp !== '' ? a.mcp : (a.mcp === '' || a.embedded) ? DEFAULT_MCP_LISTEN : undefined;
    let zones: string[] = [];
    if (mcp !== undefined) {
      const listen = parseListen(mcp, DEFAULT_MCP_PORT);
      const { HandOff } = await import('../mcp/handoff.js');
      const { AgentDirectory, Gateway, ResolverLookup, startGatewayHttp } = await import('../mcp/gateway/index.js');
      // The daemon is its own resolver: its AD (with --trust-anchor) is trusted, and bogus agents are refused (mcp/security.ts).
      const { VerifiedLookup } = await import('../mcp/security.js');
      // With the resolver's anchors it validates itself too, so the cards show the chain (resolve_agent).
      const judge = a.anchors !== undefined && a.anchors.size > 0
        ? new (await import('../resolver/validate/index.js')).StubValidator({ anchors: a.anchors, ask: new ResolverLookup(daemon, { checkingDisabled: true }) }) : undefined;
      if (a.requireSecure === false) log.warn('MCP gateway: --no-mcp-require-secure: agents are called on records that are not DNSSEC-secure (only bogus ones are refused)');
      const lookup = new VerifiedLookup(new ResolverLookup(daemon), { trusted: true, requireSecure: a.requireSecure ?? 'auto', ...(judge ? { judge } : {}) });
      const allowHttp = a.allowHttp ? 'any' as const : 'loopback' as const;
      // Loopback endpoints only for the agents of zones this daemon serves, never its own listeners
      // (the gateway, the DNS ports), and every request marked as one hop (aop-hops).
      let self: Array<{ address: string; port: number }> = [];
      // Bearer tokens on a non-loopback gateway (or the loud opt-out); its own credentials for the agents it calls.
      const { isLoopbackAddress } = await import('../mcp/gateway/http.js');
      const guard = await gatewayGuard(a.mcpAuth, listen, isLoopbackAddress(listen.host), log);
      const auth = await gatewayAuthorizer(a.mcpAuth, allowHttp, log);
      const handOff = new HandOff({
        auth,
        lookup, allowHttp, timeoutMs: a.timeoutMs, logger: log, hops: 1,
        // In-process, the gateway knows the local CA its demo agents chain to.
        ...(caPem !== undefined ? { ca: caPem } : {}),
        loopbackZones: () => daemon.catalog.list().map((z) => z.origin),
        selfAddresses: () => [...self, ...daemon.listeners.map((l) => ({ address: l.address.host, port: l.address.port }))],
        ...(a.maxReplyBytes !== undefined ? { maxReplyBytes: a.maxReplyBytes } : {}),
        ...(a.maxReplyEvents !== undefined ? { maxReplyEvents: a.maxReplyEvents } : {}),
        ...(a.metrics ? { metrics: a.metrics } : {}),
      });
      parts.push(() => handOff.close());
      const explicit = a.mcpZones && a.mcpZones.length > 0 ? a.mcpZones : undefined;
      const zoneList = (): string[] => explicit ?? zonesFromCatalog(daemon.catalog.list());
      zones = zoneList();
      const directory = new AgentDirectory({ lookup, client: handOff, zones: zoneList });
      a.metrics?.addDirectory(() => ({ agents: directory.current?.agents.length ?? 0, problems: directory.current?.problems.length ?? 0 }));
      const serverInfo: { transport: string; host: string; port: number } = { transport: 'streamable-http', host: listen.host, port: listen.port };
      const catalog = a.directory ? await startDirectory(a.directory, lookup, zoneList, log, parts, a.metrics) : undefined;
      const gateway = new Gateway({
        ...(catalog ? { catalog } : {}),
        client: handOff, directory, agentTools: a.agentTools, callTimeoutMs: a.timeoutMs, serverInfo, allowHttp, logger: log, version: packageVersion(),
        ...(a.maxHops !== undefined ? { maxHops: a.maxHops } : {}),
      });
      parts.push(() => gateway.close());
      const http = await startGatewayHttp(gateway, {
        host: listen.host, port: listen.port, allowedHosts: a.allowedHosts, logger: log, ...(guard !== undefined ? { auth: guard } : {}),
        ...(a.maxConnections !== undefined ? { maxConnections: a.maxConnections } : {}),
        ...(a.maxConnectionsPerSource !== undefined ? { maxPerSource: a.maxConnectionsPerSource } : {}),
      });
      parts.push(() => http.close());
      serverInfo.port = http.port;
      self = [{ address: listen.host, port: http.port }];
      out.gateway = gateway;
      out.http = http;
      log.info(`MCP gateway: ${http.url} (agents from ${zones.join(', ') || 'no zones'}${a.agentTools ? '; one tool per agent' : ''})`);
    }
    await beforeAnnounce?.();
    // --state-file alone means its usual place.
    const stateFile = stateFileFor(a);
    // The default socket is the owner's only, as the state file is.
    if (a.control?.isDefault) chmodSync(a.control.path, 0o600);
    const first = daemon.listeners[0]?.address;
    if (stateFile !== undefined && first) {
      // Wildcard listeners are reached through loopback.
      const address = first.host === '0.0.0.0' ? '127.0.0.1' : first.host === '::' ? '::1' : first.host;
      writeDaemonState(stateFile, {
        pid: process.pid, dns: { address, port: first.port }, ...(out.http ? { mcp: out.http.url, zones } : {}),
        served: daemon.catalog.list().map((z) => z.origin.toLowerCase().replace(/\.$/, '')).sort(),
        ...(a.control ? { control: path.resolve(a.control.path) } : {}), ...(a.metricsUrl ? { metrics: a.metricsUrl } : {}),
        ...(out.caFile !== undefined ? { ca: out.caFile } : {}), ...(a.anchorFile !== undefined ? { anchor: a.anchorFile } : {}), started: new Date().toISOString(),
      });
      parts.push(async () => removeDaemonState(stateFile));
      out.stateFile = stateFile;
      log.info(`announced in ${stateFile}: aop dig and aop call use ${formatListen({ ...first, host: address })} with no flags${a.control ? `, aop cache the control socket ${a.control.path}` : ''}`);
    }
    if (a.embedded && out.http) log.info('ready: try `aop dig writer.acme.agents SVCB` and `aop call writer.acme.agents --arg task="Draft a haiku"`');
  } catch (err) {
    await close();
    throw err;
  }
  return out;
}

/**
 * `--directory-db`: the index opened, and (unless --no-directory-crawl) crawled in the background
 * through the daemon's own lookup: the root given, the organisations given, else the served zones
 * and their delegations. Stopped with the rest.
 */
async function startDirectory(d: ServeDirectoryConfig, lookup: import('../mcp/lookup.js').DnsLookup, served: () => string[], log: Logger, parts: Array<() => Promise<void>>, metrics?: Metrics): Promise<import('../mcp/gateway/index.js').AgentCatalog> {
  const { DirectoryStore, StoreCatalog } = await import('../directory/index.js');
  const { crawlerFor } = await import('./directory.js');
  let store;
  try {
    store = DirectoryStore.open(d.db);
  } catch (err) {
    throw new UsageError('ERR_MISSING_FILE', (err as Error).message, { cause: err });
  }
  const s = store;
  parts.push(async () => s.close());
  if (d.crawl) {
    const orgs = d.config.orgs.length > 0 || d.config.root !== undefined ? d.config.orgs : served().filter((z) => z !== '.');
    // Each round's progress in /readyz's body and the aop_progress_* gauges (task "directory crawl").
    const { Progress } = await import('../base/progress.js');
    const progress = new Progress('directory crawl');
    metrics?.addProgress(progress);
    const crawler = crawlerFor(s, lookup, { ...d.config, orgs }, log, progress);
    const ac = new AbortController();
    const running = crawler.run(ac.signal);
    parts.push(async () => { ac.abort(); await running; await crawler.close(); });
    log.info(`directory: ${d.db} (${s.stats().agents} agents), crawling ${d.config.root !== undefined ? `the delegations of ${d.config.root}` : orgs.join(', ')}`);
  }
  if (d.readers === 0 || d.db === ':memory:') return new StoreCatalog(s);
  // Reads off the event loop: one slow search must not hold the daemon's DNS and MCP answers.
  const { DirectoryReaders } = await import('../directory/index.js');
  const readers = new DirectoryReaders(d.db, { threads: d.readers, timeoutMs: d.readTimeoutMs });
  parts.push(() => readers.close());
  // Not waited for: the file opened above, and reads sent meanwhile wait for the threads. Should
  // they fail to open it all the same, every list tool says so (ERR_DIRECTORY_READER).
  readers.ready().catch((err: Error) => log.error(`directory: ${err.message}`));
  return new StoreCatalog(readers);
}

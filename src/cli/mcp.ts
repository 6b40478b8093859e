// `aop mcp --stdio`: the AOP gateway on stdin/stdout for desktop MCP clients, looking names up
// at a DNS resolver (--server, else $AOP_RESOLVER, the running `aop serve`, resolv.conf).

import { AopError } from '../base/errors.js';
import type { Argv } from 'yargs';
import { zonesFromCatalog } from '../mcp/gateway/discovery.js';
import { parseListen } from '../server/listen.js';
import { loggerFrom, logOptions } from './options/log.js';
import { loadZoneDir } from '../zone/load.js';
import { daemonStatePath, readDaemonState } from './daemon-state.js';
import { localPolicy } from './call.js';
import { chooseDefaultServer } from './common.js';
import { packageVersion, parseZoneList } from './embedded.js';
import { bundledZonesDir } from './paths.js';

export class McpUsageError extends AopError {
  declare readonly code: 'ERR_MCP_USAGE';
  constructor(message: string) {
    super('ERR_MCP_USAGE', message);
  }
}

export interface StdioPlan {
  server: { address: string; port: number };
  zones: string[];
  /** Where the server and zones came from, for the log. */
  source: string;
}

/**
 * The DNS server and zones: --server, else the default server (as aop dig); --mcp-zones, else the
 * running daemon's zones (its state file), else the zones the bundled root delegates.
 */
export function stdioPlan(a: { server?: string; zones: string[] }, env: Record<string, string | undefined> = process.env): StdioPlan {
  let server: { address: string; port: number };
  let source: string;
  const stateFile = daemonStatePath(env);
  const state = readDaemonState(stateFile);
  if (a.server !== undefined) {
    let l;
    try {
      l = parseListen(a.server, 53);
    } catch (err) {
      throw new McpUsageError(`--server '${a.server}' is not ADDR[:PORT]: ${(err as Error).message}`);
    }
    if (l.port === 0) throw new McpUsageError(`--server '${a.server}': port must be 1-65535`);
    server = { address: l.host, port: l.port };
    source = '--server';
  } else {
    let d;
    try {
      d = chooseDefaultServer(env, { stateFile });
    } catch (err) {
      throw new McpUsageError((err as Error).message);
    }
    server = { address: d.address, port: d.port ?? 53 };
    source = d.from;
  }
  let zones = a.zones;
  if (zones.length === 0 && state?.zones && state.dns.address === server.address && state.dns.port === server.port) zones = state.zones;
  if (zones.length === 0) zones = zonesFromCatalog(loadZoneDir(bundledZonesDir).zones);
  return { server, zones, source };
}

export function mcpCommand(y: Argv): Argv {
  return y.command(
    'mcp',
    'Run the AOP MCP gateway on stdio for a desktop MCP client (aop serve --mcp serves it over HTTP)',
    (c) => c
      .option('stdio', { type: 'boolean', default: false, describe: 'Speak MCP on stdin/stdout (required: the only transport of this command)' })
      .option('server', { type: 'string', describe: 'DNS server to ask, ADDR[:PORT]; default as aop dig: $AOP_RESOLVER, the running aop serve, resolv.conf' })
      .option('mcp-zones', { type: 'string', array: true, defaultDescription: 'the running aop serve\'s, else the bundled delegations', describe: 'Zones whose _index._agents lists the agents (comma list or repeat)' })
      .option('mcp-agent-tools', { type: 'boolean', default: false, describe: 'Also surface each discovered agent as a tool of its own' })
      .option('mcp-allow-http', { type: 'boolean', default: false, describe: 'Allow plain-http endpoints that are not on loopback' })
      .option('mcp-timeout', { type: 'number', default: 30000, describe: 'Milliseconds a call may take, unless the caller says (1-300000)' })
      .option('allow-loopback-zone', { type: 'string', array: true, describe: "Allow loopback endpoints for this zone's agents (besides the running aop serve's own zones); repeat for more" })
      .options(logOptions('warn'))
      .check((a) => {
        if (!a.stdio) throw new Error('say --stdio (for HTTP, run aop serve --mcp ADDR:PORT)');
        parseZoneList(a['mcp-zones']);
        const t = a['mcp-timeout'];
        if (!(Number.isInteger(t) && t >= 1 && t <= 300000)) throw new Error('--mcp-timeout must be 1 to 300000 milliseconds');
        return true;
      })
      .example('$0 mcp --stdio', 'the gateway for Claude Desktop and other stdio clients, using the running aop serve')
      .example('$0 mcp --stdio --server 127.0.0.1:5300 --mcp-zones acme.agents', "one organisation's agents, from a given server"),
    async (a) => {
      // stdout carries MCP messages: every log line goes to stderr.
      const logger = loggerFrom(a);
      const plan = stdioPlan({ ...(a.server !== undefined ? { server: a.server } : {}), zones: parseZoneList(a['mcp-zones']) });
      // The MCP SDK is loaded here, not at the top, so other commands start fast.
      const { HandOff } = await import('../mcp/handoff.js');
      const { NetworkLookup } = await import('../mcp/lookup.js');
      const { AgentDirectory, Gateway, runGatewayStdio } = await import('../mcp/gateway/index.js');
      const { VerifiedLookup } = await import('../mcp/security.js');
      // DO=1, and bogus agents refused (mcp/security.ts); AD is trusted from a resolver on this host.
      const lookup = new VerifiedLookup(new NetworkLookup(plan.server, { dnssec: true }));
      const allowHttp = a['mcp-allow-http'] ? 'any' as const : 'loopback' as const;
      // Loopback endpoints only for the running aop serve's own zones (when it is the server asked); one hop (aop-hops).
      const policy = localPolicy(plan.server, 'loopback', a['allow-loopback-zone'] ?? [], undefined);
      // Its own credentials for agents that demand OAuth (~/.config/aop/credentials); nobody to log in on stdio.
      const { gatewayAuthorizer } = await import('./options/mcp-auth.js');
      const auth = await gatewayAuthorizer(undefined, allowHttp, logger);
      const handOff = new HandOff({ lookup, allowHttp, timeoutMs: a['mcp-timeout'], logger, hops: 1, loopbackZones: policy.loopbackZones, selfAddresses: () => policy.selfAddresses, auth });
      const directory = new AgentDirectory({ lookup, client: handOff, zones: () => plan.zones });
      const gateway = new Gateway({
        client: handOff, directory, agentTools: a['mcp-agent-tools'], callTimeoutMs: a['mcp-timeout'], allowHttp, logger,
        serverInfo: { transport: 'stdio' }, version: packageVersion(),
      });
      logger.info(`aop mcp: DNS ${plan.server.address}#${plan.server.port} (from ${plan.source}); agents from ${plan.zones.join(', ') || 'no zones'}`);
      const session = await runGatewayStdio(gateway);
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        void session.close().then(() => gateway.close()).then(() => handOff.close()).finally(() => process.exit(0));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      await session.closed;
      stop();
    },
  );
}

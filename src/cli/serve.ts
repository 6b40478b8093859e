// `aop serve`: the daemon, with SIGHUP reload and graceful SIGTERM/SIGINT shutdown.

import type { Argv } from 'yargs';
import { Daemon, type ResolverConfig } from '../server/daemon.js';
import { AddressInUseError, formatListen, parseListen } from '../server/listen.js';
import { probeUdpFree } from '../server/transport.js';
import { Acl, DEFAULT_ALLOW } from '../resolver/acl.js';
import { loadHints } from '../resolver/hints.js';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { Logger, LogLevel } from '../base/log.js';
import { loggerFrom, logOptions } from './options/log.js';
import { attachWorker, ClusterPrimary, isLeadWorker, parseWorkers, WorkersError } from '../server/cluster.js';
import { prepareClusterKeys } from '../server/cluster-keys.js';
import cluster from 'node:cluster';
import { bundledZonesDir } from './paths.js';
import { TransferAcl } from '../xfr/acl.js';
import { parseSecondary } from '../secondary/secondaries.js';
import { Keyring } from '../wire/tsig.js';
import { loadKeys } from '../wire/tsig-key.js';
import { parsePolicy } from '../update/policy.js';
import { directoryOptions, serveDirectoryConfig } from './options/directory.js';
import { embeddedControlPath, embeddedOptions, parseZoneList, startEmbedded, stateFileFor, type Embedded } from './embedded.js';
import { requireOnce, requirePath, UsageError } from './common.js';
import { configOptions, rereadConfig, type LiveSetters } from './config.js';
import { prepareJournalDir } from '../update/store.js';
import { DEFAULT_MAX_ZONE_BYTES } from '../zone/load.js';
import { daemonStatePath, gatewayAddress, metricsAddress, readDaemonState, type DaemonState } from './daemon-state.js';
import { metricsListen, metricsOptions } from './options/metrics.js';
import { dnssecConfig, dnssecOptions, keyChoice } from './options/dnssec.js';
import { bundledAnchorFor, prepareBundledDnssec } from './bundled-dnssec.js';
import { mcpAuthConfig, mcpAuthOptions } from './options/mcp-auth.js';
import { Metrics } from '../base/metrics.js';
import { MetricsHttp } from '../server/metrics-http.js';
import type { ListenAddress } from '../server/listen.js';
import { packageVersion } from './embedded.js';
import { encryptedConfig, isTlsForward, parseTlsForward, tlsOptions } from './options/tls.js';
import { dnstapConfig, dnstapOptions } from './options/dnstap.js';
import { udpIoConfig, udpIoOptions } from './options/udp-io.js';
import { abuseConfig, abuseOptions, shareCookieSecret } from './options/abuse.js';
import { validationConfig, validationOptions } from './options/validation.js';
import { healthConfig, healthOptions } from './options/health.js';
import { managedAnchorOptions, withManagedAnchors } from './options/managed-anchors.js';

/** The cluster primary of `aop serve --workers N`: forks, relays SIGHUP and the control socket, stops. */
async function servePrimary(workers: number, controlPath: string | undefined, logger: Logger, metricsAt?: ListenAddress): Promise<void> {
  const primary = new ClusterPrimary({ workers, controlPath, logger });
  // The workers' metrics summed, served by the primary from before the workers start (/readyz 503 until they serve).
  const http = metricsAt && new MetricsHttp({ listen: metricsAt, exposition: () => primary.metrics(), readiness: () => primary.readiness() });
  if (http) {
    await http.start().catch((err: unknown) => {
      throw addressInUse(err, daemonStatePath()) ?? err;
    });
    logger.info(`metrics: ${http.url} (summed over ${workers} workers)`);
  }
  let stopping = false;
  const stop = (why: string, code: number): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${why}: stopping ${primary.workers.length} workers`);
    primary.close().then(() => http?.close()).then(() => process.exit(code), () => process.exit(1));
  };
  primary.onFatal = (why) => {
    logger.error(why);
    stop('fatal', 1);
  };
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));
  try {
    await primary.start();
  } catch (err) {
    // A worker stopped on a usage error (an address in use, said above): the command exits 1, as one process would.
    if (err instanceof WorkersError && err.workerExitCode === 1) {
      process.stderr.write(`aop: ${err.message}\n`);
      await primary.close().catch(() => {});
      await http?.close();
      process.exit(1);
    }
    await http?.close();
    throw err;
  }
  process.on('SIGHUP', () => {
    logger.info(`SIGHUP: reloading zones in ${primary.workers.length} workers`);
    primary.reload().then((r) => {
      if (r.ok) logger.info(`reload: ${r.workers} workers reloaded (${r.loaded} zones loaded, ${r.failed} failed)`);
      else logger.error(`reload: ${r.errors.join('; ')}`);
    }, (err: Error) => logger.error(`reload failed: ${err.message}`));
  });
}

export const DEFAULT_LISTEN = '127.0.0.1:5300';

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Who holds an address, when the state file announces a live aop daemon that has it. */
function holder(host: string, port: number, stateFile: string): { ours: boolean; state: DaemonState } | undefined {
  const state = readDaemonState(stateFile);
  if (!state || state.pid === process.pid) return undefined;
  const same = (h: string, p: number): boolean => p === port && (h === host || WILDCARDS.has(host));
  const mcp = gatewayAddress(state);
  const metrics = metricsAddress(state);
  return { ours: same(state.dns.address, state.dns.port) || (mcp !== undefined && same(mcp.host, mcp.port)) || (metrics !== undefined && same(metrics.host, metrics.port)), state };
}

/**
 * An address in use (the DNS listeners', the gateway's or a demo agent's) as one line: the
 * address, who holds it when the state file knows (`in use by aop (pid 1234, started ..., DNS ...,
 * MCP ...)`), and the flag that moves or drops it. A UsageError (exit 1); undefined for other errors.
 */
export function addressInUse(err: unknown, stateFile: string): UsageError | undefined {
  let host: string;
  let port: number;
  let protocol = 'tcp';
  let fix: string;
  let what = '';
  const e = err as (Error & { code?: unknown; cause?: unknown }) | undefined;
  const node = (x: unknown): (NodeJS.ErrnoException & { address?: string; port?: number }) | undefined =>
    (x as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE' ? x as NodeJS.ErrnoException & { address?: string; port?: number } : undefined;
  if (err instanceof AddressInUseError) {
    ({ host, port } = err.address);
    protocol = err.protocol;
    fix = 'stop it or pick another --listen';
  } else if (e?.code === 'ERR_GATEWAY_LISTEN' && node(e.cause)?.port !== undefined) {
    host = node(e.cause)!.address ?? '';
    port = node(e.cause)!.port!;
    what = 'the MCP gateway\'s address ';
    fix = 'stop it, pick another --mcp, or run with --no-mcp';
  } else if (e?.code === 'ERR_METRICS_LISTEN' && node(e.cause)?.port !== undefined) {
    host = node(e.cause)!.address ?? '';
    port = node(e.cause)!.port!;
    what = 'the metrics address ';
    fix = 'stop it, pick another --metrics, or run with --no-metrics';
  } else if (node(err)?.port !== undefined && node(err)!.syscall === 'listen') {
    // The demo agents' HTTP servers, the only other sockets aop serve opens.
    host = node(err)!.address ?? '';
    port = node(err)!.port!;
    what = 'the demo agent port ';
    fix = 'stop it or run with --no-demo-agents';
  } else {
    return undefined;
  }
  const shown = formatListen({ host, port, family: host.includes(':') ? 6 : 4 });
  const h = holder(host, port, stateFile);
  const about = (s: DaemonState): string => `pid ${s.pid}${s.started ? `, started ${s.started}` : ''}, DNS ${formatListen({ host: s.dns.address, port: s.dns.port, family: s.dns.address.includes(':') ? 6 : 4 })}${s.mcp ? `, MCP ${s.mcp}` : ''}`;
  const by = h === undefined ? `is in use by another program (${protocol})`
    : h.ours ? `is in use by aop (${about(h.state)})`
    : `is in use (${protocol}); an aop daemon is running (${about(h.state)})`;
  return new UsageError('ERR_ADDRESS_IN_USE', `${what}${shown} ${by}; ${fix}`, { cause: err });
}

export function serveCommand(y: Argv): Argv {
  return y.command(
    'serve',
    'Serve agent zones authoritatively, and resolve agent names recursively with --resolver',
    (c) => directoryOptions(healthOptions(mcpAuthOptions(managedAnchorOptions(validationOptions(dnssecOptions(abuseOptions(dnstapOptions(udpIoOptions(tlsOptions(metricsOptions(configOptions(embeddedOptions(c)))))))))))))
      .option('zones', { type: 'string', defaultDescription: 'the bundled zones/ (none with --resolver)', describe: 'Folder of <origin>.zone files to serve authoritatively' })
      .option('resolver', { type: 'boolean', defaultDescription: 'on with the bundled zones, else off', describe: 'Answer recursive (RD=1) questions by iterating from the root hints' })
      .option('root-hints', { type: 'string', defaultDescription: 'the bundled zones/root.hints (agents. at 127.0.0.2)', describe: 'Root hints file (zone-file syntax: NS and A/AAAA of the namespace apex)' })
      .option('allow', { type: 'string', array: true, default: DEFAULT_ALLOW, describe: 'Client network allowed to recurse (CIDR); repeat for more' })
      .option('forward', { type: 'string', array: true, default: [] as string[], describe: 'Resolver (ADDR[:PORT], or tls://ADDR[:PORT][#AUTH-NAME] for DNS over TLS) for names outside the namespace; without it they are REFUSED' })
      .option('cache-size', { type: 'number', default: 64, describe: 'Cache memory limit in MiB' })
      .option('min-ttl', { type: 'number', default: 0, describe: 'Cache TTL floor in seconds' })
      .option('max-ttl', { type: 'number', default: 86400, describe: 'Cache TTL ceiling in seconds' })
      .option('stale-window', { type: 'number', default: 86400, describe: 'Seconds past expiry that data may be served when all servers are down (0 disables serve-stale)' })
      .option('stale-client-timeout', { type: 'number', default: 1800, describe: 'Most milliseconds a question with stale data waits for the servers before it gets the stale data (RFC 8767 client response timer; 0: at once)' })
      .option('stale-recheck', { type: 'number', default: 30, describe: 'Seconds after a failed refresh during which a name is answered from stale data without asking upstream (RFC 8767 failure recheck timer; 0: ask every time)' })
      .option('prefetch', { type: 'boolean', default: true, describe: 'Refresh popular entries shortly before they expire' })
      .option('upstream-port', { type: 'number', default: 53, describe: 'Port of the authoritative servers the resolver asks' })
      .option('upstream-timeout', { type: 'number', default: 1500, describe: 'Most milliseconds to wait for one upstream reply' })
      .option('warm-up', { type: 'number', default: 3000, describe: 'Made-up resolutions run before the listeners open, so the first real questions run compiled code (0 skips; about 2 s for the default)' })
      .option('control', { type: 'string', defaultDescription: 'with the bundled zones: control.sock beside the state file', describe: 'Unix socket for `aop cache` commands (flush, stats, dump)' })
      .option('listen', { type: 'string', array: true, default: [DEFAULT_LISTEN], describe: 'Address to listen on, ADDR[:PORT] or [V6ADDR]:PORT; repeat for more' })
      .option('udp-size', { type: 'number', default: 1232, describe: 'Largest UDP response sent (512-4096)' })
      .option('tcp-idle-timeout', { type: 'number', default: 10, describe: 'Seconds before an idle TCP connection is closed' })
      .option('tcp-max-connections', { type: 'number', default: 1000, describe: 'Concurrent TCP connections accepted' })
      .option('tcp-message-timeout', { type: 'number', default: 3, describe: 'Seconds a TCP client has to finish a message once its first byte is in (more bytes do not extend it)' })
      .option('tcp-max-per-source', { type: 'number', default: 50, describe: 'Concurrent TCP connections from one source address (IPv6: one /64); loopback counts too' })
      .option('workers', { type: 'string', default: '1', describe: 'Worker processes sharing the listening sockets: a number (1-64) or auto (one per CPU)' })
      .option('tsig-key', { type: 'string', array: true, default: [] as string[], describe: 'BIND key file (key "name" { algorithm hmac-sha256; secret "..."; };); repeat for more' })
      .option('tsig-secret', { type: 'string', array: true, default: [] as string[], describe: 'A key as ALG:NAME:BASE64SECRET (visible in ps: prefer --tsig-key)' })
      .option('tsig-max-fudge', { type: 'number', default: 300, describe: 'Most seconds a signed request may be off our clock, whatever fudge it claims (BADTIME beyond)' })
      .option('allow-update', { type: 'boolean', default: false, describe: 'Accept TSIG-signed dynamic updates (RFC 2136) to the --zones zones' })
      .option('update-policy', { type: 'string', array: true, default: [] as string[], describe: "Rule 'grant|deny KEY name|subdomain|wildcard|agent NAME [TYPE...]' or 'grant|deny KEY zonesub|self [TYPE...]'; first match decides; implies --allow-update" })
      .option('max-zone-bytes', { type: 'number', default: DEFAULT_MAX_ZONE_BYTES, describe: 'Most octets read for one zone, its file and $INCLUDEs together; a larger zone fails to load' })
      .option('include-dir', { type: 'string', array: true, default: [] as string[], describe: "Folder $INCLUDE may read from besides the zone file's own; repeat for more" })
      .option('journal-dir', { type: 'string', defaultDescription: 'the --zones folder', describe: 'Folder of the update journals (<origin>.jnl)' })
      .option('allow-transfer', { type: 'string', array: true, default: [] as string[], describe: 'Who may AXFR/IXFR the zones: ADDR, ADDR/PREFIX or key:NAME (a --tsig-key); repeat for more. Default: no one' })
      .option('notify', { type: 'string', array: true, default: [] as string[], describe: 'Secondary (ADDR[:PORT]) sent a NOTIFY whenever a zone changes; repeat for more' })
      .option('notify-ns', { type: 'boolean', default: false, describe: "Also NOTIFY each zone's own name servers (apex NS with addresses in the zone), except our own addresses" })
      .option('secondary', { type: 'string', array: true, default: [] as string[], describe: 'Serve ORIGIN as a secondary of PRIMARY: ORIGIN:PRIMARY[:PORT]; repeat for more' })
      .option('secondary-dir', { type: 'string', describe: 'Folder for the secondaries\' transferred copies (served after a restart until they expire); default: memory only' })
      .options(logOptions('info'))
      .check((a) => {
        // Single-valued options once each (yargs joins a repeated one's values with commas); one
        // folder of zones per daemon: reload, the journals and the gateway's state hang on it.
        requireOnce(a, ['zones', 'root-hints', 'journal-dir', 'secondary-dir', 'control', 'workers']);
        // Files and folders named here must be there: missing is the user's to fix (exit 1), not a failed start (10).
        if (a.zones !== undefined) requirePath('--zones', a.zones, 'folder');
        if (a['root-hints'] !== undefined) {
          requirePath('--root-hints', a['root-hints'], 'file');
          loadHints(a['root-hints']);
        }
        for (const f of a['tsig-key']) requirePath('--tsig-key', f, 'file');
        const workers = parseWorkers(a.workers);
        const keys = new Keyring(loadKeys(a['tsig-key'], a['tsig-secret']));
        parsePolicy(a['update-policy']);
        if (a['allow-update'] || a['update-policy'].length > 0) {
          if (a.zones === undefined) throw new Error('--allow-update needs --zones: updates rewrite the zone files there');
          if (keys.size === 0) throw new Error('--allow-update needs at least one --tsig-key or --tsig-secret: updates must be signed');
          if (workers !== 1) throw new Error('--allow-update needs --workers 1: one process owns the journal');
          // A folder that cannot hold journals is said here (exit 1), not found by the first update.
          try {
            prepareJournalDir(a['journal-dir'] ?? a.zones);
          } catch (err) {
            throw new UsageError('ERR_MISSING_FILE', (err as Error).message.replace(/^journal folder/, a['journal-dir'] !== undefined ? '--journal-dir' : 'journal folder (--zones)'));
          }
        }
        if (!(Number.isInteger(a['max-zone-bytes']) && a['max-zone-bytes'] >= 1)) throw new Error('--max-zone-bytes must be a whole number of octets, at least 1');
        for (const d of a['include-dir']) requirePath('--include-dir', d, 'folder');
        if (!(Number.isInteger(a['tsig-max-fudge']) && a['tsig-max-fudge'] >= 0 && a['tsig-max-fudge'] <= 65535)) throw new Error('--tsig-max-fudge must be a whole number of seconds, 0 to 65535');
        if (!(a['udp-size'] >= 512 && a['udp-size'] <= 4096)) throw new Error('--udp-size must be between 512 and 4096');
        if (!(a['tcp-idle-timeout'] > 0)) throw new Error('--tcp-idle-timeout must be positive');
        if (!(a['tcp-max-connections'] >= 1)) throw new Error('--tcp-max-connections must be at least 1');
        if (!(a['tcp-message-timeout'] > 0)) throw new Error('--tcp-message-timeout must be positive');
        if (!(Number.isInteger(a['tcp-max-per-source']) && a['tcp-max-per-source'] >= 1)) throw new Error('--tcp-max-per-source must be a whole number, at least 1');
        for (const l of a.listen) parseListen(l);
        new Acl(a.allow);
        for (const f of a.forward) {
          if (isTlsForward(f)) {
            parseTlsForward(f);
            continue;
          }
          try {
            parseListen(f, 53);
          } catch {
            throw new Error(`--forward '${f}': want a resolver's IP address, ADDR[:PORT] or [V6ADDR]:PORT`);
          }
        }
        if (!(a['cache-size'] > 0)) throw new Error('--cache-size must be positive');
        for (const k of ['min-ttl', 'max-ttl', 'stale-window'] as const) {
          if (!(Number.isInteger(a[k]) && a[k] >= 0 && a[k] <= 2147483647)) throw new Error(`--${k} must be a whole number of seconds, 0 to 2147483647`);
        }
        if (!(Number.isInteger(a['stale-client-timeout']) && a['stale-client-timeout'] >= 0 && a['stale-client-timeout'] <= 3600000)) throw new Error('--stale-client-timeout must be 0 to 3600000 milliseconds');
        if (!(Number.isInteger(a['stale-recheck']) && a['stale-recheck'] >= 0 && a['stale-recheck'] <= 86400)) throw new Error('--stale-recheck must be a whole number of seconds, 0 to 86400');
        if (a['max-ttl'] < a['min-ttl']) throw new Error('--min-ttl must not be above --max-ttl');
        if (!(Number.isInteger(a['warm-up']) && a['warm-up'] >= 0 && a['warm-up'] <= 100000)) throw new Error('--warm-up must be a whole number of resolutions, 0 to 100000');
        if (!(Number.isInteger(a['upstream-timeout']) && a['upstream-timeout'] >= 10 && a['upstream-timeout'] <= 60000)) throw new Error('--upstream-timeout must be 10 to 60000 milliseconds');
        if (!(Number.isInteger(a['upstream-port']) && a['upstream-port'] >= 1 && a['upstream-port'] <= 65535)) throw new Error('--upstream-port must be 1 to 65535');
        for (const e of a['allow-transfer']) new TransferAcl([e]);
        for (const n of a.notify) {
          try {
            parseListen(n, 53);
          } catch {
            throw new Error(`--notify '${n}': want a secondary's IP address, ADDR[:PORT] or [V6ADDR]:PORT`);
          }
        }
        for (const s of a.secondary) parseSecondary(s);
        if (a.secondary.length > 0 && a.workers !== '1') throw new Error('--secondary needs --workers 1 (each worker would transfer the zone on its own)');
        return true;
      })
      .example('$0 serve', `serve the bundled zones on ${DEFAULT_LISTEN}`)
      .example('$0 serve --zones /etc/aop/zones --listen 127.0.0.1:53 --listen [::1]:53', 'serve a folder of zones on port 53')
      .example('$0 serve --zones zones/ --tsig-key writer.key --update-policy "grant writer-key name writer.acme.agents. ANY"', 'accept signed registrations for one name')
      .example('$0 serve --resolver --listen 127.0.0.1:5353 --control /run/aop.sock', 'a resolver for agent names, from the bundled root hints'),
    async (a) => {
      const logger = loggerFrom(a);
      const workers = parseWorkers(a.workers);
      if (workers > 1 && cluster.isPrimary) {
        if ((typeof a.mcp === 'string' && a.mcp !== '') || a['demo-agents'] === true) throw new Error('--mcp and --demo-agents need --workers 1');
        if (a.zones === undefined && a.resolver === undefined) logger.warn('with --workers, the MCP gateway, demo agents and state file do not run');
        shareCookieSecret();
        // Each worker binds its UDP socket with SO_REUSEPORT: a port another daemon holds is refused here.
        for (const l of a.listen) await probeUdpFree(parseListen(l)).catch((err: unknown) => { throw addressInUse(err, daemonStatePath()) ?? err; });
        // --dnssec: the keys made once, here, before the workers start signing with them.
        const zonesDir = a.zones ?? (a.resolver || a.secondary.length > 0 ? undefined : bundledZonesDir);
        if (a.dnssec === true && zonesDir !== undefined) prepareClusterKeys(zonesDir, dnssecConfig(a).dnssec!, logger);
        await servePrimary(workers, a.control, logger, metricsListen(a.metrics, a.zones === undefined && a.resolver === undefined && a.secondary.length === 0));
        return;
      }
      const inWorker = workers > 1 && cluster.isWorker;
      // The embedded default (`npm start`): no --zones, no --resolver.
      const embedded = a.zones === undefined && a.resolver === undefined && a.secondary.length === 0;
      // With workers each keeps its own registry and the primary serves their sum.
      const metricsAt = metricsListen(a.metrics, embedded);
      const metrics = metricsAt ? new Metrics({ version: packageVersion() }) : undefined;
      // The embedded default opens a control socket beside its state file unless given --control.
      const defaultControl = !inWorker && a.control === undefined ? await embeddedControlPath({ stateFile: a['state-file'] as unknown, embedded }, logger) : undefined;
      // --no-control: none at all.
      const control = inWorker || (a.control as unknown) === false ? undefined : a.control ?? defaultControl;
      // The bundled world signed, with keys and the root's anchor beside the state file (cli/bundled-dnssec.ts).
      const bundled = embedded && workers === 1 && a.dnssec === undefined
        ? prepareBundledDnssec(stateFileFor({ stateFile: a['state-file'] as unknown, embedded }) ?? daemonStatePath(), 'agents.', keyChoice(a), logger) : undefined;
      // A resolver started on its own with the bundled hints validates the bundled root with the
      // anchor npm start wrote beside the state file; without one it says it does not validate.
      const apart = !embedded && a.resolver === true && a['root-hints'] === undefined && a['trust-anchor'].length === 0 && a.forward.length === 0;
      const found = apart ? bundledAnchorFor(daemonStatePath()) : undefined;
      if (found?.anchors) logger.info(`validating with the bundled root's anchor ${found.file} (written by aop serve; --trust-anchor FILE to choose another)`);
      else if (found) logger.warn(`not validating: no --trust-anchor, and the bundled root's anchor ${found.file} is not there yet (npm start writes it)`);
      let resolver: ResolverConfig | undefined;
      if (a.resolver ?? embedded) {
        const mib = 1024 * 1024;
        resolver = {
          hints: loadHints(a['root-hints'] ?? path.join(bundledZonesDir, 'root.hints')),
          allow: a.allow,
          forwarders: a.forward.map((f) => { if (isTlsForward(f)) return parseTlsForward(f, a['forward-tls-ca']); const l = parseListen(f, 53); return { address: l.host, port: l.port }; }),
          upstreamPort: a['upstream-port'],
          timeout: a['upstream-timeout'],
          serveStale: a['stale-window'] > 0,
          prefetch: a.prefetch,
          warmUp: a['warm-up'],
          ...withManagedAnchors(validationConfig(a, bundled?.anchors ?? found?.anchors), a),
          cache: {
            minTtl: a['min-ttl'], maxTtl: a['max-ttl'], staleWindow: a['stale-window'],
            staleClientTimeout: a['stale-client-timeout'], staleRecheck: a['stale-recheck'],
            rrset: { maxBytes: Math.floor(a['cache-size'] * mib * 0.6) },
            negative: { maxBytes: Math.floor(a['cache-size'] * mib * 0.2) },
            delegation: { maxBytes: Math.floor(a['cache-size'] * mib * 0.2) },
          },
        };
      }
      const daemon = new Daemon({
        // A daemon given only secondary zones serves no folder unless told to.
        zonesDir: a.zones ?? (a.resolver || a.secondary.length > 0 ? undefined : bundledZonesDir),
        zoneLimits: { maxZoneBytes: a['max-zone-bytes'], includeDirs: a['include-dir'] },
        resolver,
        // With workers, the primary owns the control socket and relays to each worker.
        controlPath: control,
        listen: a.listen.map((l) => parseListen(l)),
        maxUdpSize: a['udp-size'],
        tcp: {
          idleTimeoutMs: a['tcp-idle-timeout'] * 1000, maxConnections: a['tcp-max-connections'],
          messageTimeoutMs: a['tcp-message-timeout'] * 1000, maxPerSource: a['tcp-max-per-source'],
        },
        logger,
        encrypted: encryptedConfig(a),
        ...abuseConfig(a),
        keyring: new Keyring(loadKeys(a['tsig-key'], a['tsig-secret'])),
        tsigMaxFudge: a['tsig-max-fudge'],
        ...(a['allow-update'] || a['update-policy'].length > 0
          ? { update: { policy: a['update-policy'].length > 0 ? parsePolicy(a['update-policy']) : undefined, journalDir: a['journal-dir'] } }
          : {}),
        transfers: {
          allow: a['allow-transfer'],
          notify: a.notify.map((n) => { const l = parseListen(n, 53); return { address: l.host, port: l.port }; }),
          notifyNs: a['notify-ns'],
          secondaries: a.secondary.map((x) => parseSecondary(x)),
          secondaryDir: a['secondary-dir'],
        },
        ...(metrics ? { metrics } : {}),
        ...dnstapConfig(a),
        ...udpIoConfig(a),
        ...dnssecConfig(bundled ? { ...a, dnssec: true, 'key-dir': bundled.keyDir } : a, inWorker ? (isLeadWorker() ? 'leader' : 'follower') : undefined),
        ...healthConfig(a),
      });
      let extras: Embedded | undefined;
      let metricsHttp: MetricsHttp | undefined;
      let opened = false;
      try {
        if (!inWorker && metrics && metricsAt) {
          // Bound before the zones load: /readyz says 503 until the listeners answer, with the
          // first load's progress meanwhile (a 1,000,000-agent zone takes seconds).
          metricsHttp = new MetricsHttp({ listen: metricsAt, exposition: () => metrics.exposition(), readiness: () => daemon.readiness(), progress: () => metrics.progressLines() });
          await metricsHttp.start();
          logger.info(`metrics: ${metricsHttp.url}`);
        }
        // Every socket, so an address in use is said at once; then the resolver's warm-up.
        await daemon.open();
        opened = true;
        if (!inWorker) {
          extras = await startEmbedded({
            mcp: a.mcp as unknown, mcpZones: parseZoneList(a['mcp-zones'] as string[] | undefined), agentTools: a['mcp-agent-tools'],
            allowHttp: a['mcp-allow-http'], timeoutMs: a['mcp-timeout'], allowedHosts: a['mcp-allowed-host'],
            maxReplyBytes: a['mcp-max-reply-bytes'], maxReplyEvents: a['mcp-max-reply-events'], maxHops: a['mcp-max-hops'],
            maxConnections: a['mcp-max-connections'], maxConnectionsPerSource: a['mcp-max-connections-per-source'],
            mcpAuth: mcpAuthConfig(a), directory: serveDirectoryConfig(a as Record<string, unknown>),
            demoAgents: a['demo-agents'], stateFile: a['state-file'] as unknown, zonesDir: a.zones ?? (a.resolver ? undefined : bundledZonesDir), embedded,
            ...(control !== undefined ? { control: { path: control, isDefault: control === defaultControl } } : {}),
            ...(metricsHttp ? { metricsUrl: metricsHttp.url } : {}), ...(metrics ? { metrics } : {}),
            ...(bundled ? { anchorFile: bundled.anchorFile } : {}), requireSecure: a['mcp-require-secure'] as boolean | undefined,
            ...(resolver?.validation ? { anchors: resolver.validation.anchors } : {}),
          }, daemon, logger, () => daemon.start());
        }
        // The probes trust the local CA the https demo agents chain to, as the gateway does.
        if (extras?.caFile !== undefined) daemon.health?.trust(readFileSync(extras.caFile, 'utf8'));
        await daemon.start();
      } catch (err) {
        await extras?.close();
        await metricsHttp?.close();
        if (opened) await daemon.close();
        // The file a daemon holding the address would announce itself in: ours, else the usual place.
        const stateFile = stateFileFor({ stateFile: a['state-file'] as unknown, embedded: true }) ?? daemonStatePath();
        throw addressInUse(err, stateFile) ?? err;
      }
      // What a SIGHUP with a changed --config file applies without a restart (docs/configuration.md).
      const tsig = { files: a['tsig-key'], secrets: a['tsig-secret'] };
      const liveSetters = (): LiveSetters => ({
        'log-level': (v) => logger.setLevel(v as LogLevel),
        allow: (v) => daemon.setRecursionAllow(v as string[]),
        'allow-transfer': (v) => daemon.setTransferAllow(v as string[]),
        'tsig-key': (v) => { daemon.setKeys(loadKeys(v as string[], tsig.secrets)); tsig.files = v as string[]; },
        'tsig-secret': (v) => { daemon.setKeys(loadKeys(tsig.files, v as string[])); tsig.secrets = v as string[]; },
        'update-policy': (v) => {
          const rules = v as string[];
          // No rules and no --allow-update would turn updates off, not open them to any key.
          if (rules.length === 0 && !a['allow-update']) throw new Error('an empty update-policy turns dynamic updates off: that takes a restart');
          daemon.setUpdatePolicy(rules.length > 0 ? parsePolicy(rules) : undefined);
        },
      });
      process.on('SIGHUP', () => {
        logger.info('SIGHUP: reloading zones');
        rereadConfig(liveSetters(), logger);
        // Zones load in slices while every zone keeps answering; a SIGHUP meanwhile queues one more reload.
        daemon.reloadAsync().then(() => extras?.reloaded(), (err: Error) => logger.error(`reload failed: ${err.message}`));
      });
      let stopping = false;
      const stop = (sig: string): void => {
        if (stopping) return;
        stopping = true;
        logger.info(`${sig}: shutting down`);
        (extras?.close() ?? Promise.resolve()).then(() => metricsHttp?.close()).then(() => daemon.close()).then(() => {
          logger.info(`stopped; ${JSON.stringify(daemon.stats.snapshot())}`);
          process.exit(0);
        }, () => process.exit(1));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      // A worker leaves Ctrl-C to the primary, which stops every worker in order.
      process.on('SIGINT', () => { if (!inWorker) stop('SIGINT'); });
      if (inWorker) attachWorker(daemon, stop, metrics, () => rereadConfig(liveSetters(), logger));
    },
  );
}

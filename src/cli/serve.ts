// `aop serve`: the daemon, with SIGHUP reload and graceful SIGTERM/SIGINT shutdown.

import type { Argv } from 'yargs';
import { Daemon, type ResolverConfig } from '../server/daemon.js';
import { parseListen } from '../server/listen.js';
import { Acl, DEFAULT_ALLOW } from '../resolver/acl.js';
import { loadHints } from '../resolver/hints.js';
import path from 'node:path';
import { createLogger, type LogLevel } from '../server/log.js';
import { bundledZonesDir } from './paths.js';

export const DEFAULT_LISTEN = '127.0.0.1:5300';

export function serveCommand(y: Argv): Argv {
  return y.command(
    'serve',
    'Serve agent zones authoritatively, and resolve agent names recursively with --resolver',
    (c) => c
      .option('zones', { type: 'string', defaultDescription: 'the bundled zones/ (none with --resolver)', describe: 'Folder of <origin>.zone files to serve authoritatively' })
      .option('resolver', { type: 'boolean', default: false, describe: 'Answer recursive (RD=1) questions by iterating from the root hints' })
      .option('root-hints', { type: 'string', defaultDescription: 'the bundled zones/root.hints (agents. at 127.0.0.2)', describe: 'Root hints file (zone-file syntax: NS and A/AAAA of the namespace apex)' })
      .option('allow', { type: 'string', array: true, default: DEFAULT_ALLOW, describe: 'Client network allowed to recurse (CIDR); repeat for more' })
      .option('forward', { type: 'string', array: true, default: [] as string[], describe: 'Resolver (ADDR[:PORT]) for names outside the namespace; without it they are REFUSED' })
      .option('cache-size', { type: 'number', default: 64, describe: 'Cache memory limit in MiB' })
      .option('min-ttl', { type: 'number', default: 0, describe: 'Cache TTL floor in seconds' })
      .option('max-ttl', { type: 'number', default: 86400, describe: 'Cache TTL ceiling in seconds' })
      .option('stale-window', { type: 'number', default: 86400, describe: 'Seconds past expiry that data may be served when all servers are down (0 disables serve-stale)' })
      .option('prefetch', { type: 'boolean', default: true, describe: 'Refresh popular entries shortly before they expire' })
      .option('upstream-port', { type: 'number', default: 53, describe: 'Port of the authoritative servers the resolver asks' })
      .option('upstream-timeout', { type: 'number', default: 1500, describe: 'Most milliseconds to wait for one upstream reply' })
      .option('control', { type: 'string', describe: 'Unix socket for `aop cache` commands (flush, stats, dump)' })
      .option('listen', { type: 'string', array: true, default: [DEFAULT_LISTEN], describe: 'Address to listen on, ADDR[:PORT] or [V6ADDR]:PORT; repeat for more' })
      .option('udp-size', { type: 'number', default: 1232, describe: 'Largest UDP response sent (512-4096)' })
      .option('tcp-idle-timeout', { type: 'number', default: 10, describe: 'Seconds before an idle TCP connection is closed' })
      .option('tcp-max-connections', { type: 'number', default: 1000, describe: 'Concurrent TCP connections accepted' })
      .option('log-level', { choices: ['debug', 'info', 'warn', 'error'] as const, default: 'info' as const })
      .check((a) => {
        if (!(a['udp-size'] >= 512 && a['udp-size'] <= 4096)) throw new Error('--udp-size must be between 512 and 4096');
        if (!(a['tcp-idle-timeout'] > 0)) throw new Error('--tcp-idle-timeout must be positive');
        if (!(a['tcp-max-connections'] >= 1)) throw new Error('--tcp-max-connections must be at least 1');
        for (const l of a.listen) parseListen(l);
        new Acl(a.allow);
        for (const f of a.forward) {
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
        if (a['max-ttl'] < a['min-ttl']) throw new Error('--min-ttl must not be above --max-ttl');
        if (!(Number.isInteger(a['upstream-timeout']) && a['upstream-timeout'] >= 10 && a['upstream-timeout'] <= 60000)) throw new Error('--upstream-timeout must be 10 to 60000 milliseconds');
        if (!(Number.isInteger(a['upstream-port']) && a['upstream-port'] >= 1 && a['upstream-port'] <= 65535)) throw new Error('--upstream-port must be 1 to 65535');
        return true;
      })
      .example('$0 serve', `serve the bundled zones on ${DEFAULT_LISTEN}`)
      .example('$0 serve --zones /etc/aop/zones --listen 127.0.0.1:53 --listen [::1]:53', 'serve a folder of zones on port 53')
      .example('$0 serve --resolver --listen 127.0.0.1:5353 --control /run/aop.sock', 'a resolver for agent names, from the bundled root hints'),
    async (a) => {
      const logger = createLogger(a['log-level'] as LogLevel);
      let resolver: ResolverConfig | undefined;
      if (a.resolver) {
        const mib = 1024 * 1024;
        resolver = {
          hints: loadHints(a['root-hints'] ?? path.join(bundledZonesDir, 'root.hints')),
          allow: a.allow,
          forwarders: a.forward.map((f) => { const l = parseListen(f, 53); return { address: l.host, port: l.port }; }),
          upstreamPort: a['upstream-port'],
          timeout: a['upstream-timeout'],
          serveStale: a['stale-window'] > 0,
          prefetch: a.prefetch,
          cache: {
            minTtl: a['min-ttl'], maxTtl: a['max-ttl'], staleWindow: a['stale-window'],
            rrset: { maxBytes: Math.floor(a['cache-size'] * mib * 0.6) },
            negative: { maxBytes: Math.floor(a['cache-size'] * mib * 0.2) },
            delegation: { maxBytes: Math.floor(a['cache-size'] * mib * 0.2) },
          },
        };
      }
      const daemon = new Daemon({
        zonesDir: a.zones ?? (a.resolver ? undefined : bundledZonesDir),
        resolver,
        controlPath: a.control,
        listen: a.listen.map((l) => parseListen(l)),
        maxUdpSize: a['udp-size'],
        tcp: { idleTimeoutMs: a['tcp-idle-timeout'] * 1000, maxConnections: a['tcp-max-connections'] },
        logger,
      });
      await daemon.start();
      process.on('SIGHUP', () => {
        logger.info('SIGHUP: reloading zones');
        try {
          daemon.reload();
        } catch (err) {
          logger.error(`reload failed: ${(err as Error).message}`);
        }
      });
      let stopping = false;
      const stop = (sig: string): void => {
        if (stopping) return;
        stopping = true;
        logger.info(`${sig}: shutting down`);
        daemon.close().then(() => {
          logger.info(`stopped; ${JSON.stringify(daemon.stats.snapshot())}`);
          process.exit(0);
        }, () => process.exit(1));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    },
  );
}

// `aop serve`: the daemon, with SIGHUP reload and graceful SIGTERM/SIGINT shutdown.

import type { Argv } from 'yargs';
import { Daemon } from '../server/daemon.js';
import { parseListen } from '../server/listen.js';
import { createLogger, type LogLevel } from '../server/log.js';
import { bundledZonesDir } from './paths.js';

export const DEFAULT_LISTEN = '127.0.0.1:5300';

export function serveCommand(y: Argv): Argv {
  return y.command(
    'serve',
    'Serve agent zones authoritatively over UDP and TCP',
    (c) => c
      .option('zones', { type: 'string', default: bundledZonesDir, defaultDescription: 'the bundled zones/', describe: 'Folder of <origin>.zone files' })
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
        return true;
      })
      .example('$0 serve', `serve the bundled zones on ${DEFAULT_LISTEN}`)
      .example('$0 serve --zones /etc/aop/zones --listen 127.0.0.1:53 --listen [::1]:53', 'serve a folder of zones on port 53'),
    async (a) => {
      const logger = createLogger(a['log-level'] as LogLevel);
      const daemon = new Daemon({
        zonesDir: a.zones,
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

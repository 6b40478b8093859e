// `--metrics ADDR:PORT` / `--no-metrics`: the Prometheus listener (/metrics, /healthz, /readyz).
// On by default only in the embedded default (`npm start`), on loopback.

import type { Argv } from 'yargs';
import { parseListen, type ListenAddress } from '../../server/listen.js';

export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9153';
export const DEFAULT_METRICS_PORT = 9153;

export function metricsOptions<T>(y: Argv<T>) {
  return y
    .option('metrics', {
      type: 'string',
      defaultDescription: `${DEFAULT_METRICS_LISTEN} with the bundled zones, else off`,
      describe: 'Serve Prometheus metrics (/metrics), /healthz and /readyz on ADDR[:PORT]; --no-metrics turns it off',
    })
    .check((a) => {
      const m = a.metrics as unknown;
      if (Array.isArray(m)) throw new Error('--metrics: give it once (one metrics address per daemon)');
      if (typeof m === 'string' && m !== '') {
        try {
          parseListen(m, DEFAULT_METRICS_PORT);
        } catch (err) {
          throw new Error(`--metrics '${m}': ${(err as Error).message}`);
        }
      }
      return true;
    });
}

/**
 * Where the metrics listener goes: `--metrics ADDR[:PORT]`, `--metrics` alone or the embedded
 * default (127.0.0.1:9153); undefined with --no-metrics or when not asked for.
 */
export function metricsListen(value: unknown, embedded: boolean): ListenAddress | undefined {
  if (value === false) return undefined;
  if (typeof value === 'string' && value !== '') return parseListen(value, DEFAULT_METRICS_PORT);
  return value === '' || embedded ? parseListen(DEFAULT_METRICS_LISTEN) : undefined;
}

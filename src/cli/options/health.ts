// `aop serve --health-probe` and its options: how often the agents' MCP endpoints are probed,
// how long a probe may take, and how many results in a row change an endpoint's state.

import type { Argv } from 'yargs';
import type { DaemonOptions } from '../../server/daemon.js';
import { checkHealthOptions, DEFAULT_HEALTH, HealthConfigError, type HealthOptions } from '../../health/index.js';

export function healthOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('health-probe', { type: 'boolean', default: false, describe: 'Probe the MCP endpoints the agent records name (initialize + ping) and leave those that are down out of SVCB answers while another is up' })
    .option('health-interval', { type: 'number', default: DEFAULT_HEALTH.intervalMs, describe: 'Milliseconds between rounds of probes (100-86400000)' })
    .option('health-timeout', { type: 'number', default: DEFAULT_HEALTH.timeoutMs, describe: 'Milliseconds one probe may take: connect, initialize and ping (10-600000)' })
    .option('health-fall', { type: 'number', default: DEFAULT_HEALTH.fall, describe: 'Failed probes in a row that mark an endpoint down (1-100)' })
    .option('health-rise', { type: 'number', default: DEFAULT_HEALTH.rise, describe: 'Answered probes in a row that mark a down endpoint up again (1-100)' })
    .check((a) => {
      if (a['health-probe'] !== true) return true;
      try {
        checkHealthOptions(healthFrom(a));
      } catch (err) {
        if (err instanceof HealthConfigError) throw new Error(`--${err.message.replace(/^health /, 'health-')}`);
        throw err;
      }
      // Each worker would probe on its own and answer from its own view of the endpoints.
      if (a.workers !== '1' && a.workers !== undefined) throw new Error('--health-probe needs --workers 1');
      return true;
    });
}

function healthFrom(a: Record<string, unknown>): HealthOptions {
  const n = (k: string, d: number): number => (a[k] === undefined ? d : Number(a[k]));
  return {
    intervalMs: n('health-interval', DEFAULT_HEALTH.intervalMs), timeoutMs: n('health-timeout', DEFAULT_HEALTH.timeoutMs),
    fall: n('health-fall', DEFAULT_HEALTH.fall), rise: n('health-rise', DEFAULT_HEALTH.rise),
  };
}

/** The daemon's health config, with --health-probe. */
export function healthConfig(a: Record<string, unknown>): Pick<DaemonOptions, 'health'> {
  return a['health-probe'] === true ? { health: healthFrom(a) } : {};
}

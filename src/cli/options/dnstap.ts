// `aop serve` options for dnstap output and the query log, and what they make of the daemon's config.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import type { DaemonOptions } from '../../server/daemon.js';
import { parseDnstapTarget } from '../../server/dnstap/index.js';

export function dnstapOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('dnstap', { type: 'string', describe: 'dnstap output: unix:/path (a collector such as fstrm_capture -u) or file:/path (a Frame Streams file)' })
    .option('dnstap-identity', { type: 'string', defaultDescription: 'the host name', describe: 'dnstap identity field (\'\' leaves it out)' })
    .option('dnstap-upstream', { type: 'boolean', default: false, describe: 'Also log the resolver\'s upstream queries (RESOLVER_QUERY/RESOLVER_RESPONSE)' })
    .option('query-log', { type: 'boolean', default: false, describe: 'One structured log line per (sampled) query' })
    .option('query-log-sample', { type: 'number', default: 1, describe: 'Log one query in N' })
    .option('query-log-rate', { type: 'number', default: 100, describe: 'Most query log lines per second (0: no cap); the rest are counted (queryLogSuppressed)' })
    .check((a) => {
      const target = a.dnstap as string | undefined;
      if (target !== undefined) {
        if (Array.isArray(target)) throw new Error('--dnstap is given once');
        const t = parseDnstapTarget(target);
        const dir = path.dirname(t.path);
        if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`--dnstap '${target}': folder ${dir} does not exist`);
        if (t.kind === 'file' && a.workers !== '1') throw new Error('--dnstap file: needs --workers 1 (each worker would write the same file); use unix: with workers');
      }
      const sample = a['query-log-sample'] as number;
      if (!(Number.isInteger(sample) && sample >= 1)) throw new Error('--query-log-sample must be a whole number, at least 1');
      const rate = a['query-log-rate'] as number;
      if (!(Number.isInteger(rate) && rate >= 0)) throw new Error('--query-log-rate must be a whole number of lines per second, 0 for no cap');
      return true;
    });
}

/** The daemon options these flags set. */
export function dnstapConfig(a: Record<string, unknown>): Pick<DaemonOptions, 'dnstap' | 'queryLog'> {
  const out: Pick<DaemonOptions, 'dnstap' | 'queryLog'> = {};
  if (typeof a.dnstap === 'string') {
    out.dnstap = { ...parseDnstapTarget(a.dnstap), upstream: a['dnstap-upstream'] === true, ...(typeof a['dnstap-identity'] === 'string' ? { identity: a['dnstap-identity'] } : {}) };
  }
  if (a['query-log'] === true) out.queryLog = { sample: a['query-log-sample'] as number, rate: a['query-log-rate'] as number };
  return out;
}

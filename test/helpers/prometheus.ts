// A real Prometheus server (Debian `prometheus`) for a test: config written here, data in a
// scratch folder, scraping the given targets every second, on a leased loopback address; and
// its query API (/api/v1/query), waited on for a value rather than for time.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { scratchDir, startPeer, type PeerProcess, type Teardownable } from './child.js';
import { waitFor } from './wait.js';

export interface Prometheus {
  url: string;
  proc: PeerProcess;
  /** An instant query's result vector (throws on an API error: bad PromQL fails the test). */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Wait until `expr` returns a sample whose value passes `ok` (default: any sample). */
  waitFor(expr: string, ok?: (v: number) => boolean, timeoutMs?: number): Promise<number>;
}

/** Start Prometheus on `host:port`, scraping `targets` (host:port of /metrics endpoints) every 1 s. */
export async function startPrometheus(t: Teardownable, host: string, port: number, targets: string[]): Promise<Prometheus> {
  const dir = scratchDir(t, 'aop-prom-');
  const conf = path.join(dir, 'prometheus.yml');
  writeFileSync(conf, [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: aop',
    '    static_configs:',
    `      - targets: [${targets.map((x) => `'${x}'`).join(', ')}]`,
    '',
  ].join('\n'));
  const proc = startPeer(t, 'prometheus', 'prometheus', [
    `--config.file=${conf}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=${host}:${port}`, '--log.level=warn',
  ]);
  const url = `http://${host}:${port}`;
  await waitFor(async () => {
    if (proc.exited) throw new Error(`prometheus exited: ${proc.output}`);
    try {
      return (await fetch(`${url}/-/ready`)).ok;
    } catch {
      return false;
    }
  }, 'prometheus ready', { timeoutMs: 60_000, intervalMs: 100, detail: () => proc.output });
  const query = async (expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = await res.json() as { status: string; error?: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success') throw new Error(`PromQL ${expr}: ${body.error ?? res.status}`);
    return body.data!.resultType === 'vector' ? body.data!.result : [];
  };
  return {
    url, proc, query,
    async waitFor(expr, ok = () => true, timeoutMs = 60_000) {
      let last = NaN;
      await waitFor(async () => {
        const r = await query(expr);
        return r.some((s) => { last = Number(s.value[1]); return ok(last); });
      }, `PromQL ${expr}`, { timeoutMs, intervalMs: 250, detail: () => `last value ${last}; prometheus: ${proc.output.slice(-2000)}` });
      return last;
    },
  };
}

// Scenario 6 of `npm run bench` (BENCH_ONLY=6 runs it alone): what the metrics cost on the
// query path. The same aop, the same zone and queries as scenario 1, once with --metrics (per-query
// counts by type and a clock read for the duration histogram; Prometheus scraping it each second)
// and once with --no-metrics; runs interleaved, medians compared. Target: under 5% fewer QPS.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { shuffled, writeAgentZone, writeQueryFile } from './data.js';
import { dnsperf } from './dnsperf.js';
import { cpuSeconds, startAop, waitForAnswer } from './servers.js';

/** Median QPS and queries per server CPU-second with metrics on and off, over `config.rounds` interleaved runs. */
export async function metricsCost({ dir, names, config, log, net, port }) {
  log('scenario 6: metrics on vs off (authoritative, scenario 1 queries)');
  const zoneDir = path.join(dir, 's6');
  mkdirSync(zoneDir, { recursive: true });
  await writeAgentZone(path.join(zoneDir, 'bench.agents.zone'), 'bench.agents.', config.agents, `${net}3`);
  const queryFile = path.join(dir, 's6.queries');
  writeQueryFile(queryFile, shuffled(names));
  const last = names[names.length - 1];
  const defs = [
    { key: 'on', host: `${net}60`, extra: ['--metrics', `${net}60:9153`] },
    { key: 'off', host: `${net}61`, extra: ['--no-metrics'] },
  ];
  const running = [];
  const qps = { on: [], off: [] };
  const perCpu = { on: [], off: [] };
  let scrapes = 0;
  let scraper;
  try {
    for (const d of defs) {
      const proc = startAop(`aop metrics ${d.key}`, { zonesDir: zoneDir, listen: [`${d.host}:${port}`], extra: d.extra });
      running.push(proc);
      await waitForAnswer(proc, d.host, port, last, 'SVCB', { timeoutMs: 60_000 });
    }
    // A scrape a second, as Prometheus would: the exposition's cost is part of the bill.
    scraper = setInterval(() => {
      fetch(`http://${net}60:9153/metrics`).then((r) => r.text()).then(() => { scrapes++; }, () => {});
    }, 1000);
    // One unmeasured pass over every name first (the encoded-answer caches warm, as in scenario 1).
    for (const d of defs) await dnsperf({ server: d.host, port, queryFile, maxRuns: 1, clients: config.clients, outstanding: config.outstanding, timeout: 5, cpu: config.pin ? 1 : undefined });
    for (let round = 0; round < config.rounds; round++) {
      for (const d of round % 2 === 0 ? defs : [...defs].reverse()) {
        const proc = running[defs.indexOf(d)];
        const cpu0 = cpuSeconds(proc.pid);
        const r = await dnsperf({ server: d.host, port, queryFile, seconds: config.seconds, clients: config.clients, outstanding: config.outstanding, cpu: config.pin ? 1 : undefined });
        const cpu = cpuSeconds(proc.pid) - cpu0;
        qps[d.key].push(r.qps);
        // Queries per server CPU-second: less sensitive than QPS to what else the cores are doing.
        perCpu[d.key].push(r.completed / cpu);
        log(`  metrics ${d.key}: ${Math.round(r.qps)} qps, ${Math.round(r.completed / cpu)} per CPU-second, ${r.lost} lost`);
      }
    }
  } finally {
    clearInterval(scraper);
    await Promise.all(running.map((p) => p.stop()));
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const on = median(qps.on);
  const off = median(qps.off);
  const cpuOn = median(perCpu.on);
  const cpuOff = median(perCpu.off);
  return { on, off, ratio: on / off, perCpuOn: cpuOn, perCpuOff: cpuOff, perCpuRatio: cpuOn / cpuOff, runs: qps, perCpu, scrapes };
}

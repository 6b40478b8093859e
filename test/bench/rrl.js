// The RRL row: what Response Rate Limiting and DNS Cookies cost on the answering path.
// One aop serves the scenario 1 zone three ways, measured in interleaved rounds (median QPS):
// RRL off; RRL on at a rate no dnsperf run reaches (every answer pays the bucket lookup, none
// is dropped, so the figure is the cost, not the limiting); and RRL on with a client cookie in
// every query (each answer gets a fresh SipHash server cookie patched into the stored answer).
//
// `node test/bench/rrl.js` runs it alone (BENCH_SECONDS, BENCH_ROUNDS, BENCH_AGENTS as for run.js);
// `npm run bench` runs it as scenario 6.

import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentNames, shuffled, writeAgentZone, writeQueryFile } from './data.js';
import { dnsperf } from './dnsperf.js';
import { cpuSeconds, startAop, waitForAnswer } from './servers.js';

const PORT = 5300;
/** Far above what one machine's dnsperf sends: the limiter runs on every answer and never limits. */
const NEVER_LIMITS = '100000000';
const COOKIE = '10:0123456789abcdef';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs the three configurations; returns { results, rows } for run.js's table and JSON. */
export async function rrlScenario({ dir, net, agents, seconds, rounds, clients, outstanding, pin, log }) {
  const zoneDir = path.join(dir, 's6');
  mkdirSync(zoneDir, { recursive: true });
  await writeAgentZone(path.join(zoneDir, 'bench.agents.zone'), 'bench.agents.', agents, `${net}3`);
  const names = agentNames('bench.agents.', agents);
  const queryFile = path.join(dir, 's6.queries');
  writeQueryFile(queryFile, shuffled(names));
  const runs = [
    { key: 'off', label: 'RRL off', host: `${net}70`, extra: ['--rrl-rate', '0'] },
    { key: 'on', label: 'RRL on (never limiting)', host: `${net}71`, extra: ['--rrl-rate', NEVER_LIMITS] },
    { key: 'cookies', label: 'RRL on, every query with a cookie', host: `${net}72`, extra: ['--rrl-rate', NEVER_LIMITS], ednsOption: COOKIE },
  ];
  const procs = [];
  try {
    for (const r of runs) {
      const proc = startAop(`aop ${r.key}`, { zonesDir: zoneDir, listen: [`${r.host}:${PORT}`], extra: r.extra });
      procs.push(proc);
      await waitForAnswer(proc, r.host, PORT, names[names.length - 1], 'SVCB', { timeoutMs: 60_000 });
      // An answer from someone else's server on the address would be measured in its place.
      await new Promise((res) => setTimeout(res, 300));
      if (proc.exited !== undefined) throw new Error(`aop ${r.key} exited (${r.host}:${PORT} taken?): ${proc.output.slice(-500)}`);
      r.proc = proc;
      r.qps = [];
      r.cpu = [];
      // One unmeasured pass, so every configuration is measured warm.
      await dnsperf({ server: r.host, port: PORT, queryFile, maxRuns: 1, clients, outstanding, timeout: 5, ednsOption: r.ednsOption, cpu: pin ? 1 : undefined });
    }
    for (let i = 0; i < rounds; i++) {
      for (const r of runs) {
        const cpu0 = cpuSeconds(r.proc.pid);
        const d = await dnsperf({ server: r.host, port: PORT, queryFile, seconds, clients, outstanding, ednsOption: r.ednsOption, cpu: pin ? 1 : undefined });
        r.qps.push(d.qps);
        r.cpu.push((cpuSeconds(r.proc.pid) - cpu0) / d.runTime);
        if (!(r.cpu[r.cpu.length - 1] > 0)) r.cpu[r.cpu.length - 1] = NaN; // the process was not seen: no per-CPU figure
        log(`  ${r.key} round ${i + 1}: ${Math.round(d.qps)} qps, ${d.lost} lost, rcodes ${JSON.stringify(d.rcodes)}`);
      }
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
  const results = Object.fromEntries(runs.map((r) => [r.key, { qps: median(r.qps), runs: r.qps, qpsPerCpu: median(r.qps.map((q, i) => q / r.cpu[i]).filter(Number.isFinite)) }]));
  const base = results.off;
  const rows = runs.map((r) => {
    const x = results[r.key];
    // The cost as a share of RRL-off throughput, and of its queries per CPU-second (less noisy on a shared machine).
    const pct = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${((1 - a / b) * 100).toFixed(1)}%` : '?');
    const cost = r.key === 'off' ? '' : `cost ${pct(x.qps, base.qps)} QPS, ${pct(x.qpsPerCpu, base.qpsPerCpu)} per CPU-second`;
    return { scenario: '9 RRL and cookies', metric: `QPS completed (median), ${r.label}`, aop: String(Math.round(x.qps)), peer: r.key === 'off' ? '' : 'RRL off', peerValue: r.key === 'off' ? '' : String(Math.round(base.qps)), ratio: cost };
  });
  return { results, rows };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const env = process.env;
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-bench-rrl-'));
  const { results, rows } = await rrlScenario({
    dir, net: env.BENCH_NET ?? '127.0.200.', agents: Number(env.BENCH_AGENTS ?? 10_000), seconds: Number(env.BENCH_SECONDS ?? 10), rounds: Number(env.BENCH_ROUNDS ?? 3),
    clients: Number(env.BENCH_CLIENTS ?? 4), outstanding: Number(env.BENCH_OUTSTANDING ?? 100), pin: env.BENCH_PIN === '1',
    log: (m) => process.stderr.write(`bench: ${m}\n`),
  });
  console.log(JSON.stringify(results, null, 2));
  for (const r of rows) console.log(`${r.metric}: ${r.aop}${r.peerValue ? ` (RRL off ${r.peerValue}; ${r.ratio})` : ''}`);
}

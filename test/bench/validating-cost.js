// Scenario 11 of `npm run bench` (BENCH_ONLY=11 runs it alone): what DNSSEC validation costs a
// warm resolver. One aop serves the scenario-1 zone signed (--dnssec) as the namespace root; two
// aop resolvers iterate from it, one validating from the zone's DS (--trust-anchor), one not.
// Both are warmed with every name, then asked again with DO=1, runs interleaved, medians compared.
// Target (issue 17): validating warm-resolver QPS at least 0.8x non-validating.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { shuffled, writeAgentZone, writeQueryFile } from './data.js';
import { alternatingRounds, dnsperf, median } from './dnsperf.js';
import { AOP, startAop, startAopResolver, waitForAnswer } from './servers.js';

export async function validatingCost({ dir, names, config, log, net, port }) {
  log('scenario 11: validating (--trust-anchor) vs non-validating resolver, warm, DO=1 queries');
  const zoneDir = path.join(dir, 's11');
  mkdirSync(zoneDir, { recursive: true });
  const auth = `${net}64`;
  await writeAgentZone(path.join(zoneDir, 'bench.agents.zone'), 'bench.agents.', config.agents, auth);
  const keyDir = path.join(dir, 's11-keys');
  const hints = path.join(dir, 's11.hints');
  writeFileSync(hints, `bench.agents. 3600 IN NS ns1.bench.agents.\nns1.bench.agents. 3600 IN A ${auth}\n`);
  const queryFile = path.join(dir, 's11.queries');
  writeQueryFile(queryFile, shuffled(names, 5));
  const last = names[names.length - 1];
  const running = [];
  const qps = { validating: [], plain: [] };
  const perCpu = { validating: [], plain: [] };
  try {
    const authProc = startAop('aop signed root', { zonesDir: zoneDir, listen: [`${auth}:${port}`], extra: ['--no-metrics', '--dnssec', '--key-dir', keyDir] });
    running.push(authProc);
    await waitForAnswer(authProc, auth, port, last, 'SVCB', { timeoutMs: 120_000 });
    const anchor = path.join(dir, 's11.anchor');
    writeFileSync(anchor, execFileSync(process.execPath, [AOP, 'zone', 'ds', 'bench.agents.', '--key-dir', keyDir], { encoding: 'utf8' }));
    const defs = [
      { key: 'validating', host: `${net}65`, extra: ['--no-metrics', '--upstream-port', String(port), '--trust-anchor', anchor] },
      { key: 'plain', host: `${net}66`, extra: ['--no-metrics', '--upstream-port', String(port)] },
    ];
    const procs = {};
    for (const d of defs) {
      const proc = startAopResolver(`aop resolver ${d.key}`, { hints, listen: `${d.host}:${port}`, nodeArgs: config.aopNodeArgs, extra: [...d.extra, ...config.aopExtra] });
      running.push(proc);
      procs[d.key] = proc;
      await waitForAnswer(proc, d.host, port, 'bench.agents.', 'SOA', { timeoutMs: 120_000, rd: true });
    }
    for (const d of defs) {
      const w = await dnsperf({ server: d.host, port, queryFile, maxRuns: 1, rate: config.rate, clients: config.clients, timeout: 5, dnssecOk: true, cpu: config.pin ? 1 : undefined });
      log(`  ${d.key} warm-up: ${w.sent} names, ${w.lost} lost, rcodes ${JSON.stringify(w.rcodes)}`);
    }
    await alternatingRounds({ defs, procOf: (d) => procs[d.key], port, queryFile, config, log, qps, perCpu });
  } finally {
    await Promise.all(running.map((p) => p.stop()));
  }
  const v = median(qps.validating);
  const p = median(qps.plain);
  const cv = median(perCpu.validating);
  const cp = median(perCpu.plain);
  return { validating: v, plain: p, ratio: v / p, perCpuValidating: cv, perCpuPlain: cp, perCpuRatio: cv / cp, runs: qps, perCpu };
}

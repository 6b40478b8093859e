// Scenario 10 of `npm run bench` (BENCH_ONLY=10 runs it alone): what DNSSEC signing costs on the
// query path. The same aop, zone and queries as scenario 1, every query with DO=1, once served
// with --dnssec (RRSIGs in every answer) and once unsigned; runs interleaved, medians compared.
// Target (issue 17): signed QPS at least 0.8x unsigned.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { shuffled, writeAgentZone, writeQueryFile } from './data.js';
import { alternatingRounds, dnsperf, median } from './dnsperf.js';
import { startAop, waitForAnswer } from './servers.js';

export async function signedCost({ dir, names, config, log, net, port }) {
  log('scenario 10: signed (--dnssec) vs unsigned, DO=1 queries (authoritative, scenario 1 queries)');
  const zoneDir = path.join(dir, 's10');
  mkdirSync(zoneDir, { recursive: true });
  await writeAgentZone(path.join(zoneDir, 'bench.agents.zone'), 'bench.agents.', config.agents, `${net}3`);
  const queryFile = path.join(dir, 's10.queries');
  writeQueryFile(queryFile, shuffled(names));
  const last = names[names.length - 1];
  const defs = [
    { key: 'signed', host: `${net}62`, extra: ['--no-metrics', '--dnssec', '--key-dir', path.join(dir, 's10-keys')] },
    { key: 'unsigned', host: `${net}63`, extra: ['--no-metrics'] },
  ];
  const running = [];
  const qps = { signed: [], unsigned: [] };
  const perCpu = { signed: [], unsigned: [] };
  try {
    for (const d of defs) {
      const proc = startAop(`aop ${d.key}`, { zonesDir: zoneDir, listen: [`${d.host}:${port}`], extra: d.extra });
      running.push(proc);
      await waitForAnswer(proc, d.host, port, last, 'SVCB', { timeoutMs: 120_000 });
    }
    for (const d of defs) await dnsperf({ server: d.host, port, queryFile, maxRuns: 1, clients: config.clients, outstanding: config.outstanding, timeout: 5, dnssecOk: true, cpu: config.pin ? 1 : undefined });
    await alternatingRounds({ defs, procOf: (d) => running[defs.indexOf(d)], port, queryFile, config, log, qps, perCpu });
  } finally {
    await Promise.all(running.map((p) => p.stop()));
  }
  const signed = median(qps.signed);
  const unsigned = median(qps.unsigned);
  const cpuS = median(perCpu.signed);
  const cpuU = median(perCpu.unsigned);
  return { signed, unsigned, ratio: signed / unsigned, perCpuSigned: cpuS, perCpuUnsigned: cpuU, perCpuRatio: cpuS / cpuU, runs: qps, perCpu };
}

// `node test/bench/dnstap.js`: the cost of dnstap on the authoritative path. aop serves the test
// fixture zone; dnsperf measures QPS with --dnstap off, and on to a real fstrm_capture collector
// (each query then makes two messages); the median of BENCH_ROUNDS runs each, interleaved, and
// the ratio on/off. Also the dnstap counters of the on runs (messages written, dropped).
// Environment: BENCH_SECONDS (default 10), BENCH_ROUNDS (3), BENCH_CLIENTS, BENCH_OUTSTANDING.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dnsperf } from './dnsperf.js';
import { ROOT, findTool, startAop, waitForAnswer } from './servers.js';

const num = (v, d) => (v === undefined || v === '' ? d : Number(v));
const seconds = num(process.env.BENCH_SECONDS, 10);
const rounds = num(process.env.BENCH_ROUNDS, 3);
const clients = num(process.env.BENCH_CLIENTS, 4);
const outstanding = num(process.env.BENCH_OUTSTANDING, 100);
const HOST = '127.0.200.70';
const PORT = 5300;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One row: QPS with dnstap off and on, and on/off. */
export async function dnstapRow() {
  if (!findTool('fstrm_capture') || !findTool('dnsperf')) throw new Error('dnstap bench needs fstrm_capture (fstrm-bin) and dnsperf');
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-bench-dnstap-'));
  const queryFile = path.join(dir, 'queries.txt');
  // Names of the fixture zone, a mix of answers and negative answers.
  writeFileSync(queryFile, ['writer.example.agents TXT', 'writer.example.agents SVCB', 'host.example.agents A', 'host.example.agents AAAA', 'nope.example.agents A'].join('\n') + '\n');
  const zonesDir = path.join(ROOT, 'test', 'fixtures', 'serve');
  const qps = { off: [], on: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['off', 'on']) {
        const sock = path.join(dir, `c${r}.sock`);
        let cap;
        if (mode === 'on') {
          cap = spawn('fstrm_capture', ['-t', 'protobuf:dnstap.Dnstap', '-u', sock, '-w', path.join(dir, `c${r}.fstrm`)], { stdio: 'ignore' });
          for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((res) => setTimeout(res, 20));
        }
        const aop = startAop(`aop-dnstap-${mode}`, { zonesDir, listen: [`${HOST}:${PORT}`], extra: mode === 'on' ? ['--dnstap', `unix:${sock}`, '--no-mcp', '--no-demo-agents'] : ['--no-mcp', '--no-demo-agents'] });
        try {
          await waitForAnswer(aop, HOST, PORT, 'writer.example.agents.', 'TXT');
          const s = await dnsperf({ server: HOST, port: PORT, queryFile, seconds, clients, outstanding });
          qps[mode].push(s.qps);
          process.stderr.write(`bench: dnstap ${mode} round ${r + 1}: ${Math.round(s.qps)} qps\n`);
        } finally {
          await aop.stop();
          if (cap) {
            cap.kill('SIGINT');
            await new Promise((res) => cap.once('exit', res));
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const off = median(qps.off);
  const on = median(qps.on);
  return { name: 'authoritative QPS, dnstap to fstrm_capture on / off', off: Math.round(off), on: Math.round(on), ratio: Math.round((on / off) * 1000) / 1000, runs: qps };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const row = await dnstapRow();
  console.log(JSON.stringify(row, null, 2));
}

/** Scenario 7 of run.js (BENCH_ONLY=...,7): the row into its table and JSON. */
export async function dnstapScenario(results, rows) {
  const r = await dnstapRow();
  results.scenarios['7'] = r;
  rows.push({ scenario: '7 dnstap', metric: 'authoritative QPS, dnstap on (fstrm_capture)', aop: String(r.on), peer: 'dnstap off', peerValue: String(r.off), ratio: String(r.ratio) });
}

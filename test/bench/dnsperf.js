// dnsperf as the load generator: run it, parse its statistics and, with -v, the latency of every
// query (dnsperf prints no percentiles; its per-query lines give them exactly).

import { spawn } from 'node:child_process';
import { cpuSeconds as cpuSecondsOf, findTool } from './servers.js';

export class DnsperfError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DnsperfError';
    this.code = 'ERR_BENCH_DNSPERF';
  }
}

/** The q-quantile (0..1) of sorted numbers, nearest rank. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

function num(text, re) {
  const m = re.exec(text);
  return m ? Number(m[1]) : NaN;
}

/** dnsperf's closing statistics as numbers (latencies in ms). */
export function parseStats(text) {
  const codes = {};
  const m = /Response codes:\s+(.*)/.exec(text);
  if (m) for (const part of m[1].split(',')) {
    const c = /([A-Z]+) (\d+)/.exec(part.trim());
    if (c) codes[c[1]] = Number(c[2]);
  }
  return {
    sent: num(text, /Queries sent:\s+(\d+)/),
    completed: num(text, /Queries completed:\s+(\d+)/),
    lost: num(text, /Queries lost:\s+(\d+)/),
    interrupted: num(text, /Queries interrupted:\s+(\d+)/) || 0,
    rcodes: codes,
    responseSize: num(text, /Average packet size:\s+request \d+, response (\d+)/),
    runTime: num(text, /Run time \(s\):\s+([\d.]+)/),
    qps: num(text, /Queries per second:\s+([\d.]+)/),
    avgLatencyMs: num(text, /Average Latency \(s\):\s+([\d.]+)/) * 1000,
    maxLatencyMs: num(text, /Average Latency \(s\):.*max ([\d.]+)/) * 1000,
    stddevLatencyMs: num(text, /Latency StdDev \(s\):\s+([\d.]+)/) * 1000,
  };
}

/**
 * Run dnsperf. `seconds` bounds the run (-l), `maxRuns` the passes through the file (-n),
 * `rate` fixes the query rate (-Q), `verbose` collects every query's latency (-v).
 */
/**
 * Latencies in the order dnsperf reported them, summarised per block of `size`: a tail that sits
 * in a few blocks is a pause (start-up, GC), one spread over all blocks is steady CPU contention.
 */
function blocks(latencies, size) {
  const out = [];
  for (let i = 0; i < latencies.length; i += size) {
    const b = latencies.slice(i, i + size).sort((x, y) => x - y);
    out.push({ from: i, p50Ms: round3(quantile(b, 0.5)), p99Ms: round3(quantile(b, 0.99)), maxMs: round3(b[b.length - 1]) });
  }
  return out;
}

const round3 = (v) => Math.round(v * 1000) / 1000;

export function dnsperf({ server, port, queryFile, seconds, maxRuns, clients = 4, outstanding = 100, rate, timeout = 2, verbose = false, edns = true, cpu, mode, longOptions = [], ednsOption, dnssecOk = false }) {
  const bin = findTool('dnsperf');
  if (!bin) throw new DnsperfError('dnsperf not installed (Debian package dnsperf)');
  const args = ['-s', server, '-p', String(port), '-d', queryFile, '-c', String(clients), '-q', String(outstanding), '-t', String(timeout)];
  if (seconds !== undefined) args.push('-l', String(seconds));
  if (maxRuns !== undefined) args.push('-n', String(maxRuns));
  if (rate !== undefined) args.push('-Q', String(rate));
  if (edns) args.push('-e');
  // -D: the DO bit, so a signed server sends its RRSIGs (scenario 10).
  if (dnssecOk) args.push('-D');
  // -m dot / -m doh (dnsperf 2.5+), with -O doh-uri=... and -O doh-method=... for DoH.
  if (mode !== undefined) args.push('-m', mode);
  for (const o of longOptions) args.push('-O', o);
  // `CODE:HEX`, an EDNS option in every query (the RRL row sends a client cookie, 10:...).
  if (ednsOption !== undefined) args.push('-E', ednsOption);
  if (verbose) args.push('-v');
  const cmd = cpu === undefined ? bin : 'taskset';
  const argv = cpu === undefined ? args : ['-c', String(cpu), bin, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const latencies = [];
    let tail = '';
    let stderr = '';
    let rest = '';
    child.stdout.on('data', (d) => {
      const text = rest + d.toString();
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        // "> NOERROR agent0000042.bench.agents. SVCB 0.000412" (a lost query has no latency)
        if (line.startsWith('> ')) {
          const sp = line.lastIndexOf(' ');
          const v = Number(line.slice(sp + 1));
          if (Number.isFinite(v)) latencies.push(v * 1000);
        } else {
          tail += line + '\n';
        }
      }
    });
    child.stderr.on('data', (d) => { stderr += d.toString(); });
    child.once('error', (err) => reject(new DnsperfError(`dnsperf failed to start: ${err.message}`)));
    child.once('exit', (code) => {
      tail += rest;
      const stats = parseStats(tail);
      if (code !== 0 || !Number.isFinite(stats.sent)) {
        reject(new DnsperfError(`dnsperf ${args.join(' ')} exited ${code}:\n${stderr}${tail.slice(-2000)}`));
        return;
      }
      const out = { ...stats, args: args.join(' ') };
      if (verbose) {
        const timeline = blocks(latencies, 500);
        Object.defineProperty(out, 'arrival', { value: latencies.slice(), enumerable: false });
        latencies.sort((a, b) => a - b);
        Object.assign(out, {
          timeline,
          samples: latencies.length,
          p50Ms: quantile(latencies, 0.5),
          p90Ms: quantile(latencies, 0.9),
          p99Ms: quantile(latencies, 0.99),
          p999Ms: quantile(latencies, 0.999),
        });
      }
      resolve(out);
    });
  });
}

/** The median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Timed dnsperf rounds over two or more servers answering the same queries, in alternating order
 * (so drift in the machine's load falls on both), with DO=1: each server's QPS and queries per
 * server CPU-second per round, in `qps[key]` and `perCpu[key]`.
 */
export async function alternatingRounds({ defs, procOf, port, queryFile, config, log, qps, perCpu }) {
  for (let round = 0; round < config.rounds; round++) {
    for (const d of round % 2 === 0 ? defs : [...defs].reverse()) {
      const proc = procOf(d);
      const cpu0 = cpuSecondsOf(proc.pid);
      const r = await dnsperf({ server: d.host, port, queryFile, seconds: config.seconds, clients: config.clients, outstanding: config.outstanding, dnssecOk: true, cpu: config.pin ? 1 : undefined });
      const cpu = cpuSecondsOf(proc.pid) - cpu0;
      qps[d.key].push(r.qps);
      perCpu[d.key].push(r.completed / cpu);
      log(`  ${d.key}: ${Math.round(r.qps)} qps, ${Math.round(r.completed / cpu)} per CPU-second, ${r.lost} lost`);
    }
  }
}

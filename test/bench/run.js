// `npm run bench`: aop against NSD, Knot and Unbound on loopback, on generated agent zones,
// driven by dnsperf; prints one table and writes bench-results/latest.json. See docs/benchmarks.md.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { agentNames, rootHints, rootZone, shuffled, writeAgentZone, writeMixedCaseQueryFile, writeQueryFile } from './data.js';
import { dnsperf } from './dnsperf.js';
import { rrlScenario } from './rrl.js';
import {
  ROOT, cpuSeconds, cpuTimes, threadTimes, findTool, reloadAndSettle, memory, startAop, startAopResolver, startEcho, startKnot, startNsd, startUnbound, toolVersion, waitForAnswer,
} from './servers.js';
import { formatTable, ratioRows } from './report.js';
import { dnstapScenario } from './dnstap.js';

const env = process.env;
const num = (name, def) => {
  const v = env[name] === undefined || env[name] === '' ? def : Number(env[name]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got "${env[name]}"`);
  return v;
};

export const config = {
  /** Length of every measured dnsperf run. */
  seconds: num('BENCH_SECONDS', 10),
  /** Throughput runs per server, interleaved between servers; the median is reported. */
  rounds: num('BENCH_ROUNDS', 3),
  /** Highest query rate of the latency runs; they run at half of aop's saturated rate up to this. */
  rate: num('BENCH_RATE', 5000),
  /** Query rate of the cold-resolver run; it asks min(10,000, rate x seconds) names once each. */
  coldRate: num('BENCH_COLD_RATE', 1000),
  /** Threads/processes given to NSD, Knot and Unbound; aop is measured with one worker, as they are. */
  workers: num('BENCH_WORKERS', 1),
  /** Scenario 1 also measures `aop serve --workers N` (node:cluster); 1 skips that run. */
  aopWorkers: num('BENCH_AOP_WORKERS', 2),
  agents: num('BENCH_AGENTS', 10_000),
  bigAgents: num('BENCH_BIG_AGENTS', 1_000_000),
  /** Seconds a server may take to answer from the big zone (the target is 20); 120 by default, less for short runs. */
  scaleTimeout: num('BENCH_SCALE_TIMEOUT', Math.min(120, Math.max(30, 12 * num('BENCH_SECONDS', 10)))),
  /** dnsperf clients (source ports) and outstanding queries in the throughput runs. */
  clients: num('BENCH_CLIENTS', 4),
  outstanding: num('BENCH_OUTSTANDING', 100),
  /** Calls in flight at once through the gateway in scenario 5. */
  concurrentCalls: num('BENCH_CONCURRENT_CALLS', 1000),
  /** Pin every server to CPU 0 and dnsperf to CPU 1. */
  pin: env.BENCH_PIN === '1',
  /** Extra node flags for the aop resolvers (e.g. `--trace-gc`); their output goes to bench-results/. */
  aopNodeArgs: (env.BENCH_AOP_NODE_ARGS ?? '').split(' ').filter(Boolean),
  /** Extra `aop serve` options for the aop resolvers (e.g. `--warm-up 0`). */
  aopExtra: (env.BENCH_AOP_EXTRA ?? '').split(' ').filter(Boolean),
  /** Scenarios to run, e.g. "1,4" (6 metrics, 7 dnstap, 8 encrypted DNS, 9 RRL and cookies). */
  only: (env.BENCH_ONLY ?? '1,2,3,4,5,6,7,8,9,10,11,12').split(',').map((s) => Number(s.trim())).filter(Boolean),
  /** Loopback network of the bench: servers on 127.0.200.x. */
  net: '127.0.200.',
};

const NET = config.net;
const PORT = 5300;
const results = { scenarios: {} };
const rows = [];
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

function has(tool, pkg) {
  if (findTool(tool)) return true;
  log(`${tool} not installed (Debian package ${pkg}); its column says so`);
  return false;
}

/** Start a server and wait for its first answer; a failure becomes `{ error }`, not a crash. */
async function launch(start, probe) {
  let proc;
  try {
    proc = start();
    const ms = await waitForAnswer(proc, probe.host, probe.port, probe.qname, probe.type, { rd: probe.rd, timeoutMs: probe.timeoutMs ?? 60_000, anyReply: probe.anyReply });
    return { proc, readyMs: ms };
  } catch (err) {
    await proc?.stop();
    log(`${proc?.name ?? 'server'} failed: ${err.message.split('\n')[0]}`);
    return { error: err.message.split('\n')[0] };
  }
}

/**
 * Throughput rounds (interleaved across servers, median QPS) then one latency run at a fixed
 * rate with every query's latency. `servers` is [{ key, host, port, proc }].
 */
async function measure(servers, queryFile) {
  const out = {};
  const dnsperfCpu = config.pin ? 1 : undefined;
  for (const s of servers) out[s.key] = { runs: [] };
  // One pass over every name first, unmeasured: a server that has been up a while has answered
  // each name before (aop's encoded-answer cache is then warm, as NSD's precompiled answers are).
  for (const s of servers) {
    await dnsperf({ server: s.host, port: s.port, queryFile, maxRuns: 1, clients: config.clients, outstanding: config.outstanding, timeout: 5, cpu: dnsperfCpu });
  }
  for (let r = 0; r < config.rounds; r++) {
    for (const s of servers) {
      const cpu0 = cpuSeconds(s.proc.pid);
      const run = await dnsperf({ server: s.host, port: s.port, queryFile, seconds: config.seconds, clients: config.clients, outstanding: config.outstanding, cpu: dnsperfCpu });
      run.serverCpu = (cpuSeconds(s.proc.pid) - cpu0) / run.runTime;
      out[s.key].runs.push(run);
      log(`  ${s.key} round ${r + 1}: ${Math.round(run.qps)} qps, ${run.lost} lost, server CPU ${(run.serverCpu * 100).toFixed(0)}%`);
    }
  }
  // Latency is measured below saturation: at half of aop's rate (at most BENCH_RATE), the same
  // rate for every server, so that it shows service time rather than aop's queue.
  const aopQps = median(out.aop?.runs.map((x) => x.qps) ?? []);
  const rate = Math.min(config.rate, Math.max(500, Math.floor((aopQps * 0.5) / 500) * 500 || config.rate));
  // As many latency rounds as throughput rounds, interleaved, each round starting one server
  // further on (the first after the saturated runs is no one's seat), the median reported: on a
  // shared two-core machine one 10-s run's p99 is whatever else ran in those 10 s (the same aop
  // gave 0.218 and 1.71 ms in two runs), and a pause shows in `timeline` (p99 per 500 queries).
  const lats = Object.fromEntries(servers.map((s) => [s.key, []]));
  for (let r = 0; r < config.rounds; r++) {
    for (let j = 0; j < servers.length; j++) {
      const s = servers[(j + r) % servers.length];
      const lat = await dnsperf({ server: s.host, port: s.port, queryFile, seconds: config.seconds, rate, clients: config.clients, verbose: true, cpu: dnsperfCpu });
      lats[s.key].push(lat);
      log(`  ${s.key} latency round ${r + 1} at ${rate} qps: mean ${lat.avgLatencyMs.toFixed(3)} ms, p99 ${lat.p99Ms.toFixed(3)} ms, ${lat.lost} lost`);
    }
  }
  for (const s of servers) {
    const ls = lats[s.key];
    const lat = {
      qps: median(ls.map((x) => x.qps)), lost: sum(ls.map((x) => x.lost)), avgLatencyMs: median(ls.map((x) => x.avgLatencyMs)),
      p50Ms: median(ls.map((x) => x.p50Ms)), p99Ms: median(ls.map((x) => x.p99Ms)), p999Ms: median(ls.map((x) => x.p999Ms)),
      maxLatencyMs: Math.max(...ls.map((x) => x.maxLatencyMs)), samples: sum(ls.map((x) => x.samples)),
    };
    const runs = out[s.key].runs;
    Object.assign(out[s.key], {
      qps: median(runs.map((x) => x.qps)),
      qpsAll: runs.map((x) => Math.round(x.qps)),
      lost: sum(runs.map((x) => x.lost)),
      sent: sum(runs.map((x) => x.sent)),
      saturatedMeanMs: median(runs.map((x) => x.avgLatencyMs)),
      serverCpu: median(runs.map((x) => x.serverCpu)),
      // Less sensitive than QPS to what else the two cores are doing (dnsperf, other work).
      qpsPerCpu: median(runs.map((x) => x.qps / x.serverCpu)),
      responseSize: runs[0]?.responseSize,
      rcodes: runs[0]?.rcodes,
      latency: {
        rate, qps: lat.qps, lost: lat.lost, meanMs: lat.avgLatencyMs,
        p50Ms: lat.p50Ms, p99Ms: lat.p99Ms, p999Ms: lat.p999Ms, maxMs: lat.maxLatencyMs, samples: lat.samples,
        rounds: ls.map((x) => ({ meanMs: x.avgLatencyMs, p99Ms: x.p99Ms, p999Ms: x.p999Ms, maxMs: x.maxLatencyMs, lost: x.lost, timeline: x.timeline })),
      },
    });
    log(`  ${s.key} at ${rate} qps (median of ${ls.length}): mean ${lat.avgLatencyMs.toFixed(3)} ms, p99 ${lat.p99Ms.toFixed(3)} ms (rounds ${ls.map((x) => x.p99Ms.toFixed(3)).join(', ')}), ${lat.lost} lost`);
  }
  return out;
}

/** Rows for a throughput scenario: aop's figures against each peer's ({ name, value }). */
function throughputRows(scenario, res, peers) {
  const aop = res.aop;
  const rate = aop?.latency?.rate ?? config.rate;
  const metrics = [
    { metric: 'QPS completed (median)', get: (x) => x.qps, digits: 0, higher: true },
    { metric: 'server CPU at saturation (%)', get: (x) => 100 * x.serverCpu, digits: 0 },
    { metric: 'queries per server CPU-second', get: (x) => x.qpsPerCpu, digits: 0 },
    { metric: 'lost queries (all rounds)', get: (x) => x.lost, digits: 0 },
    { metric: `mean latency @${rate} qps (ms, median of rounds)`, get: (x) => x.latency.meanMs, digits: 3 },
    { metric: `p99 latency @${rate} qps (ms, median of rounds)`, get: (x) => x.latency.p99Ms, digits: 3 },
    { metric: `lost @${rate} qps`, get: (x) => x.latency.lost, digits: 0 },
  ];
  return ratioRows(scenario, aop, peers, metrics);
}

// ---- scenario 1: authoritative -----------------------------------------------------------------

async function scenario1(dir, names) {
  log('scenario 1: authoritative, random agent lookups');
  const zoneDir = path.join(dir, 's1');
  mkdirSync(zoneDir);
  await writeAgentZone(path.join(zoneDir, 'bench.agents.zone'), 'bench.agents.', config.agents, `${NET}3`);
  const queryFile = path.join(dir, 's1.queries');
  writeQueryFile(queryFile, shuffled(names));
  const last = names[names.length - 1];
  const zones = [{ origin: 'bench.agents', file: path.join(zoneDir, 'bench.agents.zone') }];
  const defs = [
    { key: 'aop', name: 'aop', host: `${NET}10`, start: () => startAop('aop', { zonesDir: zoneDir, listen: [`${NET}10:${PORT}`] }) },
  ];
  // The same aop on node:dgram, and the two UDP ceilings (an echo server doing no DNS work):
  // how far each path is from what one Node process can do here.
  defs.push({ key: 'aopDgram', name: 'aop --udp-io dgram', host: `${NET}14`, start: () => startAop('aop dgram', { zonesDir: zoneDir, listen: [`${NET}14:${PORT}`], extra: ['--udp-io', 'dgram'] }) });
  defs.push({ key: 'echoDgram', name: 'echo, node:dgram', host: `${NET}15`, anyReply: true, start: () => startEcho('echo dgram', { host: `${NET}15`, port: PORT, mode: 'dgram' }) });
  defs.push({ key: 'echoBatched', name: 'echo, batched', host: `${NET}16`, anyReply: true, start: () => startEcho('echo batched', { host: `${NET}16`, port: PORT, mode: 'batched' }) });
  if (config.aopWorkers > 1) {
    defs.push({ key: 'aopN', name: `aop --workers ${config.aopWorkers}`, host: `${NET}13`, start: () => startAop(`aop x${config.aopWorkers}`, { zonesDir: zoneDir, listen: [`${NET}13:${PORT}`], extra: ['--workers', String(config.aopWorkers)] }) });
  }
  if (has('nsd', 'nsd')) defs.push({ key: 'nsd', name: 'NSD', host: `${NET}11`, start: () => startNsd('nsd', { dir: path.join(dir, 's1-nsd'), address: `${NET}11`, port: PORT, zones, workers: config.workers }) });
  if (has('knotd', 'knot')) defs.push({ key: 'knot', name: 'Knot', host: `${NET}12`, start: () => startKnot('knot', { dir: path.join(dir, 's1-knot'), address: `${NET}12`, port: PORT, zones, workers: config.workers }) });
  const res = {};
  const running = [];
  try {
    for (const d of defs) {
      const l = await launch(d.start, { host: d.host, port: PORT, qname: last, type: 'SVCB', anyReply: d.anyReply });
      if (l.error) res[d.key] = { error: l.error };
      else running.push({ ...d, port: PORT, proc: l.proc });
    }
    if (!running.some((s) => s.key === 'aop')) throw new Error(`aop did not start: ${res.aop.error}`);
    Object.assign(res, await measure(running, queryFile));
    // Resolvers that randomise the case of names (0x20) never repeat a question byte for byte:
    // this run shows the full lookup path, which a byte-keyed answer cache would hide.
    const mixedFile = path.join(dir, 's1-mixed.queries');
    await writeMixedCaseQueryFile(mixedFile, shuffled(names, 5), Math.round(100_000 * config.seconds));
    for (const s of running) {
      if (s.anyReply) continue;
      const r = await dnsperf({ server: s.host, port: s.port, queryFile: mixedFile, seconds: config.seconds, clients: config.clients, outstanding: config.outstanding, cpu: config.pin ? 1 : undefined });
      res[s.key].mixedCase = { qps: r.qps, lost: r.lost, meanMs: r.avgLatencyMs, rcodes: r.rcodes };
      log(`  ${s.key} mixed case: ${Math.round(r.qps)} qps, ${r.lost} lost`);
    }
    // Over TCP: dnsperf keeps its connections open and pipelines (RFC 7766).
    for (const s of running) {
      if (s.anyReply) continue;
      const r = await dnsperf({ server: s.host, port: s.port, queryFile, seconds: config.seconds, clients: config.clients, outstanding: config.outstanding, mode: 'tcp', cpu: config.pin ? 1 : undefined });
      res[s.key].tcp = { qps: r.qps, lost: r.lost, meanMs: r.avgLatencyMs };
      log(`  ${s.key} tcp: ${Math.round(r.qps)} qps, ${r.lost} lost`);
    }
  } finally {
    await Promise.all(running.map((s) => s.proc.stop()));
  }
  results.scenarios['1'] = { name: 'authoritative', agents: config.agents, ...res };
  const peers = [{ name: 'NSD', value: res.nsd }, { name: 'Knot', value: res.knot }];
  const mixed = [
    { metric: 'QPS, mixed-case (0x20) names', get: (x) => x.mixedCase?.qps, digits: 0 },
    { metric: 'QPS over TCP (pipelined)', get: (x) => x.tcp?.qps, digits: 0 },
  ];
  rows.push(...throughputRows('1 authoritative', res, peers));
  rows.push(...ratioRows('1 authoritative', res.aop, peers, mixed));
  const dgramRes = res.aopDgram ?? { error: 'not measured' };
  rows.push(...throughputRows('1 auth, aop --udp-io dgram', { aop: dgramRes }, peers));
  rows.push(...ratioRows('1 auth, aop --udp-io dgram', dgramRes, peers, mixed));
  const qpsOnly = [
    { metric: 'QPS completed (median)', get: (x) => x.qps, digits: 0, higher: true },
    { metric: 'queries per server CPU-second', get: (x) => x.qpsPerCpu, digits: 0 },
  ];
  for (const [key, label] of [['echoDgram', 'echo ceiling, node:dgram'], ['echoBatched', 'echo ceiling, batched']]) {
    rows.push(...ratioRows(`1 ${label}`, res[key] ?? { error: 'not measured' }, peers, qpsOnly));
  }
  if (config.aopWorkers > 1) {
    const label = `1 auth, aop --workers ${config.aopWorkers}`;
    const aopN = res.aopN ?? { error: 'not measured' };
    rows.push(...throughputRows(label, { aop: aopN }, peers));
    rows.push(...ratioRows(label, aopN, peers, mixed));
  }
}

// ---- the hierarchy for scenarios 2 and 3 -------------------------------------------------------

const ORGS = 100;
const orgOrigin = (i) => `org${String(i).padStart(3, '0')}.agents.`;

/**
 * root `agents.` on .2; on .3 one aop serving `bench.agents.` (the same 10,000 agents as scenario
 * 1) and 100 organisations `orgNNN.agents.` of 100 agents each, for the cold run.
 */
async function startHierarchy(dir) {
  const rootDir = path.join(dir, 'h-root');
  const orgDir = path.join(dir, 'h-orgs');
  mkdirSync(rootDir);
  mkdirSync(orgDir);
  const orgs = [{ origin: 'bench.agents.', address: `${NET}3` }];
  await writeAgentZone(path.join(orgDir, 'bench.agents.zone'), 'bench.agents.', config.agents, `${NET}3`);
  const per = Math.ceil(config.agents / ORGS);
  for (let i = 0; i < ORGS; i++) {
    orgs.push({ origin: orgOrigin(i), address: `${NET}3` });
    await writeAgentZone(path.join(orgDir, `${orgOrigin(i).slice(0, -1)}.zone`), orgOrigin(i), per, `${NET}3`);
  }
  writeFileSync(path.join(rootDir, 'agents.zone'), rootZone(`${NET}2`, orgs));
  const hints = path.join(dir, 'root.hints');
  writeFileSync(hints, rootHints(`${NET}2`));
  const root = await launch(() => startAop('aop root', { zonesDir: rootDir, listen: [`${NET}2:53`] }), { host: `${NET}2`, port: 53, qname: 'agents.', type: 'SOA' });
  if (root.error) throw new Error(`root server: ${root.error}`);
  const org = await launch(() => startAop('aop orgs', { zonesDir: orgDir, listen: [`${NET}3:53`] }), { host: `${NET}3`, port: 53, qname: `${agentNames('org099.agents.', 1)[0]}`, type: 'SVCB' });
  if (org.error) {
    await root.proc.stop();
    throw new Error(`org server: ${org.error}`);
  }
  const coldNames = [];
  for (let i = 0; i < ORGS; i++) coldNames.push(...agentNames(orgOrigin(i), per));
  return {
    hints, coldNames: shuffled(coldNames.slice(0, config.agents), 11),
    procs: [root.proc, org.proc],
    async stop() { await Promise.all([root.proc.stop(), org.proc.stop()]); },
  };
}

function resolverDefs(dir, hints, tag, hostA, hostB) {
  const defs = [{ key: 'aop', name: 'aop', host: hostA, start: () => startAopResolver(`aop resolver ${tag}`, { hints, listen: `${hostA}:${PORT}`, nodeArgs: config.aopNodeArgs, extra: config.aopExtra }) }];
  if (findTool('unbound')) {
    defs.push({
      key: 'unbound', name: 'Unbound', host: hostB,
      start: () => startUnbound(`unbound ${tag}`, { dir: path.join(dir, `unbound-${tag}`), address: hostB, port: PORT, stubs: { 'agents.': [`${NET}2`] }, workers: config.workers }),
    });
  }
  return defs;
}

// Readiness is checked on the namespace apex, which teaches a resolver nothing about the orgs.
const READY = { qname: 'agents.', type: 'SOA', rd: true };

// ---- scenario 2: resolver, warm cache ----------------------------------------------------------

async function scenario2(dir, names, hier) {
  log('scenario 2: resolver, warm cache');
  const queryFile = path.join(dir, 's2.queries');
  writeQueryFile(queryFile, shuffled(names, 3));
  const defs = resolverDefs(dir, hier.hints, 'warm', `${NET}20`, `${NET}21`);
  if (defs.length === 1) has('unbound', 'unbound');
  const res = {};
  const running = [];
  try {
    for (const d of defs) {
      const l = await launch(d.start, { host: d.host, port: PORT, ...READY });
      if (l.error) res[d.key] = { error: l.error };
      else running.push({ ...d, port: PORT, proc: l.proc });
    }
    if (!running.some((s) => s.key === 'aop')) throw new Error(`aop resolver did not start: ${res.aop.error}`);
    const warm = {};
    for (const s of running) {
      // One pass over every name at a gentle rate fills the cache; a second catches any loss.
      const a = await dnsperf({ server: s.host, port: s.port, queryFile, maxRuns: 1, rate: 5000, clients: config.clients, timeout: 5, cpu: config.pin ? 1 : undefined });
      const b = a.lost > 0 ? await dnsperf({ server: s.host, port: s.port, queryFile, maxRuns: 1, rate: 5000, clients: config.clients, timeout: 5, cpu: config.pin ? 1 : undefined }) : undefined;
      warm[s.key] = { sent: a.sent, lost: a.lost, seconds: a.runTime, secondPassLost: b?.lost };
      log(`  ${s.key} warm-up: ${a.sent} names in ${a.runTime.toFixed(1)} s, ${a.lost} lost${b ? `; second pass ${b.lost} lost` : ''}`);
    }
    Object.assign(res, await measure(running, queryFile));
    for (const [k, v] of Object.entries(warm)) res[k].warmup = v;
  } finally {
    await Promise.all(running.map((s) => s.proc.stop()));
  }
  results.scenarios['2'] = { name: 'resolver, warm cache', agents: config.agents, ...res };
  rows.push(...throughputRows('2 resolver warm', res, [{ name: 'Unbound', value: res.unbound }]));
}

// ---- scenario 3: resolver, cold ----------------------------------------------------------------

async function scenario3(dir, hier) {
  log('scenario 3: resolver, cold, through root -> org -> agent');
  const count = Math.min(hier.coldNames.length, Math.round(config.coldRate * config.seconds));
  const queryFile = path.join(dir, 's3.queries');
  writeQueryFile(queryFile, hier.coldNames.slice(0, count));
  const defs = resolverDefs(dir, hier.hints, 'cold', `${NET}22`, `${NET}23`);
  // Both resolvers must meet the same upstream: warm the root and org servers (aop processes,
  // whose first second runs unoptimised code) with names the cold run never asks, or the
  // resolver measured first pays for their start-up.
  const warmFile = path.join(dir, 's3.warm');
  writeQueryFile(warmFile, agentNames('bench.agents.', config.agents));
  for (const host of [`${NET}2`, `${NET}3`]) {
    await dnsperf({ server: host, port: 53, queryFile: warmFile, maxRuns: 1, rate: 5000, clients: config.clients, timeout: 5, cpu: config.pin ? 1 : undefined });
  }
  const runs = Object.fromEntries(defs.map((d) => [d.key, []]));
  const errors = {};
  // Rounds alternate which resolver goes first, and every run starts with the upstream servers'
  // stored answers emptied (SIGHUP reloads them): the second resolver would otherwise meet an
  // org server that has every answer encoded already.
  for (let round = 0; round < config.rounds; round++) {
    for (const d of round % 2 === 0 ? defs : [...defs].reverse()) {
      if (errors[d.key]) continue;
      await reloadAndSettle(hier.procs);
      // A fresh process per run: caches empty, nothing learnt from another run.
      const l = await launch(d.start, { host: d.host, port: PORT, ...READY });
      if (l.error) {
        errors[d.key] = l.error;
        continue;
      }
      let arrival;
      try {
        const up0 = cpuSeconds(hier.procs[1].pid);
        const own0 = cpuSeconds(l.proc.pid);
        const split0 = cpuTimes(l.proc.pid);
        const threads0 = threadTimes(l.proc.pid);
        if (config.aopNodeArgs.length) log(`  ${d.key}: dnsperf starts at ${Date.now() % 100000} (ms, wall clock mod 100 s)`);
        const r = await dnsperf({ server: d.host, port: PORT, queryFile, maxRuns: 1, rate: config.coldRate, clients: config.clients, timeout: 5, verbose: true, cpu: config.pin ? 1 : undefined });
        runs[d.key].push({
          round, names: count, rate: config.coldRate, sent: r.sent, completed: r.completed, lost: r.lost, rcodes: r.rcodes,
          meanMs: r.avgLatencyMs, p50Ms: r.p50Ms, p90Ms: r.p90Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms, maxMs: r.maxLatencyMs,
          upstreamCpuSeconds: cpuSeconds(hier.procs[1].pid) - up0, cpuSeconds: cpuSeconds(l.proc.pid) - own0, timeline: r.timeline,
          userSeconds: cpuTimes(l.proc.pid).user - split0.user, sysSeconds: cpuTimes(l.proc.pid).sys - split0.sys,
          threads: Object.fromEntries(Object.entries(threadTimes(l.proc.pid)).map(([k, v]) => [k, +(v - (threads0[k] ?? 0)).toFixed(3)]).filter(([, v]) => v > 0)),
        });
        arrival = r.arrival;
        const last = runs[d.key][runs[d.key].length - 1];
        log(`  round ${round + 1} ${d.key}: ${r.completed}/${r.sent} answered, p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, max ${r.maxLatencyMs.toFixed(1)} ms, CPU ${(1000 * last.userSeconds / count).toFixed(3)} user + ${(1000 * last.sysSeconds / count).toFixed(3)} system ms per name (threads, s: ${JSON.stringify(last.threads)})`);
      } finally {
        await l.proc.stop();
        if (d.key === 'aop' && config.aopNodeArgs.length) writeFileSync(path.join(ROOT, 'bench-results', 'cold-aop.log'), l.proc.output);
        if (config.aopNodeArgs.length && arrival) writeFileSync(path.join(ROOT, 'bench-results', `cold-${d.key}-latencies.json`), JSON.stringify(arrival));
      }
    }
  }
  // Each figure is the median over the rounds; every round is in the JSON.
  const res = {};
  for (const d of defs) {
    const rs = runs[d.key];
    if (rs.length === 0) {
      res[d.key] = { error: errors[d.key] ?? 'no run' };
      continue;
    }
    const med = (f) => median(rs.map(f));
    res[d.key] = {
      names: count, rate: config.coldRate, rounds: rs.length, p50Ms: med((x) => x.p50Ms), p99Ms: med((x) => x.p99Ms),
      meanMs: med((x) => x.meanMs), maxMs: med((x) => x.maxMs), lost: rs.reduce((n, x) => n + x.lost, 0),
      cpuMsPerName: med((x) => (1000 * x.cpuSeconds) / x.completed), runs: rs,
    };
  }
  results.scenarios['3'] = { name: 'resolver, cold', orgs: ORGS, ...res };
  const metrics = [
    { metric: 'p50 latency per lookup (ms, median of rounds)', get: (x) => x.p50Ms, digits: 3 },
    { metric: 'p99 latency per lookup (ms, median of rounds)', get: (x) => x.p99Ms, digits: 3 },
    { metric: 'resolver CPU per name (ms)', get: (x) => x.cpuMsPerName, digits: 3 },
    { metric: 'lost lookups (all rounds)', get: (x) => x.lost, digits: 0 },
  ];
  rows.push(...ratioRows('3 resolver cold', res.aop, [{ name: 'Unbound', value: res.unbound }], metrics));
}

// ---- scenario 4: scale -------------------------------------------------------------------------

async function scenario4(dir) {
  log(`scenario 4: ${config.bigAgents} agents, time to first answer and memory`);
  const zoneDir = path.join(dir, 's4');
  mkdirSync(zoneDir);
  const file = path.join(zoneDir, 'big.agents.zone');
  const t0 = Date.now();
  await writeAgentZone(file, 'big.agents.', config.bigAgents, `${NET}30`);
  const size = statSync(file).size;
  log(`  zone written: ${(size / 2 ** 20).toFixed(0)} MiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // The last agent in the file: it answers only once the whole zone is in.
  const last = `agent${String(config.bigAgents - 1).padStart(7, '0')}.big.agents.`;
  const res = { zoneBytes: size, agents: config.bigAgents };
  const defs = [{ key: 'aop', host: `${NET}30`, start: () => startAop('aop big', { zonesDir: zoneDir, listen: [`${NET}30:${PORT}`] }) }];
  if (has('nsd', 'nsd')) {
    defs.push({ key: 'nsd', host: `${NET}31`, start: () => startNsd('nsd big', { dir: path.join(dir, 's4-nsd'), address: `${NET}31`, port: PORT, zones: [{ origin: 'big.agents', file }], workers: config.workers }) });
  }
  for (const d of defs) {
    // Not launch(): when the server gives up or runs out of time, its memory then is a finding too.
    const proc = d.start();
    let peak = { pssMiB: 0, rssMiB: 0, hwmMiB: 0 };
    const sampler = setInterval(() => {
      try { peak = memory(proc.pid); } catch { /* exited */ }
    }, 1000);
    try {
      const readyMs = await waitForAnswer(proc, d.host, PORT, last, 'SVCB', { timeoutMs: config.scaleTimeout * 1000, intervalMs: 50 });
      const atFirst = memory(proc.pid);
      await new Promise((r) => setTimeout(r, 2000));
      const settled = memory(proc.pid);
      res[d.key] = { firstAnswerMs: readyMs, atFirstAnswer: atFirst, after2s: settled };
      log(`  ${d.key}: first answer after ${(readyMs / 1000).toFixed(1)} s; PSS ${settled.pssMiB.toFixed(0)} MiB, peak RSS ${settled.hwmMiB.toFixed(0)} MiB`);
    } catch (err) {
      const oom = /heap out of memory/.test(proc.output);
      const seconds = Number(process.hrtime.bigint() - proc.startedAt) / 1e9;
      const why = proc.exited
        ? `${oom ? 'out of memory (V8 heap limit)' : `exited ${proc.exited.code ?? proc.exited.signal}`} after ${seconds.toFixed(0)} s`
        : `no answer within ${config.scaleTimeout} s`;
      if (!proc.exited) peak = memory(proc.pid);
      res[d.key] = { error: why, lastMemory: peak, seconds };
      log(`  ${d.key}: ${res[d.key].error}${proc.exited && !oom ? `\n${proc.output.slice(-2000)}` : ''}`);
    } finally {
      clearInterval(sampler);
      await proc.stop(10_000);
    }
  }
  rmSync(file, { force: true });
  results.scenarios['4'] = { name: 'scale', ...res };
  const metrics = [
    { metric: 'time to first answer (s)', get: (x) => x.firstAnswerMs / 1000, digits: 1 },
    { metric: 'memory, PSS of all processes (MiB)', get: (x) => x.after2s.pssMiB, digits: 0 },
    { metric: 'peak RSS, largest process (MiB)', get: (x) => x.after2s.hwmMiB, digits: 0 },
  ];
  const scaleRows = ratioRows(`4 scale ${config.bigAgents / 1e6}M agents`, res.aop, [{ name: 'NSD', value: res.nsd }], metrics);
  if (res.aop?.error && res.aop.lastMemory) {
    // What it held when it gave up or was stopped is worth a number, marked as such.
    const m = res.aop.lastMemory;
    const text = [`none: ${res.aop.error}`, `${m.pssMiB.toFixed(0)} when stopped`, `${m.hwmMiB.toFixed(0)} when stopped`];
    scaleRows.forEach((r, i) => { r.aop = text[Math.floor(i / Math.max(1, scaleRows.length / 3))] ?? r.aop; });
  }
  rows.push(...scaleRows);
}

// ---- scenario 5: hand-off ---------------------------------------------------------------------

async function scenario5() {
  log('scenario 5: call_agent through the MCP gateway vs the same agent called directly');
  // The gateway's server is built by other work (src/mcp/gateway): without it, say so.
  if (!existsSync(path.join(ROOT, 'dist/mcp/gateway/server.js'))) {
    const why = 'not yet measured: the MCP gateway (src/mcp/gateway) is not built';
    rows.push({ scenario: '5 hand-off', metric: why, aop: '', peer: '', peerValue: '', ratio: '' });
    results.scenarios['5'] = { name: 'hand-off', error: why };
    return;
  }
  const { handoffScenario } = await import('./handoff.js');
  const calls = Math.min(300, Math.max(50, Math.round(30 * config.seconds)));
  const r = await handoffScenario({ host: `${NET}50`, calls, concurrent: config.concurrentCalls, log });
  results.scenarios['5'] = { name: 'hand-off', ...r };
  const peer = [{ name: 'direct SDK call', value: { p50Ms: r.direct.p50Ms, p99Ms: r.direct.p99Ms } }];
  rows.push(...ratioRows('5 hand-off', { p50Ms: r.gateway.p50Ms, p99Ms: r.gateway.p99Ms }, peer, [
    { metric: `call_agent p50, warm (ms, ${calls} calls)`, get: (x) => x.p50Ms, digits: 2 },
    { metric: `call_agent p99, warm (ms, ${calls} calls)`, get: (x) => x.p99Ms, digits: 2 },
  ]));
  rows.push({ scenario: '5 hand-off', metric: 'added by the gateway, p50 / p99 (ms)', aop: `${r.addedP50Ms.toFixed(2)} / ${r.addedP99Ms.toFixed(2)}`, peer: '', peerValue: '', ratio: '' });
  rows.push({ scenario: '5 hand-off', metric: `${r.concurrent.calls} concurrent calls: errors`, aop: String(r.concurrent.errors), peer: '', peerValue: '', ratio: '' });
}

// ---- main --------------------------------------------------------------------------------------

/** The commit measured, with `-dirty` when the work tree differs from it. */
function gitDescribe() {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function machine() {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? '?',
    memGiB: Math.round(totalmem() / 2 ** 30),
    freeGiB: Math.round(freemem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    /** Load average before the bench: anything well above 0 means other work shared the CPUs. */
    loadBefore: loadavg().map((x) => Number(x.toFixed(2))),
    aop: gitDescribe(),
    versions: {
      dnsperf: toolVersion(findTool('dnsperf') ?? 'dnsperf', ['-h']).replace(/^.*?Version/s, 'Version'),
      nsd: findTool('nsd') ? toolVersion(findTool('nsd'), ['-v']) : 'not installed',
      knot: findTool('knotd') ? toolVersion(findTool('knotd'), ['--version']) : 'not installed',
      unbound: findTool('unbound') ? toolVersion(findTool('unbound'), ['-V']) : 'not installed',
    },
  };
}

async function main() {
  const started = Date.now();
  if (!findTool('dnsperf')) throw new Error('dnsperf is not installed (Debian package dnsperf): the bench cannot run without it');
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-bench-'));
  results.date = new Date().toISOString();
  results.machine = machine();
  if (results.machine.loadBefore[0] > 0.5) log(`load average is ${results.machine.loadBefore[0]}: other work is using the CPUs, figures will be low and noisy`);
  results.config = config;
  log(`data in ${dir}; ${config.seconds} s per run, ${config.rounds} rounds, peers with ${config.workers} worker(s)`);
  const names = agentNames('bench.agents.', config.agents);
  const guard = async (n, fn) => {
    if (!config.only.includes(n)) return;
    try {
      await fn();
    } catch (err) {
      log(`scenario ${n} failed: ${err.stack ?? err}`);
      results.scenarios[String(n)] = { error: String(err.message ?? err) };
      rows.push({ scenario: String(n), metric: 'failed', aop: String(err.message ?? err).split('\n')[0], peer: '', peerValue: '', ratio: '' });
    }
  };
  try {
    await guard(1, () => scenario1(dir, names));
    if (config.only.includes(2) || config.only.includes(3)) {
      let hier;
      try {
        hier = await startHierarchy(dir);
      } catch (err) {
        for (const n of [2, 3]) if (config.only.includes(n)) await guard(n, () => { throw err; });
      }
      if (hier) {
        try {
          await guard(2, () => scenario2(dir, names, hier));
          await guard(3, () => scenario3(dir, hier));
        } finally {
          await hier.stop();
        }
      }
    }
    await guard(4, () => scenario4(dir));
    await guard(5, () => scenario5());
    await guard(6, async () => {
      const r = await (await import('./metrics-cost.js')).metricsCost({ dir, names, config, log, net: NET, port: PORT });
      results.scenarios['6'] = { name: 'metrics cost', ...r };
      rows.push({ scenario: '6 metrics', metric: 'QPS, --metrics on / --no-metrics (median)', aop: `${r.on.toFixed(0)} / ${r.off.toFixed(0)}`, peer: '', peerValue: '', ratio: r.ratio.toFixed(3) });
      rows.push({ scenario: '6 metrics', metric: 'queries per CPU-second, on / off', aop: `${r.perCpuOn.toFixed(0)} / ${r.perCpuOff.toFixed(0)}`, peer: '', peerValue: '', ratio: r.perCpuRatio.toFixed(3) });
    });
    await guard(7, () => dnstapScenario(results, rows));
    // Encrypted DNS, its own module (test/bench/encrypted.js).
    await guard(8, async () => {
      const { encryptedScenario } = await import('./encrypted.js');
      const r = await encryptedScenario({ dir, names, config, net: NET, log, median });
      results.scenarios['8'] = { name: 'encrypted DNS', ...r.out };
      rows.push(...r.rows);
    });
    // RRL and cookies, its own module (test/bench/rrl.js).
    await guard(9, async () => {
      const r = await rrlScenario({ dir, net: NET, agents: config.agents, seconds: config.seconds, rounds: config.rounds, clients: config.clients, outstanding: config.outstanding, pin: config.pin, log });
      results.scenarios['9'] = { name: 'RRL and cookies', ...r.results };
      rows.push(...r.rows);
    });
    // DNSSEC signing, its own module (test/bench/signed-cost.js).
    await guard(10, async () => {
      const r = await (await import('./signed-cost.js')).signedCost({ dir, names, config, log, net: NET, port: PORT });
      results.scenarios['10'] = { name: 'signed vs unsigned', ...r };
      rows.push({ scenario: '10 dnssec', metric: 'QPS with DO=1, --dnssec / unsigned (median)', aop: `${r.signed.toFixed(0)} / ${r.unsigned.toFixed(0)}`, peer: '', peerValue: '', ratio: r.ratio.toFixed(3) });
      rows.push({ scenario: '10 dnssec', metric: 'queries per CPU-second, signed / unsigned', aop: `${r.perCpuSigned.toFixed(0)} / ${r.perCpuUnsigned.toFixed(0)}`, peer: '', peerValue: '', ratio: r.perCpuRatio.toFixed(3) });
    });
    // DNSSEC validation, its own module (test/bench/validating-cost.js).
    await guard(11, async () => {
      const r = await (await import('./validating-cost.js')).validatingCost({ dir, names, config, log, net: NET, port: PORT });
      results.scenarios['11'] = { name: 'validating vs non-validating resolver, warm', ...r };
      rows.push({ scenario: '11 validation', metric: 'warm resolver QPS with DO=1, validating / not (median)', aop: `${r.validating.toFixed(0)} / ${r.plain.toFixed(0)}`, peer: '', peerValue: '', ratio: r.ratio.toFixed(3) });
      rows.push({ scenario: '11 validation', metric: 'queries per CPU-second, validating / not', aop: `${r.perCpuValidating.toFixed(0)} / ${r.perCpuPlain.toFixed(0)}`, peer: '', peerValue: '', ratio: r.perCpuRatio.toFixed(3) });
    });
    // DNSSEC validation, cold, against a validating Unbound (test/bench/cold-validating.js).
    await guard(12, async () => {
      const r = await (await import('./cold-validating.js')).coldValidating({ dir, config, log, net: NET, port: PORT });
      results.scenarios['12'] = { name: 'validating resolver, cold', ...r };
      const metrics = [
        { metric: 'validating, cold: p50 latency (ms, median of rounds)', get: (x) => x.p50Ms, digits: 3 },
        { metric: 'validating, cold: p99 latency (ms, median of rounds)', get: (x) => x.p99Ms, digits: 3 },
        { metric: 'validating, cold: resolver CPU per name (ms)', get: (x) => x.cpuMsPerName, digits: 3 },
        { metric: 'validating, cold: lost lookups (all rounds)', get: (x) => x.lost, digits: 0 },
        // SERVFAIL is what a failed validation (or a timed-out upstream) looks like: never hidden.
        { metric: 'validating, cold: answers other than NOERROR (all rounds)', get: (x) => x.notNoerror, digits: 0 },
      ];
      rows.push(...ratioRows('12 validating cold', r.aop, [{ name: 'Unbound', value: r.unbound }], metrics));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  results.seconds = (Date.now() - started) / 1000;
  results.table = rows;
  const outDir = path.join(ROOT, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`\n${formatTable(rows)}\n`);
  process.stdout.write(`\nratio = aop / peer, same run. Higher is better for QPS; lower is better for latency, time and memory.\n`);
  process.stdout.write(`aop ${results.machine.aop}; ${results.machine.cpus} CPUs (${results.machine.cpuModel}), ${results.machine.memGiB} GiB, node ${process.version}; `
    + `load before ${results.machine.loadBefore[0]}; ${config.seconds} s per run, ${config.rounds} rounds; peers with ${config.workers} worker(s); whole bench ${results.seconds.toFixed(0)} s.\n`);
  process.stdout.write(`figures: ${path.relative(process.cwd(), path.join(outDir, 'latest.json'))}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  process.exit(1);
});

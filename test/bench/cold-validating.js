// Scenario 12 of `npm run bench` (BENCH_ONLY=12 runs it alone): a validating resolver, cold.
// A signed three-level hierarchy: one aop serves the root `agents.` signed (--dnssec) with a DS
// for every organisation, another serves the organisations `orgNN.agents.` signed. An aop
// resolver with --trust-anchor (the root's DS) and a validating Unbound (trust-anchor-file with
// the same DS) are each asked every cold name once with DO=1 at BENCH_COLD_RATE, a fresh process
// per run, rounds alternating which goes first. A spot check with dig +dnssec first: a run whose
// answers are not AD=1 is worthless, so the scenario fails instead.
// Target (issue 17): cold validation p99 within 1.5x Unbound's (validating) in the same run.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { agentNames, rootHints, rootZone, shuffled, writeAgentZone, writeQueryFile } from './data.js';
import { dnsperf, median } from './dnsperf.js';
import { AOP, cpuSeconds, findTool, reloadAndSettle, startAop, startAopResolver, startUnbound, waitForAnswer } from './servers.js';

const orgOrigin = (i) => `sorg${String(i).padStart(3, '0')}.agents.`;
const zoneDs = (origin, keyDir) => execFileSync(process.execPath, [AOP, 'zone', 'ds', origin, '--key-dir', keyDir], { encoding: 'utf8' });

/** dig +dnssec one name through a resolver; true when the answer is NOERROR with AD set. */
function adSet(host, port, qname) {
  const out = execFileSync(findTool('dig'), [`@${host}`, '-p', String(port), '+dnssec', '+tries=1', '+time=5', qname, 'SVCB'], { encoding: 'utf8' });
  return /status: NOERROR/.test(out) && /flags:[^;]*\bad\b/.test(out);
}

export async function coldValidating({ dir, config, log, net, port }) {
  const orgs = Number(process.env.BENCH_S12_ORGS ?? 20);
  log(`scenario 12: validating resolvers, cold, through a signed root -> ${orgs} orgs -> agent`);
  const root = `${net}90`;
  const orgHost = `${net}91`;
  const rootDir = path.join(dir, 's12-root');
  const orgDir = path.join(dir, 's12-orgs');
  const rootKeys = path.join(dir, 's12-root-keys');
  const orgKeys = path.join(dir, 's12-org-keys');
  mkdirSync(rootDir, { recursive: true });
  mkdirSync(orgDir, { recursive: true });
  const per = Math.ceil(config.agents / orgs);
  const zones = [];
  for (let i = 0; i < orgs; i++) {
    zones.push({ origin: orgOrigin(i), address: orgHost });
    await writeAgentZone(path.join(orgDir, `${orgOrigin(i).slice(0, -1)}.zone`), orgOrigin(i), per, orgHost);
  }
  const running = [];
  const runs = { aop: [], unbound: [] };
  const errors = {};
  const count = Math.min(orgs * per, Math.round(config.coldRate * config.seconds));
  let spot = {};
  try {
    // The orgs first: their keys are made at start, and the root's zone needs their DS.
    const orgProc = startAop('aop signed orgs', { zonesDir: orgDir, listen: [`${orgHost}:53`], extra: ['--no-metrics', '--dnssec', '--key-dir', orgKeys] });
    running.push(orgProc);
    await waitForAnswer(orgProc, orgHost, 53, agentNames(orgOrigin(orgs - 1), 1)[0], 'SVCB', { timeoutMs: 120_000 });
    let rootText = rootZone(root, zones);
    for (const z of zones) rootText += zoneDs(z.origin, orgKeys);
    writeFileSync(path.join(rootDir, 'agents.zone'), rootText);
    const rootProc = startAop('aop signed root', { zonesDir: rootDir, listen: [`${root}:53`], extra: ['--no-metrics', '--dnssec', '--key-dir', rootKeys] });
    running.push(rootProc);
    await waitForAnswer(rootProc, root, 53, 'agents.', 'SOA', { timeoutMs: 120_000 });
    const anchor = path.join(dir, 's12.anchor');
    writeFileSync(anchor, zoneDs('agents.', rootKeys));
    const hints = path.join(dir, 's12.hints');
    writeFileSync(hints, rootHints(root));
    const coldNames = [];
    for (let i = 0; i < orgs; i++) coldNames.push(...agentNames(orgOrigin(i), per));
    const queryFile = path.join(dir, 's12.queries');
    const spotNames = coldNames.slice(-3);
    writeQueryFile(queryFile, shuffled(coldNames.slice(0, -3), 12).slice(0, count));
    const defs = [{
      key: 'aop', host: `${net}92`,
      start: () => startAopResolver('aop validating resolver cold', { hints, listen: `${net}92:${port}`, nodeArgs: config.aopNodeArgs, extra: ['--no-metrics', '--trust-anchor', anchor, ...config.aopExtra] }),
    }];
    if (findTool('unbound')) {
      defs.push({
        key: 'unbound', host: `${net}93`,
        start: () => startUnbound('unbound validating cold', {
          dir: path.join(dir, 's12-unbound'), address: `${net}93`, port, stubs: { 'agents.': [root] }, workers: config.workers,
          modules: 'validator iterator', extra: [`trust-anchor-file: "${anchor}"`],
        }),
      });
    } else log('unbound not installed (Debian package unbound); its column says so');
    // Spot check: each resolver, fresh, must answer a few names with AD=1 before anything is timed.
    for (const d of defs) {
      const proc = d.start();
      try {
        await waitForAnswer(proc, d.host, port, 'agents.', 'SOA', { timeoutMs: 60_000, rd: true });
        spot[d.key] = spotNames.map((n) => adSet(d.host, port, n));
      } finally {
        await proc.stop();
      }
      log(`  ${d.key} spot check (AD=1): ${spot[d.key].join(', ')}`);
      if (!spot[d.key].every(Boolean)) errors[d.key] = `answers not validated (AD=0) in the spot check`;
    }
    if (errors.aop) throw new Error(`aop: ${errors.aop}`);
    // Both resolvers must meet the same upstream: one pass over every name straight at the
    // servers (their first second runs unoptimised code), then before every run a SIGHUP that
    // empties their stored answers, or the second resolver would meet signed answers ready-made.
    const warmFile = path.join(dir, 's12.warm');
    writeQueryFile(warmFile, coldNames);
    await dnsperf({ server: orgHost, port: 53, queryFile: warmFile, maxRuns: 1, rate: 5000, clients: config.clients, timeout: 5, dnssecOk: true, cpu: config.pin ? 1 : undefined });
    for (let round = 0; round < config.rounds; round++) {
      for (const d of round % 2 === 0 ? defs : [...defs].reverse()) {
        if (errors[d.key]) continue;
        await reloadAndSettle(running);
        const proc = d.start();
        try {
          await waitForAnswer(proc, d.host, port, 'agents.', 'SOA', { timeoutMs: 60_000, rd: true });
          const own0 = cpuSeconds(proc.pid);
          const r = await dnsperf({ server: d.host, port, queryFile, maxRuns: 1, rate: config.coldRate, clients: config.clients, timeout: 5, verbose: true, dnssecOk: true, cpu: config.pin ? 1 : undefined });
          runs[d.key].push({
            round, names: count, sent: r.sent, completed: r.completed, lost: r.lost, rcodes: r.rcodes, notNoerror: r.completed - (r.rcodes?.NOERROR ?? 0),
            p50Ms: r.p50Ms, p99Ms: r.p99Ms, maxMs: r.maxLatencyMs, cpuSeconds: cpuSeconds(proc.pid) - own0,
          });
          log(`  round ${round + 1} ${d.key}: ${r.completed}/${r.sent} answered, rcodes ${JSON.stringify(r.rcodes)}, p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms`);
        } finally {
          await proc.stop();
        }
      }
    }
  } finally {
    await Promise.all(running.map((p) => p.stop()));
  }
  const res = { orgs, names: count, rate: config.coldRate, spotCheckAd: spot };
  for (const key of Object.keys(runs)) {
    const rs = runs[key];
    if (rs.length === 0) {
      res[key] = { error: errors[key] ?? 'no run' };
      continue;
    }
    const med = (f) => median(rs.map(f));
    res[key] = {
      rounds: rs.length, p50Ms: med((x) => x.p50Ms), p99Ms: med((x) => x.p99Ms), lost: rs.reduce((n, x) => n + x.lost, 0),
      notNoerror: rs.reduce((n, x) => n + x.notNoerror, 0),
      cpuMsPerName: med((x) => (1000 * x.cpuSeconds) / x.completed), runs: rs,
    };
  }
  return res;
}

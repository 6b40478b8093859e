// `node test/bench/load-scale.js [N]`: generate a zone of N agents (default 100,000; the data of
// scenario 4) and load it with loadZoneFile in a fresh process, reporting the load time and the
// peak RSS (VmHWM) of that process; then run the daemon's agent check (checkAgentZone) on it,
// SCALE_CHECKS times (default 3), reporting the CPU time of each. For iterating on the zone
// loader and the check without the whole bench.
//
// Environment: AOP_DIST (default dist/) is the built code to load with; SCALE_CACHE (default
// tmp/scale/) keeps the generated zone between runs; SCALE_PROFILE=cpu|heap adds --cpu-prof or
// --heap-prof (the profile goes to SCALE_CACHE); SCALE_NODE_ARGS adds other node flags;
// SCALE_CHECKS=0 skips the check.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeAgentZone } from './data.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const n = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(n) || n < 1) throw new Error(`usage: node test/bench/load-scale.js [agents]; got "${process.argv[2]}"`);
const dist = path.resolve(process.env.AOP_DIST ?? path.join(ROOT, 'dist'));
const cache = path.resolve(process.env.SCALE_CACHE ?? path.join(ROOT, 'tmp/scale'));
mkdirSync(cache, { recursive: true });

const file = path.join(cache, `big${n}.agents.zone`);
if (!existsSync(file)) {
  const t0 = Date.now();
  await writeAgentZone(file + '.part', 'big.agents.', n, '127.0.0.1');
  renameSync(file + '.part', file);
  process.stderr.write(`generated ${file} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

// The child loads the zone and prints one JSON line; the process is fresh so VmHWM is its own.
const child = `
  const t0 = process.hrtime.bigint();
  const { loadZoneFile } = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'zone/load.js')).href)});
  const zone = loadZoneFile(${JSON.stringify(file)}, { origin: 'big.agents.' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage();
  const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
  const kib = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(status)?.[1] ?? NaN);
  const heap = process.memoryUsage().heapUsed;
  const { checkAgentZone } = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'agent/index.js')).href)});
  const checks = [];
  let faults = 0;
  for (let i = 0; i < ${Number(process.env.SCALE_CHECKS ?? 3)}; i++) {
    const c0 = process.cpuUsage();
    faults = checkAgentZone(zone).length;
    const c = process.cpuUsage(c0);
    checks.push((c.user + c.system) / 1000);
  }
  console.log(JSON.stringify({ records: zone.size, ms, cpuMs: (cpu.user + cpu.system) / 1000, hwmMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024, heapMiB: heap / 2 ** 20, checks, faults }));
`;
const flags = [];
if (process.env.SCALE_PROFILE === 'cpu') flags.push('--cpu-prof', `--cpu-prof-dir=${cache}`);
if (process.env.SCALE_PROFILE === 'heap') flags.push('--heap-prof', `--heap-prof-dir=${cache}`);
if (process.env.SCALE_NODE_ARGS) flags.push(...process.env.SCALE_NODE_ARGS.split(/\s+/).filter(Boolean));
const out = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', child], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
const r = JSON.parse(out.trim().split('\n').pop());
const mib = statSync(file).size / 2 ** 20;
console.log(
  `${n} agents (${mib.toFixed(0)} MiB, ${r.records} records): loaded in ${(r.ms / 1000).toFixed(2)} s ` +
  `(CPU ${(r.cpuMs / 1000).toFixed(2)} s, all threads, start-up included), ` +
  `peak RSS ${r.hwmMiB.toFixed(0)} MiB, RSS after ${r.rssMiB.toFixed(0)} MiB, heap used ${r.heapMiB.toFixed(0)} MiB ` +
  `(${((r.hwmMiB * 2 ** 20) / n).toFixed(0)} bytes per agent at the peak)`,
);
if (r.checks.length > 0) {
  console.log(
    `agent check (checkAgentZone): ${r.faults} faults, CPU ${r.checks.map((ms) => (ms / 1000).toFixed(2)).join(' / ')} s ` +
    `(${((Math.min(...r.checks) / n) * 100).toFixed(3)} s per 100,000 agents at best; the load's CPU ${(r.cpuMs / 1000).toFixed(2)} s)`,
  );
}

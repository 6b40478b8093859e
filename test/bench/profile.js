// `node test/bench/profile.js [auth|resolver|cold|load|ceiling]`: run aop under `node --cpu-prof` with dnsperf
// load (or, for `load`, while it reads a large zone) and print where the CPU time goes.
// Used for the "where the time goes" note in docs/benchmarks.md; not part of `npm run bench`.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentNames, rootHints, rootZone, shuffled, writeAgentZone, writeQueryFile } from './data.js';
import { dnsperf } from './dnsperf.js';
import { ROOT, startAop, startAopResolver, waitForAnswer } from './servers.js';

const NET = '127.0.200.';
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const PORT = 5300;

/**
 * Self and inclusive time per function from a V8 .cpuprofile, counting only samples inside
 * `window` ([from, to] in microseconds of the monotonic clock, which V8's profile timestamps
 * and process.hrtime share on Linux), so start-up and warm-up stay out of the figures.
 */
export function summarise(profile, window, top = 25) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (window && (t < window[0] || t > window[1])) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const key = (n) => {
    const f = n.callFrame;
    const file = f.url ? path.relative(ROOT, f.url.replace(/^file:\/\//, '')) || f.url : '';
    return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
  };
  const bySelf = new Map();
  const byTotal = new Map();
  const byFile = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const n = nodes.get(id);
    total += us;
    if (n.callFrame.functionName === '(idle)') idle += us;
    const k = key(n);
    bySelf.set(k, (bySelf.get(k) ?? 0) + us);
    const file = n.callFrame.url ? path.relative(ROOT, n.callFrame.url.replace(/^file:\/\//, '')) || n.callFrame.url : n.callFrame.functionName;
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    // Inclusive: this sample's time counts once for every distinct function on its stack.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const ck = key(nodes.get(cur));
      if (seen.has(ck)) continue;
      seen.add(ck);
      byTotal.set(ck, (byTotal.get(ck) ?? 0) + us);
    }
  }
  const busy = total - idle;
  bySelf.delete('(idle)');
  byFile.delete('(idle)');
  const table = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`).join('\n');
  return [
    `profile: ${(total / 1e6).toFixed(1)} s sampled${window ? ' (the load window only)' : ''}, ${(idle / 1e6).toFixed(1)} s idle; percentages are of the ${(busy / 1e6).toFixed(1)} s busy`,
    '', `top ${top} by self time:`, table(bySelf, top),
    '', 'by file (self time):', table(byFile, 20),
    '', `top ${top} by inclusive time:`, table(new Map([...byTotal].filter(([k]) => !/^\((root|program|idle)\)/.test(k))), top),
  ].join('\n');
}

async function loadRun(dir, prof, seconds) {
  const zones = path.join(dir, 'zones');
  mkdirSync(zones);
  const names = agentNames('bench.agents.', 10_000);
  await writeAgentZone(path.join(zones, 'bench.agents.zone'), 'bench.agents.', names.length, `${NET}3`);
  const queryFile = path.join(dir, 'q');
  writeQueryFile(queryFile, shuffled(names));
  const aop = startAop('aop', { zonesDir: zones, listen: [`${NET}40:${PORT}`], nodeArgs: ['--cpu-prof', '--cpu-prof-dir', prof] });
  await waitForAnswer(aop, `${NET}40`, PORT, names.at(-1), 'SVCB');
  const from = nowUs();
  const r = await dnsperf({ server: `${NET}40`, port: PORT, queryFile, seconds });
  const to = nowUs();
  process.stderr.write(`load: ${Math.round(r.qps)} qps, mean ${r.avgLatencyMs.toFixed(3)} ms, ${r.lost} lost\n`);
  await aop.stop(30_000);
  return [from, to];
}

async function resolverRun(dir, prof, seconds) {
  const rootDir = path.join(dir, 'root');
  const orgDir = path.join(dir, 'org');
  mkdirSync(rootDir);
  mkdirSync(orgDir);
  const names = agentNames('bench.agents.', 10_000);
  await writeAgentZone(path.join(orgDir, 'bench.agents.zone'), 'bench.agents.', names.length, `${NET}3`);
  writeFileSync(path.join(rootDir, 'agents.zone'), rootZone(`${NET}2`, [{ origin: 'bench.agents.', address: `${NET}3` }]));
  writeFileSync(path.join(dir, 'hints'), rootHints(`${NET}2`));
  const queryFile = path.join(dir, 'q');
  writeQueryFile(queryFile, shuffled(names));
  const root = startAop('root', { zonesDir: rootDir, listen: [`${NET}2:53`] });
  const org = startAop('org', { zonesDir: orgDir, listen: [`${NET}3:53`] });
  try {
    await waitForAnswer(root, `${NET}2`, 53, 'agents.', 'SOA');
    await waitForAnswer(org, `${NET}3`, 53, names[0], 'SVCB');
    const res = startAopResolver('resolver', { hints: path.join(dir, 'hints'), listen: `${NET}41:${PORT}`, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', prof] });
    await waitForAnswer(res, `${NET}41`, PORT, 'agents.', 'SOA', { rd: true });
    const warm = await dnsperf({ server: `${NET}41`, port: PORT, queryFile, maxRuns: 1, rate: 5000, timeout: 5 });
    process.stderr.write(`warm-up: ${warm.completed}/${warm.sent} answered\n`);
    const from = nowUs();
    const r = await dnsperf({ server: `${NET}41`, port: PORT, queryFile, seconds });
    const to = nowUs();
    process.stderr.write(`load: ${Math.round(r.qps)} qps, mean ${r.avgLatencyMs.toFixed(3)} ms, ${r.lost} lost\n`);
    await res.stop(30_000);
    return [from, to];
  } finally {
    await Promise.all([root.stop(), org.stop()]);
  }
}

/**
 * Cold resolution as in scenario 3 (root -> 100 organisations -> agent), with more names so the
 * cache stays cold for the whole window: every name is asked once, at BENCH_COLD_RATE.
 */
async function coldRun(dir, prof, seconds) {
  const rootDir = path.join(dir, 'root');
  const orgDir = path.join(dir, 'org');
  mkdirSync(rootDir);
  mkdirSync(orgDir);
  const rate = Number(process.env.BENCH_COLD_RATE ?? 2000);
  const per = Math.ceil((rate * seconds) / 100);
  const orgs = [];
  const names = [];
  for (let i = 0; i < 100; i++) {
    const origin = `org${String(i).padStart(3, '0')}.agents.`;
    orgs.push({ origin, address: `${NET}3` });
    await writeAgentZone(path.join(orgDir, `${origin.slice(0, -1)}.zone`), origin, per, `${NET}3`);
    names.push(...agentNames(origin, per));
  }
  await writeAgentZone(path.join(orgDir, 'bench.agents.zone'), 'bench.agents.', 10_000, `${NET}3`);
  orgs.push({ origin: 'bench.agents.', address: `${NET}3` });
  writeFileSync(path.join(rootDir, 'agents.zone'), rootZone(`${NET}2`, orgs));
  writeFileSync(path.join(dir, 'hints'), rootHints(`${NET}2`));
  const queryFile = path.join(dir, 'q');
  writeQueryFile(queryFile, shuffled(names));
  const warmFile = path.join(dir, 'w');
  writeQueryFile(warmFile, agentNames('bench.agents.', 10_000));
  const root = startAop('root', { zonesDir: rootDir, listen: [`${NET}2:53`] });
  const org = startAop('org', { zonesDir: orgDir, listen: [`${NET}3:53`] });
  try {
    await waitForAnswer(root, `${NET}2`, 53, 'agents.', 'SOA');
    await waitForAnswer(org, `${NET}3`, 53, names[0], 'SVCB');
    for (const host of [`${NET}2`, `${NET}3`]) await dnsperf({ server: host, port: 53, queryFile: warmFile, maxRuns: 1, rate: 5000, timeout: 5 });
    const res = startAopResolver('resolver', { hints: path.join(dir, 'hints'), listen: `${NET}41:${PORT}`, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', prof] });
    await waitForAnswer(res, `${NET}41`, PORT, 'agents.', 'SOA', { rd: true });
    const from = nowUs();
    const r = await dnsperf({ server: `${NET}41`, port: PORT, queryFile, maxRuns: 1, rate, timeout: 5, verbose: true });
    const to = nowUs();
    process.stderr.write(`cold: ${r.completed}/${r.sent} names at ${rate} qps, p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, ${r.lost} lost\n`);
    await res.stop(30_000);
    return [from, to];
  } finally {
    await Promise.all([root.stop(), org.stop()]);
  }
}

async function zoneLoadRun(dir, prof) {
  const zones = path.join(dir, 'zones');
  mkdirSync(zones);
  const count = Number(process.env.BENCH_BIG_AGENTS ?? 100_000);
  await writeAgentZone(path.join(zones, 'big.agents.zone'), 'big.agents.', count, `${NET}3`);
  const aop = startAop('aop', { zonesDir: zones, listen: [`${NET}42:${PORT}`], nodeArgs: ['--cpu-prof', '--cpu-prof-dir', prof] });
  const ms = await waitForAnswer(aop, `${NET}42`, PORT, `agent${String(count - 1).padStart(7, '0')}.big.agents.`, 'SVCB', { timeoutMs: 600_000, intervalMs: 50 });
  process.stderr.write(`zone of ${count} agents: first answer after ${(ms / 1000).toFixed(1)} s\n`);
  await aop.stop(30_000);
}

/** The node:dgram ceiling: echo-server.js (no DNS work) under the same dnsperf load. */
async function ceilingRun(dir, prof, seconds) {
  const names = agentNames('bench.agents.', 10_000);
  const queryFile = path.join(dir, 'q');
  writeQueryFile(queryFile, shuffled(names));
  mkdirSync(prof, { recursive: true });
  const { Proc, cpuSeconds } = await import('./servers.js');
  const echo = new Proc('echo', process.execPath, ['--cpu-prof', '--cpu-prof-dir', prof, path.join(ROOT, 'test/bench/echo-server.js'), `${NET}43`, String(PORT)]);
  let window;
  try {
    await new Promise((r) => setTimeout(r, 500));
    const cpu0 = cpuSeconds(echo.pid);
    const from = nowUs();
    const r = await dnsperf({ server: `${NET}43`, port: PORT, queryFile, seconds });
    window = [from, nowUs()];
    process.stderr.write(`echo server: ${Math.round(r.qps)} qps, mean ${r.avgLatencyMs.toFixed(3)} ms, ${r.lost} lost, CPU ${(100 * (cpuSeconds(echo.pid) - cpu0) / r.runTime).toFixed(0)}%\n`);
  } finally {
    await echo.stop();
  }
  return window;
}

async function main() {
  const mode = process.argv[2] ?? 'auth';
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-prof-'));
  const prof = path.join(dir, 'prof');
  try {
    let window;
    if (mode === 'auth') window = await loadRun(dir, prof, seconds);
    else if (mode === 'resolver') window = await resolverRun(dir, prof, seconds);
    else if (mode === 'cold') window = await coldRun(dir, prof, seconds);
    else if (mode === 'load') await zoneLoadRun(dir, prof);
    else if (mode === 'ceiling') window = await ceilingRun(dir, prof, seconds);
    else throw new Error(`unknown mode "${mode}": use auth, resolver, cold, load or ceiling`);
    const files = readdirSync(prof).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length === 0) throw new Error('node wrote no .cpuprofile (did the daemon exit cleanly?)');
    const out = path.join(ROOT, 'bench-results', `profile-${mode}.cpuprofile`);
    mkdirSync(path.dirname(out), { recursive: true });
    const text = readFileSync(path.join(prof, files[0]), 'utf8');
    writeFileSync(out, text);
    process.stdout.write(`${summarise(JSON.parse(text), window)}\n\nfull profile: ${path.relative(process.cwd(), out)} (open in Chrome DevTools)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((err) => {
    process.stderr.write(`profile: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}

// The servers under test as child processes: aop (authoritative or resolver), NSD, Knot and
// Unbound with benchmark configs; a UDP probe to wait for the first answer; CPU time and memory
// of a process tree read from /proc.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { knotServerConf, nsdServerConf, unboundConf } from '../helpers/peer-conf.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const AOP = path.join(ROOT, 'bin/aop.js');

/** A binary's path: PATH first, then the sbin folders (Debian puts daemons there). */
export function findTool(name) {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin']) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** First line of a tool's version output, for the report. */
export function toolVersion(cmd, args) {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
    return out.trim().split('\n')[0] ?? '';
  } catch (err) {
    const text = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim();
    return text.split('\n').find((l) => /version/i.test(l)) ?? text.split('\n')[0] ?? '';
  }
}

const live = new Set();
// Whatever way the bench ends, no server outlives it.
process.on('exit', () => {
  for (const p of live) {
    try { p.child.kill('SIGKILL'); } catch { /* gone */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    process.stderr.write(`bench: ${sig}, stopping the servers\n`);
    process.exit(130);
  });
}

export class Proc {
  constructor(name, cmd, args, opts = {}) {
    this.name = name;
    this.output = '';
    this.exited = undefined;
    this.startedAt = process.hrtime.bigint();
    // BENCH_PIN=1: servers on CPU 0, dnsperf on CPU 1 (taskset execs, so the pid is the server's).
    const pinned = process.env.BENCH_PIN === '1' ? ['taskset', ['-c', '0', cmd, ...args]] : [cmd, args];
    this.child = spawn(pinned[0], pinned[1], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    live.add(this);
    const keep = (d) => { this.output = (this.output + d.toString()).slice(-200000); };
    this.child.stdout.on('data', keep);
    this.child.stderr.on('data', keep);
    this.done = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => { this.exited = { code, signal }; live.delete(this); resolve(); });
      this.child.once('error', (err) => { this.output += `spawn failed: ${err.message}\n`; this.exited = { code: null, signal: null }; live.delete(this); resolve(); });
    });
  }

  get pid() {
    return this.child.pid;
  }

  async stop(graceMs = 5000) {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    let timer;
    await Promise.race([this.done, new Promise((r) => { timer = setTimeout(r, graceMs); })]);
    clearTimeout(timer);
    if (!this.exited) {
      this.child.kill('SIGKILL');
      await this.done;
    }
  }
}

function encodeQuery(id, qname, qtype, rd) {
  const labels = qname.replace(/\.$/, '').split('.').filter(Boolean);
  const parts = [Buffer.from([id >> 8, id & 0xff, rd ? 0x01 : 0x00, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1]));
  return Buffer.concat(parts);
}

const TYPES = { A: 1, NS: 2, SOA: 6, TXT: 16, SVCB: 64 };

/** One UDP query; resolves with the reply's rcode and answer count, or undefined on timeout/error. */
export function probe(host, port, qname, type, { rd = false, timeoutMs = 500 } = {}) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const id = Math.floor(Math.random() * 65536);
    let timer;
    const finish = (v) => { clearTimeout(timer); try { sock.close(); } catch { /* closed */ } resolve(v); };
    sock.on('error', () => finish(undefined));
    sock.on('message', (msg) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
      finish({ rcode: msg[3] & 0x0f, ancount: msg.readUInt16BE(6), size: msg.length });
    });
    timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.send(encodeQuery(id, qname, TYPES[type] ?? 1, rd), port, host, (err) => { if (err) finish(undefined); });
  });
}

export class StartError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StartError';
    this.code = 'ERR_BENCH_START';
  }
}

/**
 * Poll every `intervalMs` until `host:port` answers `qname type` with an answer record; resolves
 * with the milliseconds from the process's spawn to that answer.
 */
export async function waitForAnswer(proc, host, port, qname, type, { rd = false, timeoutMs = 30_000, intervalMs = 20, anyReply = false } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no reply';
  while (Date.now() < deadline) {
    if (proc.exited) throw new StartError(`${proc.name} exited (${proc.exited.code ?? proc.exited.signal}) before answering:\n${proc.output.slice(-3000)}`);
    const r = await probe(host, port, qname, type, { rd, timeoutMs: Math.max(intervalMs, 200) });
    // The echo servers answer with the query itself: any reply is their answer.
    if (r && (anyReply || (r.rcode === 0 && r.ancount > 0))) return Number(process.hrtime.bigint() - proc.startedAt) / 1e6;
    if (r) last = `rcode ${r.rcode}, ${r.ancount} answers`;
    else await new Promise((res) => setTimeout(res, intervalMs));
  }
  throw new StartError(`${proc.name} did not answer ${qname} ${type} at ${host}:${port} within ${timeoutMs} ms (last: ${last}):\n${proc.output.slice(-3000)}`);
}

/** The pid and every descendant's pid (NSD and Knot fork helpers). */
function processTree(pid) {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!parents.has(ppid)) parents.set(ppid, []);
      parents.get(ppid).push(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(parents.get(out[i]) ?? []));
  return out;
}

function statusKiB(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/**
 * Memory of a server and its children, in MiB: `pss` sums proportional set sizes (shared pages
 * split between the processes sharing them, so forked helpers are not counted twice), `rss` and
 * `hwm` (peak RSS) are of the largest process.
 */
export function memory(pid) {
  let pss = 0;
  let rss = 0;
  let hwm = 0;
  const pids = processTree(pid);
  for (const p of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      pss += m ? Number(m[1]) : statusKiB(p, 'VmRSS');
      rss = Math.max(rss, statusKiB(p, 'VmRSS'));
      hwm = Math.max(hwm, statusKiB(p, 'VmHWM'));
    } catch { /* exited meanwhile */ }
  }
  return { pssMiB: pss / 1024, rssMiB: rss / 1024, hwmMiB: hwm / 1024, processes: pids.length };
}

const TICKS = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();

/** CPU seconds (user + system) used so far by a process and its children's threads. */
export function cpuSeconds(pid) {
  const t = cpuTimes(pid);
  return t.user + t.sys;
}

/** CPU seconds per thread name of one process (main thread, V8 compiler and GC workers, libuv pool). */
export function threadTimes(pid) {
  const out = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out[name] = (out[name] ?? 0) + (Number(f[11]) + Number(f[12])) / TICKS;
      } catch { /* exited meanwhile */ }
    }
  } catch { /* exited */ }
  return out;
}

/** User and system CPU seconds of the process tree: system time is the kernel's work for it (sockets, sends). */
export function cpuTimes(pid) {
  let user = 0;
  let sys = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(f[11]); // utime (field 14)
      sys += Number(f[12]); // stime (field 15)
    } catch { /* exited meanwhile */ }
  }
  return { user: user / TICKS, sys: sys / TICKS };
}

// ---- aop ---------------------------------------------------------------------------------------

/**
 * dnsperf is one client asking the same names thousands of times a second: what Response Rate
 * Limiting exists to stop. Off unless a run sets --rrl-* itself (the RRL row does).
 */
const noRrl = (extra) => (extra.some((x) => x.startsWith('--rrl-')) ? [] : ['--rrl-rate', '0']);

/** `aop serve --zones DIR`: the authoritative daemon as a user runs it. */
export function startAop(name, { zonesDir, listen, nodeArgs = [], extra = [] }) {
  return new Proc(name, process.execPath, [...nodeArgs, AOP, 'serve', '--zones', zonesDir, ...listen.flatMap((l) => ['--listen', l]), '--log-level', 'warn', ...noRrl(extra), ...extra], { cwd: ROOT });
}

/** test/bench/echo-server.js: the UDP ceiling of one Node process, `dgram` or `batched`. */
export function startEcho(name, { host, port, mode }) {
  return new Proc(name, process.execPath, [path.join(ROOT, 'test/bench/echo-server.js'), host, String(port), mode], { cwd: ROOT });
}

/** `aop serve --resolver`: iterates from the given hints file. */
export function startAopResolver(name, { hints, listen, nodeArgs = [], extra = [] }) {
  return new Proc(name, process.execPath, [...nodeArgs, AOP, 'serve', '--resolver', '--root-hints', hints, '--listen', listen, '--log-level', 'warn', ...noRrl(extra), ...extra], { cwd: ROOT });
}

// ---- peers -------------------------------------------------------------------------------------

function check(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (err) {
    throw new StartError(`${cmd} ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/**
 * NSD serving zone files that already exist in `dir`. No chroot, no user switch, no database
 * file (zones are read from text at start), and response-rate limiting off: NSD's default RRL
 * drops identical answers to one source past ~200 qps, which would look like lost queries.
 */
export function startNsd(name, { dir, address, port, zones, workers = 1 }) {
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'nsd.conf');
  const lines = nsdServerConf({ dir, listen: [`${address}@${port}`], workers });
  for (const z of zones) lines.push('zone:', `  name: "${z.origin}"`, `  zonefile: "${z.file}"`);
  writeFileSync(conf, lines.join('\n') + '\n');
  check(findTool('nsd-checkconf'), [conf]);
  return new Proc(name, findTool('nsd'), ['-d', '-c', conf]);
}

/** knotd serving zone files from `dir` (named `<origin>.zone`), with no journal and no write-back. */
export function startKnot(name, { dir, address, port, zones, workers = 1 }) {
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'knot.conf');
  const lines = [
    ...knotServerConf({ dir, listen: [`${address}@${port}`], workers, log: 'warning' }),
    'template:',
    '  - id: default',
    `    storage: "${dir}"`,
    '    zonefile-sync: -1',
    '    zonefile-load: whole',
    '    journal-content: none',
    'zone:',
    ...zones.map((z) => `  - domain: ${z.origin}\n    file: "${z.file}"`),
  ];
  writeFileSync(conf, lines.join('\n') + '\n');
  check(findTool('knotc'), ['-c', conf, 'conf-check']);
  return new Proc(name, findTool('knotd'), ['-c', conf]);
}

/**
 * Unbound as an iterating resolver without validation, with `agents.` as a stub zone pointing at
 * the same root server aop's hints name, so both resolvers walk the same hierarchy. Cache sizes
 * are raised to aop's default budget (64 MiB) so that neither evicts during the warm run.
 */
export function startUnbound(name, { dir, address, port, stubs, workers = 1, modules, extra = [] }) {
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'unbound.conf');
  const lines = unboundConf({
    dir, address: `${address}@${port}`, workers, verbosity: 0, stubs, modules,
    extra: ['msg-cache-size: 24m', 'rrset-cache-size: 40m', ...extra],
  });
  writeFileSync(conf, lines.join('\n') + '\n');
  check(findTool('unbound-checkconf'), [conf]);
  return new Proc(name, findTool('unbound'), ['-d', '-c', conf]);
}

/** SIGHUP servers (they drop their stored answers on reload) and wait until each is idle again (bounded: 25 s each). */
export async function reloadAndSettle(procs) {
  for (const p of procs) p.child.kill('SIGHUP');
  for (const p of procs) {
    let last = cpuSeconds(p.pid);
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const now = cpuSeconds(p.pid);
      if (now - last < 0.02) break;
      last = now;
    }
  }
}

// Real peer daemons (NSD, Unbound, Knot) as child processes of a test: find their binaries in
// /usr/sbin, start them in the foreground, wait until they answer, and make sure none outlives
// the test process, even when tap kills it on a timeout.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasTool, requireTool, run } from './peers.js';
import { dig } from './dig.js';

const SBIN = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** The command to run for a daemon: its bare name when PATH finds it, else its path in an sbin. */
export function sbin(name: string): string {
  if (hasTool(name)) return name;
  for (const dir of SBIN) {
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  return name;
}

interface SkippableTest {
  skip(name: string, cb: () => void): unknown;
  fail(msg: string): unknown;
}

/** requireTool for a daemon that may live outside PATH; the message names the bare tool. */
export function requireDaemon(t: SkippableTest, name: string, pkg: string): boolean {
  return sbin(name) !== name || requireTool(t, name, pkg);
}

export interface Teardownable {
  teardown(fn: () => unknown): void;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
// A normal exit (or process.exit, or tap's exit after a timeout) kills what is left and removes
// the scratch folders; when this process is killed outright, the watchdogs do the killing.
process.on('exit', () => {
  for (const c of live) killGroup(c, 'SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Each peer leads its own process group (NSD forks helpers): signal them all. */
function killGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (c.pid !== undefined) process.kill(-c.pid, signal);
  } catch { /* already gone */ }
}

/**
 * A shell that blocks reading a pipe from us, then runs `script`: the kernel closes the pipe
 * when this process dies however it dies (tap's SIGALRM then SIGKILL on a timeout).
 */
function watchdog(script: string, arg: string): ChildProcess {
  const w = spawn('sh', ['-c', `read -r _; ${script}`, 'aop-watchdog', arg], { stdio: ['pipe', 'ignore', 'ignore'] });
  w.unref();
  (w.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  w.on('error', () => {});
  return w;
}

/** A fresh folder under the system tmpdir, removed at teardown (after the peers in it stop). */
export function scratchDir(t: Teardownable, prefix = 'aop-peer-'): string {
  // Short: Knot's control socket path must fit in sun_path (108 bytes).
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.add(dir);
  const guard = watchdog('rm -rf -- "$1"', dir);
  // Teardowns run last-registered first: register this before starting anything inside it.
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
    guard.kill('SIGKILL');
  });
  return dir;
}

export class PeerProcess {
  /** Everything the daemon printed, for failure messages. */
  output = '';
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly done: Promise<void>;
  private readonly watchdog: ChildProcess;

  constructor(readonly name: string, private readonly proc: ChildProcess) {
    live.add(proc);
    proc.stdout?.on('data', (d: Buffer) => { this.output += d.toString(); });
    proc.stderr?.on('data', (d: Buffer) => { this.output += d.toString(); });
    // Kills the daemon's process group if this process dies without stopping it.
    this.watchdog = watchdog('kill -KILL -- "-$1" 2>/dev/null', String(proc.pid));
    this.done = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exited = { code, signal };
        live.delete(proc);
        this.watchdog.kill('SIGKILL');
        resolve();
      });
      proc.once('error', (err) => {
        this.output += `spawn failed: ${err.message}\n`;
        this.exited = { code: null, signal: null };
        live.delete(proc);
        this.watchdog.kill('SIGKILL');
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** SIGTERM, then SIGKILL when it has not exited within `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.exited) return;
    this.proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => { timer = setTimeout(r, graceMs); });
    await Promise.race([this.done, late]);
    clearTimeout(timer);
    if (!this.exited) {
      killGroup(this.proc, 'SIGKILL');
      await this.done;
    }
  }
}

/** Start a daemon in the foreground; it is stopped at the test's teardown. */
export function startPeer(t: Teardownable, name: string, cmd: string, args: string[]): PeerProcess {
  const p = new PeerProcess(name, spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  t.teardown(() => p.stop());
  return p;
}

export class PeerStartError extends Error {
  readonly code = 'ERR_PEER_START';
  constructor(message: string) {
    super(message);
    this.name = 'PeerStartError';
  }
}

/**
 * Poll with dig until `host:port` answers `qname qtype` with one of `statuses`, within
 * `timeoutMs` (a backstop, 30 s by default: a peer starting on a loaded machine is slow, and we
 * stop waiting as soon as it answers); throws with the daemon's output when it exits or never answers.
 */
export async function waitUntilAnswers(peer: PeerProcess, host: string, port: number, qname: string, qtype: string, opts: { timeoutMs?: number; statuses?: string[]; recursive?: boolean } = {}): Promise<void> {
  const { timeoutMs = 30_000, statuses = ['NOERROR'], recursive = false } = opts;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (peer.exited) throw new PeerStartError(`${peer.name} exited (${peer.exited.code ?? peer.exited.signal}) before answering:\n${peer.output}`);
    const r = await dig(port, ['+time=1', recursive ? '+rec' : '+norec', qname, qtype], host);
    if (statuses.includes(r.status)) return;
    last = r.status || r.raw.trim().split('\n').pop() || '';
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new PeerStartError(`${peer.name} did not answer ${qname} ${qtype} at ${host}:${port} within ${timeoutMs} ms (last: ${last}):\n${peer.output}`);
}

/** Run a config checker (nsd-checkconf, unbound-checkconf, knotc conf-check); throws its complaint. */
export async function checkConfig(cmd: string, args: string[]): Promise<void> {
  const r = await run(cmd, args, 60_000);
  if (r.code !== 0) throw new PeerStartError(`${cmd} ${args.join(' ')} rejected the config:\n${r.stdout}${r.stderr}`);
}

// `aop serve --workers N`: N worker processes (node:cluster) each running a full daemon on the
// same listening sockets, and a primary that forks them, replaces crashed ones and broadcasts
// reloads and control commands so every worker's zones and caches stay coherent.

import { AopError } from '../base/errors.js';
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ControlServer, runCommand, type ControlTarget } from './control.js';
import type { Daemon } from './daemon.js';
import { aggregate, type Metrics, type MetricJson } from '../base/metrics.js';
import { silentLogger, type Logger } from '../base/log.js';
import type { ZoneSerial } from '../authority/signer.js';
import { serialGreater } from '../zone/serial.js';

export class WorkersError extends AopError {
  declare readonly code: 'ERR_WORKERS';
  /** A worker that exited before it was serving: its exit status (1: a usage error it reported, such as an address in use). */
  constructor(message: string, readonly workerExitCode?: number) {
    super('ERR_WORKERS', message);
  }
}

/** Most workers accepted: beyond the CPU count they only add memory and contention. */
export const MAX_WORKERS = 64;

/** `--workers` as given: a whole number 1-64, or `auto` for one per CPU. */
export function parseWorkers(value: string | number | undefined): number {
  if (value === undefined || value === '') return 1;
  if (value === 'auto') return Math.min(MAX_WORKERS, Math.max(1, availableParallelism()));
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) throw new WorkersError(`--workers '${value}': want a whole number from 1 to ${MAX_WORKERS}, or auto`);
  return n;
}

// Messages between the primary and a worker, over the cluster IPC channel.
// `keys`: the lead worker re-signed zones or its DNSSEC key state changed (a roll step, a key's
// time), with the serials it signed under; the primary relays it to the other workers, which
// read the key folder again and re-sign under the same serials (Daemon.keysChanged).
type ToWorker = { aop: 'cmd'; id: number; line: string } | { aop: 'reload'; id: number } | { aop: 'metrics'; id: number } | { aop: 'keys'; id: number; zones: ZoneSerial[] } | { aop: 'shutdown' };
type FromWorker = { aop: 'ready' } | { aop: 'reply'; id: number; reply: Record<string, unknown> } | { aop: 'keys'; zones: ZoneSerial[] };

const isZoneSerials = (v: unknown): v is ZoneSerial[] =>
  Array.isArray(v) && v.every((z) => typeof (z as ZoneSerial)?.origin === 'string' && Number.isInteger((z as ZoneSerial).serial) && Number.isInteger((z as ZoneSerial).version));

function isFromWorker(m: unknown): m is FromWorker {
  const a = (m as FromWorker | null)?.aop;
  return typeof m === 'object' && m !== null && (a === 'ready' || a === 'reply' || a === 'keys');
}

function isToWorker(m: unknown): m is ToWorker {
  const a = (m as ToWorker | null)?.aop;
  return a === 'cmd' || a === 'reload' || a === 'metrics' || a === 'keys' || a === 'shutdown';
}

/**
 * Whether this process is the lead worker: the one of `--workers N` that does what only one
 * process may (DNSSEC rollover decisions and key files). The primary makes its first worker the
 * lead, and the replacement of a lead that died.
 */
export function isLeadWorker(): boolean {
  return cluster.isWorker && process.env.AOP_LEAD_WORKER === '1';
}

/**
 * Worker side: answer the primary's commands from this worker's daemon. `stop` closes the
 * daemon and exits (the primary sends `shutdown` when it is told to stop); so does losing the
 * primary, so no worker outlives it. `beforeReload` runs first on each relayed reload (aop serve
 * re-reads its --config file there, as a single process does on SIGHUP).
 */
export function attachWorker(daemon: Daemon, stop: (why: string) => void, metrics?: Metrics, beforeReload?: () => void): void {
  const target: ControlTarget = { cache: daemon.resolver?.cache, stats: () => daemon.snapshot() };
  if (daemon.signer && isLeadWorker()) {
    daemon.signer.onKeyState = (zones) => process.send?.({ aop: 'keys', zones } satisfies FromWorker);
    // A pass may have re-signed (a roll step at start) before this: the state so far, said once.
    daemon.signer.onKeyState(daemon.signer.serials());
  }
  process.on('message', (m: unknown) => {
    if (!isToWorker(m)) return;
    if (m.aop === 'shutdown') {
      stop('shutdown from the primary');
      return;
    }
    const send = (reply: Record<string, unknown>): void => {
      process.send?.({ aop: 'reply', id: m.id, reply } satisfies FromWorker);
    };
    if (m.aop === 'reload') {
      beforeReload?.();
      // Loaded in slices: the worker answers queries while its zones reload (Daemon.reloadAsync).
      daemon.reloadAsync().then((r) => send({ ok: true, ...r }), (err: Error) => send({ ok: false, error: err.message }));
      return;
    }
    if (m.aop === 'keys') {
      try {
        send({ ok: true, resigned: daemon.keysChanged(isZoneSerials(m.zones) ? m.zones : []) });
      } catch (err) {
        send({ ok: false, error: (err as Error).message });
      }
      return;
    }
    if (m.aop === 'metrics') {
      // The primary serves /metrics: this worker's registry as JSON, for it to sum.
      if (!metrics) send({ ok: false, error: 'this worker keeps no metrics' });
      else metrics.json().then((json) => send({ ok: true, metrics: json }), (err: Error) => send({ ok: false, error: err.message }));
      return;
    }
    let reply: Record<string, unknown>;
    try {
      reply = runCommand(target, m.line);
    } catch (err) {
      reply = { ok: false, error: (err as Error).message };
    }
    send(reply);
  });
  process.on('disconnect', () => stop('the primary went away'));
  process.send?.({ aop: 'ready' } satisfies FromWorker);
}

export interface ClusterOptions {
  workers: number;
  /** Unix socket for `aop cache ...`, served by the primary and broadcast to every worker. */
  controlPath?: string;
  logger?: Logger;
  /** Most milliseconds a worker may take to load its zones and open its sockets. */
  startTimeoutMs?: number;
  /** Crashed workers replaced at most this often in a minute; past it the primary gives up. */
  maxRestartsPerMinute?: number;
}

interface Pending {
  replies: Map<number, Record<string, unknown>>;
  waiting: Set<number>;
  done: () => void;
}

/** Add numbers found at the same place in several objects; other values come from the first. */
export function sumReplies(values: unknown[]): unknown {
  const first = values.find((v) => v !== undefined);
  if (typeof first === 'number') return values.reduce<number>((s, v) => s + (typeof v === 'number' ? v : 0), 0);
  if (Array.isArray(first)) return values.flatMap((v) => (Array.isArray(v) ? v : []));
  if (first !== null && typeof first === 'object') {
    const keys = new Set<string>();
    for (const v of values) if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) keys.add(k);
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = sumReplies(values.map((v) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined)));
    return out;
  }
  return first;
}

/** The primary: forks the workers, relays commands to all of them and merges their replies. */
export class ClusterPrimary {
  private readonly log: Logger;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopping = false;
  /** Until every first worker is serving, an exit fails start() instead of being replaced. */
  private started = false;
  private restarts: number[] = [];
  /** The lead worker's cluster id (isLeadWorker). */
  private leadId?: number;
  /** The serial each zone was last signed under by the lead: given to every worker started later. */
  private readonly signedSerials = new Map<string, ZoneSerial>();
  /** Workers that said they are serving (and listen for relayed messages), by cluster id. */
  private readonly ready = new Set<number>();
  private control?: ControlServer;
  /** Called when the cluster cannot go on (workers keep crashing, or all are gone). */
  onFatal: (why: string) => void = () => undefined;

  constructor(private readonly opts: ClusterOptions) {
    this.log = opts.logger ?? silentLogger;
  }

  /** The live workers, by cluster id. */
  get workers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  }

  /** Fork every worker and wait until each has its zones loaded and its sockets open. */
  async start(): Promise<void> {
    if (!cluster.isPrimary) throw new WorkersError('ClusterPrimary must run in the primary process');
    cluster.on('message', (w, m) => this.onMessage(w, m));
    cluster.on('exit', (w, code, signal) => this.onExit(w, code, signal));
    try {
      await Promise.all(Array.from({ length: this.opts.workers }, (_, i) => this.fork(i === 0)));
      if (this.opts.controlPath !== undefined) {
        this.control = new ControlServer(this.opts.controlPath, (line) => this.command(line));
        await this.control.start();
        this.log.info(`control socket ${this.opts.controlPath} (commands go to all ${this.opts.workers} workers)`);
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    this.started = true;
    this.log.info(`${this.opts.workers} workers serving (pids ${this.workers.map((w) => w.process.pid).join(', ')})`);
  }

  private fork(lead: boolean): Promise<void> {
    const w = cluster.fork({ AOP_LEAD_WORKER: lead ? '1' : '0' });
    if (lead) this.leadId = w.id;
    const timeoutMs = this.opts.startTimeoutMs ?? 300_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(`worker ${w.id} was not ready within ${timeoutMs} ms`), timeoutMs);
      const onMessage = (m: unknown): void => {
        if (isFromWorker(m) && m.aop === 'ready') {
          cleanup();
          this.ready.add(w.id);
          // A worker starts from the zone files' serials: it takes the lead's where it went on.
          if (this.signedSerials.size > 0) this.tellKeys([w], [...this.signedSerials.values()], `worker ${w.id} started`);
          resolve();
        }
      };
      const onExit = (code: number | null, signal: string | null): void => fail(`worker ${w.id} exited (${signal ?? `code ${code}`}) before it was serving; its error is above`, code ?? undefined);
      const fail = (why: string, exitCode?: number): void => {
        cleanup();
        if (!w.isDead()) w.process.kill('SIGKILL');
        reject(new WorkersError(why, exitCode));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
      };
      w.on('message', onMessage);
      w.on('exit', onExit);
    });
  }

  private onMessage(w: Worker, m: unknown): void {
    if (isFromWorker(m) && m.aop === 'keys' && w.id === this.leadId) {
      const zones = isZoneSerials(m.zones) ? m.zones : [];
      // Kept forward only: a replacement lead first says the zone files' serials (behind).
      for (const z of zones) {
        const had = this.signedSerials.get(z.origin.toLowerCase());
        if (had === undefined || serialGreater(z.serial, had.serial)) this.signedSerials.set(z.origin.toLowerCase(), z);
      }
      // A worker not serving yet gets them when it is (fork).
      const others = this.workers.filter((x) => x.id !== w.id && this.ready.has(x.id));
      if (others.length > 0) this.tellKeys(others, zones, `the lead worker ${w.id} re-signed or changed keys`);
      return;
    }
    if (!isFromWorker(m) || m.aop !== 'reply') return;
    const p = this.pending.get(m.id);
    if (!p || !p.waiting.has(w.id)) return;
    p.waiting.delete(w.id);
    p.replies.set(w.id, m.reply);
    if (p.waiting.size === 0) p.done();
  }

  private onExit(w: Worker, code: number | null, signal: string | null): void {
    this.ready.delete(w.id);
    // A worker that dies takes its share of every pending broadcast with it.
    for (const p of this.pending.values()) {
      if (p.waiting.delete(w.id)) {
        p.replies.set(w.id, { ok: false, error: `worker ${w.id} exited` });
        if (p.waiting.size === 0) p.done();
      }
    }
    if (this.stopping || !this.started) return;
    if (code === 0 && signal === null) {
      this.log.warn(`worker ${w.id} (pid ${w.process.pid}) stopped; ${this.workers.length} left`);
      if (this.workers.length === 0) this.onFatal('every worker has stopped');
      return;
    }
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    if (this.restarts.length >= (this.opts.maxRestartsPerMinute ?? 5)) {
      this.onFatal(`worker ${w.id} exited (${signal ?? `code ${code}`}) and workers keep crashing; giving up`);
      return;
    }
    this.restarts.push(now);
    this.log.error(`worker ${w.id} (pid ${w.process.pid}) exited (${signal ?? `code ${code}`}); starting a replacement`);
    this.fork(w.id === this.leadId).catch((err: Error) => this.onFatal(`replacement worker failed: ${err.message}`));
  }

  /** The lead's key state and serials (`zones`), for `targets`: each reads the key folder again and follows. */
  private tellKeys(targets: Worker[], zones: ZoneSerial[], why: string): void {
    this.broadcast((id) => ({ aop: 'keys', id, zones }), 60_000, targets).then((replies) => {
      const failed = [...replies.entries()].filter(([, r]) => r.ok !== true);
      if (failed.length > 0) this.log.error(`DNSSEC keys: ${failed.map(([wid, r]) => `worker ${wid}: ${String(r.error)}`).join('; ')}`);
      else this.log.info(`DNSSEC: ${why}: ${replies.size} worker(s) read the keys again and took the lead's serials (${zones.map((z) => `${z.origin} ${z.serial}`).join(', ') || 'no zone re-signed'})`);
    }, () => undefined);
  }

  /** Send one message to every live worker (or to `only`) and collect their replies, keyed by worker id. */
  private broadcast(make: (id: number) => ToWorker, timeoutMs: number, only?: Worker[]): Promise<Map<number, Record<string, unknown>>> {
    const id = this.nextId++;
    const targets = only ?? this.workers;
    return new Promise((resolve) => {
      const p: Pending = { replies: new Map(), waiting: new Set(targets.map((w) => w.id)), done: () => undefined };
      const timer = setTimeout(() => {
        for (const wid of p.waiting) p.replies.set(wid, { ok: false, error: `worker ${wid} did not reply within ${timeoutMs} ms` });
        p.done();
      }, timeoutMs);
      p.done = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(p.replies);
      };
      this.pending.set(id, p);
      if (targets.length === 0) p.done();
      for (const w of targets) {
        try {
          w.send(make(id));
        } catch {
          // Its channel closed between the listing and the send: its exit handler answers for it.
        }
      }
    });
  }

  /** Reload the zones in every worker; the result sums theirs. */
  async reload(): Promise<{ ok: boolean; loaded: number; failed: number; workers: number; errors: string[] }> {
    const replies = await this.broadcast((id) => ({ aop: 'reload', id }), 600_000);
    const errors = [...replies.values()].filter((r) => r.ok !== true).map((r) => String(r.error));
    const first = [...replies.values()].find((r) => r.ok === true);
    // Every worker reads the same files, so one worker's counts are the cluster's.
    return { ok: errors.length === 0, loaded: Number(first?.loaded ?? 0), failed: Number(first?.failed ?? 0), workers: replies.size, errors };
  }

  /**
   * Run a control command (`stats`, `flush ...`, `dump`) in every worker. Counters are summed
   * (`stats.perWorker` keeps each worker's query count), dumps concatenated, and the reply is
   * ok only when every worker's was.
   */
  async command(line: string): Promise<Record<string, unknown>> {
    const replies = await this.broadcast((id) => ({ aop: 'cmd', id, line }), 10_000);
    const all = [...replies.entries()].sort((a, b) => a[0] - b[0]);
    const failed = all.filter(([, r]) => r.ok !== true);
    if (all.length > 0 && failed.length === all.length) return failed[0]![1];
    if (failed.length > 0) return { ok: false, error: `${failed.length} of ${all.length} workers failed: ${failed.map(([w, r]) => `worker ${w}: ${String(r.error)}`).join('; ')}` };
    const merged = sumReplies(all.map(([, r]) => r)) as Record<string, unknown>;
    merged.ok = true;
    merged.workers = all.length;
    if (line.trim().split(/\s+/)[0] === 'stats' && merged.stats !== null && typeof merged.stats === 'object') {
      const perWorker: Record<string, { pid: number; queries: number }> = {};
      for (const [wid, r] of all) {
        const server = ((r.stats as Record<string, unknown> | undefined)?.server ?? {}) as Record<string, unknown>;
        perWorker[String(wid)] = { pid: cluster.workers?.[wid]?.process.pid ?? 0, queries: Number(server.queries ?? 0) };
      }
      (merged.stats as Record<string, unknown>).workers = all.length;
      (merged.stats as Record<string, unknown>).perWorker = perWorker;
    }
    return merged;
  }

  /**
   * The workers' metrics summed (prom-client's AggregatorRegistry): counters and histograms add
   * up; a worker that does not answer within 5 s is left out of this scrape.
   */
  async metrics(): Promise<{ text: string; contentType: string }> {
    const replies = await this.broadcast((id) => ({ aop: 'metrics', id }), 5000);
    const all = [...replies.values()].filter((r) => r.ok === true && Array.isArray(r.metrics)).map((r) => r.metrics as MetricJson[]);
    if (all.length === 0) throw new WorkersError('no worker answered for its metrics');
    return aggregate(all);
  }

  /** Ready when every first worker is serving and at least one is alive. */
  readiness(): { ready: boolean; reason: string } {
    if (this.stopping) return { ready: false, reason: 'stopping' };
    if (!this.started) return { ready: false, reason: `starting ${this.opts.workers} workers` };
    return this.workers.length > 0 ? { ready: true, reason: 'ok' } : { ready: false, reason: 'no worker alive' };
  }

  /** Tell every worker to finish what it is answering and exit; SIGKILL any still there after `graceMs`. */
  async close(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    await this.control?.close();
    const live = this.workers;
    await Promise.all(live.map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) {
        resolve();
        return;
      }
      const timer = setTimeout(() => w.process.kill('SIGKILL'), graceMs);
      w.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      // A worker on its way out (its start failed) may have closed its IPC channel before it is
      // dead: a send to it then fails through the callback (without one, as an 'error' event
      // that nothing handles), and SIGTERM does the asking instead.
      const term = (): void => {
        try { w.process.kill('SIGTERM'); } catch { /* already gone */ }
      };
      if (!w.isConnected()) {
        term();
        return;
      }
      w.send({ aop: 'shutdown' } satisfies ToWorker, undefined, (err) => { if (err) term(); });
    })));
  }
}

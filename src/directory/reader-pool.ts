// The directory's reads off the event loop: a few worker threads, each with its own read-only
// node:sqlite connection to the WAL database (readers run beside the crawler's writes), one
// request at a time each, a bounded queue in front. SQLite's calls are synchronous: on the
// gateway's own thread one slow search would hold every DNS and MCP answer behind it.
//
// Every request ends: with its answer, with DirectoryBusyError when the queue is full, or with
// DirectoryReaderError when its reader died or it passed its deadline (the thread running it is
// ended, a query cannot be interrupted, and a new one started).

import { Worker } from 'node:worker_threads';
import { AopError } from '../base/errors.js';
import { DirectoryDbError } from './store.js';
import { DEFAULT_CANDIDATE_CAP, type SearchPage, type StoreReader, type StoreFilters, type StoredAgent, type StoredProblem } from './store-reader.js';

export class DirectoryReaderError extends AopError {
  declare readonly code: 'ERR_DIRECTORY_READER';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('ERR_DIRECTORY_READER', message, opts);
  }
}

export class DirectoryBusyError extends AopError {
  declare readonly code: 'ERR_DIRECTORY_BUSY';
  constructor(message: string) {
    super('ERR_DIRECTORY_BUSY', message);
  }
}

/** One read, as posted to a reader thread. */
export type ReadRequest =
  | { op: 'list' | 'names'; filters: StoreFilters; after: string | undefined; limit: number }
  | { op: 'search'; match: string; filters: StoreFilters; offset: number; limit: number }
  | { op: 'count'; filters: StoreFilters; match?: string }
  | { op: 'get'; name: string }
  | { op: 'stats' }
  | { op: 'problems'; limit: number };

/** Rows of one page and the total they are part of. */
export interface Page<T> {
  rows: T[];
  total: number;
}

/** The directory's reads, wherever they run: in process (inProcessReads) or on reader threads. */
export interface DirectoryReads {
  /** Agents in name order after `after`, and how many pass the filters in all. */
  list(f: StoreFilters, after: string | undefined, limit: number): Promise<Page<StoredAgent>>;
  /** The same, names alone. */
  listNames(f: StoreFilters, after: string | undefined, limit: number): Promise<Page<string>>;
  /** Agents matching a match expression (fts-query.ts), best first, and how many match (or at least how many). */
  search(match: string, f: StoreFilters, offset: number, limit: number): Promise<SearchPage<StoredAgent>>;
  count(f: StoreFilters, match?: string): Promise<number>;
  get(name: string): Promise<StoredAgent | undefined>;
  stats(): Promise<{ agents: number; zones: number; problems: number }>;
  problems(limit: number): Promise<StoredProblem[]>;
  readonly file: string;
}

export interface ReaderPoolOptions {
  /** Reader threads (default 2). */
  threads?: number;
  /** Requests waiting for a free reader before more are refused (default 128 a thread). */
  maxQueue?: number;
  /** Longest a request may take, waiting included (default 10 s). */
  timeoutMs?: number;
  /** Work a search may spend to make its total exact (StoreReader, DEFAULT_CANDIDATE_CAP). */
  candidateCap?: number;
}

interface Job {
  id: number;
  req: ReadRequest;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  thread?: Reader;
}

interface Reader {
  n: number;
  worker: Worker;
  job?: Job;
  ready: boolean;
  dead: boolean;
  /** Settles when the thread has opened the file, or failed to. */
  started: Promise<void>;
  onStart: (err?: Error) => void;
}

// The thread's module beside this one: .ts under tsx (tests), .js from dist.
const WORKER = new URL(`./reader-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class DirectoryReaders implements DirectoryReads {
  private readonly readers: Reader[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private nextThread = 1;
  private closed = false;
  /** Set when a reader died before it was ready (the file cannot be read): every request fails with it. */
  private broken: string | undefined;
  private readonly threads: number;
  private readonly maxQueue: number;
  private readonly timeoutMs: number;
  private readonly candidateCap: number;

  /** Reader threads on `file` (a database on disk, not ':memory:'). */
  constructor(readonly file: string, opts: ReaderPoolOptions = {}) {
    if (file === ':memory:' || file === '') throw new DirectoryDbError('directory reader threads need a database file, not one in memory');
    this.threads = Math.max(1, opts.threads ?? 2);
    this.maxQueue = Math.max(0, opts.maxQueue ?? 128 * this.threads);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.candidateCap = opts.candidateCap ?? DEFAULT_CANDIDATE_CAP;
    for (let i = 0; i < this.threads; i++) this.spawn();
  }

  /** Resolves when every thread has opened the file; DirectoryReaderError when one cannot. */
  async ready(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.started));
  }

  /** Reader threads alive now. */
  get alive(): number {
    return this.readers.length;
  }

  list(f: StoreFilters, after: string | undefined, limit: number): Promise<Page<StoredAgent>> {
    return this.run({ op: 'list', filters: f, after, limit }) as Promise<Page<StoredAgent>>;
  }

  listNames(f: StoreFilters, after: string | undefined, limit: number): Promise<Page<string>> {
    return this.run({ op: 'names', filters: f, after, limit }) as Promise<Page<string>>;
  }

  search(match: string, f: StoreFilters, offset: number, limit: number): Promise<SearchPage<StoredAgent>> {
    return this.run({ op: 'search', match, filters: f, offset, limit }) as Promise<SearchPage<StoredAgent>>;
  }

  count(f: StoreFilters, match?: string): Promise<number> {
    return this.run({ op: 'count', filters: f, ...(match !== undefined ? { match } : {}) }) as Promise<number>;
  }

  async get(name: string): Promise<StoredAgent | undefined> {
    return ((await this.run({ op: 'get', name })) as StoredAgent | null) ?? undefined;
  }

  stats(): Promise<{ agents: number; zones: number; problems: number }> {
    return this.run({ op: 'stats' }) as Promise<{ agents: number; zones: number; problems: number }>;
  }

  problems(limit: number): Promise<StoredProblem[]> {
    return this.run({ op: 'problems', limit }) as Promise<StoredProblem[]>;
  }

  /**
   * End reader thread `i` (0-based) as a crash would: its request fails with DirectoryReaderError
   * and a new thread takes its place. For tests and operators' drills.
   */
  async kill(i: number): Promise<void> {
    const r = this.readers[i];
    if (r === undefined) throw new RangeError(`no reader thread ${i}: ${this.readers.length} alive`);
    // Lost at once, as its exit would make it: an answer it posted before the end is not taken.
    this.lose(r, 'killed');
    await ended([r.worker]);
  }

  /** Reader threads with a request handed to them now. */
  get busy(): number {
    return this.readers.filter((r) => r.job !== undefined).length;
  }

  /** End every thread; requests not yet answered fail with DirectoryReaderError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const gone = new DirectoryReaderError(`directory readers of ${this.file}: closed`);
    for (const j of this.queue.splice(0)) this.settle(j, gone);
    const readers = this.readers.splice(0);
    for (const r of readers) {
      r.dead = true;
      r.onStart(gone);
      if (r.job !== undefined) this.settle(r.job, gone);
    }
    await ended(readers.map((r) => r.worker));
  }

  private run(req: ReadRequest): Promise<unknown> {
    if (this.closed) return Promise.reject(new DirectoryReaderError(`directory readers of ${this.file}: closed`));
    if (this.broken !== undefined) return Promise.reject(new DirectoryReaderError(this.broken));
    const idle = this.readers.find((r) => r.job === undefined);
    if (idle === undefined && this.queue.length >= this.maxQueue) {
      return Promise.reject(new DirectoryBusyError(`directory readers of ${this.file}: ${this.queue.length} requests waiting already; try again later`));
    }
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, req, resolve, reject, timer: setTimeout(() => this.expire(job), this.timeoutMs) };
      if (idle !== undefined) this.dispatch(idle, job);
      else this.queue.push(job);
    });
  }

  private dispatch(r: Reader, job: Job): void {
    r.job = job;
    job.thread = r;
    r.worker.ref();
    r.worker.postMessage({ id: job.id, req: job.req });
  }

  private settle(job: Job, err: Error | undefined, value?: unknown): void {
    clearTimeout(job.timer);
    job.thread = undefined;
    if (err !== undefined) job.reject(err);
    else job.resolve(value);
  }

  private expire(job: Job): void {
    const msg = `directory read (${job.req.op}) took longer than ${this.timeoutMs} ms`;
    const r = job.thread;
    if (r === undefined) {
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue.splice(i, 1);
      this.settle(job, new DirectoryReaderError(`${msg}, waiting for a reader`));
      return;
    }
    // The query cannot be stopped from here: its thread is ended and replaced.
    r.job = undefined;
    this.settle(job, new DirectoryReaderError(`${msg}; its reader thread ${r.n} was ended`));
    this.lose(r, undefined);
    void r.worker.terminate();
  }

  private spawn(): void {
    let onStart: (err?: Error) => void = () => {};
    const started = new Promise<void>((resolve, reject) => { onStart = (err) => (err ? reject(err) : resolve()); });
    started.catch(() => {}); // read by ready(), if anyone asks
    const r: Reader = {
      n: this.nextThread++, ready: false, dead: false, started, onStart,
      worker: new Worker(WORKER, { workerData: { aopDirectoryReader: { file: this.file, candidateCap: this.candidateCap } } }),
    };
    r.worker.unref();
    r.worker.on('message', (m: { ready?: true; id?: number; ok?: unknown; err?: string }) => {
      if (m.ready === true) { r.ready = true; r.onStart(); return; }
      const job = r.job;
      if (job === undefined || job.id !== m.id) return; // an answer after its deadline
      r.job = undefined;
      r.worker.unref();
      if (m.err !== undefined) this.settle(job, new DirectoryDbError(`directory database ${this.file}: ${m.err}`));
      else this.settle(job, undefined, m.ok);
      this.next(r);
    });
    r.worker.on('error', (err) => this.lose(r, err.message));
    r.worker.on('exit', (code) => this.lose(r, `exited with code ${code}`));
    this.readers.push(r);
  }

  /** Reader `r` is gone (`why`: it died; undefined: this pool ended it): its request fails, another thread takes its place. */
  private lose(r: Reader, why: string | undefined): void {
    if (r.dead) return;
    r.dead = true;
    const i = this.readers.indexOf(r);
    if (i >= 0) this.readers.splice(i, 1);
    if (this.closed) return;
    if (r.job !== undefined) {
      const job = r.job;
      r.job = undefined;
      this.settle(job, new DirectoryReaderError(`directory reader thread ${r.n} died (${why ?? 'ended'}) during a ${job.req.op}; try again`));
    }
    if (!r.ready && why !== undefined) {
      // It died before it could open the file: another would too. Fail what waits, and what comes.
      this.broken = `directory reader thread ${r.n} cannot read ${this.file}: ${why}`;
      const err = new DirectoryReaderError(this.broken);
      r.onStart(err);
      for (const j of this.queue.splice(0)) this.settle(j, err);
      return;
    }
    r.onStart(new DirectoryReaderError(`directory reader thread ${r.n} ended before it started`));
    this.spawn();
    this.next(this.readers[this.readers.length - 1]!);
  }

  private next(r: Reader): void {
    const job = this.queue.shift();
    if (job !== undefined) this.dispatch(r, job);
  }
}

/**
 * Terminate `workers` and wait for their end with a timer held: the end of an unreferenced
 * worker (the readers are, when idle) does not keep the process alive, ref() on one being
 * ended did not either (Node 24), and a process whose last work is that wait exited with it unsettled.
 */
async function ended(workers: Worker[]): Promise<void> {
  const hold = setInterval(() => {}, 60_000);
  try {
    await Promise.all(workers.map((w) => w.terminate()));
  } finally {
    clearInterval(hold);
  }
}

/** The same reads on the writer's own connection, on this thread (a store in memory, or no threads wanted). */
export function inProcessReads(store: { readonly file: string; readonly reader: StoreReader }): DirectoryReads {
  const r = store.reader;
  return {
    file: store.file,
    list: async (f, after, limit) => r.listPage(f, after, limit),
    listNames: async (f, after, limit) => r.namesPage(f, after, limit),
    search: async (match, f, offset, limit) => r.searchPage(match, f, offset, limit),
    count: async (f, match) => r.count(f, match),
    get: async (name) => r.get(name),
    stats: async () => r.stats(),
    problems: async (limit) => r.problems(limit),
  };
}

// The directory's index on disk: SQLite (node:sqlite) with impact-ordered postings over each
// agent's name, organisation, description, capabilities, tool names and input schemas
// (postings.ts), beside plain tables for the exact filters (organisation, capability, transport,
// verified), the zones crawled (serial, when checked) and their problems. Written in transactions, so a crash leaves the last whole
// write; kept across restarts, and built incrementally (one zone's changes touch its rows only).

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { AopError } from '../base/errors.js';
import { verificationRank, type DirectoryRecord } from './record.js';
import { bulkIndex, POSTINGS_SCHEMA, PostingsWriter, type IndexedAgent } from './postings.js';
import { AGENTS_VERSION, DEFAULT_CANDIDATE_CAP, ID_BAND, StoreReader, type StoreFilters, type StoredAgent, type StoredProblem } from './store-reader.js';

export type { StoreFilters, StoredAgent, StoredProblem } from './store-reader.js';

export class DirectoryDbError extends AopError {
  declare readonly code: 'ERR_DIRECTORY_DB';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('ERR_DIRECTORY_DB', message, opts);
  }
}

/** 2: impact-ordered postings (postings.ts) in place of schema 1's FTS5 table; a schema-1 file is converted on open. */
const SCHEMA_VERSION = '2';

/** One zone as the crawler last saw it. */
export interface ZoneState {
  zone: string;
  /** The server the zone was read from (`127.0.0.3:53`, or the resolver). */
  server?: string;
  serial?: number;
  /** How it was read: `axfr`, `ixfr`, `queries`. */
  method?: string;
  /** Last SOA check, last change seen, next check due (ms since the epoch). */
  checked?: number;
  changed?: number;
  next?: number;
  agents?: number;
  /** Consecutive checks that found a new serial (a zone that changes all the time). */
  churn?: number;
}

export class DirectoryStore {
  private readonly db: DatabaseSync;
  private readonly stmts = new Map<string, StatementSync>();
  private readonly postings: PostingsWriter;
  /** The last id sequence used (the low part of an id, below ID_BAND). */
  private seq = 0;
  /** The read queries, on this (the writer's) connection. */
  readonly reader: StoreReader;
  readonly file: string;

  private constructor(file: string, db: DatabaseSync, readonly candidateCap: number) {
    this.file = file;
    this.db = db;
    this.reader = new StoreReader(db, candidateCap);
    this.postings = new PostingsWriter((sql) => this.stmt(sql));
  }

  /**
   * Open (or make) the index at `file` (':memory:' for none on disk). `candidateCap`: most matches
   * one search ranks (default 10000, see search()). Throws DirectoryDbError.
   */
  static open(file: string, opts: { candidateCap?: number } = {}): DirectoryStore {
    let db: DatabaseSync;
    try {
      // One level only: a recursive mkdir never returns under /proc (Node 24), and a deeper missing folder is a typo.
      const dir = path.dirname(path.resolve(file));
      if (file !== ':memory:' && !existsSync(dir)) mkdirSync(dir);
      db = new DatabaseSync(file);
    } catch (err) {
      throw new DirectoryDbError(`directory database ${file}: cannot open: ${(err as Error).message}`, { cause: err });
    }
    const store = new DirectoryStore(file, db, opts.candidateCap ?? DEFAULT_CANDIDATE_CAP);
    try {
      store.init();
    } catch (err) {
      db.close();
      if (err instanceof DirectoryDbError) throw err;
      throw new DirectoryDbError(`directory database ${file}: not a directory database, or damaged: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  private init(): void {
    const db = this.db;
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA busy_timeout = 5000');
    // The postings' B-tree is written at many places per agent: a larger page cache than the default 2 MB.
    db.exec('PRAGMA cache_size = -131072');
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const v = db.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as { value: string } | undefined;
    if (v?.value === '1') { this.convertFromFts(); return; }
    if (v !== undefined && v.value !== SCHEMA_VERSION) throw new DirectoryDbError(`directory database ${this.file}: schema ${v.value}, this aop reads ${SCHEMA_VERSION}: crawl into a new file`);
    db.exec(`
      CREATE TABLE IF NOT EXISTS agents (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, org TEXT NOT NULL, description TEXT NOT NULL,
        capabilities TEXT NOT NULL, tools TEXT NOT NULL, transports TEXT NOT NULL, endpoints TEXT NOT NULL, card TEXT NOT NULL,
        dnssec TEXT NOT NULL, cap_check TEXT NOT NULL, vrank INTEGER NOT NULL,
        source_server TEXT, source_zone TEXT NOT NULL, serial INTEGER, first_seen INTEGER NOT NULL, confirmed INTEGER NOT NULL, crawl INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS agents_org ON agents (org, name);
      CREATE INDEX IF NOT EXISTS agents_vrank ON agents (vrank, name);
      CREATE TABLE IF NOT EXISTS agent_caps (cap TEXT NOT NULL, agent INTEGER NOT NULL, PRIMARY KEY (cap, agent)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS agent_transports (transport TEXT NOT NULL, agent INTEGER NOT NULL, PRIMARY KEY (transport, agent)) WITHOUT ROWID;
      -- An agent's rows found by the agent (upsert and removal delete them so): without these each
      -- delete scanned the whole table, 1,000 agents of one zone re-read took 112 s at 1,000,000 agents.
      CREATE INDEX IF NOT EXISTS agent_caps_agent ON agent_caps (agent);
      CREATE INDEX IF NOT EXISTS agent_transports_agent ON agent_transports (agent);
      ${POSTINGS_SCHEMA}
      CREATE TABLE IF NOT EXISTS zones (
        zone TEXT PRIMARY KEY, server TEXT, serial INTEGER, method TEXT, checked INTEGER, changed INTEGER, next INTEGER, agents INTEGER, churn INTEGER, crawl INTEGER NOT NULL DEFAULT 0,
        confirmed INTEGER
      );
      CREATE TABLE IF NOT EXISTS problems (zone TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS problems_zone ON problems (zone);
    `);
    // Added since schema 1 began: when the zone's agents were last confirmed (confirm()).
    if (!(db.prepare('SELECT name FROM pragma_table_info(\'zones\')').all() as Array<{ name: string }>).some((c) => c.name === 'confirmed')) {
      db.exec('ALTER TABLE zones ADD COLUMN confirmed INTEGER');
    }
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema', SCHEMA_VERSION);
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(AGENTS_VERSION, '0');
    this.seq = (db.prepare(`SELECT coalesce(max(id % ${ID_BAND}), 0) AS n FROM agents`).get() as { n: number }).n;
  }

  /**
   * A schema-1 file (FTS5): build the postings from the agents' rows, drop the FTS5 table, and
   * call it schema 2. Once, in one transaction (a crash leaves the schema-1 file as it was):
   * about a minute or two per million agents.
   */
  private convertFromFts(): void {
    const db = this.db;
    db.exec('PRAGMA cache_size = -1048576');
    this.transaction(() => {
      db.exec(POSTINGS_SCHEMA);
      const rows = db.prepare('SELECT id, name, org, description, capabilities, tools, transports FROM agents').iterate() as IterableIterator<Record<string, string | number>>;
      const agents = (function* (): Generator<{ id: number; agent: IndexedAgent }> {
        for (const r of rows) {
          yield {
            id: r.id as number,
            agent: {
              name: r.name as string, org: r.org as string, description: r.description as string, capabilities: JSON.parse(r.capabilities as string) as string[],
              tools: JSON.parse(r.tools as string) as IndexedAgent['tools'], transports: JSON.parse(r.transports as string) as string[],
            },
          };
        }
      })();
      bulkIndex((sql) => db.exec(sql), (sql) => this.stmt(sql), this.postings, agents);
      db.exec('DROP TABLE IF EXISTS agents_fts');
      db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(SCHEMA_VERSION, 'schema');
      this.agentsChanged();
    });
    db.exec('PRAGMA cache_size = -131072');
    this.init();
  }

  private stmt(sql: string): StatementSync {
    let s = this.stmts.get(sql);
    if (s === undefined) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  /** Run `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Start a new crawl of `zone`: the stamp its rows get; rows of older stamps go at `finishCrawl`. */
  beginCrawl(zone: string): number {
    this.stmt('INSERT INTO zones (zone, crawl) VALUES (?, 1) ON CONFLICT (zone) DO UPDATE SET crawl = crawl + 1').run(zone);
    return (this.stmt('SELECT crawl FROM zones WHERE zone = ?').get(zone) as { crawl: number }).crawl;
  }

  /** Add or replace agents (in the caller's transaction, or one of their own), stamped with `crawl`. */
  upsert(records: readonly DirectoryRecord[], crawl: number): void {
    const run = (): void => {
      const find = this.stmt('SELECT id, first_seen FROM agents WHERE name = ?');
      const ins = this.stmt(`INSERT INTO agents (id, name, org, description, capabilities, tools, transports, endpoints, card, dnssec, cap_check, vrank, source_server, source_zone, serial, first_seen, confirmed, crawl)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      const upd = this.stmt(`UPDATE agents SET org = ?, description = ?, capabilities = ?, tools = ?, transports = ?, endpoints = ?, card = ?, dnssec = ?, cap_check = ?, vrank = ?,
        source_server = ?, source_zone = ?, serial = ?, confirmed = ?, crawl = ? WHERE id = ?`);
      const delCaps = this.stmt('DELETE FROM agent_caps WHERE agent = ?');
      const delTr = this.stmt('DELETE FROM agent_transports WHERE agent = ?');
      const insCap = this.stmt('INSERT OR IGNORE INTO agent_caps (cap, agent) VALUES (?, ?)');
      const insTr = this.stmt('INSERT OR IGNORE INTO agent_transports (transport, agent) VALUES (?, ?)');
      this.agentsChanged();
      for (const r of records) {
        const row = [
          r.org, r.description, JSON.stringify(r.capabilities), JSON.stringify(r.tools), JSON.stringify(r.transports), JSON.stringify(r.endpoints),
          JSON.stringify(r.card), r.dnssec, r.capCheck, verificationRank(r), r.source.server ?? null, r.source.zone, r.source.serial ?? null,
        ] as const;
        const old = find.get(r.name) as { id: number; first_seen: number } | undefined;
        const band = 2 - verificationRank(r);
        let id: number;
        if (old !== undefined && Math.floor(old.id / ID_BAND) === band) {
          id = old.id;
          upd.run(...row, r.confirmedAt, crawl, id);
          delCaps.run(id);
          delTr.run(id);
        } else {
          // A new agent, or one whose verification changed: an id in its verification's band.
          if (old !== undefined) this.removeId(old.id);
          id = band * ID_BAND + ++this.seq;
          ins.run(id, r.name, ...row, old?.first_seen ?? r.confirmedAt, r.confirmedAt, crawl);
        }
        // Names split at dots and dashes (terms.ts): `writer.acme.agents` is found by `writer`.
        this.postings.put(id, r);
        for (const c of r.capabilities) insCap.run(c, id);
        for (const t of r.transports) insTr.run(t, id);
      }
    };
    if (this.db.isTransaction) run();
    else this.transaction(run);
  }

  /**
   * Stamp every agent of `org` confirmed at `at` (its zone's serial did not change): one row of the
   * zone's, read as each agent's (the later of the two). Rewriting a thousand agents' rows for each
   * unchanged zone made a round of SOA checks over a thousand zones take minutes.
   */
  confirm(org: string, at: number): void {
    this.stmt('INSERT INTO zones (zone, confirmed) VALUES (?, ?) ON CONFLICT (zone) DO UPDATE SET confirmed = excluded.confirmed').run(org, at);
  }

  /** Remove the agents of `org` the crawl `crawl` did not see again; how many went. */
  finishCrawl(org: string, crawl: number): number {
    const gone = this.stmt('SELECT id FROM agents WHERE org = ? AND crawl < ?').all(org, crawl) as Array<{ id: number }>;
    if (gone.length === 0) return 0;
    const run = (): void => {
      for (const { id } of gone) this.removeId(id);
    };
    if (this.db.isTransaction) run();
    else this.transaction(run);
    return gone.length;
  }

  /** Remove one agent by name; whether it was there. */
  remove(name: string): boolean {
    const row = this.stmt('SELECT id FROM agents WHERE name = ?').get(name.toLowerCase().replace(/\.$/, '')) as { id: number } | undefined;
    if (row === undefined) return false;
    this.transaction(() => this.removeId(row.id));
    return true;
  }

  /** Remove an organisation and everything of it (its zone no longer delegated). */
  removeOrg(org: string): number {
    const ids = this.stmt('SELECT id FROM agents WHERE org = ?').all(org) as Array<{ id: number }>;
    this.transaction(() => {
      for (const { id } of ids) this.removeId(id);
      this.stmt('DELETE FROM zones WHERE zone = ?').run(org);
      this.stmt('DELETE FROM problems WHERE zone = ?').run(org);
    });
    return ids.length;
  }

  /** The readers' caches (counts, search pages) hold until this moves: only agents' rows move it, not a zone's checks. */
  private agentsChanged(): void {
    this.stmt(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = '${AGENTS_VERSION}'`).run();
  }

  private removeId(id: number): void {
    this.agentsChanged();
    this.postings.drop(id);
    this.stmt('DELETE FROM agent_caps WHERE agent = ?').run(id);
    this.stmt('DELETE FROM agent_transports WHERE agent = ?').run(id);
    this.stmt('DELETE FROM agents WHERE id = ?').run(id);
  }

  zone(zone: string): ZoneState | undefined {
    const r = this.stmt('SELECT zone, server, serial, method, checked, changed, next, agents, churn FROM zones WHERE zone = ?').get(zone) as Record<string, unknown> | undefined;
    return r === undefined ? undefined : zoneFromRow(r);
  }

  zones(): ZoneState[] {
    return (this.stmt('SELECT zone, server, serial, method, checked, changed, next, agents, churn FROM zones ORDER BY zone').all() as Array<Record<string, unknown>>).map(zoneFromRow);
  }

  setZone(s: ZoneState): void {
    this.stmt(`INSERT INTO zones (zone, server, serial, method, checked, changed, next, agents, churn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (zone) DO UPDATE SET server = excluded.server, serial = excluded.serial, method = excluded.method, checked = excluded.checked,
      changed = excluded.changed, next = excluded.next, agents = excluded.agents, churn = excluded.churn`)
      .run(s.zone, s.server ?? null, s.serial ?? null, s.method ?? null, s.checked ?? null, s.changed ?? null, s.next ?? null, s.agents ?? null, s.churn ?? 0);
  }

  /** Replace the problems of `zone` with these. */
  setProblems(zone: string, problems: ReadonlyArray<Omit<StoredProblem, 'zone'>>): void {
    const run = (): void => {
      this.stmt('DELETE FROM problems WHERE zone = ?').run(zone);
      const ins = this.stmt('INSERT INTO problems (zone, code, message, at) VALUES (?, ?, ?, ?)');
      for (const p of problems) ins.run(zone, p.code, p.message, p.at);
    };
    if (this.db.isTransaction) run();
    else this.transaction(run);
  }

  problems(limit = 1000): StoredProblem[] {
    return this.reader.problems(limit);
  }

  get(name: string): StoredAgent | undefined {
    return this.reader.get(name);
  }

  /** Agents in name order after `after`, passing the filters. */
  list(f: StoreFilters, after: string | undefined, limit: number): StoredAgent[] {
    return this.reader.list(f, after, limit);
  }

  /** list() with the names alone. */
  listNames(f: StoreFilters, after: string | undefined, limit: number): string[] {
    return this.reader.listNames(f, after, limit);
  }

  /** How many agents pass the filters (and match, for a search), cached until the next write. */
  count(f: StoreFilters, match?: string): number {
    return this.reader.count(f, match);
  }

  /** Agents matching an FTS5 expression (fts-query.ts), best first (StoreReader.search). */
  search(match: string, f: StoreFilters, offset: number, limit: number): StoredAgent[] {
    return this.reader.search(match, f, offset, limit);
  }

  /** Agents, zones and problems held. */
  stats(): { agents: number; zones: number; problems: number } {
    return this.reader.stats();
  }

  /** The names of the agents of `org`. */
  namesOf(org: string): string[] {
    return (this.stmt('SELECT name FROM agents WHERE org = ? ORDER BY name').all(org) as Array<{ name: string }>).map((r) => r.name);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

function zoneFromRow(r: Record<string, unknown>): ZoneState {
  const out: ZoneState = { zone: r.zone as string };
  for (const k of ['server', 'serial', 'method', 'checked', 'changed', 'next', 'agents', 'churn'] as const) {
    if (r[k] !== null && r[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = r[k];
  }
  return out;
}

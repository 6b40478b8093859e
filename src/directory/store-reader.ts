// The directory's read queries over one SQLite connection: list (keyset), search (the threshold
// algorithm over impact-ordered postings, top-k.ts), counts, one agent, stats. One copy of the SQL for both readers: the
// writer's own connection (DirectoryStore, in process) and the worker threads' read-only ones
// (reader-worker.ts), so the two answer alike by construction.

import { LRUCache } from 'lru-cache';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { parseMatch } from './fts-query.js';
import { listsValue, SCOPE_ALL, TRANSPORT_BIT } from './postings.js';
import { isVerified, type DirectoryRecord } from './record.js';
import { idf } from './terms.js';
import { topK, type ListSource, type PostingRow, type QueryWord } from './top-k.js';

export interface StoreFilters {
  org?: string;
  capability?: string;
  transport?: string;
  verifiedOnly?: boolean;
}

export interface StoredProblem {
  zone: string;
  code: string;
  message: string;
  at: number;
}

export interface StoredAgent extends DirectoryRecord {
  verified: boolean;
}

interface Row {
  name: string; org: string; description: string; capabilities: string; tools: string; transports: string; endpoints: string;
  card: string; dnssec: string; cap_check: string; source_server: string | null; source_zone: string; serial: number | null; confirmed: number;
}

function fromRow(r: Row): StoredAgent {
  const rec: DirectoryRecord = {
    name: r.name, org: r.org, description: r.description,
    capabilities: JSON.parse(r.capabilities) as string[], tools: JSON.parse(r.tools) as DirectoryRecord['tools'],
    transports: JSON.parse(r.transports) as string[], endpoints: JSON.parse(r.endpoints) as DirectoryRecord['endpoints'],
    card: JSON.parse(r.card) as Record<string, unknown>,
    dnssec: r.dnssec as DirectoryRecord['dnssec'], capCheck: r.cap_check as DirectoryRecord['capCheck'],
    source: { ...(r.source_server !== null ? { server: r.source_server } : {}), zone: r.source_zone, ...(r.serial !== null ? { serial: r.serial } : {}) },
    confirmedAt: r.confirmed,
  };
  return { ...rec, verified: isVerified(rec) };
}

/**
 * Agent ids carry their verification: band 0 (verified), 1, 2 (neither) times ID_BAND, plus a
 * sequence. A term's list holds equal weights in id order, so ties in relevance go by
 * verification, then age, at no cost.
 */
export const ID_BAND = 2 ** 40;

/**
 * Work (list rows read, an agent's terms counting 4) a search may spend, once its page is known,
 * to make its total exact; past it the total is a lower bound, said as such. A fifth of a millisecond or so.
 */
export const DEFAULT_CANDIDATE_CAP = 200;

/** Most terms one query word's prefix expands to (the most frequent); more is said in the answer. */
export const MAX_EXPANSIONS = 64;
/** Most vocabulary terms read to find a prefix's most frequent ones. */
const MAX_VOCAB_SCAN = 20_000;

/** A page of a search: its rows, how many match, whether that is exact or at least that many, and the words whose prefix was cut. */
export interface SearchPage<T> {
  rows: T[];
  total: number;
  /** True: `total` is a lower bound (there may be more matches). */
  atLeast?: true;
  /** Words whose prefix matched more than MAX_EXPANSIONS terms: the most frequent were searched. */
  capped?: string[];
  /** True: ranked among the agents read within the ranking's budget (top-k.ts RANK_BUDGET), not all. */
  partial?: true;
}

interface Ranked { version: number; ids: number[]; matched: number; exact: boolean; capped: string[]; partial: boolean }

/** The meta row counting the writes to agents' rows: what the readers' caches are keyed on. */
export const AGENTS_VERSION = 'agents_version';

// An agent is confirmed when its row was written or its zone's serial was last found unchanged (DirectoryStore.confirm).
const COLS = 'a.name, a.org, a.description, a.capabilities, a.tools, a.transports, a.endpoints, a.card, a.dnssec, a.cap_check, a.source_server, a.source_zone, a.serial, '
  + 'max(a.confirmed, coalesce((SELECT z.confirmed FROM zones z WHERE z.zone = a.org), 0)) AS confirmed';

export class StoreReader {
  private readonly stmts = new Map<string, StatementSync>();
  private readonly counts = new Map<string, { version: number; n: number }>();
  /**
   * The ids of a search's page, until the data changes: a cold search over a million agents costs
   * a pass over every match (bm25's document frequencies), the same words asked again cost one
   * lookup. The rows are read fresh each time.
   */
  private readonly pages = new LRUCache<string, Ranked>({ max: 2000 });
  /** Prefix expansions and agents' own terms, read once per version of the data. */
  private readonly expansions = new LRUCache<string, { version: number; terms: Array<{ term: string; df: number }>; capped: boolean }>({ max: 5000 });
  private readonly agentTerms = new LRUCache<number, string>({ max: 50_000 });
  /** How many agents (the IDF's N), read once per version of the data (once, without caches). */
  private agentsN: { version: number; n: number } | undefined;
  private agentTermsVersion = NaN;
  /** The work of the last search that was not a cached one (list rows and agents' terms read): for benchmarks. */
  lastWork: { rows: number; terms: number } | undefined;

  /** `cache: false`: every read goes to SQLite (a benchmark's floor). */
  constructor(private readonly db: DatabaseSync, readonly candidateCap: number, private readonly opts: { cache?: boolean } = {}) {}

  /** Moves whenever an agent's row does (DirectoryStore writes it in the same transaction); NaN, never cached, in a file without it. */
  private version(): number {
    if (this.opts.cache === false) return NaN;
    return Number((this.stmt('SELECT value FROM meta WHERE key = ?').get(AGENTS_VERSION) as { value: string } | undefined)?.value ?? NaN);
  }

  private stmt(sql: string): StatementSync {
    let s = this.stmts.get(sql);
    if (s === undefined) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  get(name: string): StoredAgent | undefined {
    const r = this.stmt(`SELECT ${COLS} FROM agents a WHERE a.name = ?`).get(name.toLowerCase().replace(/\.$/, '')) as Row | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  /** Agents in name order after `after`, passing the filters. */
  list(f: StoreFilters, after: string | undefined, limit: number): StoredAgent[] {
    const { where, params } = filterSql(f);
    const cond = [...(after !== undefined ? ['a.name > ?'] : []), ...where];
    const sql = `SELECT ${COLS} FROM agents a ${cond.length > 0 ? `WHERE ${cond.join(' AND ')}` : ''} ORDER BY a.name LIMIT ?`;
    return (this.stmt(sql).all(...(after !== undefined ? [after] : []), ...params, limit) as unknown as Row[]).map(fromRow);
  }

  /** list() with the names alone: read from the indexes, no row (list_agents' answer). */
  listNames(f: StoreFilters, after: string | undefined, limit: number): string[] {
    const { where, params } = filterSql(f);
    const cond = [...(after !== undefined ? ['a.name > ?'] : []), ...where];
    const sql = `SELECT a.name FROM agents a ${cond.length > 0 ? `WHERE ${cond.join(' AND ')}` : ''} ORDER BY a.name LIMIT ?`;
    return (this.stmt(sql).all(...(after !== undefined ? [after] : []), ...params, limit) as Array<{ name: string }>).map((r) => r.name);
  }

  /** A page of list() with its total: one request to a reader thread, not two. */
  listPage(f: StoreFilters, after: string | undefined, limit: number): { rows: StoredAgent[]; total: number } {
    return { rows: this.list(f, after, limit), total: this.count(f) };
  }

  namesPage(f: StoreFilters, after: string | undefined, limit: number): { rows: string[]; total: number } {
    return { rows: this.listNames(f, after, limit), total: this.count(f) };
  }

  searchPage(match: string, f: StoreFilters, offset: number, limit: number): SearchPage<StoredAgent> {
    const r = this.rank(match, f, offset + limit);
    const rows = this.rowsOf(r.ids.slice(offset, offset + limit));
    return { rows, total: r.matched, ...(r.exact ? {} : { atLeast: true as const }), ...(r.capped.length > 0 ? { capped: r.capped } : {}), ...(r.partial ? { partial: true as const } : {}) };
  }

  /** How many agents pass the filters (and match, for a search), cached until the data changes. */
  count(f: StoreFilters, match?: string): number {
    if (match !== undefined) return this.rank(match, f, 1).matched;
    const key = JSON.stringify([f.org, f.capability, f.transport, f.verifiedOnly === true, match]);
    const version = this.version();
    const hit = this.counts.get(key);
    if (hit !== undefined && hit.version === version) return hit.n;
    const { where, params } = filterSql(f);
    const sql = `SELECT count(*) AS n FROM agents a ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`;
    const n = (this.stmt(sql).get(...params) as { n: number }).n;
    if (this.counts.size > 1000) this.counts.clear();
    this.counts.set(key, { version, n });
    return n;
  }

  /** Agents matching a match expression (fts-query.ts), best first: relevance, then verification, then the order they came in. */
  search(match: string, f: StoreFilters, offset: number, limit: number): StoredAgent[] {
    return this.rowsOf(this.rank(match, f, offset + limit).ids.slice(offset, offset + limit));
  }

  /** The k best ids for the query (top-k.ts), the matches counted, cached until the data changes. */
  private rank(match: string, f: StoreFilters, k: number): Ranked {
    const version = this.version();
    const key = JSON.stringify([match, f.org, f.capability, f.transport, f.verifiedOnly === true]);
    const hit = this.pages.get(key);
    // A cached ranking of at least k serves any page within it.
    if (hit !== undefined && hit.version === version && (hit.ids.length >= k || (hit.exact && hit.ids.length >= hit.matched))) return hit;
    const parsed = parseMatch(match);
    if (this.agentsN === undefined || (this.agentsN.version !== version && !Number.isNaN(version))) this.agentsN = { version, n: this.count({}) };
    const n = this.agentsN.n;
    let scope = SCOPE_ALL;
    if (f.org !== undefined) {
      const o = this.stmt('SELECT id FROM orgs WHERE org = ?').get(f.org.toLowerCase().replace(/\.$/, '')) as { id: number } | undefined;
      if (o === undefined) return this.remember(key, { version, ids: [], matched: 0, exact: true, capped: [], partial: false });
      scope = o.id;
    }
    const capped: string[] = [];
    const words: QueryWord[] = parsed.words.map((text) => {
      const e = this.expand(text, version);
      if (e.capped) capped.push(text.trim());
      return { text, capped: e.capped, terms: e.terms.map((t) => ({ ...t, idf: idf(n, t.df) })) };
    });
    const cap = f.capability?.toLowerCase();
    const bit = f.transport !== undefined ? TRANSPORT_BIT[f.transport] : undefined;
    const r = topK(this.source(version), {
      words, mask: parsed.mask, scope, k: Math.max(1, k), countBudget: this.candidateCap,
      ...(f.verifiedOnly === true || bit !== undefined ? { rowFilter: (agent: number, bits: number) => (f.verifiedOnly !== true || agent < ID_BAND) && (bit === undefined || (bits & bit) !== 0) } : {}),
      ...(cap !== undefined || (f.transport !== undefined && bit === undefined)
        ? { termsFilter: (t: string) => (cap === undefined || listsValue(t, 'c', cap)) && (f.transport === undefined || bit !== undefined || listsValue(t, 'x', f.transport)) }
        : {}),
    });
    this.lastWork = { rows: r.rowsRead, terms: r.termsRead };
    return this.remember(key, { version, ids: r.ids, matched: r.matched, exact: r.exact, capped, partial: r.partial });
  }

  private remember(key: string, r: Ranked): Ranked {
    this.pages.set(key, r);
    return r;
  }

  /** The terms `text` stands for: the most frequent MAX_EXPANSIONS of the vocabulary's terms it is a prefix of. */
  private expand(text: string, version: number): { terms: Array<{ term: string; df: number }>; capped: boolean } {
    const hit = this.expansions.get(text);
    if (hit !== undefined && hit.version === version) return hit;
    const all = this.stmt('SELECT term, df FROM vocab WHERE term >= ? AND term < ? AND df > 0 LIMIT ?').all(text, `${text}\uffff`, MAX_VOCAB_SCAN) as Array<{ term: string; df: number }>;
    all.sort((a, b) => b.df - a.df || (a.term < b.term ? -1 : 1));
    const out = { version, terms: all.slice(0, MAX_EXPANSIONS), capped: all.length > MAX_EXPANSIONS };
    this.expansions.set(text, out);
    return out;
  }

  private source(version: number): ListSource {
    if (this.agentTermsVersion !== version || Number.isNaN(version)) { this.agentTerms.clear(); this.agentTermsVersion = version; }
    const first = this.stmt('SELECT agent, nw, bits FROM postings WHERE scope = ? AND term = ? ORDER BY nw, agent LIMIT ?');
    const after = this.stmt('SELECT agent, nw, bits FROM postings WHERE scope = ? AND term = ? AND (nw, agent) > (?, ?) ORDER BY nw, agent LIMIT ?');
    const terms = this.stmt('SELECT data FROM agent_terms WHERE id = ?');
    return {
      read: (scope, term, at, n): PostingRow[] => {
        const rows = (at === undefined ? first.all(scope, term, n) : after.all(scope, term, -at.w, at.agent, n)) as Array<{ agent: number; nw: number; bits: number }>;
        return rows.map((r) => ({ agent: r.agent, w: -r.nw, bits: r.bits }));
      },
      terms: (agent) => {
        let t = this.agentTerms.get(agent);
        if (t === undefined) {
          const row = terms.get(agent) as { data: string } | undefined;
          if (row === undefined) return undefined;
          t = row.data;
          this.agentTerms.set(agent, t);
        }
        return t;
      },
    };
  }

  /** The rows of `ids`, in that order. */
  private rowsOf(ids: number[]): StoredAgent[] {
    if (ids.length === 0) return [];
    const byId = new Map<number, StoredAgent>();
    for (const r of this.stmt(`SELECT a.id, ${COLS} FROM agents a WHERE a.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as unknown as Array<Row & { id: number }>) byId.set(r.id, fromRow(r));
    return ids.map((id) => byId.get(id)).filter((a): a is StoredAgent => a !== undefined);
  }

  problems(limit = 1000): StoredProblem[] {
    return this.stmt('SELECT zone, code, message, at FROM problems ORDER BY zone, rowid LIMIT ?').all(limit) as unknown as StoredProblem[];
  }

  /** Agents, zones and problems held (the agents' count cached as count() is). */
  stats(): { agents: number; zones: number; problems: number } {
    const n = (sql: string): number => (this.stmt(sql).get() as { n: number }).n;
    return { agents: this.count({}), zones: n('SELECT count(*) AS n FROM zones'), problems: n('SELECT count(*) AS n FROM problems') };
  }
}

function filterSql(f: StoreFilters): { where: string[]; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  if (f.org !== undefined) { where.push('a.org = ?'); params.push(f.org.toLowerCase().replace(/\.$/, '')); }
  if (f.capability !== undefined) { where.push('a.id IN (SELECT agent FROM agent_caps WHERE cap = ?)'); params.push(f.capability.toLowerCase()); }
  if (f.transport !== undefined) { where.push('a.id IN (SELECT agent FROM agent_transports WHERE transport = ?)'); params.push(f.transport); }
  if (f.verifiedOnly === true) where.push('a.vrank = 2');
  return { where, params };
}

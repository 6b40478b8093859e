// The search index's write side: impact-ordered postings. For each (term, agent) one row holding
// the agent's precomputed weight for that term (terms.ts), keyed so that one term's agents read
// in weight order, best first: `(scope, term, -weight, agent)`, once for the whole directory
// (scope 0) and once within the agent's organisation (its scope), so a search filtered to one
// organisation reads that organisation's lists only. Beside them the vocabulary (each term's
// document frequency, for the query's IDF and its prefix expansion) and each agent's own terms
// (`agent_terms`: what a search checks a candidate against, and what a rewrite or a removal
// deletes). Maintained per agent, in the writer's transaction: a write touches its own rows only,
// and an agent whose text did not change touches none.

import type { StatementSync } from 'node:sqlite';
import { agentTerms, type AgentText } from './terms.js';

/** The scope of the lists over every organisation. */
export const SCOPE_ALL = 0;

export const POSTINGS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS orgs (id INTEGER PRIMARY KEY, org TEXT NOT NULL UNIQUE);
  CREATE TABLE IF NOT EXISTS postings (scope INTEGER NOT NULL, term TEXT NOT NULL, nw REAL NOT NULL, agent INTEGER NOT NULL, bits INTEGER NOT NULL,
    PRIMARY KEY (scope, term, nw, agent)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS vocab (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS agent_terms (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
`;

/** A posting's bits past the fields' (terms.ts FIELD_BIT, below 64): its agent's transports, so the filter needs no other read. */
export const TRANSPORT_BIT: Record<string, number> = { sse: 64, 'streamable-http': 128 };
const OTHER_TRANSPORT = 256;

export function transportBits(transports: readonly string[]): number {
  let b = 0;
  for (const t of transports) b |= TRANSPORT_BIT[t] ?? OTHER_TRANSPORT;
  return b;
}

/** One agent's own terms, as `agent_terms` holds them (JSON). */
export interface AgentTermsRow {
  /** Organisation id (orgs). */
  o: number;
  /** Capabilities, lower case. */
  c: string[];
  /** Transports. */
  x: string[];
  /** [term, weight, field bits]. */
  t: Array<[string, number, number]>;
}

/** What the index needs of an agent. */
export interface IndexedAgent extends AgentText {
  transports: readonly string[];
}

export function agentTermsRow(a: IndexedAgent, orgId: number): AgentTermsRow {
  const t: AgentTermsRow['t'] = [];
  for (const [term, v] of agentTerms(a)) t.push([term, v.w, v.mask]);
  return { o: orgId, c: a.capabilities.map((c) => c.toLowerCase()), x: [...a.transports], t };
}

/**
 * Each of the agent's terms beginning with `prefix`, read from its `agent_terms` JSON text as it
 * is (no parse: a search checks hundreds of candidates; terms are letters, digits and spaces,
 * which JSON writes unescaped).
 */
export function eachTermWithPrefix(data: string, prefix: string, fn: (term: string, w: number, mask: number) => void): void {
  const needle = `["${prefix}`;
  let i = data.indexOf(needle, data.indexOf('"t":['));
  while (i >= 0) {
    const endQ = data.indexOf('"', i + 2);
    const comma = data.indexOf(',', endQ + 2);
    const close = data.indexOf(']', comma);
    fn(data.slice(i + 2, endQ), Number(data.slice(endQ + 2, comma)), Number(data.slice(comma + 1, close)));
    i = data.indexOf(needle, close);
  }
}

/** Whether the agent's `agent_terms` text lists `value` (a JSON string) in its array `key` (`c` capabilities, `x` transports). */
export function listsValue(data: string, key: 'c' | 'x', value: string): boolean {
  const start = data.indexOf(`"${key}":[`);
  if (start < 0) return false;
  const end = data.indexOf(']', start);
  const at = data.indexOf(JSON.stringify(value), start);
  return at >= 0 && at < end;
}

export class PostingsWriter {
  private readonly orgIds = new Map<string, number>();

  constructor(private readonly stmt: (sql: string) => StatementSync) {}

  /** The organisation's scope id, made on first use. */
  orgId(org: string): number {
    let id = this.orgIds.get(org);
    if (id !== undefined) return id;
    this.stmt('INSERT OR IGNORE INTO orgs (org) VALUES (?)').run(org);
    id = (this.stmt('SELECT id FROM orgs WHERE org = ?').get(org) as { id: number }).id;
    this.orgIds.set(org, id);
    return id;
  }

  /** Index agent `id` (new, or rewritten: only the rows that differ are touched). */
  put(id: number, a: IndexedAgent): void {
    const next = agentTermsRow(a, this.orgId(a.org));
    const data = JSON.stringify(next);
    const oldData = (this.stmt('SELECT data FROM agent_terms WHERE id = ?').get(id) as { data: string } | undefined)?.data;
    if (oldData === data) return;
    const old = oldData === undefined ? undefined : (JSON.parse(oldData) as AgentTermsRow);
    const bits = transportBits(next.x);
    // Same organisation and transports: keep the postings that did not change. Else all go.
    const keep = new Map<string, number>();
    if (old !== undefined && old.o === next.o && transportBits(old.x) === bits) for (const [term, w, mask] of old.t) keep.set(`${term}\0${w}\0${mask}`, 1);
    const nextKeys = new Set(next.t.map(([term, w, mask]) => `${term}\0${w}\0${mask}`));
    if (old !== undefined) {
      const oldTerms = new Set(old.t.map(([term]) => term));
      const newTerms = new Set(next.t.map(([term]) => term));
      for (const [term, w, mask] of old.t) {
        if (keep.has(`${term}\0${w}\0${mask}`) && nextKeys.has(`${term}\0${w}\0${mask}`)) continue;
        this.delPosting(old.o, term, w, id, !newTerms.has(term));
      }
      for (const [term, w, mask] of next.t) {
        if (keep.has(`${term}\0${w}\0${mask}`) && nextKeys.has(`${term}\0${w}\0${mask}`)) continue;
        this.addPosting(next.o, term, w, id, mask | bits, !oldTerms.has(term));
      }
      this.stmt('UPDATE agent_terms SET data = ? WHERE id = ?').run(data, id);
      return;
    }
    for (const [term, w, mask] of next.t) this.addPosting(next.o, term, w, id, mask | bits, true);
    this.stmt('INSERT INTO agent_terms (id, data) VALUES (?, ?)').run(id, data);
  }

  /** Remove agent `id` from the index. */
  drop(id: number): void {
    const oldData = (this.stmt('SELECT data FROM agent_terms WHERE id = ?').get(id) as { data: string } | undefined)?.data;
    if (oldData === undefined) return;
    const old = JSON.parse(oldData) as AgentTermsRow;
    for (const [term, w] of old.t) this.delPosting(old.o, term, w, id, true);
    this.stmt('DELETE FROM agent_terms WHERE id = ?').run(id);
  }

  private addPosting(scope: number, term: string, w: number, agent: number, bits: number, counts: boolean): void {
    const ins = this.stmt('INSERT OR REPLACE INTO postings (scope, term, nw, agent, bits) VALUES (?, ?, ?, ?, ?)');
    ins.run(SCOPE_ALL, term, -w, agent, bits);
    ins.run(scope, term, -w, agent, bits);
    if (counts) this.stmt('INSERT INTO vocab (term, df) VALUES (?, 1) ON CONFLICT (term) DO UPDATE SET df = df + 1').run(term);
  }

  private delPosting(scope: number, term: string, w: number, agent: number, counts: boolean): void {
    const del = this.stmt('DELETE FROM postings WHERE scope = ? AND term = ? AND nw = ? AND agent = ?');
    del.run(SCOPE_ALL, term, -w, agent);
    del.run(scope, term, -w, agent);
    if (counts) this.stmt('UPDATE vocab SET df = df - 1 WHERE term = ?').run(term);
  }
}

/**
 * Build the whole index from scratch for every agent `rows` yields (a file from before the
 * impact index, or a rebuild): rows are written to a plain staging table, then copied into the
 * postings in key order (one sort, sequential B-tree appends: minutes at a million agents, where
 * inserting each agent's rows in place would take far longer). In the caller's transaction.
 */
export function bulkIndex(exec: (sql: string) => void, stmt: (sql: string) => StatementSync, writer: PostingsWriter,
  rows: Iterable<{ id: number; agent: IndexedAgent }>): number {
  exec('DELETE FROM postings; DELETE FROM vocab; DELETE FROM agent_terms;');
  exec('CREATE TEMP TABLE postings_load (scope INTEGER, term TEXT, nw REAL, agent INTEGER, bits INTEGER)');
  const load = stmt('INSERT INTO postings_load VALUES (?, ?, ?, ?, ?)');
  const fwd = stmt('INSERT INTO agent_terms (id, data) VALUES (?, ?)');
  let n = 0;
  for (const { id, agent } of rows) {
    const row = agentTermsRow(agent, writer.orgId(agent.org));
    const bits = transportBits(row.x);
    for (const [term, w, mask] of row.t) {
      load.run(SCOPE_ALL, term, -w, id, mask | bits);
      load.run(row.o, term, -w, id, mask | bits);
    }
    fwd.run(id, JSON.stringify(row));
    n++;
  }
  exec(`INSERT INTO postings SELECT scope, term, nw, agent, bits FROM postings_load ORDER BY scope, term, nw, agent;
    INSERT INTO vocab SELECT term, count(*) FROM postings WHERE scope = ${SCOPE_ALL} GROUP BY term;
    DROP TABLE temp.postings_load;`);
  return n;
}

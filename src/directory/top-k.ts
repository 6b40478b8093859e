// The best k agents for a query of words, all required, from impact-ordered lists (postings.ts):
// Fagin's threshold algorithm. Each word is the merge of its terms' lists (a prefix expands to
// several terms), read best first; each agent met for the first time is checked against every
// word (its own terms, one row) and the filters, and scored: the sum over words of the word's best
// term (IDF x stored weight). The reading stops as soon as the k-th best score found is at least
// what an agent not yet met could still reach (the sum of the words' next weights), or as soon
// as one word's lists end (every agent holding all the words was then met). So the cost is
// bounded by how deep the lists must be read for k results, not by how many agents match.
//
// The count of all matches is exact when the lists were read to an end; otherwise the reading
// goes on, within a budget, along the shortest word's lists to finish it, and past the budget
// it is what was found: a lower bound, said as such.

import { eachTermWithPrefix } from './postings.js';

/** One row of a term's list. */
export interface PostingRow {
  agent: number;
  /** The stored weight (positive). */
  w: number;
  bits: number;
}

/** Where the lists and the agents' own terms are read from. */
export interface ListSource {
  /** Up to `n` rows of the list of `term` in `scope`, after (`w`, `agent`) in list order (best first, then agent id). */
  read(scope: number, term: string, after: { w: number; agent: number } | undefined, n: number): PostingRow[];
  /** The agent's own terms, its `agent_terms` JSON text (undefined: gone since the list was read). */
  terms(agent: number): string | undefined;
}

/** A query word and the terms it stands for (its prefix expansion). */
export interface QueryWord {
  /** The word's term: a token matched as a prefix of tokens, or a compound (leading space) of compounds. */
  text: string;
  terms: Array<{ term: string; idf: number; df: number }>;
  /** Whether more terms have the prefix than were taken (the rarest left out). */
  capped: boolean;
}

export interface TopKQuery {
  words: QueryWord[];
  /** Field bits a posting must have (terms.ts). */
  mask: number;
  scope: number;
  /** How many best to return. */
  k: number;
  /** A test on a posting row alone (verification band, transport bits); false rejects the agent. */
  rowFilter?: (agent: number, bits: number) => boolean;
  /** A test on the agent's own terms, its JSON text (capability). */
  termsFilter?: (data: string) => boolean;
  /** Work allowed to finish the count once the k best are known: a list row costs 1, an agent's terms TERMS_COST. */
  countBudget: number;
  /**
   * Agents' terms a ranking may read (RANK_BUDGET by default). Words whose best weights no match
   * reaches (correlated lists: `genome` weighs most in tool names, and no agent with a tool
   * `genome` has the capability `medical`) can keep the threshold above every match until a
   * whole list is read; past this budget the ranking is the best of the agents read (`partial`).
   */
  rankBudget?: number;
}

/** Agents' terms a ranking reads before it settles for the best of what it read: a few milliseconds. */
export const RANK_BUDGET = 200;
/** Past the budget, rankings are of this many (or a multiple), so the pages of one are alike whichever reader computes them. */
export const PARTIAL_BLOCK = 20;

export interface TopKResult {
  /** Best first: by score, then id (verification band, then age). */
  ids: number[];
  scores: number[];
  /** Matches found; all of them when `exact`. */
  matched: number;
  exact: boolean;
  /** True: the ranking is the best of the agents read within rankBudget, not provably the best of all. */
  partial: boolean;
  /** List rows and agents' terms read (the work done). */
  rowsRead: number;
  termsRead: number;
}

/** An agent's terms cost about ten list rows to read and check. */
const TERMS_COST = 10;

class TermCursor {
  private buf: PostingRow[] = [];
  private pos = 0;
  private done = false;
  private batch = 8;
  private last: { w: number; agent: number } | undefined;

  constructor(private readonly src: ListSource, private readonly scope: number, readonly term: string, readonly idf: number, private readonly onRead: (n: number) => void) {}

  head(): PostingRow | undefined {
    if (this.pos < this.buf.length) return this.buf[this.pos];
    if (this.done) return undefined;
    this.buf = this.src.read(this.scope, this.term, this.last, this.batch);
    this.onRead(this.buf.length);
    this.pos = 0;
    if (this.buf.length < this.batch) this.done = true;
    this.batch = Math.min(this.batch * 2, 128);
    const end = this.buf[this.buf.length - 1];
    if (end !== undefined) this.last = { w: end.w, agent: end.agent };
    return this.buf[0];
  }

  skip(): void {
    this.pos++;
  }
}

/** One word's terms' lists merged: best value (IDF x weight) first, ties by agent id. */
class WordStream {
  readonly cursors: TermCursor[];
  rows = 0;

  constructor(src: ListSource, scope: number, readonly word: QueryWord, private readonly mask: number, onRead: (n: number) => void) {
    this.cursors = word.terms.map((t) => new TermCursor(src, scope, t.term, t.idf, onRead));
  }

  private best(): { c: TermCursor; row: PostingRow; value: number } | undefined {
    let out: { c: TermCursor; row: PostingRow; value: number } | undefined;
    for (const c of this.cursors) {
      let row = c.head();
      // Rows of other fields than asked are not matches of this word.
      while (row !== undefined && (row.bits & this.mask) === 0) { c.skip(); row = c.head(); }
      if (row === undefined) continue;
      const value = c.idf * row.w;
      if (out === undefined || value > out.value || (value === out.value && row.agent < out.row.agent)) out = { c, row, value };
    }
    return out;
  }

  /** The most an agent not yet read from this word could get from it; -Infinity when its lists ended. */
  bound(): number {
    return this.best()?.value ?? -Infinity;
  }

  /** The next row and its value (IDF of its term x its weight). */
  next(): { row: PostingRow; value: number } | undefined {
    const b = this.best();
    if (b === undefined) return undefined;
    b.c.skip();
    this.rows++;
    return { row: b.row, value: b.value };
  }
}

/** The k best agents for the query (module comment). */
export function topK(src: ListSource, q: TopKQuery): TopKResult {
  let rowsRead = 0;
  let termsRead = 0;
  const onRead = (n: number): void => { rowsRead += n; };
  const streams = q.words.map((w) => new WordStream(src, q.scope, w, q.mask, onRead));
  // An agent whose word matched only through a term left out of a capped expansion: that term's IDF is unknown here, at most the rarest taken.
  const idfOf = streams.map((s) => new Map(s.word.terms.map((t) => [t.term, t.idf])));
  const fallbackIdf = streams.map((s) => (s.word.capped ? Math.max(0, ...s.word.terms.map((t) => t.idf)) : 0));
  const anyCapped = q.words.some((w) => w.capped);
  // How long each word's lists are (the whole directory's document frequencies: an estimate within an organisation).
  const size = q.words.map((w) => w.terms.reduce((n, t) => n + t.df, 0));
  const seen = new Set<number>();
  const best: Array<{ id: number; score: number }> = [];
  let matched = 0;
  const single = streams.length === 1 && q.termsFilter === undefined;

  const score = (agent: number, firstValue: number): number | undefined => {
    // One word, no filter on the agent's terms: the first row met is the agent's best of that word.
    if (single) return firstValue;
    const t = src.terms(agent);
    termsRead++;
    if (t === undefined) return undefined;
    if (q.termsFilter !== undefined && !q.termsFilter(t)) return undefined;
    let sum = 0;
    for (let j = 0; j < streams.length; j++) {
      let top = 0;
      eachTermWithPrefix(t, streams[j]!.word.text, (term, w, mask) => {
        if ((mask & q.mask) === 0) return;
        const v = (idfOf[j]!.get(term) ?? fallbackIdf[j]!) * w;
        if (v > top) top = v;
      });
      if (top === 0) return undefined;
      sum += top;
    }
    return sum;
  };
  // Kept: a whole block past k, so a ranking cut short by the budget is the same for every k of the block (the reading does not depend on k).
  const keep = Math.ceil(q.k / PARTIAL_BLOCK) * PARTIAL_BLOCK;
  const rankBudget = q.rankBudget ?? RANK_BUDGET;
  const offer = (id: number, s: number): void => {
    matched++;
    if (best.length === keep && !better(id, s, best[best.length - 1]!)) return;
    let i = best.length;
    while (i > 0 && better(id, s, best[i - 1]!)) i--;
    best.splice(i, 0, { id, score: s });
    if (best.length > keep) best.pop();
  };
  const take = (j: number, n: number): boolean => {
    const s = streams[j]!;
    for (let i = 0; i < n; i++) {
      const got = s.next();
      if (got === undefined) return false;
      const { row, value } = got;
      if (seen.has(row.agent)) continue;
      seen.add(row.agent);
      if (q.rowFilter !== undefined && !q.rowFilter(row.agent, row.bits)) continue;
      const v = score(row.agent, value);
      if (v !== undefined) offer(row.agent, v);
    }
    return true;
  };

  let exact = false;
  let partial = false;
  let step = 8;
  let shortest = 0;
  for (let i = 1; i < streams.length; i++) if (size[i]! < size[shortest]!) shortest = i;
  for (;;) {
    const bounds = streams.map((s) => s.bound());
    if (bounds.some((b) => b === -Infinity)) { exact = !anyCapped; break; }
    const threshold = bounds.reduce((a, b) => a + b, 0);
    if (best.length >= q.k && best[q.k - 1]!.score >= threshold) break;
    if (termsRead >= rankBudget) {
      // Settle for the best of what is read: the shortest word's list read on (each agent of it checked) until a block is full.
      partial = true;
      while (best.length < keep && termsRead < rankBudget * 20) {
        if (!take(shortest, 16)) { exact = !anyCapped; break; }
      }
      break;
    }
    // Read the words in proportion to how short their lists are: an agent of the shortest is the likeliest to hold the other words.
    let j = 0;
    for (let i = 1; i < streams.length; i++) if ((streams[i]!.rows + 1) * (size[i]! + 1) < (streams[j]!.rows + 1) * (size[j]! + 1)) j = i;
    take(j, step);
    step = Math.min(step * 2, 256);
  }
  if (!exact && !anyCapped && !partial) {
    // The count: finish the shortest word's lists within the budget.
    const j = shortest;
    const spent = (): number => rowsRead + TERMS_COST * termsRead;
    const limit = spent() + q.countBudget;
    while (spent() < limit) {
      if (!take(j, 64)) { exact = true; break; }
      if (streams[j]!.bound() === -Infinity) { exact = true; break; }
    }
  }
  const top = best.slice(0, partial ? keep : q.k);
  return { ids: top.map((b) => b.id), scores: top.map((b) => b.score), matched, exact, partial, rowsRead, termsRead };
}

function better(id: number, s: number, than: { id: number; score: number }): boolean {
  return s > than.score || (s === than.score && id < than.id);
}

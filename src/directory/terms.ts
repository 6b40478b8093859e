// The directory's words: how text becomes index terms (the same for an agent's fields at write
// time and for a user's query), and each agent's impact weights (a BM25F-style score per term,
// precomputed when the agent is written, so a search reads lists already in score order).
//
// A token is a run of letters and digits, lower case, accents removed (FTS5's unicode61 did the
// same). A word of the text with punctuation inside (`tool_kraq`, `cap-e`, `a17.acme.agents`) is
// also indexed as its token sequences (each suffix, up to MAX_COMPOUND tokens), each token after a
// space (` tool kraq`: the leading space keeps compounds apart from tokens, so a query word's
// prefix range of tokens never holds them): a query word with punctuation inside matches that
// sequence within one word of the text.

/** The fields, their bits (a posting's mask) and weights: a hit in the name outranks one in a schema. */
export const FIELDS = ['name', 'org', 'description', 'capabilities', 'tools', 'schemas'] as const;
export type Field = (typeof FIELDS)[number];
export const FIELD_BIT: Record<Field, number> = { name: 1, org: 2, description: 4, capabilities: 8, tools: 16, schemas: 32 };
export const ALL_FIELDS = 63;
export const FIELD_WEIGHT: Record<Field, number> = { name: 10, org: 2, description: 4, capabilities: 6, tools: 5, schemas: 1 };
/**
 * Fixed nominal field lengths (tokens) for the length normalisation: an average that moved with
 * every write would change every agent's stored weights; with fixed ones a write touches its own
 * postings only.
 */
const NOMINAL_LENGTH: Record<Field, number> = { name: 3, org: 2, description: 10, capabilities: 2, tools: 6, schemas: 16 };
const K1 = 1.2;
const B = 0.75;

/** Longest token sequence indexed as one compound term. */
export const MAX_COMPOUND = 6;
/** Most terms one agent is indexed by (its heaviest): a huge capability document cannot flood the index. */
export const MAX_TERMS_PER_AGENT = 1024;
/** Longest term kept (a longer token is cut there, alike at write and query time). */
export const MAX_TERM_CHARS = 64;

const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;

/** The tokens of one word or text: lower case, no accents. */
export function tokens(text: string): string[] {
  const out: string[] = [];
  for (const m of text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().matchAll(TOKEN)) out.push(m[0].slice(0, MAX_TERM_CHARS));
  return out;
}

/** The one term a query word stands for: its token, or its tokens as one compound. Undefined: no token. */
export function wordTerm(word: string): string | undefined {
  const t = tokens(word);
  if (t.length === 0) return undefined;
  return t.length === 1 ? t[0] : compound(t.slice(0, MAX_COMPOUND));
}

const compound = (t: readonly string[]): string => ` ${t.join(' ')}`.slice(0, MAX_TERM_CHARS * 2);

/** Every term of a text with how often: tokens, and each multi-token word's suffix sequences. */
function termsOf(text: string, into: Map<string, number>): number {
  let length = 0;
  for (const word of text.split(/\s+/)) {
    const t = tokens(word);
    length += t.length;
    for (const x of t) into.set(x, (into.get(x) ?? 0) + 1);
    if (t.length < 2) continue;
    for (let i = 0; i < t.length - 1 && i < 256; i++) {
      const c = compound(t.slice(i, i + MAX_COMPOUND));
      into.set(c, (into.get(c) ?? 0) + 1);
    }
  }
  return length;
}

/** One agent's term: its weight (before the query's IDF) and the fields it is in. */
export interface TermWeight {
  w: number;
  mask: number;
}

/** The agent's fields as text. */
export interface AgentText {
  name: string;
  org: string;
  description: string;
  capabilities: readonly string[];
  tools: ReadonlyArray<{ name: string; description?: string; schema?: string }>;
}

/**
 * Each term of the agent with its impact: the sum over fields of field weight x BM25's tf
 * saturation with length normalisation, rounded to 1/10000 (so equal texts tie exactly). At most
 * MAX_TERMS_PER_AGENT terms, the heaviest.
 */
export function agentTerms(a: AgentText): Map<string, TermWeight> {
  const text: Record<Field, string> = {
    name: a.name, org: a.org, description: a.description, capabilities: a.capabilities.join(' '),
    tools: a.tools.map((t) => `${t.name} ${t.description ?? ''}`).join(' '), schemas: a.tools.map((t) => t.schema ?? '').join(' '),
  };
  const out = new Map<string, TermWeight>();
  for (const f of FIELDS) {
    const tf = new Map<string, number>();
    const len = termsOf(text[f], tf);
    if (tf.size === 0) continue;
    const norm = 1 - B + (B * len) / NOMINAL_LENGTH[f];
    for (const [term, n] of tf) {
      const w = (FIELD_WEIGHT[f] * n * (K1 + 1)) / (n + K1 * norm);
      const cur = out.get(term);
      if (cur === undefined) out.set(term, { w, mask: FIELD_BIT[f] });
      else { cur.w += w; cur.mask |= FIELD_BIT[f]; }
    }
  }
  for (const v of out.values()) v.w = Math.round(v.w * 10_000) / 10_000;
  if (out.size <= MAX_TERMS_PER_AGENT) return out;
  return new Map([...out].sort((x, y) => y[1].w - x[1].w || (x[0] < y[0] ? -1 : 1)).slice(0, MAX_TERMS_PER_AGENT));
}

/** A term's inverse document frequency among `n` agents, `df` of which hold it (BM25's, never negative). */
export function idf(n: number, df: number): number {
  return Math.log(1 + (Math.max(n, df) - df + 0.5) / (df + 0.5));
}

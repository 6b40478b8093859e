// A user's search words as the directory's match expression, and that expression read back into
// the terms the index is searched by. The expression keeps FTS5's syntax (each word a quoted
// string matched as a prefix, all words required, `{columns} : (...)` for chosen fields), so it is
// one string to pass to reader threads and to key cursors and caches on; nothing in a word is
// syntax (no column filters, NEAR or operators smuggled in): each is quoted.

import { AopError } from '../base/errors.js';
import { ALL_FIELDS, FIELD_BIT, FIELD_WEIGHT, FIELDS, wordTerm, type Field } from './terms.js';

export class SearchQueryError extends AopError {
  declare readonly code: 'ERR_DIRECTORY_QUERY';
  constructor(message: string) {
    super('ERR_DIRECTORY_QUERY', message);
  }
}

/** The indexed fields, in order; search_fields map onto them. */
export const FTS_COLUMNS = FIELDS;

/** Weights per field (terms.ts): a hit in the name or a capability outranks one in an input schema. */
export const FTS_WEIGHTS = FIELDS.map((f) => FIELD_WEIGHT[f]);

const FIELD_COLUMNS: Record<string, readonly Field[]> = {
  name: ['name'], description: ['description'], tags: ['org'], capabilities: ['capabilities'], tools: ['tools', 'schemas'],
};

/** Most words a query may have (each is one more list to intersect). */
const MAX_WORDS = 16;

/** The match expression for `query` in `fields` (gateway names: name, description, tags, capabilities, tools). */
export function ftsMatch(query: string, fields: readonly string[]): string {
  const words = query.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (words.length === 0) throw new SearchQueryError(`the query ${JSON.stringify(query.slice(0, 80))} has no words (letters or digits)`);
  if (words.length > MAX_WORDS) throw new SearchQueryError(`the query has ${words.length} words; at most ${MAX_WORDS}`);
  const terms = words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(' AND ');
  const cols = [...new Set(fields.flatMap((f) => FIELD_COLUMNS[f] ?? []))];
  if (cols.length === 0 || cols.length === FTS_COLUMNS.length) return terms;
  return `{${cols.join(' ')}} : (${terms})`;
}

/** A match expression as the index reads it: each word's term (a token, or a compound), and the fields' bits. */
export interface ParsedMatch {
  words: string[];
  mask: number;
}

/** Read back an expression of ftsMatch's (or written the same way by hand). Throws SearchQueryError. */
export function parseMatch(match: string): ParsedMatch {
  let body = match.trim();
  let mask = ALL_FIELDS;
  const cols = /^\{([a-z ]+)\}\s*:\s*\((.*)\)$/s.exec(body);
  if (cols !== null) {
    mask = 0;
    for (const c of cols[1]!.trim().split(/\s+/)) {
      if (!(FIELDS as readonly string[]).includes(c)) throw new SearchQueryError(`the match expression names no field ${JSON.stringify(c)}`);
      mask |= FIELD_BIT[c as Field];
    }
    body = cols[2]!.trim();
  }
  const words: string[] = [];
  const re = /"((?:[^"]|"")*)"\*?\s*(?:AND\s+|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < body.length && (m = re.exec(body)) !== null) {
    const term = wordTerm(m[1]!.replace(/""/g, '"'));
    if (term !== undefined && !words.includes(term)) words.push(term);
  }
  if (re.lastIndex !== body.length && body.length > 0) throw new SearchQueryError(`the match expression ${JSON.stringify(match.slice(0, 80))} is not quoted words joined by AND`);
  if (words.length === 0) throw new SearchQueryError(`the query ${JSON.stringify(match.slice(0, 80))} has no words (letters or digits)`);
  if (words.length > MAX_WORDS) throw new SearchQueryError(`the query has ${words.length} words; at most ${MAX_WORDS}`);
  return { words, mask };
}

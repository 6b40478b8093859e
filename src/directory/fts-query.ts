// A user's search words as an FTS5 MATCH expression: each word a quoted string (so nothing in it
// is FTS5 syntax: no column filters, NEAR or operators smuggled in), matched as a prefix, all
// words required; restricted to the chosen columns.

import { AopError } from '../base/errors.js';

export class SearchQueryError extends AopError {
  declare readonly code: 'ERR_DIRECTORY_QUERY';
  constructor(message: string) {
    super('ERR_DIRECTORY_QUERY', message);
  }
}

/** The FTS5 columns, in table order; search_fields map onto them. */
export const FTS_COLUMNS = ['name', 'org', 'description', 'capabilities', 'tools', 'schemas'] as const;

/** bm25 weights per column: a hit in the name or a capability outranks one in an input schema. */
export const FTS_WEIGHTS = [10, 2, 4, 6, 5, 1] as const;

const FIELD_COLUMNS: Record<string, readonly (typeof FTS_COLUMNS)[number][]> = {
  name: ['name'], description: ['description'], tags: ['org'], capabilities: ['capabilities'], tools: ['tools', 'schemas'],
};

/** Most words a query may have (each is one more term to intersect). */
const MAX_WORDS = 16;

/** The MATCH expression for `query` in `fields` (gateway names: name, description, tags, capabilities, tools). */
export function ftsMatch(query: string, fields: readonly string[]): string {
  const words = query.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (words.length === 0) throw new SearchQueryError(`the query ${JSON.stringify(query.slice(0, 80))} has no words (letters or digits)`);
  if (words.length > MAX_WORDS) throw new SearchQueryError(`the query has ${words.length} words; at most ${MAX_WORDS}`);
  const terms = words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(' AND ');
  const cols = [...new Set(fields.flatMap((f) => FIELD_COLUMNS[f] ?? []))];
  if (cols.length === 0 || cols.length === FTS_COLUMNS.length) return terms;
  return `{${cols.join(' ')}} : (${terms})`;
}

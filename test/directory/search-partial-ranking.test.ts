// Correlated lists: the best weights of one word belong to agents that lack the other, so the
// threshold stays above every match until a whole list is read. Past its budget the ranking is
// the best of what was read, said as partial, every agent in it a real match, and the same for
// every page size of one block (so pages of it agree whichever reader computes them).

import t from 'tap';
import { PARTIAL_BLOCK, topK, type ListSource, type PostingRow } from '../../src/directory/top-k.js';

// 2,000 agents. Word `x`: agents 0..999 weigh 9 (none of them has `y`), 1000..1999 weigh 1.
// Word `y`: agents 1000..1999, weights falling with the id.
const lists = new Map<string, PostingRow[]>([
  ['x', [...Array.from({ length: 1000 }, (_, i) => ({ agent: i, w: 9, bits: 63 })), ...Array.from({ length: 1000 }, (_, i) => ({ agent: 1000 + i, w: 1, bits: 63 }))]],
  ['y', Array.from({ length: 1000 }, (_, i) => ({ agent: 1000 + i, w: 5 - i / 1000, bits: 63 }))],
]);
const termsOf = (a: number): string => JSON.stringify({ o: 1, c: [], x: [], t: [['x', a < 1000 ? 9 : 1, 4], ...(a >= 1000 ? [['y', 5 - (a - 1000) / 1000, 4]] : [])] });
let termsRead = 0;
const src: ListSource = {
  read: (_scope, term, after, n) => {
    const l = lists.get(term) ?? [];
    const from = after === undefined ? 0 : l.findIndex((r) => r.w < after.w || (r.w === after.w && r.agent > after.agent));
    return from < 0 ? [] : l.slice(from, from + n);
  },
  terms: (a) => { termsRead++; return termsOf(a); },
};
const words = [
  { text: 'x', terms: [{ term: 'x', idf: 1, df: 2000 }], capped: false },
  { text: 'y', terms: [{ term: 'y', idf: 1, df: 1000 }], capped: false },
];

t.test('past the budget: partial, real matches, alike for every k of a block', async (t) => {
  const full = topK(src, { words, mask: 63, scope: 0, k: 10, countBudget: 0, rankBudget: 1_000_000 });
  t.notOk(full.partial, 'with budget enough: exact');
  t.same(full.ids, Array.from({ length: 10 }, (_, i) => 1000 + i), 'the best y, each with x at 1');
  termsRead = 0;
  const a = topK(src, { words, mask: 63, scope: 0, k: 3, countBudget: 0, rankBudget: 20 });
  t.ok(a.partial, 'a small budget: partial');
  t.ok(a.ids.every((id) => id >= 1000), 'every agent ranked holds both words');
  t.ok(termsRead < 2000, `and it did not read every agent (${termsRead})`);
  const b = topK(src, { words, mask: 63, scope: 0, k: 11, countBudget: 0, rankBudget: 20 });
  t.same(b.ids.slice(0, 3), a.ids.slice(0, 3), 'the first page of 3 and of 11 agree');
  t.equal(a.ids.length, PARTIAL_BLOCK, 'a whole block is ranked, for the next pages');
  t.notOk(a.exact, 'the count is not exact');
});

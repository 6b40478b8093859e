// The threshold algorithm against brute force: 3,000 agents of random words in 30 organisations,
// 300 random queries (one to three words, prefixes among them, with and without each filter and
// field restriction): every page's scores are exactly the best scores computed by scoring every
// agent, the matches found are all matches when the count is said exact (and never more), and
// the order is score, then id.

import t from 'tap';
import { DirectoryStore, type DirectoryRecord } from '../../src/directory/index.js';
import { agentTerms, idf, wordTerm } from '../../src/directory/terms.js';
import { parseMatch, ftsMatch } from '../../src/directory/fts-query.js';

let seed = 42;
const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
const VOCAB = ['alpha', 'alps', 'altitude', 'beta', 'bet', 'betting', 'gamma', 'delta', 'deltoid', 'echo', 'eco', 'ecology', 'fox', 'foxtrot', 'golf', 'gold', 'golden', 'hotel', 'hot', 'india'];
const pick = (n: number): string[] => Array.from({ length: n }, () => VOCAB[rnd(VOCAB.length)]!);
const CAPS = ['translation', 'review', 'coding', 'legal'];

t.test('top-k equals brute force', async (t) => {
  const store = DirectoryStore.open(':memory:', { candidateCap: 50 });
  t.teardown(() => store.close());
  const recs: DirectoryRecord[] = [];
  for (let i = 0; i < 3000; i++) {
    const org = `o${i % 30}.test`;
    const name = `${pick(1)[0]}-${i}.${org}`;
    recs.push({
      name, org, description: pick(1 + rnd(8)).join(' '), capabilities: [CAPS[rnd(4)]!, CAPS[rnd(4)]!].filter((c, k, a) => a.indexOf(c) === k),
      tools: [{ name: `${pick(1)[0]}_${pick(1)[0]}`, description: pick(rnd(4)).join(' ') }], transports: [rnd(3) === 0 ? 'sse' : 'streamable-http'], endpoints: [], card: {},
      dnssec: rnd(3) === 0 ? 'secure' : 'insecure', capCheck: 'absent', source: { zone: org }, confirmedAt: 0,
    });
  }
  store.transaction(() => store.upsert(recs, 1));
  // The brute force: every agent scored from its terms, with the IDFs of the vocabulary.
  const terms = recs.map((r) => agentTerms(r));
  const df = new Map<string, number>();
  for (const m of terms) for (const term of m.keys()) df.set(term, (df.get(term) ?? 0) + 1);
  let checked = 0;
  let lowerBounds = 0;
  for (let q = 0; q < 300; q++) {
    const words = Array.from({ length: 1 + rnd(3) }, () => { const w = VOCAB[rnd(VOCAB.length)]!; return rnd(3) === 0 ? w.slice(0, 2 + rnd(2)) : w; });
    const fields = rnd(4) === 0 ? ['description'] : rnd(4) === 0 ? ['name', 'tools'] : ['name', 'description', 'tags', 'capabilities', 'tools'];
    const f = { ...(rnd(4) === 0 ? { org: `o${rnd(30)}.test` } : {}), ...(rnd(4) === 0 ? { capability: CAPS[rnd(4)]! } : {}), ...(rnd(5) === 0 ? { transport: 'sse' } : {}), ...(rnd(5) === 0 ? { verifiedOnly: true } : {}) };
    const match = ftsMatch(words.join(' '), fields);
    const { mask } = parseMatch(match);
    const ws = [...new Set(words.map((w) => wordTerm(w)!))];
    const expected: Array<{ name: string; score: number }> = [];
    recs.forEach((r, i) => {
      if (f.org !== undefined && r.org !== f.org) return;
      if (f.capability !== undefined && !r.capabilities.includes(f.capability)) return;
      if (f.transport !== undefined && !r.transports.includes(f.transport)) return;
      if (f.verifiedOnly === true && r.dnssec !== 'secure') return;
      let sum = 0;
      for (const w of ws) {
        let top = 0;
        for (const [term, v] of terms[i]!) if ((v.mask & mask) !== 0 && term.startsWith(w)) top = Math.max(top, idf(3000, df.get(term)!) * v.w);
        if (top === 0) return;
        sum += top;
      }
      expected.push({ name: r.name, score: sum });
    });
    expected.sort((a, b) => b.score - a.score);
    const page = store.reader.searchPage(match, f, 0, 10);
    const got = page.rows.map((a) => a.name);
    const want = expected.slice(0, 10).map((e) => e.score);
    const gotScores = got.map((n) => expected.find((e) => e.name === n)?.score ?? NaN);
    // Same scores in the same order (agents of equal score may differ between the two: ties go by id).
    if (gotScores.length !== want.length || gotScores.some((s, k) => Math.abs(s - want[k]!) > 1e-9)) {
      t.fail(`query ${match} ${JSON.stringify(f)}: scores ${JSON.stringify(gotScores)}, brute force ${JSON.stringify(want)}`);
      continue;
    }
    if (page.atLeast === true) { lowerBounds++; if (page.total > expected.length) t.fail(`query ${match}: at least ${page.total}, but ${expected.length} match`); }
    else if (page.total !== expected.length) t.fail(`query ${match} ${JSON.stringify(f)}: total ${page.total}, brute force ${expected.length}`);
    checked++;
  }
  t.equal(checked, 300, 'every query ranked as brute force ranks it');
  t.ok(lowerBounds > 0 && lowerBounds < 300, `some totals past the budget (${lowerBounds}), said as lower bounds, the others exact`);
});

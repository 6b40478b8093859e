// docs/errors.md cannot go stale: every ERR_ code in src/ has one row there, and every code it names exists in src/.

import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = path.join(root, 'src');
const docFile = path.join(root, 'docs', 'errors.md');

// A match ending in `_` is a family written as a prefix (`ERR_RDATA_*`, `ERR_DECODE_*`), not a code.
const CODE = /\bERR_[A-Z0-9_]+/g;

function codesIn(text: string): string[] {
  return [...text.matchAll(CODE)].map((m) => m[0]).filter((c) => !c.endsWith('_'));
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

// Code -> the src files using it (string literals, type unions, object keys and comments alike).
const srcCodes = new Map<string, Set<string>>();
const srcText: string[] = [];
for (const file of tsFiles(src)) {
  const text = readFileSync(file, 'utf8');
  srcText.push(text);
  for (const c of codesIn(text)) {
    let files = srcCodes.get(c);
    if (!files) srcCodes.set(c, (files = new Set()));
    files.add(path.relative(root, file));
  }
}

const doc = readFileSync(docFile, 'utf8');

// Table rows keyed by a code in their first cell: `| \`ERR_X\` | ...`.
const rows = new Map<string, string[][]>();
for (const line of doc.split('\n')) {
  const m = /^\|\s*`(ERR_[A-Z0-9_]+)`\s*\|(.*)\|\s*$/.exec(line);
  if (!m) continue;
  const cells = m[2]!.split(/(?<!\\)\|/).map((c) => c.trim());
  const list = rows.get(m[1]!) ?? [];
  list.push(cells);
  rows.set(m[1]!, list);
}

t.test('src uses error codes (the scan works)', async (t) => {
  t.ok(srcCodes.size >= 50, `found ${srcCodes.size} codes in src/`);
  t.ok(srcCodes.has('ERR_ZONE_INVALID') && srcCodes.has('ERR_TRANSPORT_TIMEOUT'), 'known codes are found');
  t.notOk(srcCodes.has('ERR_RDATA_'), 'prefixes such as ERR_RDATA_* are not taken for codes');
});

t.test('every code in src/ has exactly one row in docs/errors.md', async (t) => {
  const missing = [...srcCodes].filter(([c]) => !rows.has(c)).map(([c, files]) => `${c} (${[...files].join(', ')})`);
  t.same(missing, [], 'codes used in src/ but without a row in docs/errors.md');
  const repeated = [...rows].filter(([, r]) => r.length > 1).map(([c, r]) => `${c} (${r.length} rows)`);
  t.same(repeated, [], 'codes with more than one row');
});

t.test('every code docs/errors.md names exists in src/', async (t) => {
  const stale = [...new Set(codesIn(doc))].filter((c) => !srcCodes.has(c));
  t.same(stale, [], 'codes in docs/errors.md that no file in src/ uses');
});

t.test('every row is filled in and names a class declared in src/', async (t) => {
  const declared = new Set(srcText.flatMap((text) => [...text.matchAll(/\b(?:class|interface)\s+([A-Z][A-Za-z0-9]*)/g)].map((m) => m[1]!)));
  const problems: string[] = [];
  for (const [code, list] of rows) {
    for (const cells of list) {
      // code | class | when | example message | what to do: four cells after the code.
      if (cells.length !== 4 || cells.some((c) => c.length === 0)) {
        problems.push(`${code}: expected 4 non-empty cells after the code, got [${cells.join(' | ')}]`);
        continue;
      }
      const classes = [...cells[0]!.matchAll(/`([A-Z][A-Za-z0-9]*)`/g)].map((m) => m[1]!);
      if (classes.length === 0) problems.push(`${code}: no class named in "${cells[0]}"`);
      for (const c of classes) if (!declared.has(c)) problems.push(`${code}: class ${c} is not declared in src/`);
    }
  }
  t.same(problems, [], 'rows of docs/errors.md');
});

// Every complete zone example of the docs (a ```zone block with an SOA) is a zone aop accepts
// without a fault or a warning, as `aop zone check` would report them on a file holding it
// (an $INCLUDE gets a file of hosts beside it). Fragments (a record or two) are left out.

import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAgentZone } from '../../src/agent/index.js';
import { loadZoneFile } from '../../src/zone/load.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function zoneBlocks(file: string): Array<{ line: number; text: string }> {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  const out: Array<{ line: number; text: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```zone') continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    out.push({ line: start, text: body.join('\n') + '\n' });
  }
  return out;
}

const docs = ['README.md', 'zones/README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const complete = docs.flatMap((file) => zoneBlocks(file).filter((b) => /\bIN\s+SOA\b/.test(b.text)).map((b) => ({ file, ...b })));

t.test('the docs have complete zone examples', async (t) => {
  t.ok(complete.some((b) => b.file === 'docs/zones.md'), 'docs/zones.md has one');
});

for (const b of complete) {
  t.test(`${b.file}:${b.line}`, async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-doc-zone-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const origin = /^\$ORIGIN\s+(\S+)/m.exec(b.text)?.[1];
    if (!origin) throw new Error(`${b.file}:${b.line}: a complete zone example names its $ORIGIN`);
    const file = path.join(dir, `${origin.replace(/\.$/, '')}.zone`);
    writeFileSync(file, b.text);
    for (const m of b.text.matchAll(/^\$INCLUDE\s+(\S+)/gm)) {
      mkdirSync(path.dirname(path.join(dir, m[1]!)), { recursive: true });
      writeFileSync(path.join(dir, m[1]!), 'host1 IN A 127.0.0.1\n');
    }
    const zone = loadZoneFile(file, { origin });
    t.same(checkAgentZone(zone).map((f) => `${f.severity}: ${f.message}`), [], 'no agent fault or warning');
  });
}

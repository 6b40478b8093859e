// Imports point one way: base at the bottom, then wire, then zones/cache/transport/agent, then
// authority/resolver/mcp, then the server, then the CLI. A lower module importing a higher one fails here.

import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
const RANK: Record<string, number> = {
  // The ground floor: errors, the logger, network lists, atomic writes, timers. Imports nothing of aop.
  base: -1,
  wire: 0,
  zone: 1, cache: 1, transport: 1, agent: 1,
  // DNSSEC primitives (canonical form, key tags, DS, NSEC3 hashes, algorithms, key files):
  // wire below, the signer (authority) and the validator (resolver) above.
  dnssec: 1,
  authority: 2, resolver: 2, mcp: 2,
  // Dynamic updates: above the catalog they change, below the server that dispatches to them.
  update: 2.5,
  // Zone transfers (wire, zone, transport) below the secondary zones that use them.
  xfr: 2, secondary: 2.5,
  // The authoritative server's endpoint probes (MCP client of mcp/, agent records): below the server.
  health: 2.5,
  // The directory's crawler and search index (mcp, xfr and agent below; the CLI wires it to the gateway).
  directory: 2.75,
  server: 3,
  cli: 4,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

t.test('every src folder has a rank', async (t) => {
  for (const d of readdirSync(src)) {
    if (statSync(path.join(src, d)).isDirectory()) t.ok(d in RANK, `src/${d} is placed in the layering`);
  }
});

t.test('no module imports a higher layer', async (t) => {
  for (const file of files(src)) {
    const mod = path.relative(src, file).split(path.sep)[0]!;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const target = path.relative(src, path.resolve(path.dirname(file), m[1]!)).split(path.sep)[0]!;
      if (target === mod) continue;
      const ok = (RANK[target] ?? 99) < (RANK[mod] ?? -1);
      t.ok(ok, `${path.relative(src, file)} -> src/${target}`, { skip: false });
      if (!ok) t.comment(`src/${mod} (rank ${RANK[mod]}) must not import src/${target} (rank ${RANK[target]})`);
    }
  }
});

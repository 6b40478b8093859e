// contrib/Dockerfile, without a docker daemon (none here): every COPY source of the build context
// (the checkout's root) exists and is not left out by .dockerignore, the config the CMD names is
// contrib/aop.yaml, and the image runs as a user of its own with the ports of the docs exposed.

import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from '../helpers/gateway.js';

const text = readFileSync(path.join(root, 'contrib', 'Dockerfile'), 'utf8');
// Continuation lines joined; comments dropped.
const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));

interface Copy { from?: string; sources: string[]; dest: string }
const copies: Copy[] = lines.filter((l) => /^COPY\s/i.test(l)).map((l) => {
  const words = l.split(/\s+/).slice(1);
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { ...(from !== undefined ? { from } : {}), sources: rest.slice(0, -1), dest: rest.at(-1)! };
});

t.test('every COPY source from the context exists and is not ignored', async (t) => {
  const fromContext = copies.filter((c) => c.from === undefined);
  t.ok(fromContext.length >= 5, 'the sources are copied in');
  for (const c of fromContext) {
    for (const s of c.sources) {
      t.ok(existsSync(path.join(root, s)), `${s} exists`);
      const hit = ignored.find((p) => s === p || s.startsWith(`${p}/`) || (p.startsWith('*') && s.endsWith(p.slice(1))));
      t.equal(hit, undefined, `${s} is not in .dockerignore`);
    }
  }
  for (const c of copies.filter((c) => c.from !== undefined)) t.equal(c.from, 'build', `${c.dest} comes from the build stage`);
  t.ok(ignored.includes('node_modules'), 'node_modules stays out: npm ci builds its own');
});

t.test('the CMD names the config that contrib/aop.yaml becomes', async (t) => {
  const cmd = lines.find((l) => l.startsWith('CMD '))!;
  const argv = JSON.parse(cmd.slice(4)) as string[];
  t.same(argv, ['aop', 'serve', '--config', '/etc/aop/aop.yaml']);
  const config = copies.find((c) => c.dest === argv[3]);
  t.same(config?.sources, ['contrib/aop.yaml']);
  // The config's relative zones: zones is /etc/aop/zones, which the image has.
  t.match(readFileSync(path.join(root, 'contrib', 'aop.yaml'), 'utf8'), /^zones: zones$/m);
  t.ok(copies.some((c) => c.dest === '/etc/aop/zones'), 'the zones beside it');
});

t.test('multi-stage on Debian, npm ci, a user of its own, the ports', async (t) => {
  const froms = lines.filter((l) => l.startsWith('FROM '));
  t.equal(froms.length, 2);
  for (const f of froms) t.match(f, /^FROM debian:/);
  t.ok(lines.some((l) => /^RUN .*\bnpm ci\b/.test(l)));
  const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
  t.equal(user, 'USER aop');
  t.equal(lines.find((l) => l.startsWith('EXPOSE ')), 'EXPOSE 53/udp 53/tcp 853 443 9153');
  // The dependency that brings Node 24 is what npm ci installs.
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  t.ok(pkg.dependencies.node, 'the node package is a dependency');
});

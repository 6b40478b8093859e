// contrib/: the systemd unit passes `systemd-analyze verify` (with ExecStart pointed at this
// checkout) and keeps its `systemd-analyze security --offline=yes` exposure low; the Dockerfile's
// every COPY source is in the build context (and not .dockerignore'd), and its CMD's config file
// is contrib/aop.yaml, which a test in config-file.test.ts starts and digs. No docker daemon here:
// `docker build` is not run (contrib/README.md).

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from '../helpers/gateway.js';
import { requireTool } from '../helpers/peers.js';

const unit = readFileSync(path.join(root, 'contrib', 'aop.service'), 'utf8');

/** The unit with ExecStart running this checkout's bin/aop.js (verify wants a real executable). */
function localUnit(dir: string): string {
  const file = path.join(dir, 'aop.service');
  writeFileSync(file, unit.replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} ${path.join(root, 'bin', 'aop.js')} serve --config /etc/aop/aop.yaml`));
  return file;
}

t.test('the unit has the sandboxing the brief asks for', async (t) => {
  for (const line of ['DynamicUser=yes', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE', 'AmbientCapabilities=CAP_NET_BIND_SERVICE', 'ProtectSystem=strict',
    'ProtectHome=yes', 'PrivateTmp=yes', 'NoNewPrivileges=yes', 'StateDirectory=aop', 'RuntimeDirectory=aop', 'ConfigurationDirectory=aop',
    'ExecReload=/bin/kill -HUP $MAINPID', 'Restart=on-failure']) {
    t.ok(unit.split('\n').includes(line), line);
  }
  t.match(unit, /^ExecStart=.* serve --config \/etc\/aop\/aop\.yaml$/m, 'runs the ConfigurationDirectory\'s aop.yaml');
});

t.test('systemd-analyze verify and security', async (t) => {
  if (!requireTool(t, 'systemd-analyze', 'systemd')) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = localUnit(dir);
  const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', cwd: dir });
  t.equal(v.status, 0, 'verify exits 0');
  t.equal(v.stderr.trim(), '', 'and says nothing');
  const s = spawnSync('systemd-analyze', ['security', '--offline=yes', file], { encoding: 'utf8', cwd: dir });
  const m = /Overall exposure level for aop\.service: ([\d.]+) (\w+)/.exec(s.stdout);
  t.ok(m, 'security prints an exposure level', { stdout: s.stdout.slice(-2000), stderr: s.stderr });
  if (!m) return;
  t.comment(`systemd-analyze security --offline=yes: ${m[1]} ${m[2]}`);
  // 1.4 when written; above 2 means a sandboxing line was lost.
  t.ok(Number(m[1]) <= 2, `exposure ${m[1]} is at most 2.0`);
});

t.test('the Dockerfile builds from what the context holds', async (t) => {
  const text = readFileSync(path.join(root, 'contrib', 'Dockerfile'), 'utf8');
  const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const copies = [...text.matchAll(/^COPY (?!--from)(.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/));
  t.ok(copies.length >= 5, 'COPY lines found');
  for (const words of copies) {
    for (const src of words.slice(0, -1)) {
      t.ok(existsSync(path.join(root, src)), `COPY source ${src} exists in the checkout`);
      t.notOk(ignored.some((i) => src === i || src.startsWith(`${i}/`)), `${src} is not .dockerignore'd`);
    }
  }
  t.match(text, /^FROM node:24[\w.-]* AS build$/m, 'a Node 24 build stage');
  t.match(text, /RUN npm ci\b/, 'npm ci');
  t.match(text, /^USER node$/m, 'runs as the unprivileged node user');
  for (const port of ['53/udp', '53/tcp', '853', '443', '9153']) t.match(text, new RegExp(`^EXPOSE .*\\b${port.replace('/', '\\/')}`, 'm'), `EXPOSE ${port}`);
  const cmd = /^CMD \[(.*)\]$/m.exec(text);
  t.ok(cmd, 'a CMD');
  const args = JSON.parse(`[${cmd![1]}]`) as string[];
  t.same(args, ['serve', '--config', '/etc/aop/aop.yaml']);
  t.match(text, /^COPY contrib\/aop\.yaml \/etc\/aop\/aop\.yaml$/m, 'the CMD\'s config file is contrib/aop.yaml');
  // contrib/aop.yaml says `zones: zones`, its folder's zones/: the image has them there.
  t.match(readFileSync(path.join(root, 'contrib', 'aop.yaml'), 'utf8'), /^zones: zones$/m);
  t.match(text, /^COPY zones \/etc\/aop\/zones$/m, 'the zones beside it');
});

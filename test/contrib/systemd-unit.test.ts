// contrib/aop.service: systemd-analyze verify accepts it (on a copy whose ExecStart runs this
// checkout's bin/aop.js, since /usr/bin/aop is not installed here), it keeps the sandboxing the
// docs promise, and its systemd-analyze security exposure is reported.

import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from '../helpers/gateway.js';
import { requireTool, run } from '../helpers/peers.js';

const unit = readFileSync(path.join(root, 'contrib', 'aop.service'), 'utf8');

t.test('the unit says what the docs promise', async (t) => {
  for (const line of [
    'DynamicUser=yes', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE', 'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'NoNewPrivileges=yes',
    'StateDirectory=aop', 'RuntimeDirectory=aop', 'ConfigurationDirectory=aop',
    'ExecStart=/usr/bin/aop serve --config /etc/aop/aop.yaml', 'ExecReload=/bin/kill -HUP $MAINPID', 'Restart=on-failure',
  ]) t.ok(unit.split('\n').includes(line), line);
});

t.test('systemd-analyze verify and security', async (t) => {
  if (!requireTool(t, 'systemd-analyze', 'systemd')) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const copy = path.join(dir, 'aop.service');
  const exec = `ExecStart=${process.execPath} ${path.join(root, 'bin', 'aop.js')} serve --config ${path.join(root, 'contrib', 'aop.yaml')}`;
  writeFileSync(copy, unit.replace(/^ExecStart=.*$/m, exec));
  const v = await run('systemd-analyze', ['verify', copy]);
  t.equal(v.code, 0, `systemd-analyze verify: ${v.stderr}`);
  t.equal(v.stderr.trim(), '', 'no warnings');
  const s = await run('systemd-analyze', ['security', '--offline=yes', copy]);
  const m = /Overall exposure level for aop\.service: ([\d.]+) (\w+)/.exec(s.stdout + s.stderr);
  t.ok(m, `an exposure level: ${s.stdout.slice(-300)}${s.stderr}`);
  if (m) {
    t.comment(`systemd-analyze security --offline=yes: exposure ${m[1]} ${m[2]} (0 safest, 10 most exposed)`);
    t.ok(Number(m[1]) < 3, 'exposure below 3 (OK or better)');
  }
});

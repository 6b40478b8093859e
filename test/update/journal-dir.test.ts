// The journal folder is checked before it is used: created when missing (parents too), refused
// with a reason when it is a file or cannot be created. `--journal-dir /proc/aop` spun at 100% CPU
// (mkdirSync's recursive mode loops there); now `aop serve` says why and exits 1.

import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareJournalDir, ZoneStore } from '../../src/update/store.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

t.test('prepareJournalDir', { timeout: 10000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-journal-dir-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const nested = path.join(dir, 'a', 'b', 'c');
  prepareJournalDir(nested);
  t.ok(statSync(nested).isDirectory(), 'missing folders are created');
  prepareJournalDir(nested);
  t.pass('an existing folder is fine');
  writeFileSync(path.join(dir, 'file'), '');
  t.throws(() => prepareJournalDir(path.join(dir, 'file')), { code: 'ERR_JOURNAL_IO', message: /: not a folder$/ });
  t.throws(() => prepareJournalDir(path.join(dir, 'file', 'x')), { code: 'ERR_JOURNAL_IO', message: /: a part of the path is not a folder$/ });
  // It looped for ever here.
  t.throws(() => prepareJournalDir('/proc/aop'), { code: 'ERR_JOURNAL_IO', message: /^journal folder \/proc\/aop: cannot create \/proc\/aop: / });
  t.throws(() => new ZoneStore({ zonesDir: dir, journalDir: '/proc/aop/x' }), { code: 'ERR_JOURNAL_IO' }, 'the store checks it too');
});

t.test('aop serve --journal-dir /proc/aop: a usage error, exit 1', { timeout: 40000 }, async (t) => {
  if (!existsSync(path.join(root, 'dist', 'update', 'store.js'))) {
    t.fail('dist/ is out of date: run `npm run build` first');
    return;
  }
  const zones = mkdtempSync(path.join(os.tmpdir(), 'aop-journal-zones-'));
  t.teardown(() => rmSync(zones, { recursive: true, force: true }));
  cpSync(path.join(root, 'zones', 'acme.agents.zone'), path.join(zones, 'acme.agents.zone'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['AOP_RESOLVER', 'AOP_STATE_FILE', 'NODE_OPTIONS'].includes(k)) env[k] = v;
  env.AOP_STATE_FILE = path.join(zones, 'no-such-dir', 'daemon.json');
  const args = ['serve', '--zones', zones, '--listen', '127.0.0.1:0', '--no-mcp', '--no-demo-agents', '--warm-up', '0',
    '--tsig-secret', 'hmac-sha256:k:' + Buffer.alloc(32, 7).toString('base64'), '--allow-update', '--journal-dir', '/proc/aop'];
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [path.join(root, 'bin', 'aop.js'), ...args], { env, cwd: root, timeout: 30_000 }, (err, _out, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr: String(stderr) });
    });
  });
  t.equal(r.code, 1);
  t.match(r.stderr, /^aop: --journal-dir \/proc\/aop: cannot create \/proc\/aop: /m);
});

// A single-valued option of `aop serve` given twice is refused, naming both values: `--zones a
// --zones b` was read as the folder "a,b" (yargs joins a repeated string option's values). A
// daemon serves one folder; the message says how to serve two. Run from src/ (tsx), no dist/.

import t from 'tap';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireOnce } from '../../src/cli/common.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Run { code: number; stderr: string }

/** `aop ARGS` from the sources, with a state file that is not there. */
function aop(args: string[]): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['AOP_RESOLVER', 'AOP_STATE_FILE', 'NODE_OPTIONS'].includes(k)) env[k] = v;
  env.AOP_STATE_FILE = path.join(root, 'no-such-dir', 'daemon.json');
  const code = "const { main } = await import('./src/cli/main.ts'); await main(process.argv.slice(1));";
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, ...args], { env, cwd: root, timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr: String(stderr) });
    });
  });
}

t.test('requireOnce', async (t) => {
  t.doesNotThrow(() => requireOnce({ zones: 'a', workers: '2' }, ['zones', 'workers']), 'once each: fine');
  t.doesNotThrow(() => requireOnce({}, ['zones']), 'absent: fine');
  t.throws(() => requireOnce({ zones: ['a', 'b'] }, ['zones'], { zones: 'one folder' }), { message: "--zones given 2 times ('a', 'b'): one folder" });
  t.throws(() => requireOnce({ control: ['x', 'y', 'z'] }, ['control']), { message: "--control given 3 times ('x', 'y', 'z'): give it once" });
});

t.test('aop serve --zones A --zones B: exit 1, one line naming both', async (t) => {
  const [zones, hints] = await Promise.all([
    aop(['serve', '--zones', 'zones', '--zones', 'test/fixtures/serve', '--listen', '127.0.0.1:0']),
    aop(['serve', '--resolver', '--root-hints', 'zones/root.hints', '--root-hints', 'zones/root.hints', '--listen', '127.0.0.1:0']),
  ]);
  t.equal(zones.code, 1, 'a usage error');
  t.equal(zones.stderr, "aop: --zones given 2 times ('zones', 'test/fixtures/serve'): a daemon serves one folder of zones; put all the <origin>.zone files in one folder, or run one aop serve per folder, each with its own --listen\n");
  t.notMatch(zones.stderr, /zones,test/, 'not read as one folder "zones,test/fixtures/serve"');
  t.same([hints.code, hints.stderr], [1, "aop: --root-hints given 2 times ('zones/root.hints', 'zones/root.hints'): give it once\n"], 'other single-valued options too');
});

t.test('every command: a single-valued option given twice is refused, not passed on as an array', async (t) => {
  const [level, server] = await Promise.all([
    aop(['serve', '--log-level', 'warn', '--log-level', 'info', '--listen', '127.0.0.1:0']),
    aop(['call', 'writer.acme.agents', '--server', '127.0.0.1', '--server', '127.0.0.2']),
  ]);
  // Before: pino's own "default level:warn,info must be included in custom levels", exit 10.
  t.same([level.code, level.stderr], [1, "aop: --log-level given 2 times ('warn', 'info'): give it once\n"], 'aop serve --log-level');
  t.same([server.code, server.stderr], [1, "aop: --server given 2 times ('127.0.0.1', '127.0.0.2'): give it once\n"], 'aop call --server');
});

// `aop serve --config FILE`: every serve option is a key of the file (taken from yargs' own
// definitions, so a new option is covered or this fails), each error is one `file:line:` line and
// exit 1, command-line flags win, relative paths are the file's folder's, and contrib/aop.yaml
// starts a daemon that answers aop dig (a child from dist/, on a leased loopback /24).

import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs, { type Argv, type MiddlewareFunction } from 'yargs';
import { stringify } from 'yaml';
import { serveCommand } from '../../src/cli/serve.js';
import { PATH_KEYS, readConfigFile, schemaOf } from '../../src/cli/config.js';
import { parseConfig, type ConfigSchema, type OptionSpec } from '../../src/base/config.js';
import { root } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitFor } from '../helpers/wait.js';

const bin = path.join(root, 'bin', 'aop.js');

function tmp(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The serve command's parsed argv and option schema for `args`, stopped before its checks and handler. */
async function parseServe(args: string[]): Promise<{ argv: Record<string, unknown>; schema: ConfigSchema }> {
  let got: { argv: Record<string, unknown>; schema: ConfigSchema } | undefined;
  const y = serveCommand(yargs(['serve', ...args]).strict().fail(false)
    .middleware(((argv: Record<string, unknown>, cmd: Argv) => {
      got = { argv: { ...argv }, schema: schemaOf(cmd) };
      throw new Error('parsed');
    }) as unknown as MiddlewareFunction, true));
  try {
    await y.parseAsync();
  } catch (err) {
    if ((err as Error).message !== 'parsed') throw err;
  }
  if (!got) throw new Error('the serve command did not run');
  return got;
}

function run(args: string[], cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const c = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** A value of an option's kind, as YAML would hold it, and what the command should see. */
function sample(key: string, spec: OptionSpec, dir: string): { yaml: unknown; want: unknown } {
  const one = (i: number): { yaml: unknown; want: unknown } => {
    if (spec.choices) return { yaml: spec.choices[i % spec.choices.length], want: spec.choices[i % spec.choices.length] };
    if (spec.kind === 'boolean') return { yaml: true, want: true };
    if (spec.kind === 'number') return { yaml: 7 + i, want: 7 + i };
    const s = `${key}-value-${i}`;
    return { yaml: s, want: spec.path ? path.join(dir, s) : s };
  };
  if (!spec.array) return one(0);
  return { yaml: [one(0).yaml, one(1).yaml], want: [one(0).want, one(1).want] };
}

t.test('every serve option is a key of the file, with a value of its kind', async (t) => {
  const dir = tmp(t);
  const { schema } = await parseServe([]);
  t.ok(schema.options.size >= 40, `the serve options are all there (${schema.options.size})`);
  for (const k of ['zones', 'listen', 'cache-size', 'log-level', 'mcp', 'demo-agents', 'allow-transfer']) t.ok(schema.options.has(k), k);
  t.notOk(schema.options.has('config'), 'config is no key of itself');
  t.notOk(schema.options.has('help'));
  const doc: Record<string, unknown> = {};
  const want: Record<string, unknown> = {};
  for (const [key, spec] of schema.options) {
    const s = sample(key, spec, dir);
    doc[key] = s.yaml;
    want[key] = s.want;
  }
  const file = path.join(dir, 'all.yaml');
  writeFileSync(file, stringify(doc));
  const { values } = readConfigFile(file, schema);
  t.same(values, want, 'each value read as its kind');
  const { argv } = await parseServe(['--config', file]);
  for (const [key, v] of Object.entries(want)) t.same(argv[key], v, `${key} reaches the command`);
  // One value alone for a list option is a list of one.
  writeFileSync(file, 'listen: 127.0.0.1:53\ntsig-key: k.key\n');
  t.same(readConfigFile(file, schema).values, { listen: ['127.0.0.1:53'], 'tsig-key': [path.join(dir, 'k.key')] });
  // --no-x switches: x: false.
  writeFileSync(file, 'mcp: false\ncontrol: false\nstate-file: false\nprefetch: false\nworkers: 4\n');
  t.same(readConfigFile(file, schema).values, { mcp: false, control: false, 'state-file': false, prefetch: false, workers: '4' });
});

t.test('options that name files are in the path list', async (t) => {
  const { schema } = await parseServe([]);
  // Options whose names say file or folder; each must be in PATH_KEYS (or said here not to be).
  // https-path is the DoH URL path (/dns-query), not a file.
  const notPaths = new Set(['tsig-secret', 'mcp-zones', 'mcp-allow-http', 'mcp-allowed-host', 'https-path']);
  for (const key of schema.options.keys()) {
    if (notPaths.has(key)) continue;
    if (/(file|dir|cert|key|socket|hints|zones|control|path)$/.test(key)) t.ok(PATH_KEYS.includes(key), `${key} is resolved against the file's folder`);
  }
});

t.test('errors: one file:line: line for each kind, exit 1', async (t) => {
  const dir = tmp(t);
  const { schema } = await parseServe([]);
  const cases: [string, string, RegExp][] = [
    ['type', 'zones: z\ncache-size: big\n', /^aop\.yaml:2: "cache-size": expected a number, got "big"$/],
    ['boolean', 'prefetch: yes please\n', /^aop\.yaml:1: "prefetch": expected true or false, got "yes please"$/],
    ['list item', 'listen:\n  - 127.0.0.1:53\n  - [1, 2]\n', /^aop\.yaml:3: "listen": expected a string, got a list$/],
    ['mapping', 'listen:\n  a: 1\n', /^aop\.yaml:2: "listen": expected a list of strings, got a mapping$/],
    ['choice', 'log-level: loud\n', /^aop\.yaml:1: "log-level": expected one of debug, info, warn, error, got "loud"$/],
    ['empty value', 'cache-size:\n', /^aop\.yaml:1: "cache-size": expected a number, got nothing$/],
    ['unknown', '\nlisten: 127.0.0.1:53\nlsiten: 127.0.0.1:54\n', /^aop\.yaml:3: unknown key "lsiten"; did you mean "listen"\?$/],
    ['unknown, no near', 'frobnicate: 1\n', /^aop\.yaml:1: unknown key "frobnicate"$/],
    ['camelCase', 'cacheSize: 1\n', /^aop\.yaml:1: unknown key "cacheSize"; did you mean "cache-size"\?$/],
    ['duplicate', 'workers: "1"\nlisten: 127.0.0.1:53\nworkers: "2"\n', /^aop\.yaml:3: "workers" given twice \(first at line 1\)$/],
    ['syntax', 'listen: 127.0.0.1:53\nzones: [a\n', /^aop\.yaml:\d+: YAML syntax error: /],
    ['not a mapping', '- listen\n- zones\n', /^aop\.yaml:1: the file must be a mapping of option names to values \(key: value lines\), not a list$/],
    ['scalar', 'just words\n', /^aop\.yaml:1: the file must be a mapping .*not "just words"$/],
  ];
  for (const [name, text, re] of cases) {
    writeFileSync(path.join(dir, 'aop.yaml'), text);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      t.throws(() => readConfigFile('aop.yaml', schema), { code: 'ERR_CONFIG', message: re }, name);
    } finally {
      process.chdir(cwd);
    }
  }
  // The command says it as aop says a usage error.
  writeFileSync(path.join(dir, 'aop.yaml'), 'zones: z\ncache-size: big\n');
  const r = await run(['serve', '--config', 'aop.yaml'], dir);
  t.equal(r.code, 1);
  t.equal(r.stderr, 'aop: aop.yaml:2: "cache-size": expected a number, got "big"\n');
  const missing = await run(['serve', '--config', 'none.yaml'], dir);
  t.equal(missing.code, 1);
  t.equal(missing.stderr, 'aop: none.yaml: no such file\n');
  // A file whose values are each of their kind still meets serve's own checks.
  writeFileSync(path.join(dir, 'aop.yaml'), 'udp-size: 100\n');
  const checked = await run(['serve', '--config', 'aop.yaml'], dir);
  t.equal(checked.code, 1);
  t.match(checked.stderr, /--udp-size must be between 512 and 4096/);
  // An empty file is no error: no settings.
  writeFileSync(path.join(dir, 'empty.yaml'), '# nothing yet\n');
  t.same(readConfigFile(path.join(dir, 'empty.yaml'), schema).values, {});
});

t.test('flags given on the command line win over the file', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'aop.yaml');
  writeFileSync(file, 'listen: [127.0.0.1:1053, 127.0.0.1:2053]\ncache-size: 10\nmcp: false\nprefetch: false\nlog-level: warn\n');
  const { argv } = await parseServe(['--config', file, '--listen', '127.0.0.9:53', '--mcp', '127.0.0.1:9', '--log-level', 'debug']);
  t.same(argv.listen, ['127.0.0.9:53'], 'a list flag replaces the file\'s list');
  t.equal(argv.mcp, '127.0.0.1:9');
  t.equal(argv['log-level'], 'debug');
  t.equal(argv['cache-size'], 10, 'the file over the default');
  t.equal(argv.prefetch, false);
  const { argv: plain } = await parseServe(['--config', file, '--prefetch']);
  t.equal(plain.prefetch, true, 'a boolean flag over the file\'s false');
  t.same(plain.listen, ['127.0.0.1:1053', '127.0.0.1:2053']);
  const { argv: none } = await parseServe(['--config', file, '--no-prefetch', '--no-mcp']);
  t.equal(none.prefetch, false);
  t.equal(none.mcp, false);
  const { argv: defaults } = await parseServe([]);
  t.equal(defaults['cache-size'], 64, 'no file: the defaults');
});

t.test('relative paths are resolved against the file\'s folder', async (t) => {
  const dir = tmp(t);
  const sub = path.join(dir, 'etc', 'aop');
  mkdirSync(sub, { recursive: true });
  const file = path.join(sub, 'aop.yaml');
  writeFileSync(file, 'zones: zones\nroot-hints: ../hints/root.hints\ntsig-key: [keys/a.key, /abs/b.key]\njournal-dir: /var/lib/aop\nlisten: 127.0.0.1:53\nupdate-policy: "grant k name a.agents. ANY"\n');
  const { argv } = await parseServe(['--config', path.relative(process.cwd(), file)]);
  t.equal(argv.zones, path.join(sub, 'zones'));
  t.equal(argv['root-hints'], path.join(dir, 'etc', 'hints', 'root.hints'));
  t.same(argv['tsig-key'], [path.join(sub, 'keys', 'a.key'), '/abs/b.key'], 'an absolute path stays');
  t.equal(argv['journal-dir'], '/var/lib/aop');
  t.same(argv.listen, ['127.0.0.1:53'], 'not a path: as written');
  t.same(argv['update-policy'], ['grant k name a.agents. ANY']);
  // dnstap's `unix:PATH` / `file:PATH`: the path after the scheme is resolved, the scheme kept.
  const dnstap: ConfigSchema = { options: new Map([['dnstap', { kind: 'string', array: false, path: true }]]) };
  t.same(parseConfig('dnstap: unix:run/tap.sock\n', file, dnstap).values, { dnstap: `unix:${path.join(sub, 'run', 'tap.sock')}` });
  t.same(parseConfig('dnstap: file:/var/log/aop.tap\n', file, dnstap).values, { dnstap: 'file:/var/log/aop.tap' });
  // On the command line a relative path stays the working directory's, as always.
  const { argv: flag } = await parseServe(['--config', file, '--zones', 'here']);
  t.equal(flag.zones, 'here');
});

t.test('aop serve --config contrib/aop.yaml answers aop dig', async (t) => {
  const net = await leaseNet(t);
  const host = net.host(1);
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  // The example serves /etc/aop/zones; here the bundled zones, on a leased address.
  const child = spawn(process.execPath, [bin, 'serve', '--config', path.join(root, 'contrib', 'aop.yaml'), '--zones', path.join(root, 'zones'), '--listen', `${host}:5300`],
    { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  await waitFor(() => log.includes(`listening on ${host}:5300`) || child.exitCode !== null, 'the daemon listens', { timeoutMs: 30_000, detail: () => log });
  t.equal(child.exitCode, null, log);
  t.notMatch(log, /0\.0\.0\.0:53/, 'the command line\'s --listen replaced the file\'s');
  const r = await run(['dig', `@${host}`, '-p', '5300', 'writer.acme.agents', 'SVCB', '+short']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^1 mcp\.acme\.agents\. alpn="mcp"/);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
});

// Exit statuses as dig defines them (0 answer, 1 usage, 9 no reply, 10 internal), errors as one
// line on stderr, --help with examples on every command, `aop --version`, and no colour: the
// built `aop` run as a user runs it.

import t from 'tap';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { runDig } from '../../src/cli/dig.js';
import { serveCommand } from '../../src/cli/serve.js';
import { zoneCommand } from '../../src/cli/zone.js';
import { cacheCommand } from '../../src/cli/cache.js';
import { digCommand } from '../../src/cli/dig.js';
import { privateRuntimeEnv } from '../helpers/runtime-env.js';
import { leaseNet } from '../helpers/loopback-net.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');

interface Run { stdout: string; stderr: string; code: number }

/** Run the built `aop`; FORCE_COLOR set, to show that nothing colours its output even when asked. */
function aop(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...privateRuntimeEnv(), FORCE_COLOR: '1' };
  delete env.NODE_OPTIONS;
  delete env.AOP_RESOLVER;
  delete env.NO_COLOR;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ stdout: String(stdout), stderr: String(stderr), code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
  });
}

const ESC = '\x1b';

/** One run per case, a few at a time (each is a Node start-up). */
async function runAll(cases: string[][]): Promise<Run[]> {
  const out: Run[] = [];
  for (let i = 0; i < cases.length; i += 4) out.push(...await Promise.all(cases.slice(i, i + 4).map(aop)));
  return out;
}

t.test('aop dig: 9 without a reply, 1 for bad arguments and unknown types', async (t) => {
  // A UDP socket that reads and never answers: the query times out. A closed port: refused.
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  t.teardown(() => silent.close());
  const silentPort = (silent.address() as AddressInfo).port;
  // Closed: port 53 in a loopback /24 leased for the test, where nothing listens (a port found
  // free and closed again could be taken by another process before the query reaches it).
  const closedHost = (await leaseNet(t)).host(1);
  const closedPort = 53;

  const cases: Array<[string[], number, RegExp]> = [
    [['@127.0.0.1', '-p', String(silentPort), '+time=1', '+tries=1', '+notcp', 'writer.acme.agents', 'SVCB'], 9, /^aop: dig: communications error to 127\.0\.0\.1#\d+: timed out; no servers could be reached\n$/],
    [[`@${closedHost}`, '-p', String(closedPort), '+time=1', '+tries=1', 'writer.acme.agents'], 9, new RegExp(String.raw`^aop: dig: communications error to ${closedHost.replace(/\./g, '\\.')}#53: connection refused; no servers could be reached\n$`)],
    [['+bogus', 'writer.acme.agents'], 1, /^aop: dig: invalid option '\+bogus' \(see aop dig -h\)\n$/],
    [['-t', 'BOGUS', 'writer.acme.agents'], 1, /^aop: dig: invalid type 'BOGUS' \(see aop dig -h\)\n$/],
    [['writer.acme.agents', 'SVBC'], 1, /^aop: dig: 'SVBC' is not a record type or class/],
    [['-p', 'notaport', 'x'], 1, /^aop: dig: /],
  ];
  // The real program for two of them (its exit status is what scripts see; each start-up costs
  // a second or more on a busy machine), runDig in-process for all.
  const real = await runAll([['dig', ...cases[0]![0]], ['dig', ...cases[3]![0]]]);
  for (const [k, r] of [[0, real[0]!], [3, real[1]!]] as const) {
    t.equal(r.code, cases[k]![1], `aop dig ${cases[k]![0].join(' ')}: process exit status ${cases[k]![1]}`);
    t.match(r.stderr, cases[k]![2]);
    t.notOk(r.stdout.includes(ESC) || r.stderr.includes(ESC), 'no colour');
  }
  for (const [args, status, re] of cases) {
    let out = '';
    let err = '';
    const code = await runDig(args, { stdout: (x) => { out += x; }, stderr: (x) => { err += x; }, env: {}, resolvConf: 'nameserver 127.0.0.1\n' });
    t.equal(code, status, `aop dig ${args.join(' ')}: status ${status}`);
    t.match(err, re, `stderr: ${err.trim()}`);
    t.equal(err.split('\n').filter((l) => l !== '').length, 1, 'one line on stderr');
    t.notOk(out.includes(ESC) || err.includes(ESC), 'no colour');
  }
});

t.test('aop zone check: 1 with file:line:col faults for a bad zone, 0 for a good one', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-exit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = path.join(dir, 'bad.agents.zone');
  writeFileSync(bad, '$TTL 300\n@ IN SOA ns1 host 1 3600 900 604800 300\n@ IN NS ns1\nns1 IN A 192.0.2\nwww IN BOGUS x\n');
  const [b, badName] = await runAll([['zone', 'check', bad], ['zone', 'check', path.join(root, 'zones', 'root.hints')]]);
  t.equal(b!.code, 1);
  t.equal(b!.stderr, `${bad}:4:10: bad IPv4 address "192.0.2"\n${bad}:5:8: unknown RR type 'BOGUS' (write a type aop has no name for as TYPEnnn with RFC 3597 RDATA: \\# length hex)\nzone bad.agents.: not loaded due to errors\n`);
  t.equal(b!.stdout, '');
  t.equal(badName!.code, 1, 'a file name that gives no origin');
  t.match(badName!.stderr, /^aop: cannot take a zone origin from the file name "root\.hints": it does not end in \.zone; give the origin with --origin\n$/);
});

t.test('usage errors, --version, aop --help', async (t) => {
  const [version, unknown, help] = await runAll([['--version'], ['nosuch'], ['--help']]);
  t.equal(help!.code, 0);
  t.match(help!.stdout, /\nExamples:\n {2}aop serve /, 'aop --help has examples');
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  t.equal(version!.code, 0);
  t.equal(version!.stdout, `${pkg.version}\n`);
  t.equal(unknown!.code, 1);
  t.equal(unknown!.stderr, "aop: unknown command 'aop nosuch' (see aop --help)\n");
});

/** The `aop` yargs program in-process, for help texts and usage errors (yargs hands back what it would print). */
function parse(args: string[]): Promise<{ err: Error | undefined; output: string }> {
  let y = yargs(args).scriptName('aop').exitProcess(false).strict().demandCommand(1).fail(false).wrap(100);
  y = serveCommand(y);
  y = zoneCommand(y);
  y = cacheCommand(y);
  y = digCommand(y, args);
  return new Promise((resolve) => {
    try {
      void y.parse(args, {}, (err, _argv, output) => resolve({ err: err ?? undefined, output }));
    } catch (err) {
      // fail(false): validation errors are thrown rather than printed.
      resolve({ err: err as Error, output: '' });
    }
  });
}

t.test('--help with examples on every command', async (t) => {
  const helps = [['serve'], ['dig'], ['zone'], ['zone', 'check'], ['zone', 'add-agent'], ['zone', 'remove-agent'], ['zone', 'import-mcp'],
    ['cache'], ['cache', 'flush'], ['cache', 'stats'], ['cache', 'dump']];
  for (const h of helps) {
    const r = await parse([...h, '--help']);
    t.match(r.output, /\nExamples:\n {2}aop /, `aop ${h.join(' ')} --help has examples`);
    t.notOk(r.output.includes(ESC), 'no colour');
  }
  const missing = await parse(['zone', 'add-agent', 'x.zone', 'poet', '--tool', 't']);
  t.match(missing.err?.message, /Missing required argument: endpoint/, 'a missing option is a usage error');
});

t.test('nothing in the command line writes terminal colour codes', async (t) => {
  const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
  for (const f of files(path.join(root, 'src', 'cli'))) {
    const text = readFileSync(f, 'utf8');
    t.notMatch(text, /\\x1b|\\u001b|\\033|\\e\[|chalk|picocolors|kleur/, `${path.relative(root, f)} has no escape sequences or colour library`);
  }
});

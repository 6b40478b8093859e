// Bad input named on the command line, through the built program (bin/aop.js, dist/): an unknown
// option gets the nearest valid one; a missing --zones, --root-hints or --tsig-key is a usage error
// (exit 1, one line); a zone file whose $ORIGIN disagrees with its name is one fault line; a command
// that picked its DNS server itself says which it asked when the answer is an error.

import t from 'tap';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDaemonState } from '../../src/cli/daemon-state.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');

interface Run { code: number; stdout: string; stderr: string }

/** `node bin/aop.js ARGS` with no $AOP_RESOLVER and the state file `stateFile` (default: one that is not there). */
function aop(args: string[], opts: { stateFile?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['AOP_RESOLVER', 'AOP_STATE_FILE', 'NODE_OPTIONS'].includes(k)) env[k] = v;
  env.AOP_STATE_FILE = opts.stateFile ?? path.join(root, 'no-such-dir', 'daemon.json');
  Object.assign(env, opts.env);
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, cwd: root, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

if (!existsSync(path.join(root, 'dist', 'cli', 'common.js'))) {
  t.fail('dist/ is out of date: run `npm run build` first');
} else {
  t.test('an unknown option names the nearest valid one', async (t) => {
    const [listn, tsig, orign, stray, none] = await Promise.all([
      aop(['serve', '--listn', '127.0.0.1:53']),
      aop(['serve', '--tsig', 'x']),
      aop(['zone', 'check', 'zones/acme.agents.zone', '--orign', 'acme.agents']),
      aop(['zone', 'check', 'a.zone', 'b.zone']),
      aop(['serve', '--zzzzzz']),
    ]);
    t.same(listn, { code: 1, stdout: '', stderr: 'aop: unknown option --listn; did you mean --listen?\n' });
    t.equal(tsig.stderr, 'aop: unknown option --tsig; did you mean --tsig-key or --tsig-max-fudge or --tsig-secret?\n');
    t.equal(orign.stderr, 'aop: unknown option --orign; did you mean --origin?\n', "the options of the command run (zone check's)");
    t.equal(stray.stderr, "aop: unexpected argument 'b.zone' (see aop zone check --help)\n");
    t.same([none.code, none.stderr], [1, 'aop: unknown option --zzzzzz\n'], 'no guess when nothing is close');
  });

  t.test('a missing file or folder named on the command line: exit 1, one line', async (t) => {
    const dir = t.testdir({ 'hints.txt': 'not hints at all\n' });
    const runs = await Promise.all([
      aop(['serve', '--zones', '/nonexistent/zones']),
      aop(['serve', '--zones', path.join(root, 'package.json')]),
      aop(['serve', '--resolver', '--root-hints', '/nonexistent/root.hints']),
      aop(['serve', '--resolver', '--root-hints', path.join(dir, 'hints.txt')]),
      aop(['serve', '--zones', 'zones', '--tsig-key', '/nonexistent/a.key']),
      aop(['zone', 'check', '/nonexistent/acme.agents.zone']),
    ]);
    t.same(runs.map((r) => r.code), [1, 1, 1, 1, 1, 1], 'usage errors, not internal ones (10)');
    t.equal(runs[0]!.stderr, 'aop: --zones /nonexistent/zones: no such folder\n');
    t.equal(runs[1]!.stderr, `aop: --zones ${path.join(root, 'package.json')}: not a folder (give the folder that holds the <origin>.zone files)\n`);
    t.equal(runs[2]!.stderr, 'aop: --root-hints /nonexistent/root.hints: no such file\n');
    t.match(runs[3]!.stderr, /^aop: .*hints\.txt:1:\d+: /, 'bad root hints are a usage error too, with file:line:col');
    t.equal(runs[4]!.stderr, 'aop: --tsig-key /nonexistent/a.key: no such file\n');
    t.equal(runs[5]!.stderr, '/nonexistent/acme.agents.zone:1:1: cannot read zone file: no such file\nzone acme.agents.: not loaded due to errors\n');
    for (const r of runs) t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  t.test('zone check: the origin of a file against its $ORIGIN', async (t) => {
    const acme = readFileSync(path.join(root, 'zones', 'acme.agents.zone'), 'utf8');
    const originLine = acme.split('\n').findIndex((l) => l.startsWith('$ORIGIN')) + 1;
    const bare = acme.replace(/^\$ORIGIN .*\n/m, '');
    const dir = t.testdir({ 'x.zone': acme, 'noorigin.zone': bare, 'acme.agents.zone': bare, 'agents.zone': readFileSync(path.join(root, 'zones', 'agents.zone'), 'utf8') });
    const [x, flag, none, noneFlag, multi, tld] = await Promise.all([
      aop(['zone', 'check', path.join(dir, 'x.zone')]),
      aop(['zone', 'check', path.join(dir, 'x.zone'), '--origin', 'globex.agents']),
      aop(['zone', 'check', path.join(dir, 'noorigin.zone')]),
      aop(['zone', 'check', path.join(dir, 'noorigin.zone'), '--origin', 'acme.agents']),
      aop(['zone', 'check', path.join(dir, 'acme.agents.zone')]),
      aop(['zone', 'check', path.join(dir, 'agents.zone')]),
    ]);
    t.equal(x.code, 1);
    t.equal(x.stderr, `${path.join(dir, 'x.zone')}:${originLine}:1: $ORIGIN acme.agents. does not match the file name's origin x. (36 records outside the zone): rename the file to acme.agents.zone or correct the $ORIGIN line\nzone x.: not loaded due to errors\n`,
      'one line for the mismatch, not one per record');
    t.equal(flag.stderr, `${path.join(dir, 'x.zone')}:${originLine}:1: $ORIGIN acme.agents. does not match --origin globex.agents. (36 records outside the zone): give --origin acme.agents or correct the $ORIGIN line\nzone globex.agents.: not loaded due to errors\n`);
    t.equal(none.code, 1, 'a one-label origin from the file name alone is refused');
    t.equal(none.stderr, `${path.join(dir, 'noorigin.zone')}:1:1: the origin noorigin. comes only from the file name and is a single label (a top-level zone): if that is meant, put "$ORIGIN noorigin." above the records; else name the file after the zone's full origin (acme.agents.zone) or give --origin\nzone noorigin.: not loaded due to errors\n`);
    t.same([noneFlag.code, noneFlag.stdout], [0, 'zone acme.agents.: loaded serial 2026112501, 36 records\n'], '--origin makes it explicit');
    t.same([multi.code, multi.stdout], [0, 'zone acme.agents.: loaded serial 2026112501, 36 records\n'], 'a multi-label origin from the file name needs no $ORIGIN');
    t.same([tld.code, tld.stdout], [0, 'zone agents.: loaded serial 2026112501, 9 records\n'], 'the bundled agents.zone confirms its one-label origin with $ORIGIN');

    // Edits load the file as aop zone check does: the same refusals, the file left alone.
    const add = ['add-agent', path.join(dir, 'noorigin.zone'), 'poet', '--endpoint', 'http://127.0.0.1:18110/mcp', '--tool', 'write_poem'];
    const [refused, explicit, mismatch] = await Promise.all([
      aop(['zone', ...add]),
      aop(['zone', ...add, '--origin', 'acme.agents', '--dry-run']),
      aop(['zone', 'remove-agent', path.join(dir, 'x.zone'), 'writer']),
    ]);
    t.same([refused.code, refused.stderr.split('\n')[0]], [1, none.stderr.split('\n')[0]], 'add-agent refuses a one-label origin from the file name alone');
    t.equal(readFileSync(path.join(dir, 'noorigin.zone'), 'utf8'), bare, 'the file is unchanged');
    t.equal(explicit.code, 0, 'with --origin it is explicit');
    t.same([mismatch.code, mismatch.stderr.split('\n')[0]], [1, x.stderr.split('\n')[0]], 'remove-agent refuses a $ORIGIN that disagrees');
  });

  t.test('aop serve: a zones folder with a one-label file and no $ORIGIN logs the fault and serves the rest', async (t) => {
    const acme = readFileSync(path.join(root, 'zones', 'acme.agents.zone'), 'utf8');
    const dir = t.testdir({ 'noorigin.zone': acme.replace(/^\$ORIGIN .*\n/m, '') });
    // The text line (a JSON line would escape the message's newline).
    const r = await aop(['serve', '--zones', dir, '--listen', '127.0.0.1:0', '--no-state-file', '--log-format', 'text']);
    t.equal(r.code, 10, 'no zone loaded: ERR_NO_ZONES');
    t.match(r.stderr, /zone noorigin\. failed to load; not served:\n.*noorigin\.zone:1:1: the origin noorigin\. comes only from the file name/);
  });

  t.test('a server aop chose itself is named when the answer is an error', async (t) => {
    const dir = t.testdir({});
    const stateFile = path.join(dir, 'run', 'daemon.json');
    mkdirSync(path.dirname(stateFile));
    // A live daemon (this test's pid) announced at a port where nothing answers.
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const dead = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    writeDaemonState(stateFile, { pid: process.pid, dns: { address: '127.0.0.1', port: dead }, started: 'now' });
    const [digDead, digEnv] = await Promise.all([
      aop(['dig', 'x.test', '+tries=1', '+time=1'], { stateFile }),
      aop(['dig', 'x.test', '+tries=1', '+time=1', '+short'], { env: { AOP_RESOLVER: `127.0.0.1:${dead}` } }),
    ]);
    t.equal(digDead.code, 9);
    t.equal(digDead.stderr, `aop: dig: communications error to 127.0.0.1#${dead}: connection refused; no servers could be reached (asked 127.0.0.1:${dead}, from the state file ${stateFile})\n`);
    t.equal(digEnv.stderr, `aop: dig: communications error to 127.0.0.1#${dead}: connection refused; no servers could be reached (asked 127.0.0.1:${dead}, from $AOP_RESOLVER)\n`);
    const named = await aop(['dig', '@127.0.0.1', '-p', String(dead), 'x.test', '+tries=1', '+time=1']);
    t.equal(named.stderr, `aop: dig: communications error to 127.0.0.1#${dead}: connection refused; no servers could be reached\n`, 'a server given with @ is not explained');

    // A real daemon announced in the state file: an error status names it, a good answer does not.
    const daemon = new Daemon({ zonesDir: path.join(root, 'test', 'fixtures', 'serve'), listen: [parseListen('127.0.0.1:0')] });
    await daemon.start();
    t.teardown(() => daemon.close());
    const port = daemon.listeners[0]!.address.port;
    writeDaemonState(stateFile, { pid: process.pid, dns: { address: '127.0.0.1', port }, started: 'now' });
    const [nx, refused, ok, call, agent, callNamed] = await Promise.all([
      aop(['dig', 'nope.example.agents', '+short', '+norec'], { stateFile }),
      aop(['dig', 'www.elsewhere.test', '+short', '+norec'], { stateFile }),
      aop(['dig', 'host.example.agents', 'A', '+short', '+norec'], { stateFile }),
      aop(['call', 'nope.example.agents', '--timeout', '5'], { stateFile }),
      aop(['agent', 'nope.example.agents', '--timeout', '5'], { stateFile }),
      aop(['call', 'nope.example.agents', '--timeout', '5', '--server', `127.0.0.1:${port}`], { stateFile }),
    ]);
    t.same([nx.code, nx.stdout, nx.stderr], [0, '', `aop: dig: NXDOMAIN (asked 127.0.0.1:${port}, from the state file ${stateFile})\n`], "dig's output is dig's; the note is on stderr");
    t.equal(refused.stderr, `aop: dig: REFUSED (asked 127.0.0.1:${port}, from the state file ${stateFile})\n`);
    t.same([ok.code, ok.stdout, ok.stderr], [0, '127.0.0.1\n', ''], 'a good answer: no note');
    t.equal(call.code, 2);
    t.equal(call.stderr, `aop: call: nope.example.agents.: no such name (NXDOMAIN) (asked 127.0.0.1:${port}, from the state file ${stateFile})\n`);
    t.equal(agent.stderr, `aop: agent: nope.example.agents.: no such name (NXDOMAIN) (asked 127.0.0.1:${port}, from the state file ${stateFile})\n`);
    t.equal(callNamed.stderr, 'aop: call: nope.example.agents.: no such name (NXDOMAIN)\n', '--server given: not explained');
  });
}

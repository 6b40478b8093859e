// src/cli/common.ts: the nearest option to a mistyped one, files named on the command line, and
// the one place that picks a DNS server when a command is given none.

import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  askedNote, chooseDefaultServer, editDistance, nearestOptions, requirePath, unknownOptionMessage, UsageError,
} from '../../src/cli/common.js';
import { writeDaemonState } from '../../src/cli/daemon-state.js';

const SERVE = ['help', 'version', 'listen', 'zones', 'resolver', 'root-hints', 'tsig-key', 'tsig-secret', 'mcp', 'mcp-zones', 'demo-agents', 'state-file', 'l'];

t.test('editDistance counts a swap of neighbours as one edit', async (t) => {
  t.equal(editDistance('listen', 'listen'), 0);
  t.equal(editDistance('listn', 'listen'), 1);
  t.equal(editDistance('lsiten', 'listen'), 1, 'transposition');
  t.equal(editDistance('', 'abc'), 3);
  t.equal(editDistance('zones', 'zone'), 1);
});

t.test('nearestOptions', async (t) => {
  t.same(nearestOptions('listn', SERVE), ['listen']);
  t.same(nearestOptions('Listen', SERVE), ['listen'], 'case does not matter');
  t.same(nearestOptions('zone', SERVE), ['zones']);
  t.same(nearestOptions('root-hint', SERVE), ['root-hints']);
  t.same(nearestOptions('tsig', SERVE), ['tsig-key', 'tsig-secret'], 'a prefix of several: all of them');
  t.same(nearestOptions('mcp-zone', SERVE), ['mcp-zones']);
  t.same(nearestOptions('zzzzzz', SERVE), [], 'nothing close');
  t.same(nearestOptions('x', SERVE), [], 'one letter is close to everything short: no guess');
});

t.test("unknownOptionMessage: yargs' message as aop says it", async (t) => {
  t.equal(unknownOptionMessage('Unknown argument: listn', ['serve', '--listn', '127.0.0.1:53'], SERVE, ['serve']),
    'unknown option --listn; did you mean --listen?');
  t.equal(unknownOptionMessage('Unknown argument: listn', ['serve', '--listn=127.0.0.1:53'], SERVE, ['serve']),
    'unknown option --listn; did you mean --listen?', 'an option written with =');
  t.equal(unknownOptionMessage('Unknown arguments: listn, zzzzzz', ['serve', '--listn', 'x', '--zzzzzz'], SERVE, ['serve']),
    'unknown option --listn; did you mean --listen?; unknown option --zzzzzz', 'each unknown option');
  t.equal(unknownOptionMessage('Unknown argument: mcpp', ['serve', '--no-mcpp'], SERVE, ['serve']),
    'unknown option --no-mcpp; did you mean --mcp?', '--no-X is shown as written');
  t.equal(unknownOptionMessage('Unknown argument: b', ['zone', 'check', 'a', 'b'], ['help', 'version', 'origin'], ['zone', 'check']),
    "unexpected argument 'b' (see aop zone check --help)", 'a stray word is no option');
  t.equal(unknownOptionMessage('Unknown argument: nosuch', ['nosuch'], ['help', 'version'], []),
    "unknown command 'aop nosuch' (see aop --help)", 'at the top level a stray word is a command');
  t.equal(unknownOptionMessage('Unknown argument: frob', ['cache', 'frob'], ['help', 'version', 'control'], ['cache'], ['stats', 'flush', 'dump']),
    "unknown command 'aop cache frob' (see aop cache --help)", 'and where the command has commands of its own');
  t.equal(unknownOptionMessage('Unknown argument: fulsh', ['cache', 'fulsh'], ['help', 'version', 'control'], ['cache'], ['stats', 'flush', 'dump']),
    "unknown command 'aop cache fulsh'; did you mean aop cache flush? (see aop cache --help)", 'with the nearest one');
  t.equal(unknownOptionMessage('Missing required argument: tool', ['zone'], [], []), undefined, 'other messages are left alone');
});

t.test('requirePath: files and folders named on the command line', async (t) => {
  const dir = t.testdir({ 'a.key': 'x', zones: {} });
  t.doesNotThrow(() => requirePath('--zones', path.join(dir, 'zones'), 'folder'));
  t.doesNotThrow(() => requirePath('--tsig-key', path.join(dir, 'a.key'), 'file'));
  t.throws(() => requirePath('--zones', '/nonexistent', 'folder'), { name: 'UsageError', code: 'ERR_MISSING_FILE', message: '--zones /nonexistent: no such folder' });
  t.throws(() => requirePath('--root-hints', '/nonexistent/x', 'file'), { code: 'ERR_MISSING_FILE', message: '--root-hints /nonexistent/x: no such file' });
  t.throws(() => requirePath('--zones', path.join(dir, 'a.key'), 'folder'), { code: 'ERR_MISSING_FILE', message: /: not a folder \(give the folder that holds the <origin>\.zone files\)$/ });
  t.throws(() => requirePath('--tsig-key', path.join(dir, 'zones'), 'file'), { code: 'ERR_MISSING_FILE', message: /: is a folder, not a file$/ });
  t.ok(new UsageError('ERR_MISSING_FILE', 'x') instanceof Error);
});

t.test('chooseDefaultServer: $AOP_RESOLVER, the state file, resolv.conf, 127.0.0.1; each says where it came from', async (t) => {
  const dir = t.testdir({ 'resolv.conf': '# comment\nsearch example\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n', 'empty.conf': '' });
  const conf = path.join(dir, 'resolv.conf');
  const state = path.join(dir, 'run', 'daemon.json');
  mkdirSync(path.dirname(state));
  writeDaemonState(state, { pid: process.pid, dns: { address: '127.0.0.1', port: 5300 }, mcp: 'http://127.0.0.1:8053/mcp', started: 'now' });

  const env = chooseDefaultServer({ AOP_RESOLVER: '[::1]:5353' }, { resolvConf: conf, stateFile: state });
  t.same({ address: env.address, port: env.port, source: env.source, from: env.from }, { address: '::1', port: 5353, source: 'AOP_RESOLVER', from: '$AOP_RESOLVER' }, '$AOP_RESOLVER wins');
  const live = chooseDefaultServer({}, { resolvConf: conf, stateFile: state });
  t.equal(live.source, 'state-file');
  t.same([live.address, live.port, live.from], ['127.0.0.1', 5300, `the state file ${state}`]);
  t.equal(live.daemon?.pid, process.pid, 'the daemon it announced');
  const conf1 = chooseDefaultServer({}, { resolvConf: conf, stateFile: path.join(dir, 'none.json') });
  t.same([conf1.address, conf1.port, conf1.source], ['192.0.2.53', undefined, 'resolv.conf'], 'the first nameserver');
  t.equal(conf1.from, `the first nameserver of ${conf}; no aop daemon announced in its state file`);
  t.equal(chooseDefaultServer({}, { resolvConf: conf }).from, `the first nameserver of ${conf}`, 'no state file asked about');
  const none = chooseDefaultServer({}, { resolvConf: path.join(dir, 'empty.conf') });
  t.same([none.address, none.source], ['127.0.0.1', 'fallback']);
  t.match(none.from, /^the fallback \(no \$AOP_RESOLVER, no running aop daemon, no nameserver in .*empty\.conf\)$/);
  t.throws(() => chooseDefaultServer({ AOP_RESOLVER: 'localhost:53' }), {
    name: 'UsageError', code: 'ERR_RESOLVER_ENV', message: "AOP_RESOLVER='localhost:53': 'localhost' is not an IPv4 or IPv6 address; give ADDR, ADDR:PORT or [IPv6]:PORT",
  });
  t.throws(() => chooseDefaultServer({ AOP_RESOLVER: '127.0.0.1:0' }), { code: 'ERR_RESOLVER_ENV' });

  t.equal(askedNote(live), `(asked 127.0.0.1:5300, from the state file ${state})`);
  t.equal(askedNote(env), '(asked [::1]:5353, from $AOP_RESOLVER)');
  t.equal(askedNote(conf1), `(asked 192.0.2.53:53, from the first nameserver of ${conf}; no aop daemon announced in its state file)`, 'port 53 when the source gives none');
  t.equal(askedNote({ ...conf1, port: 5353 }), `(asked 192.0.2.53:5353, from the first nameserver of ${conf}; no aop daemon announced in its state file)`, 'the port asked (dig -p)');
  writeFileSync(state, '{ not json');
  t.equal(chooseDefaultServer({}, { resolvConf: conf, stateFile: state }).source, 'resolv.conf', 'a broken state file is no daemon');
});

// `aop dig` against real dig (bind9-dnsutils): the same arguments to the same server must print
// the same text, up to the version banner, the message ID, times and cookies. The server is our
// daemon on 127.0.0.1:0 serving test/fixtures/serve plus a zone of every record type, and a
// scripted UDP server for replies our daemon never sends (EDNS options, odd header bits, record
// order). Then argument parsing, exit statuses, the default server and +json.

import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../helpers/server.js';
import { requireTool, run } from '../helpers/peers.js';
import { defaultServer, runDig, type DigIo } from '../../src/cli/dig.js';
import { parseDigArgs } from '../../src/cli/dig/args.js';
import { ttlWords } from '../../src/cli/dig/format.js';
import { decodeMessage, encodeMessage, type Message } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import type { RR } from '../../src/wire/rr.js';
import { privateRuntimeEnv } from '../helpers/runtime-env.js';
import { leaseNet } from '../helpers/loopback-net.js';

// Port 53 of an address in a loopback /24 leased for this file, where nothing listens: a port
// found free and closed again could be taken by another process (a second copy of the suite)
// before the query reaches it.
const DEAD = (await leaseNet(t)).host(1);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');

const KEY = Buffer.from(Array.from({ length: 132 }, (_, i) => (i * 37 + 11) & 255)).toString('base64');
const DIGEST = '2BB183AF5F22588179A53B0A98631FAD1A292118'.padEnd(64, '0');

/** Every record type with a presentation form, awkward text, and owner names at the tab stops. */
const GOLDEN_ZONE = `$ORIGIN golden.test.
$TTL 300
@            3600 IN SOA ns1 hostmaster 1 3600 600 604800 120
             IN NS    ns1
ns1          IN A     127.0.0.1
txt          IN TXT   "plain" "with space" "quote\\"inside" "back\\\\slash" "semi;colon" "\\200\\255\\000" "" "tab\\009x" "\\195\\188ber"
svc          IN SVCB  1 . mandatory=alpn,port alpn="h2,h3,a\\\\,b" no-default-alpn port=443 ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1,::ffff:192.0.2.3 ech=AAA= key65000="a b\\"c" key65001
https        IN HTTPS 0 svc.golden.test.
https1       IN HTTPS 1 . alpn="h2" dohpath="/q{?dns}"
mx           IN MX    10 mail
srv          IN SRV   1 2 3 target
caa          IN CAA   0 issue "letsencrypt.org"
caa          IN CAA   128 tbs "Unknown"
uri          IN URI   10 1 "https://example.org/path?x=1"
naptr        IN NAPTR 100 10 "S" "SIP+D2U" "!^.*$!sip:x@y!" _sip._udp
hinfo        IN HINFO "PC Intel" "Linux"
rp           IN RP    admin.golden.test. txt
afsdb        IN AFSDB 1 afs.golden.test.
spf          IN SPF   "v=spf1 -all"
dname        IN DNAME target.example.
ds           IN DS    12345 8 2 ${DIGEST}
sshfp        IN SSHFP 1 1 ${DIGEST.slice(0, 40)}
tlsa         IN TLSA  3 1 1 ${DIGEST}
dnskey       IN DNSKEY 257 3 8 ${KEY}
gen          IN TYPE65534 \\# 3 010203
empty        IN TYPE65533 \\# 0
esc\\032name  IN A     127.0.0.1
dot\\.label   IN A     127.0.0.2
a-very-long-owner-name-to-push-past-the-columns IN A 127.0.0.3
abcdefghi    IN A     127.0.0.4
abcdefghij   IN A     127.0.0.5
abcdefghijk  IN A     127.0.0.6
abcdefghijkl IN A     127.0.0.7
cname        IN CNAME txt
ptr          IN PTR   host.golden.test.
aaaa         IN AAAA  2001:db8::1
aaaa         IN AAAA  ::ffff:192.0.2.1
aaaa         IN AAAA  2001:db8:0:0:1:0:0:1
*.w          IN TXT   "wild"
`;

/** Only what differs run to run, or names the program. */
function normalise(out: string): string {
  return out
    .replace(/^; <<>> .*? <<>>/m, '; <<>> VERSION <<>>')
    .replace(/\bid: \d+/g, 'id: ID')
    .replace(/Query time: \d+ msec/g, 'Query time: N msec')
    .replace(/^;; WHEN: .*$/gm, ';; WHEN: W')
    .replace(/^; COOKIE: .*$/gm, '; COOKIE: C');
}

interface Output { stdout: string; stderr: string; code: number }

async function aopDig(args: string[], io: Partial<DigIo> = {}): Promise<Output> {
  let stdout = '';
  let stderr = '';
  const code = await runDig(args, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, env: {}, ...io });
  return { stdout, stderr, code };
}

/** Run the built CLI, for the wiring through main.ts and real exit statuses. */
function aopBin(args: string[], env: Record<string, string> = {}): Promise<Output> {
  const base = privateRuntimeEnv();
  delete base.AOP_RESOLVER;
  delete base.NODE_OPTIONS; // tap's loaders: the built CLI needs none
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
  });
}

async function compare(t: Test, server: string[], args: string[]): Promise<void> {
  const all = [...server, ...args];
  const real = await run('dig', all);
  const ours = await aopDig(all);
  t.equal(ours.code, real.code, `${args.join(' ')}: exit status`);
  t.equal(normalise(ours.stdout), normalise(real.stdout), `${args.join(' ')}: same output as dig`);
}

async function zonesDir(t: Test): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(path.join(root, 'test', 'fixtures', 'serve', 'example.agents.zone'), path.join(dir, 'example.agents.zone'));
  for (const f of ['acme.agents.zone', 'globex.agents.zone']) copyFileSync(path.join(root, 'zones', f), path.join(dir, f));
  writeFileSync(path.join(dir, 'golden.test.zone'), GOLDEN_ZONE);
  return dir;
}

t.test('the same output as dig from our daemon', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const { port } = await startDaemon(t, { zonesDir: await zonesDir(t) });
  const server = ['@127.0.0.1', '-p', String(port), '+nocookie', '+time=2', '+tries=1'];
  const cases: string[][] = [
    ['writer.example.agents', 'SVCB'],
    ['writer.example.agents', 'SVCB', '+norec'],
    ['writer.acme.agents', 'SVCB', '+norec'],
    ['researcher.acme.agents', 'svcb'],
    ['_agent.researcher.acme.agents', 'TXT', '+norec'],
    ['_index._agents.acme.agents', 'PTR'],
    ['nope.example.agents'],
    ['nope.example.agents', 'SVCB', '+short'],
    ['x.sub.example.agents', '+norec'],
    ['alias.example.agents'],
    ['alias.example.agents', 'TXT', '+short'],
    ['proofreader.acme.agents', 'SVCB', '+norec'],
    ['copywriter.acme.agents', 'SVCB', '+short'],
    ['outside.example.agents'],
    ['loop1.example.agents', 'TXT'],
    ['w.old.example.agents', 'TXT'],
    ['x.wild.example.agents', 'TXT'],
    ['ent.example.agents', 'TXT'],
    ['mail.example.agents', 'MX'],
    ['srv.example.agents', 'SRV', '+short'],
    ['big.example.agents', 'TXT', '+bufsize=512'],
    ['big.example.agents', 'TXT', '+bufsize=512', '+ignore'],
    ['big.example.agents', 'TXT', '+bufsize=512', '+nocomments'],
    ['big.example.agents', 'TXT', '+bufsize=512', '+short'],
    ['writer.example.agents', 'SVCB', '+tcp'],
    ['writer.example.agents', 'SVCB', '+noedns'],
    ['writer.example.agents', 'SVCB', '+dnssec'],
    ['writer.example.agents', 'SVCB', '+bufsize=4096', '+nsid'],
    ['writer.example.agents', 'SVCB', '+cdflag', '+noadflag', '+aaflag'],
    ['-t', 'SVCB', '-q', 'writer.example.agents'],
    ['-tTXT', '-c', 'IN', 'writer.example.agents'],
    ['writer.example.agents', 'IN', 'TXT'],
    ['example.agents', 'SOA', '+noall', '+answer'],
    ['example.agents', 'NS', '+nottlid'],
    ['example.agents', 'NS', '+noclass'],
    ['example.agents', 'NS', '+nottlid', '+noclass'],
    ['example.agents', 'ANY'],
    ['example.agents', 'TYPE65534'],
    ['example.agents', 'NSEC3PARAM'],
    ['version.bind', 'TXT', 'CH'],
    ['host.example.agents', 'AAAA', '+noquestion'],
    ['host.example.agents', '+nostats'],
    ['host.example.agents', '+nocmd'],
    ['host.example.agents', '+nocomments'],
    ['host.example.agents', '+noadditional', '+noauthority'],
    ['host.example.agents', '+noall'],
    ['host.example.agents', '+noall', '+answer', '+stats', '+cmd'],
    ['host.example.agents', '+short', '+cmd'],
    ['writer.example.agents', 'SVCB', '+short', '+noanswer'],
    ['writer.example.agents', 'SVCB', '+edns=1'],
    ['.'],
    [],
  ];
  for (const name of ['txt', 'svc', 'https', 'https1', 'mx', 'srv', 'caa', 'uri', 'naptr', 'hinfo', 'rp', 'afsdb', 'spf', 'dname', 'ds', 'sshfp', 'tlsa', 'dnskey', 'gen', 'empty', 'cname', 'ptr', 'aaaa']) {
    const type = { svc: 'SVCB', https1: 'HTTPS', gen: 'TYPE65534', empty: 'TYPE65533' }[name] ?? name.toUpperCase();
    cases.push([`${name}.golden.test`, type, '+norec'], [`${name}.golden.test`, type, '+short']);
  }
  for (const name of ['esc\\032name', 'dot\\.label', 'a-very-long-owner-name-to-push-past-the-columns', 'abcdefghi', 'abcdefghij', 'abcdefghijk', 'abcdefghijkl', 'x.y.w']) {
    cases.push([`${name}.golden.test`, '+norec'], [`${name}.golden.test`, 'A', '+nottlid', '+noclass', '+norec']);
  }
  for (const args of cases) await compare(t, server, args);
});

// ---------------------------------------------------------------------------------------------
// A scripted server: replies our daemon would never send, to check how they are printed.

interface Script {
  rcode?: number;
  /** OPT record to send; null for none. */
  edns?: { version?: number; do?: boolean; flags?: number; options?: Array<[number, string]> } | null;
  /** Bits ORed into the header flags (0x40: the Z bit). */
  flags?: number;
  answers?: RR[];
  authority?: RR[];
}

function a(name: string, ttl: number, addr: string): RR {
  return { name, type: 1, class: 1, ttl, rdata: Buffer.from(addr.split('.').map(Number)) };
}

async function scriptedServer(t: Test, scripts: Record<string, Script>): Promise<number> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (m, from) => {
    const q = decodeMessage(m);
    const script = scripts[q.questions[0]!.name.split('.')[0]!.toLowerCase()] ?? {};
    const reply: Message = {
      ...q, qr: true, aa: true, rcode: script.rcode ?? 0, answers: script.answers ?? [], authority: script.authority ?? [], additional: [],
      edns: script.edns === null ? undefined : {
        udpSize: 1232, version: script.edns?.version ?? 0, dnssecOk: script.edns?.do ?? false, extendedRcode: 0,
        flags: script.edns?.flags ?? 0, options: (script.edns?.options ?? []).map(([code, hex]) => ({ code, data: Buffer.from(hex, 'hex') })),
      },
    };
    const out = encodeMessage(reply);
    out.writeUInt16BE(out.readUInt16BE(2) | (script.flags ?? 0), 2);
    sock.send(out, from.port, from.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  t.teardown(() => sock.close());
  return sock.address().port;
}

t.test('the same output as dig for unusual replies', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const hex = (s: string) => Buffer.from(s).toString('hex');
  const port = await scriptedServer(t, {
    ede: { edns: { options: [[15, '0018'], [15, '0019'], [15, '0000'], [15, '0014' + hex('hi there')], [15, '0003' + hex('tab\there')]] } },
    edge: { edns: { options: [[12, ''], [11, '']] } },
    nsid: { edns: { options: [[3, hex('ns1.example')], [3, '']] } },
    opts: { edns: { options: [[12, '000000'], [10, '0102030405060708'], [65001, '41420043'], [65002, ''], [5, '080d']] } },
    expire: { edns: { options: [[9, '00000e10'], [9, '00093a81'], [9, '00000000'], [11, '0064'], [14, '0001'], [14, '00010002']] } },
    subnet: { edns: { options: [[8, '00011800c00002'], [8, '00023800' + '20010db8000000'], [8, '00010000']] } },
    bits: { flags: 0x40 | 0x80, edns: { version: 1, do: true, flags: 0x3039 } },
    reserved: { rcode: 11 },
    badvers: { rcode: 16 },
    formerr: { rcode: 1, edns: null },
    notimp: { rcode: 4, edns: null },
    noedns: { rcode: 3, edns: null },
    order: { answers: [a('order.test.', 300, '192.0.2.1'), a('other.test.', 60, '192.0.2.2'), a('order.test.', 100, '192.0.2.3'), a('ORDER.test.', 200, '192.0.2.4')] },
    classes: { answers: [{ name: 'classes.test.', type: 16, class: 3, ttl: 0, rdata: Buffer.from('\x05hello') }, { name: 'classes.test.', type: 65280, class: 3, ttl: 1, rdata: Buffer.from([1, 2]) }] },
    glue: { authority: [{ name: 'glue.test.', type: 2, class: 1, ttl: 5, rdata: nameToWire('ns.glue.test.') }] },
  });
  const server = ['@127.0.0.1', '-p', String(port), '+nocookie', '+time=2', '+tries=1'];
  for (const name of ['ede', 'edge', 'nsid', 'opts', 'expire', 'subnet', 'bits', 'reserved', 'badvers', 'formerr', 'notimp', 'noedns', 'order', 'glue']) {
    await compare(t, server, [`${name}.test`]);
  }
  await compare(t, server, ['formerr.test', '+dnssec']);
  await compare(t, server, ['classes.test', 'TXT', 'CH']);
  await compare(t, server, ['order.test', '+short']);
});

// ---------------------------------------------------------------------------------------------
// Arguments, exit statuses and the default server

t.test('arguments are read as dig reads them', async (t) => {
  const o = parseDigArgs(['@192.0.2.1', '-p', '5300', 'writer.acme.agents', 'svcb', 'ch', '+short', '+tcp', '+norec', '+dnssec', '+bufsize=4096', '+time=2', '+tries=4']);
  t.match(o, { server: '192.0.2.1', port: 5300, name: 'writer.acme.agents.', type: 64, cls: 3, short: true, tcp: true, rd: false, dnssec: true, bufsize: 4096, time: 2, tries: 4 });
  t.match(parseDigArgs([]), { name: '.', type: 2, cls: 1, rd: true, ad: true, edns: 0, bufsize: 1232, time: 5, tries: 3, cmd: true }, 'no name: the root NS set, as dig');
  t.match(parseDigArgs(['x.test']), { name: 'x.test.', type: 1, tcp: false });
  t.match(parseDigArgs(['x.test', 'ANY']), { type: 255, tcp: true }, 'ANY goes over TCP, as in dig');
  t.match(parseDigArgs(['x.test', 'ANY', '+notcp']), { type: 255, tcp: false });
  t.match(parseDigArgs(['ns']), { name: '.', type: 2 }, 'a word that is a type is the type, as in dig');
  t.match(parseDigArgs(['-p53', '-tMX', '-qfoo.test']), { port: 53, type: 15, name: 'foo.test.' });
  t.match(parseDigArgs(['x.test', '+retry=0']), { tries: 1 });
  t.match(parseDigArgs(['x.test', '+time=0']), { time: 1 }, '+time=0 is raised to 1, as dig does');
  t.match(parseDigArgs(['x.test', '+short', '+stats']), { short: true, stats: true, comments: false }, 'later options override what +short set');
  t.match(parseDigArgs(['x.test', '+trace']), { trace: true, rd: false, dnssec: true, additional: false, comments: false });
  t.match(parseDigArgs(['x.test', '+trace', '+additional', '+nodnssec']), { additional: true, dnssec: false });
  t.match(parseDigArgs(['x.test', '+noall', '+answer']), { answer: true, question: false, comments: false, stats: false, cmd: false });
  t.match(parseDigArgs(['x.test', '--root-hints', 'h.txt', '-4']), { rootHints: 'h.txt', family: 4 });
  t.match(parseDigArgs(['x.test', 'A', 'AAAA']).warnings, [';; Warning, extra type option']);
  const bad: Array<[string[], RegExp]> = [
    [['+bogus'], /invalid option '\+bogus'/],
    [['-t', 'BOGUS', 'x.test'], /invalid type 'BOGUS'/],
    [['x.test', 'BOGUS'], /'BOGUS' is not a record type or class, and aop dig looks up one name \(already 'x\.test'\)/],
    [['-c', 'XX', 'x.test'], /invalid class 'XX'/],
    [['-p', 'abc', 'x.test'], /invalid port number 'abc'/],
    [['-p', '70000', 'x.test'], /must be 1 to 65535/],
    [['-p'], /option -p needs a value/],
    [['x.test', '+bufsize=x'], /invalid buffer size/],
    [['x.test', '+short=1'], /takes no value/],
    [['x..test'], /invalid name 'x\.\.test'/],
    [['x.test', 'AXFR'], /zone transfers \(AXFR\) are not supported/],
    [['-x', '192.0.2.1'], /reverse lookups \(-x\) not supported/],
    [['-z'], /unknown option '-z'/],
    [['--json'], /unknown option '--json'/],
    [['@', 'x.test'], /'@' needs a server/],
    [['@bad_host!', 'x.test'], /invalid server/],
    [['x.test', '--root-hints'], /--root-hints needs a file/],
  ];
  for (const [args, message] of bad) {
    t.throws(() => parseDigArgs(args), { code: 'ERR_DIG_USAGE', message }, args.join(' '));
  }
});

t.test('usage errors exit 1 with one line on stderr', async (t) => {
  for (const args of [['+bogus', 'x.test'], ['-t', 'BOGUS', 'x.test'], ['x.test', 'BOGUS'], ['-p', 'abc', 'x.test']]) {
    const r = await aopDig(args);
    t.equal(r.code, 1, `${args.join(' ')}: exit 1`);
    t.equal(r.stdout, '', 'nothing on stdout');
    t.match(r.stderr, /^aop: dig: .+ \(see aop dig -h\)\n$/, 'one line on stderr');
  }
});

/** A port of DEAD with nothing listening: queries come back as ICMP port unreachable. */
async function deadPort(): Promise<number> {
  return 53;
}

t.test('no reply exits 9', async (t) => {
  const port = await deadPort();
  const refused = await aopDig([`@${DEAD}`, '-p', String(port), 'x.test', '+tries=2']);
  t.equal(refused.code, 9);
  t.equal(refused.stderr, `aop: dig: communications error to ${DEAD}#${port}: connection refused; no servers could be reached\n`);
  t.match(refused.stdout, new RegExp(String.raw`^\n; <<>> aop dig .* <<>> @${DEAD.replace(/\./g, '\\.')} .*\n; \(1 server found\)\n;; global options: \+cmd\n$`), 'the banner, as dig prints it');

  // A server that never answers: each attempt times out.
  const sink = dgram.createSocket('udp4');
  let asked = 0;
  sink.on('message', () => { asked++; });
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  t.teardown(() => sink.close());
  const silent = await aopDig(['@127.0.0.1', '-p', String(sink.address().port), 'x.test', '+time=1', '+tries=1', '+short']);
  t.equal(silent.code, 9);
  t.match(silent.stderr, /^aop: dig: communications error to 127\.0\.0\.1#\d+: timed out; no servers could be reached\n$/);
  t.equal(silent.stdout, '');
  t.equal(asked, 1, 'gave up after one attempt');
});

t.test('the default server: $AOP_RESOLVER, resolv.conf, then 127.0.0.1', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dig-conf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const conf = path.join(dir, 'resolv.conf');
  writeFileSync(conf, '# comment\nsearch example\nnameserver bogus\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n');
  t.same(defaultServer({}, conf), { address: '192.0.2.53' });
  t.same(defaultServer({ AOP_RESOLVER: '127.0.0.1:5353' }, conf), { address: '127.0.0.1', port: 5353 });
  t.same(defaultServer({ AOP_RESOLVER: '[::1]:5353' }, conf), { address: '::1', port: 5353 });
  t.same(defaultServer({ AOP_RESOLVER: '::1' }, conf), { address: '::1', port: 53 });
  t.same(defaultServer({}, path.join(dir, 'missing')), { address: '127.0.0.1' });
  t.throws(() => defaultServer({ AOP_RESOLVER: 'localhost:53' }, conf), { code: 'ERR_DIG_USAGE', message: "AOP_RESOLVER='localhost:53': 'localhost' is not an IPv4 or IPv6 address; give ADDR, ADDR:PORT or [IPv6]:PORT" });
  t.throws(() => defaultServer({ AOP_RESOLVER: '127.0.0.1:0' }, conf), { code: 'ERR_DIG_USAGE' });

  const { port } = await startDaemon(t, { zonesDir: path.join(root, 'test', 'fixtures', 'serve') });
  const viaEnv = await aopDig(['writer.example.agents', 'SVCB', '+norec'], { env: { AOP_RESOLVER: `127.0.0.1:${port}` } });
  t.equal(viaEnv.code, 0);
  t.match(viaEnv.stdout, `;; SERVER: 127.0.0.1#${port}(127.0.0.1) (UDP)\n`);
  t.notMatch(viaEnv.stdout, /server found/, 'no "(1 server found)" without @server, as dig');
  const portWins = await aopDig(['-p', String(port), 'writer.example.agents', '+short'], { env: { AOP_RESOLVER: '127.0.0.1:9' } });
  t.equal(portWins.code, 0, '-p overrides the port of $AOP_RESOLVER');
  writeFileSync(conf, 'nameserver 127.0.0.1\n');
  const viaConf = await aopDig(['-p', String(port), 'host.example.agents', '+short'], { resolvConf: conf });
  t.equal(viaConf.stdout, '127.0.0.1\n');
  const badEnv = await aopDig(['x.test'], { env: { AOP_RESOLVER: 'nonsense' } });
  t.equal(badEnv.code, 1);
});

t.test('+json: RFC 8427 member names', async (t) => {
  const { port } = await startDaemon(t, { zonesDir: path.join(root, 'test', 'fixtures', 'serve') });
  const when = new Date('2026-01-02T03:04:05Z');
  const r = await aopDig(['@127.0.0.1', '-p', String(port), 'writer.example.agents', 'SVCB', '+norec', '+json'], { now: () => when });
  t.equal(r.code, 0);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  t.match(j, {
    QR: 1, AA: 1, RD: 0, TC: 0, RCODE: 0, RCODEname: 'NOERROR', Opcode: 0, QDCOUNT: 1, ANCOUNT: 1, NSCOUNT: 0, ARCOUNT: 3,
    QNAME: 'writer.example.agents.', QTYPE: 64, QTYPEname: 'SVCB', QCLASS: 1, QCLASSname: 'IN',
    answerRRs: [{ NAME: 'writer.example.agents.', TYPE: 64, TYPEname: 'SVCB', CLASS: 1, CLASSname: 'IN', TTL: 300, rdataSVCB: '1 host.example.agents. alpn="mcp,h2" port=8443 key65320="/mcp"' }],
    authorityRRs: [],
    additionalRRs: [{ NAME: 'host.example.agents.', TYPEname: 'A', rdataA: '127.0.0.1' }, { TYPEname: 'AAAA', rdataAAAA: '::1' }],
    edns: { version: 0, udpSize: 1232, DO: 0, options: [] },
    dateString: '2026-01-02T03:04:05.000Z', dateSeconds: when.getTime() / 1000,
    server: { address: '127.0.0.1', port, name: '127.0.0.1' }, transport: 'udp', msgSize: 159,
  });
  t.type(j.ID, 'number');
  t.type(j.queryTime, 'number');
  const octets = Buffer.from(j.messageOctetsHEX as string, 'hex');
  t.equal(octets.length, 159, 'messageOctetsHEX is the whole reply');
  const rr = (j.answerRRs as Array<Record<string, unknown>>)[0]!;
  t.equal(rr.RDLENGTH, Buffer.from(rr.RDATAHEX as string, 'hex').length);
  const nx = JSON.parse((await aopDig(['@127.0.0.1', '-p', String(port), 'nope.example.agents', '+json'])).stdout) as Record<string, unknown>;
  t.match(nx, { RCODE: 3, RCODEname: 'NXDOMAIN', answerRRs: [], authorityRRs: [{ TYPEname: 'SOA' }] });
});

t.test('small pieces', async (t) => {
  t.equal(ttlWords(0), '0 seconds');
  t.equal(ttlWords(3600), '1 hour');
  t.equal(ttlWords(694861), '1 week 1 day 1 hour 1 minute 1 second');
  t.equal(ttlWords(120), '2 minutes');
  const help = await aopDig(['-h']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: aop dig \[@server\]/);
  t.match(help.stdout, /\+trace/);
  const v = await aopDig(['-v']);
  t.match(v.stdout, /^aop dig \d+\.\d+\.\d+\n$/);
  const lookupFails = await aopDig(['@no-such-host.invalid', 'x.test']);
  t.equal(lookupFails.code, 1, "a server name that does not resolve exits 1, as dig 9.18's does");
  t.match(lookupFails.stderr, /^aop: dig: couldn't get address for 'no-such-host\.invalid'/);
});

t.test('the built CLI: aop dig through main.ts', async (t) => {
  if (!existsSync(path.join(root, 'dist', 'cli', 'dig.js'))) {
    t.fail('dist/ lacks the dig command: run `npm run build` first');
    return;
  }
  const { port } = await startDaemon(t, { zonesDir: path.join(root, 'test', 'fixtures', 'serve') });
  const ok = await aopBin(['dig', '@127.0.0.1', '-p', String(port), 'writer.example.agents', 'SVCB', '+short']);
  t.equal(ok.code, 0);
  t.equal(ok.stdout, '1 host.example.agents. alpn="mcp,h2" port=8443 key65320="/mcp"\n');
  const nx = await aopBin(['dig', '@127.0.0.1', '-p', String(port), 'nope.example.agents']);
  t.equal(nx.code, 0, 'NXDOMAIN is an answer: exit 0');
  t.match(nx.stdout, /status: NXDOMAIN/);
  const env = await aopBin(['dig', 'host.example.agents', '+short'], { AOP_RESOLVER: `127.0.0.1:${port}` });
  t.equal(env.stdout, '127.0.0.1\n');
  const dead = await aopBin(['dig', `@${DEAD}`, '-p', String(await deadPort()), 'x.test', '+tries=1']);
  t.equal(dead.code, 9, 'unreachable server: 9');
  t.match(dead.stderr, /^aop: dig: communications error to .*connection refused; no servers could be reached\n$/);
  const usage = await aopBin(['dig', '+bogus', 'x.test']);
  t.equal(usage.code, 1, 'bad option: 1');
  t.match(usage.stderr, /^aop: dig: invalid option '\+bogus'/);
  const type = await aopBin(['dig', '-t', 'BOGUS', 'x.test']);
  t.equal(type.code, 1, 'unknown type: 1');
  t.equal(type.stderr.split('\n').length, 2, 'one line on stderr');
  const help = await aopBin(['dig', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /Usage: aop dig \[@server\]/);
  t.match(help.stdout, /\+short/);
  const list = await aopBin(['--help']);
  t.match(list.stdout, /aop dig\s+Look up DNS records/);
});

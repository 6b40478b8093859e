// Dynamic UPDATE (RFC 2136) signed with TSIG (RFC 8945) against the real daemon: nsupdate -k and
// -y register and remove, dig and kdig verify our signatures, and every refusal changes nothing.

import t, { type Test } from 'tap';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../helpers/server.js';
import { requireTool, run } from '../helpers/peers.js';
import { parseListen } from '../../src/server/listen.js';
import { exchange } from '../../src/transport/index.js';
import { encodeMessage, newMessage, encodeQuery } from '../../src/wire/message.js';
import { rdataFromText } from '../../src/wire/rdata.js';
import type { RR } from '../../src/wire/rr.js';
import { tokenize } from '../../src/wire/token.js';
import { Keyring, TsigStreamVerifier, findTsig, signMessage, type TsigKey } from '../../src/wire/tsig.js';
import { formatKeyFile } from '../../src/wire/tsig-key.js';
import { Opcode, RRClass, RRType, Rcode, typeFromString } from '../../src/wire/types.js';
import { parsePolicy } from '../../src/update/policy.js';
import { sendUpdate } from '../../src/update/client.js';
import { registerUpdate, deregisterUpdate } from '../../src/update/build.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ZONE = 'acme.agents.';

const admin: TsigKey = { name: 'admin-key', algorithm: 'hmac-sha256.', secret: Buffer.from('YWRtaW4gc2VjcmV0IGZvciB0aGUgYWNtZSB6b25lIQ==', 'base64') };
const writer: TsigKey = { name: 'writer-key', algorithm: 'hmac-sha512.', secret: Buffer.from('d3JpdGVyIGtleSBzZWNyZXQsIG9ubHkgb25lIGFnZW50IQ==', 'base64') };
const spec = (k: TsigKey): string => `${k.algorithm.replace(/\.$/, '')}:${k.name}:${k.secret.toString('base64')}`;

function rr(name: string, ttl: number, type: string, rdata: string, cls: number = RRClass.IN): RR {
  const tnum = typeFromString(type)!;
  return { name, type: tnum, class: cls, ttl, rdata: rdata === '' ? Buffer.alloc(0) : rdataFromText(tnum, tokenize(rdata), ZONE) };
}
const del = (name: string, type: string): RR => ({ name, type: typeFromString(type)!, class: RRClass.ANY, ttl: 0, rdata: Buffer.alloc(0) });
const delOne = (name: string, type: string, rdata: string): RR => ({ ...rr(name, 0, type, rdata), class: RRClass.NONE });

async function setup(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-update-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), path.join(dir, 'acme.agents.zone'));
  writeFileSync(path.join(dir, 'admin.key'), formatKeyFile(admin));
  const { daemon, host, port } = await startDaemon(t, {
    zonesDir: dir,
    listen: [parseListen('127.0.91.1:0')],
    keyring: new Keyring([admin, writer]),
    update: { policy: parsePolicy(['grant admin-key zonesub ANY', 'grant writer-key agent newbie.acme.agents.']), flushDelayMs: 50 },
  });
  const server = { address: host, port };
  const serial = (): number => daemon.catalog.get(ZONE)!.serial;
  /** Send one UPDATE, signed with `key` unless undefined; the reply's RCODE (and its TSIG checked). */
  const update = async (key: TsigKey | undefined, updates: RR[], prereqs: RR[] = [], zone = ZONE, zoneType: number = RRType.SOA): Promise<number> => {
    const msg = encodeMessage(newMessage({ id: 77, opcode: Opcode.UPDATE, questions: [{ name: zone, type: zoneType, class: RRClass.IN }], answers: prereqs, authority: updates }));
    if (!key) return (await exchange(server, msg, { timeout: 10_000 })).message.rcode;
    const signed = signMessage(msg, key);
    const r = await exchange(server, signed.message, { timeout: 10_000 });
    t.ok(new TsigStreamVerifier(key, signed.mac).verify(r.reply).ok, 'reply signed with the request key');
    return r.message.rcode;
  };
  const dig = async (name: string, type: string, extra: string[] = []): Promise<string> =>
    (await run('dig', [`@${host}`, '-p', String(port), '+norec', '+short', ...extra, name, type])).stdout.trim();
  return { dir, daemon, host, port, server, serial, update, dig };
}

t.test('nsupdate -k registers, nsupdate -y removes, dig and kdig verify our signatures', async (t) => {
  if (!requireTool(t, 'nsupdate', 'bind9-dnsutils') || !requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const s = await setup(t);
  const before = s.serial();
  const script = (lines: string[]) => {
    const f = path.join(s.dir, `ns-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(f, [`server ${s.host} ${s.port}`, `zone ${ZONE}`, ...lines, 'send', ''].join('\n'));
    return f;
  };
  const add = await run('nsupdate', ['-k', path.join(s.dir, 'admin.key'), script([
    'update add scout.acme.agents. 300 SVCB 1 mcp.acme.agents. alpn=mcp port=18150 key65320="/mcp" key65321="streamable-http" key65322="scout"',
    'update add _agent.scout.acme.agents. 300 TXT "v=aid2;u=http://mcp.acme.agents:18150/mcp;p=mcp"',
    'update add _index._agents.acme.agents. 300 PTR scout.acme.agents.',
  ])]);
  t.equal(add.code, 0, `nsupdate -k succeeds: ${add.stderr}`);
  t.equal(s.serial(), before + 1, 'serial raised once');
  t.match(await s.dig('scout.acme.agents', 'SVCB'), /^1 mcp\.acme\.agents\. alpn="mcp" port=18150 key65320="\/mcp" key65321="streamable-http" key65322="scout"$/);
  t.match(await s.dig('_index._agents.acme.agents', 'PTR'), /scout\.acme\.agents\./);

  // dig -y and kdig -y: our verification of their requests, their verification of our replies.
  const signedDig = await run('dig', [`@${s.host}`, '-p', String(s.port), '-y', spec(admin), 'scout.acme.agents', 'SVCB']);
  t.match(signedDig.stdout, /status: NOERROR/);
  t.match(signedDig.stdout, /TSIG\s+hmac-sha256\. \d+ 300 32 \S+ \d+ NOERROR 0/);
  t.notMatch(signedDig.stdout + signedDig.stderr, /could not be validated|Couldn't verify/i, 'dig verifies our reply');
  const tcpDig = await run('dig', [`@${s.host}`, '-p', String(s.port), '+tcp', '-y', spec(writer), 'scout.acme.agents', 'SVCB']);
  t.notMatch(tcpDig.stdout + tcpDig.stderr, /could not be validated|Couldn't verify/i, 'hmac-sha512 over TCP');
  if (requireTool(t, 'kdig', 'knot-dnsutils')) {
    const k = await run('kdig', [`@${s.host}`, '-p', String(s.port), '-y', spec(admin), 'scout.acme.agents', 'SVCB']);
    t.match(k.stdout, /status: NOERROR/);
    t.notMatch(k.stdout + k.stderr, /WARNING|fail|BADSIG|BADKEY/i, 'kdig verifies our reply');
    const bad = await run('kdig', [`@${s.host}`, '-p', String(s.port), '-y', `hmac-sha256:admin-key:${Buffer.from('wrong').toString('base64')}`, 'scout.acme.agents', 'SVCB']);
    t.match(bad.stdout + bad.stderr, /NOTAUTH|BADSIG/, 'kdig with a wrong secret gets NOTAUTH BADSIG');
  }

  // Knot's client, and nsupdate over TCP (-v).
  if (requireTool(t, 'knsupdate', 'knot-dnsutils')) {
    const k = await run('sh', ['-c', `knsupdate -y ${spec(admin)} < ${script(['update add k.acme.agents. 60 A 127.0.0.5'])}`]);
    t.equal(k.code, 0, `knsupdate succeeds and verifies our reply: ${k.stderr}`);
    t.equal(await s.dig('k.acme.agents', 'A'), '127.0.0.5');
  }
  const tcp = await run('nsupdate', ['-v', '-y', spec(writer), script(['update add newbie.acme.agents. 60 A 127.0.0.6'])]);
  t.equal(tcp.code, 0, `nsupdate -v (TCP) with an hmac-sha512 key: ${tcp.stderr}`);
  t.equal(await s.dig('newbie.acme.agents', 'A'), '127.0.0.6');
  const afterAdds = s.serial();

  const rm = await run('nsupdate', ['-y', spec(admin), script([
    'update delete scout.acme.agents. SVCB',
    'update delete _agent.scout.acme.agents. TXT',
    'update delete _index._agents.acme.agents. PTR scout.acme.agents.',
  ])]);
  t.equal(rm.code, 0, `nsupdate -y succeeds: ${rm.stderr}`);
  t.equal(await s.dig('scout.acme.agents', 'SVCB'), '');
  t.notMatch(await s.dig('_index._agents.acme.agents', 'PTR'), /scout/);
  t.match(await s.dig('_index._agents.acme.agents', 'PTR'), /writer\.acme\.agents\./, 'the other index entries stay');
  t.equal(s.serial(), afterAdds + 1);

  // Refusals as nsupdate reports them.
  const unsigned = await run('nsupdate', [script(['update add x.acme.agents. 60 A 127.0.0.1'])]);
  t.not(unsigned.code, 0);
  t.match(unsigned.stderr + unsigned.stdout, /REFUSED/, 'unsigned update REFUSED');
  const wrong = await run('nsupdate', ['-y', `hmac-sha256:admin-key:${Buffer.from('not the secret').toString('base64')}`, script(['update add x.acme.agents. 60 A 127.0.0.1'])]);
  t.not(wrong.code, 0);
  t.match(wrong.stderr + wrong.stdout, /NOTAUTH|BADSIG|tsig/i, 'wrong secret refused');
  t.equal(await s.dig('x.acme.agents', 'A'), '');
  t.equal(s.serial(), afterAdds + 1, 'refusals change nothing');
});

t.test('TSIG failures: unsigned, unknown key, wrong secret, replayed outside the fudge', async (t) => {
  const s = await setup(t);
  const before = s.serial();
  const add = [rr('t1.acme.agents.', 60, 'A', '127.0.0.7')];
  t.equal(await s.update(undefined, add), Rcode.REFUSED, 'unsigned: REFUSED');

  const msg = encodeMessage(newMessage({ id: 9, opcode: Opcode.UPDATE, questions: [{ name: ZONE, type: RRType.SOA, class: 1 }], authority: add }));
  const tsigOf = (reply: Buffer) => findTsig(reply)?.record;
  const unknown = await exchange(s.server, signMessage(msg, { ...admin, name: 'nobody' }).message, { timeout: 10_000 });
  t.equal(unknown.message.rcode, Rcode.NOTAUTH);
  t.match(tsigOf(unknown.reply), { error: 17, mac: Buffer.alloc(0) }, 'BADKEY, unsigned');
  const badsig = await exchange(s.server, signMessage(msg, { ...admin, secret: Buffer.from('guess') }).message, { timeout: 10_000 });
  t.equal(badsig.message.rcode, Rcode.NOTAUTH);
  t.match(tsigOf(badsig.reply), { error: 16 }, 'BADSIG');

  // A captured update replayed ten minutes later: BADTIME, signed, with our clock in other data.
  const old = signMessage(msg, admin, { now: Math.floor(Date.now() / 1000) - 600 });
  const asked = Math.floor(Date.now() / 1000);
  const replay = await exchange(s.server, old.message, { timeout: 10_000 });
  const answered = Math.ceil(Date.now() / 1000);
  t.equal(replay.message.rcode, Rcode.NOTAUTH);
  const rec = tsigOf(replay.reply)!;
  t.equal(rec.error, 18, 'BADTIME');
  const serverTime = rec.other.readUIntBE(0, 6);
  t.ok(serverTime >= asked && serverTime <= answered, `server time in other data (${serverTime}, asked at ${asked}, answered by ${answered})`);
  t.match(new TsigStreamVerifier(admin, old.mac).verify(replay.reply), { ok: false, error: 18 }, 'signed: the client can trust the BADTIME');

  t.equal(s.serial(), before, 'nothing changed');
  t.equal(await s.dig('t1.acme.agents', 'A'), '');

  // A signed query gets a signed answer; a broken signature on a query gets NOTAUTH too.
  const q = signMessage(encodeQuery('writer.acme.agents.', RRType.SVCB, { rd: false }), writer);
  const r = await exchange(s.server, q.message, { timeout: 10_000 });
  t.equal(r.message.rcode, Rcode.NOERROR);
  t.ok(new TsigStreamVerifier(writer, q.mac).verify(r.reply).ok);
});

t.test('policy: a key limited to one agent', async (t) => {
  const s = await setup(t);
  const before = s.serial();
  const own = registerUpdate({ name: 'newbie.acme.agents', endpoints: ['http://mcp.acme.agents:18160/mcp'], tool: 'newb' });
  t.equal(await sendUpdate(own.message, { key: writer, server: { address: s.host, port: s.port }, timeout: 10_000 }), Rcode.NOERROR, 'its own name');
  t.match(await s.dig('newbie.acme.agents', 'SVCB'), /port=18160/);
  t.match(await s.dig('_index._agents.acme.agents', 'PTR'), /newbie\.acme\.agents\./);
  const other = registerUpdate({ name: 'writer.acme.agents', endpoints: ['http://evil.example:1/mcp'], tool: 'x' });
  t.equal(await sendUpdate(other.message, { key: writer, server: { address: s.host, port: s.port }, timeout: 10_000 }), Rcode.REFUSED, "another agent's name");
  t.equal(await s.update(writer, [delOne('_index._agents.acme.agents.', 'PTR', 'writer.acme.agents.')]), Rcode.REFUSED, "another agent's index entry");
  t.equal(await s.update(writer, [del('_index._agents.acme.agents.', 'PTR')]), Rcode.REFUSED, 'the whole index');
  t.equal(await s.update(writer, [rr('newbie.acme.agents.', 60, 'NS', 'ns1.acme.agents.')]), Rcode.REFUSED, 'NS is not in the default types');
  t.match(await s.dig('writer.acme.agents', 'SVCB'), /mcp\.acme\.agents/, 'writer untouched');
  t.equal(s.serial(), before + 1);
  const gone = deregisterUpdate({ name: 'newbie.acme.agents' });
  t.equal(await sendUpdate(gone.message, { key: writer, server: { address: s.host, port: s.port }, timeout: 10_000 }), Rcode.NOERROR, 'deregisters itself');
  t.equal(await s.dig('newbie.acme.agents', 'SVCB'), '');
  t.notMatch(await s.dig('_index._agents.acme.agents', 'PTR'), /newbie/);
});

t.test('prerequisites (RFC 2136 3.2)', async (t) => {
  const s = await setup(t);
  const add = (n: string) => [rr(`${n}.acme.agents.`, 60, 'A', '127.0.0.8')];
  const cases: [string, RR[], number][] = [
    ['name in use (YXDOMAIN prereq) holds', [{ ...del('writer.acme.agents.', 'ANY') }], Rcode.NOERROR],
    ['name in use fails for a free name', [del('free.acme.agents.', 'ANY')], Rcode.NXDOMAIN],
    ['RRset exists holds', [del('writer.acme.agents.', 'SVCB')], Rcode.NOERROR],
    ['RRset exists fails', [del('writer.acme.agents.', 'A')], Rcode.NXRRSET],
    ['name not in use fails', [{ ...del('writer.acme.agents.', 'ANY'), class: RRClass.NONE }], Rcode.YXDOMAIN],
    ['name not in use holds', [{ ...del('free2.acme.agents.', 'ANY'), class: RRClass.NONE }], Rcode.NOERROR],
    ['RRset does not exist fails', [{ ...del('writer.acme.agents.', 'SVCB'), class: RRClass.NONE }], Rcode.YXRRSET],
    ['value-dependent holds', [rr('ns1.acme.agents.', 0, 'A', '127.0.0.3')], Rcode.NOERROR],
    ['value-dependent fails on a different value', [rr('ns1.acme.agents.', 0, 'A', '127.0.0.99')], Rcode.NXRRSET],
    ['value-dependent fails on a subset', [rr('acme.agents.', 0, 'NS', 'ns1.acme.agents.')], Rcode.NXRRSET],
    ['value-dependent holds on the whole set', [rr('acme.agents.', 0, 'NS', 'ns1.acme.agents.'), rr('acme.agents.', 0, 'NS', 'NS2.ACME.AGENTS.')], Rcode.NOERROR],
    ['prereq outside the zone', [del('writer.globex.agents.', 'ANY')], Rcode.NOTZONE],
    ['prereq with a TTL', [{ ...del('writer.acme.agents.', 'ANY'), ttl: 5 }], Rcode.FORMERR],
  ];
  let i = 0;
  for (const [what, prereqs, want] of cases) {
    const before = s.serial();
    const rcode = await s.update(admin, add(`p${i++}`), prereqs);
    t.equal(rcode, want, what);
    t.equal(s.serial(), want === Rcode.NOERROR ? before + 1 : before, `${what}: serial`);
  }
});

t.test('updates that would break the zone, or are malformed, change nothing', async (t) => {
  const s = await setup(t);
  const start = s.serial();
  const cases: [string, RR[], number][] = [
    ['delete the SOA', [del(ZONE, 'SOA')], Rcode.REFUSED],
    ['delete one SOA', [delOne(ZONE, 'SOA', 'ns1.acme.agents. hostmaster.acme.agents. 2026112501 3600 900 604800 300')], Rcode.REFUSED],
    ['delete the apex NS RRset', [del(ZONE, 'NS')], Rcode.REFUSED],
    ['delete the last apex NS', [delOne(ZONE, 'NS', 'ns1.acme.agents.'), delOne(ZONE, 'NS', 'ns2.acme.agents.')], Rcode.REFUSED],
    ['CNAME beside data', [rr('mcp.acme.agents.', 60, 'CNAME', 'lab.acme.agents.')], Rcode.REFUSED],
    ['data beside a CNAME', [rr('alias.acme.agents.', 60, 'CNAME', 'lab.acme.agents.'), rr('alias.acme.agents.', 60, 'TXT', '"x"')], Rcode.REFUSED],
    ['out of zone', [rr('x.globex.agents.', 60, 'A', '127.0.0.1')], Rcode.NOTZONE],
    ['a meta type', [{ ...rr('x.acme.agents.', 60, 'A', '127.0.0.1'), type: RRType.AXFR }], Rcode.FORMERR],
    ['bad RDATA', [{ ...rr('x.acme.agents.', 60, 'A', '127.0.0.1'), rdata: Buffer.from([1, 2, 3]) }], Rcode.FORMERR],
    ['a delete with a TTL', [{ ...del('writer.acme.agents.', 'SVCB'), ttl: 30 }], Rcode.FORMERR],
    ['a class that is not the zone\'s', [rr('x.acme.agents.', 60, 'A', '127.0.0.1', RRClass.CH)], Rcode.FORMERR],
    ['delegation without glue', [rr('sub.acme.agents.', 60, 'NS', 'ns.sub.acme.agents.')], Rcode.REFUSED],
    ['SOA below the apex', [rr('x.acme.agents.', 60, 'SOA', 'a. b. 1 2 3 4 5')], Rcode.REFUSED],
    // Agent records the next load would refuse (docs/records.md, "Checking a zone").
    ['an agent SVCB with a bad path and transport', [rr('bad.acme.agents.', 60, 'SVCB', '1 mcp.acme.agents. alpn=mcp port=443 key65320="no-slash" key65321="carrier-pigeon" key65322="t"')], Rcode.REFUSED],
    ['an agent endpoint host in the zone without an address', [rr('lost.acme.agents.', 60, 'SVCB', '1 nowhere.acme.agents. alpn=mcp port=443 key65320="/mcp" key65321="streamable-http" key65322="t"')], Rcode.REFUSED],
    ['the address of a host agents connect to', [del('mcp.acme.agents.', 'A')], Rcode.REFUSED],
    ['an invalid _agent TXT', [rr('_agent.writer.acme.agents.', 60, 'TXT', '"v=aid2;p=mcp;u=not a url"')], Rcode.REFUSED],
    // A good record first: the refusal of the second must undo nothing because nothing was applied.
    ['good then bad', [rr('fine.acme.agents.', 60, 'A', '127.0.0.1'), del(ZONE, 'SOA')], Rcode.REFUSED],
  ];
  for (const [what, updates, want] of cases) t.equal(await s.update(admin, updates), want, what);
  t.equal(await s.update(admin, [rr('x.globex.agents.', 60, 'A', '127.0.0.1')], [], 'globex.agents.'), Rcode.NOTAUTH, 'a zone we do not serve');
  t.equal(await s.update(admin, [rr('x.acme.agents.', 60, 'A', '127.0.0.1')], [], ZONE, RRType.A), Rcode.FORMERR, 'zone section type not SOA');
  t.equal(s.serial(), start, 'serial unchanged by every refusal');
  t.equal(await s.dig('fine.acme.agents', 'A'), '');
  t.equal(await s.dig('bad.acme.agents', 'SVCB'), '', 'the broken agent was not added');
  t.match(await s.dig('mcp.acme.agents', 'A'), /127\.0\.0\.1/, 'the endpoint host keeps its address');
  t.match(await s.dig('acme.agents', 'NS'), /ns1[\s\S]*ns2|ns2[\s\S]*ns1/);

  // What RFC 2136 allows: delete all at the apex keeps SOA and NS; an explicit newer SOA serial is used.
  t.equal(await s.update(admin, [rr(ZONE, 60, 'TXT', '"apex"')]), Rcode.NOERROR);
  t.equal(await s.update(admin, [del(ZONE, 'ANY')]), Rcode.NOERROR);
  t.equal(await s.dig('acme.agents', 'TXT'), '', 'the apex TXT went');
  t.match(await s.dig('acme.agents', 'SOA'), /hostmaster/, 'the SOA stayed');
  t.match(await s.dig('acme.agents', 'NS'), /ns1/, 'the NS stayed');
  t.equal(s.serial(), start + 2);
  t.equal(await s.update(admin, [rr(ZONE, 3600, 'SOA', `ns1.acme.agents. hostmaster.acme.agents. ${start + 100} 3600 900 604800 300`)]), Rcode.NOERROR);
  t.equal(s.serial(), start + 100, 'explicit newer serial');
  t.equal(await s.update(admin, [rr(ZONE, 3600, 'SOA', `ns1.acme.agents. hostmaster.acme.agents. ${start} 3600 900 604800 300`)]), Rcode.NOERROR, 'older SOA ignored');
  t.equal(s.serial(), start + 100);
  t.equal(await s.update(admin, [rr('ttl.acme.agents.', 60, 'A', '127.0.0.1'), rr('ttl.acme.agents.', 120, 'A', '127.0.0.2')]), Rcode.NOERROR);
  t.match(await s.dig('ttl.acme.agents', 'A', ['+noshort', '+noall', '+answer']), /ttl\.acme\.agents\.\s+120\s+IN\s+A\s+127\.0\.0\.1[\s\S]*120/, 'one TTL per RRset');
  t.equal(await s.update(admin, [del('nothing.acme.agents.', 'A')]), Rcode.NOERROR, 'a no-op');
  t.equal(s.serial(), start + 101, 'a no-op does not raise the serial');
});

// A secondary zone against a scripted primary: a bad transfer (invalid zone, cut-off stream,
// broken IXFR) never replaces the good copy; a broken IXFR falls back to AXFR; the SOA refresh and
// retry timers alone keep the copy current; NOTIFY only from the primary; parsing of --secondary.

import t from 'tap';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeMessage, encodeMessage, newMessage, type Message } from '../../src/wire/message.js';
import { FrameDecoder, frameMessage } from '../../src/transport/index.js';
import { nameToWire } from '../../src/wire/name.js';
import type { RR } from '../../src/wire/rr.js';
import { RRType } from '../../src/wire/types.js';
import { SecondaryZone } from '../../src/secondary/secondary.js';
import { parseSecondary, Secondaries } from '../../src/secondary/secondaries.js';
import type { Zone } from '../../src/zone/zone.js';
import { loadZoneText } from '../../src/zone/load.js';
import { Opcode, Rcode } from '../../src/wire/types.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { waitUntil } from '../helpers/wait.js';

// This file's own loopback /24 (a NOTIFY target listens on port 53 in it), leased for its life.
const NET = await leaseNet(t);
const HOST = NET.host(1);
const ORIGIN = 'example.';

function soa(serial: number, refresh = 3600, retry = 600): RR {
  const rdata = Buffer.concat([nameToWire('ns.example.'), nameToWire('host.example.'), Buffer.alloc(20)]);
  rdata.writeUInt32BE(serial, rdata.length - 20);
  rdata.writeUInt32BE(refresh, rdata.length - 16);
  rdata.writeUInt32BE(retry, rdata.length - 12);
  rdata.writeUInt32BE(86400, rdata.length - 8); // expire
  rdata.writeUInt32BE(60, rdata.length - 4);
  return { name: ORIGIN, type: RRType.SOA, class: 1, ttl: 300, rdata };
}
const a = (name: string, last: number): RR => ({ name, type: RRType.A, class: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, last]) });
const cname = (name: string, target: string): RR => ({ name, type: RRType.CNAME, class: 1, ttl: 300, rdata: nameToWire(target) });
const ns: RR = { name: ORIGIN, type: RRType.NS, class: 1, ttl: 300, rdata: nameToWire('ns.example.') };
const zoneV = (serial: number, extra: RR[] = []): RR[] => [soa(serial), ns, a('ns.example.', 1), ...extra, soa(serial)];

/** What the scripted primary does with a transfer request: reply with these answer sections, or hang up. */
type Script = (q: Message) => RR[][] | 'close';

async function primary(t: { teardown(fn: () => unknown): void }, script: { current: Script }): Promise<{ port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = net.createServer((sock) => {
    const dec = new FrameDecoder();
    sock.on('data', (chunk: Buffer) => {
      for (const buf of dec.push(chunk)) {
        const q = decodeMessage(buf);
        requests.push(q.questions[0]!.type === RRType.IXFR ? 'IXFR' : 'AXFR');
        const plan = script.current(q);
        if (plan === 'close') {
          sock.destroy();
          return;
        }
        for (const answers of plan) sock.write(frameMessage(encodeMessage(newMessage({ id: q.id, qr: true, aa: true, questions: q.questions, answers }))));
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as net.AddressInfo).port, requests };
}

t.test('a bad transfer never replaces the good copy', async (t) => {
  const script: { current: Script } = { current: () => [zoneV(1, [a('www.example.', 80)])] };
  const p = await primary(t, script);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-sec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const installed: (Zone | undefined)[] = [];
  const sec = new SecondaryZone({ origin: ORIGIN, primary: { address: HOST, port: p.port }, dir, install: (z) => installed.push(z), timeout: 10_000 });
  t.teardown(() => sec.close());

  const first = await sec.refresh('test');
  t.equal(first.result, 'axfr', 'the first copy by AXFR');
  t.equal(sec.state, 'serving');
  t.equal(sec.zone?.serial, 1);
  t.match(readFileSync(path.join(dir, 'example.zone'), 'utf8'), /www\.example\.\s+300\s+IN\s+A\s+192\.0\.2\.80/, 'saved to disk');

  // Serial 2 puts a CNAME beside other data: invalid, so serial 1 stays.
  script.current = () => [zoneV(2, [a('www.example.', 80), cname('www.example.', 'elsewhere.')])];
  const bad = await sec.refresh('test');
  t.equal(bad.result, 'failed');
  t.equal((bad.error as { code?: string }).code, 'ERR_XFR_BAD_ZONE', 'the invalid zone is refused');
  t.match(bad.error!.message, /CNAME and other data/, 'with the validation fault');
  t.equal(sec.zone?.serial, 1, 'serial 1 is still served');
  t.equal(installed.length, 1, 'nothing new was put in service');
  t.equal(loadZoneText(readFileSync(path.join(dir, 'example.zone'), 'utf8'), { origin: ORIGIN }).serial, 1, 'the copy on disk is untouched');

  // A primary that hangs up mid-transfer.
  script.current = () => 'close';
  const cut = await sec.refresh('test');
  t.equal((cut.error as { code?: string }).code, 'ERR_XFR_NETWORK', 'a cut-off transfer fails');
  t.equal(sec.zone?.serial, 1, 'serial 1 is still served');

  // An IXFR that removes what we do not hold: fall back to AXFR, which is good.
  script.current = (q) => (q.questions[0]!.type === RRType.IXFR
    ? [[soa(3), soa(1), a('nothere.example.', 9), soa(3), a('new.example.', 3), soa(3)]]
    : [zoneV(3, [a('www.example.', 80), a('new.example.', 3)])]);
  p.requests.length = 0;
  const fell = await sec.refresh('test');
  t.equal(fell.result, 'axfr', 'a broken IXFR falls back to AXFR');
  t.same(p.requests, ['IXFR', 'AXFR'], 'IXFR first, then AXFR');
  t.equal(sec.zone?.serial, 3);

  // A good IXFR applies.
  script.current = () => [[soa(4), soa(3), a('new.example.', 3), soa(4), a('newer.example.', 4), soa(4)]];
  const inc = await sec.refresh('test');
  t.equal(inc.result, 'ixfr');
  t.ok(sec.zone?.rrset('newer.example.', RRType.A), 'added');
  t.notOk(sec.zone?.rrset('new.example.', RRType.A), 'removed');

  script.current = () => [[soa(4)]];
  t.equal((await sec.refresh('test')).result, 'current', 'the SOA alone: current');
  t.same(sec.counts, { axfr: 2, ixfr: 1, current: 1, failed: 2, notifies: 0 });
});

t.test('the SOA refresh timer alone brings changes; the retry timer after a failure', async (t) => {
  // Refresh 1 s, retry 1 s, and no NOTIFY ever: only the timers can find serial 2 and 3.
  const timed = (serial: number, extra: RR[] = []): RR[] => [soa(serial, 1, 1), ns, a('ns.example.', 1), ...extra, soa(serial, 1, 1)];
  const script: { current: Script } = { current: () => [timed(1)] };
  const p = await primary(t, script);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-sec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const reasons: string[] = [];
  const sec = new SecondaryZone({
    origin: ORIGIN, primary: { address: HOST, port: p.port }, dir, install: () => {}, timeout: 10_000,
    log: (_level, msg) => { const m = / (\w+) refresh from /.exec(msg); if (m) reasons.push(m[1]!); },
  });
  t.teardown(() => sec.close());
  // The timers fire within seconds; 30 s is only a backstop for a loaded machine.
  const until = async (what: string, ok: () => boolean) => t.ok(await waitUntil(ok, { intervalMs: 50 }), what);
  sec.start();
  await until('serial 1 transferred at start', () => sec.zone?.serial === 1);
  script.current = () => [timed(2, [a('timer.example.', 2)])];
  await until('serial 2 picked up by the refresh timer', () => sec.zone?.serial === 2);
  t.ok(sec.zone?.rrset('timer.example.', RRType.A), 'with its new record');
  t.ok(reasons.includes('timer'), `a timer refresh did it (${reasons.join(', ')})`);
  t.equal(sec.counts.notifies, 0, 'no NOTIFY was involved');
  // The primary hangs up: the retry timer keeps asking, and serial 3 arrives once it is back.
  script.current = () => 'close';
  const failedBefore = sec.counts.failed;
  await until('failed refreshes are retried on the retry timer', () => sec.counts.failed >= failedBefore + 2);
  t.equal(sec.zone?.serial, 2, 'serial 2 is served meanwhile');
  script.current = () => [timed(3)];
  await until('serial 3 once the primary is back', () => sec.zone?.serial === 3);
});

t.test('NOTIFY only from the primary; the NOTIFY handler', async (t) => {
  const script: { current: Script } = { current: () => [zoneV(1)] };
  const p = await primary(t, script);
  const secs = new Secondaries([{ origin: ORIGIN, primary: { address: HOST, port: p.port } }], { install: () => {}, timeout: 10_000, log: () => {} });
  t.teardown(() => secs.close());
  const sec = secs.get(ORIGIN)!;
  await sec.refresh('test');
  const notify = (name: string, from: string): Message => decodeMessage(secs.notifyHandler.handle({
    request: newMessage({ id: 9, opcode: Opcode.NOTIFY, aa: true, questions: [{ name, type: RRType.SOA, class: 1 }] }), remoteAddress: from,
  }));
  t.equal(notify(ORIGIN, NET.host(9)).rcode, Rcode.REFUSED, 'from another address: REFUSED');
  t.equal(sec.counts.notifies, 0);
  const ok = notify('EXAMPLE.', HOST);
  t.equal(ok.rcode, Rcode.NOERROR, 'from the primary: acknowledged');
  t.ok(ok.qr && ok.aa && ok.opcode === Opcode.NOTIFY && ok.id === 9, 'a NOTIFY response with the ID');
  t.equal(sec.counts.notifies, 1, 'and a refresh started');
  t.equal(notify('other.', HOST).rcode, Rcode.NOTAUTH, 'a zone we are not secondary for: NOTAUTH');
  const notSoa = decodeMessage(secs.notifyHandler.handle({ request: newMessage({ opcode: Opcode.NOTIFY, questions: [{ name: ORIGIN, type: RRType.A, class: 1 }] }), remoteAddress: HOST }));
  t.equal(notSoa.rcode, Rcode.FORMERR, 'a NOTIFY not about an SOA: FORMERR');
  t.equal(secs.unavailable('www.example.', undefined), undefined, 'serving: names answer');
});

t.test('--secondary parsing', async (t) => {
  t.same(parseSecondary('acme.agents:127.0.0.3'), { origin: 'acme.agents.', primary: { address: '127.0.0.3', port: 53 } });
  t.same(parseSecondary('acme.agents.:127.0.0.3:5300'), { origin: 'acme.agents.', primary: { address: '127.0.0.3', port: 5300 } });
  t.same(parseSecondary('acme.agents:[::1]:53'), { origin: 'acme.agents.', primary: { address: '::1', port: 53 } });
  t.same(parseSecondary('acme.agents:::1'), { origin: 'acme.agents.', primary: { address: '::1', port: 53 } });
  for (const bad of ['acme.agents', ':127.0.0.1', 'acme.agents:host.example', 'acme.agents:127.0.0.1:0', 'acme.agents:127.0.0.1:99999', 'a..b:127.0.0.1']) {
    t.throws(() => parseSecondary(bad), { code: 'ERR_XFR_BAD_OPTION' }, bad);
  }
  t.throws(() => new Secondaries([parseSecondary('a.b:127.0.0.1'), parseSecondary('A.B.:127.0.0.2')], { install: () => {} }), { code: 'ERR_XFR_BAD_OPTION' }, 'a zone given twice');
});

t.test('the source address for NOTIFY and transfers', async (t) => {
  const { sourcePicker } = await import('../../src/server/transfers.js');
  const pick = sourcePicker(['127.0.0.1', '0.0.0.0', '192.0.2.5', '::1', '2001:db8::5']);
  t.equal(pick('127.0.0.3'), '127.0.0.1', 'a loopback peer: our loopback address');
  t.equal(pick('198.51.100.2'), '192.0.2.5', 'another host: an address off loopback');
  t.equal(pick('2001:db8::9'), '2001:db8::5', 'IPv6');
  t.equal(pick('::1'), '::1');
  t.equal(sourcePicker(['127.0.0.1'])('198.51.100.2'), undefined, 'no usable address: the kernel picks');
  t.equal(sourcePicker(['0.0.0.0'])('127.0.0.2'), undefined, 'the wildcard is never a source');
});

t.test('--notify-ns: the zone\'s own name servers, without us', async (t) => {
  const { nameServerAddresses, Transfers } = await import('../../src/server/transfers.js');
  const { Catalog } = await import('../../src/authority/catalog.js');
  const zone = loadZoneText(`$TTL 300\n@ SOA ns1 h 1 3600 900 604800 300\n@ NS ns1\n@ NS ns2\n@ NS ns.elsewhere.example.\nns1 A ${NET.host(1)}\nns2 A ${NET.host(2)}\nns2 AAAA 2001:db8::2\n`, { origin: 'notify.example.' });
  t.same(nameServerAddresses(zone).sort(), [NET.host(1), NET.host(2), '2001:db8:0:0:0:0:0:2'], 'in-zone NS addresses (out-of-zone names are not resolved)');
  // ns2 listens for NOTIFY; we are ns1 and must not notify ourselves.
  const got: string[] = [];
  const { default: dgram } = await import('node:dgram');
  const sock = dgram.createSocket('udp4');
  sock.on('message', (buf, rinfo) => {
    const m = decodeMessage(buf);
    got.push(`${rinfo.address} ${m.questions[0]!.name}`);
    sock.send(encodeMessage(newMessage({ id: m.id, qr: true, opcode: Opcode.NOTIFY, aa: true, questions: m.questions })), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(53, NET.host(2), r));
  t.teardown(() => new Promise<void>((r) => sock.close(() => r())));
  const tr = new Transfers({ notifyNs: true, sources: [NET.host(1)], notifyAttempts: 1 }, new Catalog([zone]), { debug() {}, info() {}, warn() {}, error() {} }, { changed: () => {} });
  t.teardown(() => tr.close());
  tr.zoneChanged(zone);
  await waitUntil(() => tr.notifier.acked.size > 0);
  t.same(got, [`${NET.host(1)} notify.example.`], 'ns2 notified, from our address (ns1)');
  t.same([...tr.notifier.acked.keys()], [`notify.example. ${NET.host(2)}:53`], 'only ns2: never ourselves');
});

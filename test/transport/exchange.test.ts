// The UDP/TCP client against fake DNS servers on loopback: matching, TC fallback, timeouts,
// aborts, closed connections, ICMP errors, and that no socket or timer outlives a query.

import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { exchange as rawExchange, query as rawQuery, type ExchangeOptions, type QueryOptions, type Server } from '../../src/transport/exchange.js';
import { TransportError } from '../../src/transport/errors.js';
import { frameMessage } from '../../src/transport/framing.js';
import { newTransportStats, openSockets, transportStats, type TransportStats } from '../../src/transport/stats.js';
import { decodeMessage, encodeMessage, encodeQuery, newMessage, type Message } from '../../src/wire/message.js';
import { Rcode, RRType } from '../../src/wire/types.js';
import { waitUntil } from '../helpers/wait.js';
import { upstreamUdp } from '../helpers/upstream-udp.js';
import type { Question } from '../../src/wire/message.js';

// Every call on the socket code this run is for (see test/helpers/upstream-udp.ts).
const exchange = (s: Server, wire: Buffer, o: ExchangeOptions = {}) => rawExchange(s, wire, { udp: upstreamUdp.mode, ...o });
const query = (s: Server, q: Question, o: QueryOptions = {}) => rawQuery(s, q, { udp: upstreamUdp.mode, ...o });

// Where a reply is expected, the query's timeout is a backstop (5 s): a loaded machine may be slow
// to answer, never wrong. Short timeouts are kept only where the timeout itself is what is tested.
const BACKSTOP = 5000;

type Host = '127.0.0.1' | '::1';
type Teardown = { teardown(fn: () => unknown): void };

const Q = { name: 'writer.acme.agents.', type: RRType.A, class: 1 };

/** The reply to `q` with one A record; `fields` override anything. */
function answer(q: Buffer, ip = '192.0.2.7', fields: Partial<Message> = {}): Buffer {
  const m = decodeMessage(q);
  const rdata = Buffer.from(ip.split('.').map(Number));
  return encodeMessage(newMessage({
    id: m.id, qr: true, aa: true, rd: m.rd, questions: m.questions,
    answers: [{ name: m.questions[0]!.name, type: RRType.A, class: 1, ttl: 300, rdata }],
    ...fields,
  }));
}

function addressOf(reply: Message): string {
  return [...reply.answers[0]!.rdata].join('.');
}

interface FakeUdp {
  port: number;
  sock: dgram.Socket;
  queries: Buffer[];
}

/** A UDP server on `host` whose handler decides what (if anything) to send back. */
async function udpServer(t: Teardown, host: Host, handler: (q: Buffer, reply: (b: Buffer) => void, rinfo: dgram.RemoteInfo) => void, port = 0): Promise<FakeUdp> {
  const sock = dgram.createSocket(host === '::1' ? 'udp6' : 'udp4');
  const queries: Buffer[] = [];
  sock.on('message', (q, rinfo) => {
    queries.push(q);
    handler(q, (b) => sock.send(b, rinfo.port, rinfo.address), rinfo);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', (err) => {
      sock.close();
      reject(err);
    });
    sock.bind(port, host, () => resolve());
  });
  t.teardown(() => new Promise<void>((resolve) => sock.close(() => resolve())));
  return { port: sock.address().port, sock, queries };
}

interface FakeTcp {
  port: number;
  queries: Buffer[];
  close(): Promise<void>;
}

/** A TCP server that reads one framed query per connection and hands the socket to `handler`. */
async function tcpServer(t: Teardown, host: Host, handler: (q: Buffer, s: net.Socket) => void): Promise<FakeTcp> {
  const queries: Buffer[] = [];
  const conns = new Set<net.Socket>();
  const server = net.createServer((s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const q = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + q.length);
        queries.push(q);
        handler(q, s);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const close = (): Promise<void> => new Promise<void>((resolve) => {
    for (const c of conns) c.destroy();
    if (server.listening) server.close(() => resolve());
    else resolve();
  });
  t.teardown(close);
  return { port: (server.address() as net.AddressInfo).port, queries, close };
}

/** A UDP and a TCP server on the same port (TCP picks it; retried if UDP finds it taken). */
async function dualServer(t: Teardown, host: Host, udp: Parameters<typeof udpServer>[2], tcp: Parameters<typeof tcpServer>[2]): Promise<{ port: number; udp: FakeUdp; tcp: FakeTcp }> {
  for (let i = 0; ; i++) {
    const tc = await tcpServer(t, host, tcp);
    try {
      const u = await udpServer(t, host, udp, tc.port);
      return { port: tc.port, udp: u, tcp: tc };
    } catch (err) {
      if (i > 10) throw err;
    }
  }
}

async function failure(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TransportError) return err;
    throw err;
  }
  throw new Error('expected a TransportError');
}

/** A port with nothing listening on UDP and TCP (bound, noted, released). */
async function deadPort(host: Host): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, host, resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function ipv6Loopback(): Promise<boolean> {
  const s = dgram.createSocket('udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '::1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    try { s.close(); } catch { /* never bound */ }
  }
}

const hasV6 = await ipv6Loopback();

for (const host of ['127.0.0.1', '::1'] as const) {
  const skip = host === '::1' && !hasV6 ? 'IPv6 loopback (::1) is not available here' : false;

  t.test(`${host}: a normal answer over UDP`, { skip }, async (t) => {
    const s = await udpServer(t, host, (q, reply) => reply(answer(q)));
    const stats = newTransportStats();
    const r = await query({ address: host, port: s.port }, Q, { timeout: BACKSTOP, stats });
    t.equal(r.transport, 'udp');
    t.equal(addressOf(r.message), '192.0.2.7');
    t.same(r.server, { address: host, port: s.port });
    t.equal(r.bytes, r.reply.length);
    t.ok(r.rtt > 0 && r.rtt < BACKSTOP, `rtt ${r.rtt}`);
    t.match(stats, { sent: 1, received: 1, mismatched: 0, tcpFallbacks: 0 });
    const sent = decodeMessage(s.queries[0]!);
    t.equal(sent.edns?.udpSize, 1232, 'EDNS 1232 by default');
    t.equal(sent.rd, true);
  });

  t.test(`${host}: wrong ID first, then the right one`, { skip }, async (t) => {
    const s = await udpServer(t, host, (q, reply) => {
      const wrong = Buffer.from(answer(q, '10.0.0.1'));
      wrong.writeUInt16BE((q.readUInt16BE(0) + 1) & 0xffff, 0);
      reply(wrong);
      setTimeout(() => reply(answer(q)), 20);
    });
    const stats = newTransportStats();
    const r = await query({ address: host, port: s.port }, Q, { timeout: BACKSTOP, stats });
    t.equal(addressOf(r.message), '192.0.2.7');
    t.equal(stats.mismatched, 1);
  });

  t.test(`${host}: TC=1 over UDP, then the full answer over TCP in 1-byte chunks`, { skip }, async (t) => {
    const d = await dualServer(t, host,
      (q, reply) => reply(answer(q, '0.0.0.0', { tc: true, answers: [] })),
      (q, sock) => {
        const framed = frameMessage(answer(q, '192.0.2.99'));
        let i = 0;
        const next = (): void => {
          if (sock.destroyed) return;
          if (i < framed.length) sock.write(framed.subarray(i, ++i), next);
        };
        next();
      });
    const stats = newTransportStats();
    const r = await query({ address: host, port: d.port }, Q, { timeout: BACKSTOP, stats });
    t.equal(r.transport, 'tcp');
    t.equal(addressOf(r.message), '192.0.2.99');
    t.ok(d.udp.queries[0]!.equals(d.tcp.queries[0]!), 'the same query bytes over TCP');
    t.match(stats, { sent: 2, received: 2, tcpFallbacks: 1, tcpQueries: 1 });
  });
}

t.test('a reply from another port is ignored (the connected socket drops it): timeout', async (t) => {
  const other = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', resolve));
  t.teardown(() => other.close());
  const s = await udpServer(t, '127.0.0.1', (q, _reply, rinfo) => other.send(answer(q), rinfo.port, rinfo.address));
  const stats = newTransportStats();
  const err = await failure(query({ address: '127.0.0.1', port: s.port }, Q, { timeout: 150, stats }));
  t.equal(err.code, 'ERR_TRANSPORT_TIMEOUT');
  t.equal(s.queries.length, 1);
  // The kernel filters it before we see it, so it is not even counted as mismatched.
  t.equal(stats.mismatched, 0);
  t.equal(stats.timeouts, 1);
});

t.test('other junk is skipped until the right reply: wrong question, QR=0, short, bare NOERROR', async (t) => {
  const s = await udpServer(t, '127.0.0.1', (q, reply) => {
    reply(answer(q, '10.0.0.1', { questions: [{ name: 'evil.example.', type: 1, class: 1 }] }));
    reply(answer(q, '10.0.0.2', { qr: false }));
    reply(Buffer.from([1, 2, 3]));
    reply(answer(q, '10.0.0.3', { questions: [], answers: [] }));
    setTimeout(() => reply(answer(q, '192.0.2.7', {
      questions: [{ name: 'WRITER.acme.AGENTS.', type: RRType.A, class: 1 }],
    })), 30);
  });
  const stats = newTransportStats();
  const r = await query({ address: '127.0.0.1', port: s.port }, Q, { timeout: BACKSTOP, stats });
  t.equal(addressOf(r.message), '192.0.2.7', 'question echoed in other case is accepted (RFC 4343)');
  t.equal(stats.mismatched, 4);
});

t.test('a bare FORMERR (no question section) is accepted', async (t) => {
  const s = await udpServer(t, '127.0.0.1', (q, reply) => reply(answer(q, '0.0.0.0', { questions: [], answers: [], rcode: Rcode.FORMERR })));
  const r = await query({ address: '127.0.0.1', port: s.port }, Q, { timeout: BACKSTOP, stats: newTransportStats() });
  t.equal(r.message.rcode, Rcode.FORMERR);
  t.same(r.message.questions, []);
});

t.test('an undecodable reply with our ID is a bad reply', async (t) => {
  const s = await udpServer(t, '127.0.0.1', (q, reply) => reply(Buffer.concat([answer(q), Buffer.from([0xde, 0xad])])));
  const stats = newTransportStats();
  const err = await failure(query({ address: '127.0.0.1', port: s.port }, Q, { timeout: BACKSTOP, stats }));
  t.equal(err.code, 'ERR_TRANSPORT_BAD_REPLY');
  t.match(err.cause, { code: 'ERR_DECODE_TRAILING' });
  t.ok(err.reply && err.reply.length > 12, 'the raw reply is attached');
  t.equal(err.transport, 'udp');
  t.equal(stats.badReplies, 1);
});

t.test('a TC=1 reply that does not decode still falls back to TCP', async (t) => {
  const d = await dualServer(t, '127.0.0.1',
    (q, reply) => {
      const h = Buffer.from(q.subarray(0, 12));
      h.writeUInt16BE(0x8200, 2); // QR, TC
      h.writeUInt16BE(1, 6); // ANCOUNT 1, and no record: cut mid-message
      reply(h);
    },
    (q, sock) => sock.end(frameMessage(answer(q))));
  const r = await query({ address: '127.0.0.1', port: d.port }, Q, { timeout: BACKSTOP, stats: newTransportStats() });
  t.equal(r.transport, 'tcp');
  t.equal(addressOf(r.message), '192.0.2.7');
});

t.test('ignoreTc returns the truncated UDP reply', async (t) => {
  const s = await udpServer(t, '127.0.0.1', (q, reply) => reply(answer(q, '0.0.0.0', { tc: true, answers: [] })));
  const stats = newTransportStats();
  const r = await query({ address: '127.0.0.1', port: s.port }, Q, { timeout: BACKSTOP, stats, ignoreTc: true });
  t.equal(r.transport, 'udp');
  t.equal(r.message.tc, true);
  t.equal(stats.tcpFallbacks, 0);
});

t.test('forced TCP: two replies in one chunk, the wrong one first', async (t) => {
  const s = await tcpServer(t, '127.0.0.1', (q, sock) => {
    const wrong = Buffer.from(answer(q, '10.0.0.1'));
    wrong.writeUInt16BE((q.readUInt16BE(0) ^ 0xffff), 0);
    sock.write(Buffer.concat([frameMessage(wrong), frameMessage(answer(q))]));
  });
  const stats = newTransportStats();
  const r = await query({ address: '127.0.0.1', port: s.port }, Q, { timeout: BACKSTOP, stats, tcp: true });
  t.equal(r.transport, 'tcp');
  t.equal(addressOf(r.message), '192.0.2.7');
  t.match(stats, { mismatched: 1, received: 1, tcpQueries: 1, tcpFallbacks: 0 });
});

t.test('TCP server closing early', async (t) => {
  const stats = newTransportStats();
  const opts: ExchangeOptions = { timeout: BACKSTOP, stats, tcp: true };
  const ended = await tcpServer(t, '127.0.0.1', (_q, sock) => sock.end());
  const e1 = await failure(query({ address: '127.0.0.1', port: ended.port }, Q, opts));
  t.equal(e1.code, 'ERR_TRANSPORT_TCP_CLOSED', 'FIN before replying');
  t.match(e1.message, /before replying/);

  const reset = await tcpServer(t, '127.0.0.1', (_q, sock) => sock.resetAndDestroy());
  const e2 = await failure(query({ address: '127.0.0.1', port: reset.port }, Q, opts));
  t.equal(e2.code, 'ERR_TRANSPORT_TCP_CLOSED', 'RST before replying');

  const half = await tcpServer(t, '127.0.0.1', (q, sock) => sock.end(frameMessage(answer(q)).subarray(0, 20)));
  const e3 = await failure(query({ address: '127.0.0.1', port: half.port }, Q, opts));
  t.equal(e3.code, 'ERR_TRANSPORT_TCP_CLOSED', 'half a reply, then FIN');
  t.match(e3.message, /after 20 bytes/);
  t.equal(stats.tcpClosed, 3);
});

t.test('no answer: timeout within bounds, over UDP and over TCP', async (t) => {
  const s = await udpServer(t, '127.0.0.1', () => {});
  const stats = newTransportStats();
  // Not before the timeout (a lower bound, which load cannot break); how much later is up to the machine.
  let start = performance.now();
  const err = await failure(query({ address: '127.0.0.1', port: s.port }, Q, { timeout: 150, stats }));
  let took = performance.now() - start;
  t.equal(err.code, 'ERR_TRANSPORT_TIMEOUT');
  t.ok(took >= 145, `took ${took.toFixed(0)} ms for a 150 ms timeout`);
  t.match(err.message, /no reply from udp 127\.0\.0\.1:\d+ within 150 ms/);

  const silent = await tcpServer(t, '127.0.0.1', () => {});
  start = performance.now();
  const e2 = await failure(query({ address: '127.0.0.1', port: silent.port }, Q, { timeout: 150, stats, tcp: true }));
  took = performance.now() - start;
  t.equal(e2.code, 'ERR_TRANSPORT_TIMEOUT');
  t.equal(e2.transport, 'tcp');
  t.ok(took >= 145, `took ${took.toFixed(0)} ms over TCP`);
  t.equal(stats.timeouts, 2);
});

t.test('abort mid-flight, before the start, and during the TCP fallback', async (t) => {
  const s = await udpServer(t, '127.0.0.1', () => {});
  const stats = newTransportStats();
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('user gave up')), 50);
  // The code tells an abort from the (60 s) timeout: no clock needed.
  const err = await failure(query({ address: '127.0.0.1', port: s.port }, Q, { timeout: 60_000, stats, signal: ac.signal }));
  t.equal(err.code, 'ERR_TRANSPORT_ABORTED', 'at once, not at the timeout');
  t.match(err.cause, { message: 'user gave up' });

  const before = openSockets();
  const e2 = await failure(query({ address: '127.0.0.1', port: s.port }, Q, { stats, signal: AbortSignal.abort() }));
  t.equal(e2.code, 'ERR_TRANSPORT_ABORTED');
  t.equal(openSockets(), before, 'no socket opened for an aborted signal');

  // Aborted in the same tick as the call: the socket is still connecting when it is closed.
  for (const tcp of [false, true]) {
    const ac1 = new AbortController();
    const p = query({ address: '127.0.0.1', port: s.port }, Q, { timeout: 60_000, stats, signal: ac1.signal, tcp });
    ac1.abort();
    t.equal((await failure(p)).code, 'ERR_TRANSPORT_ABORTED', `abort while connecting (${tcp ? 'tcp' : 'udp'})`);
  }

  const ac2 = new AbortController();
  const d = await dualServer(t, '127.0.0.1',
    (q, reply) => reply(answer(q, '0.0.0.0', { tc: true, answers: [] })),
    () => ac2.abort());
  const e3 = await failure(query({ address: '127.0.0.1', port: d.port }, Q, { timeout: 60_000, stats, signal: ac2.signal }));
  t.equal(e3.code, 'ERR_TRANSPORT_ABORTED');
  t.equal(e3.transport, 'tcp');
  t.equal(stats.aborted, 5);
  // Closing completes on a later turn of the event loop.
  await waitUntil(() => openSockets() === before, { intervalMs: 5 });
  t.equal(openSockets(), before, 'all closed again');
});

t.test('nothing listening: ICMP port unreachable is a network error on Linux, at once', async (t) => {
  const port = await deadPort('127.0.0.1');
  const stats = newTransportStats();
  // Linux reports the ICMP error to connected UDP sockets as ECONNREFUSED; unconnected ones would
  // time out (the code would say so: no clock needed).
  const err = await failure(query({ address: '127.0.0.1', port }, Q, { timeout: 60_000, stats }));
  t.equal(err.code, 'ERR_TRANSPORT_NETWORK', 'at once, not at the timeout');
  t.match(err.cause, { code: 'ECONNREFUSED' });
  const e2 = await failure(query({ address: '127.0.0.1', port }, Q, { timeout: 60_000, stats, tcp: true }));
  t.equal(e2.code, 'ERR_TRANSPORT_NETWORK');
  t.match(e2.cause, { code: 'ECONNREFUSED' });
  t.equal(stats.networkErrors, 2);
});

t.test('query options: random ID, rd, EDNS size or none, class', async (t) => {
  const s = await udpServer(t, '127.0.0.1', (q, reply) => reply(answer(q)));
  const server = { address: '127.0.0.1', port: s.port };
  const stats = newTransportStats();
  await query(server, Q, { random: () => 0.5, rd: false, edns: { udpSize: 4096 }, stats });
  let sent = decodeMessage(s.queries[0]!);
  t.equal(sent.id, 0x8000, 'ID from the injected random');
  t.equal(sent.rd, false);
  t.equal(sent.edns?.udpSize, 4096);
  await query(server, { ...Q, class: 3 }, { edns: false, stats });
  sent = decodeMessage(s.queries[1]!);
  t.equal(sent.edns, undefined);
  t.equal(sent.questions[0]!.class, 3);
  const ids = new Set<number>();
  for (let i = 0; i < 20; i++) ids.add((await query(server, Q, { stats })).message.id);
  t.ok(ids.size >= 18, `random IDs (${ids.size} distinct of 20)`);
});

t.test('bad input is refused with a code before anything is sent', async (t) => {
  const stats = newTransportStats();
  const cases: [string, Promise<unknown>, string][] = [
    ['host name', query({ address: 'localhost' }, Q, { stats }), 'ERR_TRANSPORT_BAD_OPTION'],
    ['port 0', query({ address: '127.0.0.1', port: 0 }, Q, { stats }), 'ERR_TRANSPORT_BAD_OPTION'],
    ['port 70000', query({ address: '127.0.0.1', port: 70000 }, Q, { stats }), 'ERR_TRANSPORT_BAD_OPTION'],
    ['timeout 0', query({ address: '127.0.0.1' }, Q, { timeout: 0, stats }), 'ERR_TRANSPORT_BAD_OPTION'],
    ['timeout NaN', query({ address: '127.0.0.1' }, Q, { timeout: NaN, stats }), 'ERR_TRANSPORT_BAD_OPTION'],
    ['EDNS size 100', query({ address: '127.0.0.1' }, Q, { edns: { udpSize: 100 }, stats }), 'ERR_TRANSPORT_BAD_OPTION'],
    ['label over 63', query({ address: '127.0.0.1' }, { ...Q, name: `${'a'.repeat(64)}.agents.` }, { stats }), 'ERR_TRANSPORT_BAD_QUERY'],
    ['type 70000', query({ address: '127.0.0.1' }, { ...Q, type: 70000 }, { stats }), 'ERR_TRANSPORT_BAD_QUERY'],
    ['short wire query', exchange({ address: '127.0.0.1' }, Buffer.alloc(4), { stats }), 'ERR_TRANSPORT_BAD_QUERY'],
  ];
  for (const [what, p, code] of cases) t.equal((await failure(p)).code, code, what);
  t.equal(stats.sent, 0);
});

t.test('exchange sends the bytes as given and returns the raw reply', async (t) => {
  const s = await udpServer(t, '127.0.0.1', (q, reply) => reply(answer(q)));
  const wire = encodeQuery('Writer.Acme.Agents.', RRType.A, { id: 777 });
  const r = await exchange({ address: '127.0.0.1', port: s.port }, wire, { stats: newTransportStats() });
  t.ok(s.queries[0]!.equals(wire));
  t.equal(r.message.id, 777);
  t.ok(r.reply.equals(answer(wire)));
});

t.test('many concurrent queries each get their own answer', async (t) => {
  const s = await udpServer(t, '127.0.0.1', (q, reply) => {
    const n = Number(decodeMessage(q).questions[0]!.name.split('.')[0]!.slice(1));
    setTimeout(() => reply(answer(q, `10.0.0.${n}`)), Math.floor(Math.random() * 20));
  });
  const stats = newTransportStats();
  const rs = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    query({ address: '127.0.0.1', port: s.port }, { ...Q, name: `n${i}.acme.agents.` }, { timeout: BACKSTOP, stats })));
  t.ok(rs.every((r, i) => addressOf(r.message) === `10.0.0.${i}`));
  t.match(stats, { sent: 50, received: 50, mismatched: 0 });
});

t.test('no sockets or timers left after many queries of every outcome', async (t) => {
  const baseline = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
  await (async () => {
    const ok = await udpServer({ teardown: () => {} }, '127.0.0.1', (q, reply) => reply(answer(q)));
    const silent = await udpServer({ teardown: () => {} }, '127.0.0.1', () => {});
    const tcp = await tcpServer({ teardown: () => {} }, '127.0.0.1', (q, sock) => sock.write(frameMessage(answer(q))));
    const dead = await deadPort('127.0.0.1');
    const stats = newTransportStats();
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      runs.push(query({ address: '127.0.0.1', port: ok.port }, Q, { stats }));
      runs.push(query({ address: '127.0.0.1', port: silent.port }, Q, { timeout: 100, stats }));
      runs.push(query({ address: '127.0.0.1', port: silent.port }, Q, { timeout: 60_000, stats, signal: AbortSignal.timeout(30) }));
      runs.push(query({ address: '127.0.0.1', port: dead }, Q, { stats }));
      runs.push(query({ address: '127.0.0.1', port: tcp.port }, Q, { stats, tcp: true }));
      runs.push(query({ address: '127.0.0.1', port: dead }, Q, { stats, tcp: true }));
    }
    const outcomes = await Promise.allSettled(runs);
    t.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 40);
    t.match(stats, { timeouts: 20, aborted: 20, networkErrors: 40, received: 40 });
    ok.sock.close();
    silent.sock.close();
    await tcp.close();
  })();
  // Closing handles completes on a later turn of the event loop: wait for it (a backstop bounds the wait).
  const count = (list: string[], kind: string) => list.filter((r) => r === kind).length;
  const KINDS = ['UDPWrap', 'TCPSocketWrap', 'TCPWrap', 'Timeout'];
  const resources = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
  await waitUntil(() => openSockets() === 0 && KINDS.every((k) => count(resources(), k) <= count(baseline, k)), { intervalMs: 5 });
  t.equal(openSockets(), 0, 'every socket we opened has closed');
  const now = resources();
  for (const kind of KINDS) {
    t.ok(count(now, kind) <= count(baseline, kind), `no more ${kind} than before (${count(now, kind)} vs ${count(baseline, kind)})`);
  }
});

t.test('the process-wide counters are used by default', async (t) => {
  const s = await udpServer(t, '127.0.0.1', (q, reply) => reply(answer(q)));
  const before: TransportStats = { ...transportStats };
  await query({ address: '127.0.0.1', port: s.port }, Q);
  t.equal(transportStats.sent, before.sent + 1);
  t.equal(transportStats.received, before.received + 1);
});

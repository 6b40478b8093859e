// Slow TCP clients (slowloris) must not hold every slot: a message begun must be whole within the
// message deadline however often its bytes trickle in, a source has a cap of connections, and a
// full table evicts the connection idle the longest, never one mid-message or with an answer (an
// AXFR) still unsent. Attackers come from addresses of a leased loopback /24 (bound with
// localAddress), the honest client from another; the daemon listens on 127.0.0.1.

import t, { type Test } from 'tap';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Daemon } from '../../src/server/daemon.js';
import { createLogger } from '../../src/base/log.js';
import { sourceKey } from '../../src/server/transport.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { startDaemon } from '../helpers/server.js';
import { rawQuery } from '../helpers/udp.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'serve');
const QNAME = ['writer', 'example', 'agents'];

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** Poll a condition on the server's counters or table (bounded: a backstop, not a schedule). */
async function until(cond: () => boolean, limitMs = 20_000): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

interface Client {
  sock: net.Socket;
  closed: boolean;
}

/** A connection from `localAddress`; resolves once connected (the server may close it at once). */
function connectFrom(port: number, localAddress: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    const c: Client = { sock, closed: false };
    sock.on('error', () => {});
    sock.once('close', () => { c.closed = true; });
    sock.once('connect', () => resolve(c));
    sock.once('close', () => reject(new Error('closed before connecting')));
  });
}

/** One query on a new connection: the reply, or undefined when the server closed without one. */
function ask(port: number, localAddress: string, id: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    let buf = Buffer.alloc(0);
    const backstop = setTimeout(() => { sock.destroy(); resolve(undefined); }, 15_000);
    sock.on('error', () => {});
    sock.once('connect', () => sock.write(frame(rawQuery(id, QNAME, 64))));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(backstop);
        sock.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    sock.once('close', () => { clearTimeout(backstop); resolve(undefined); });
  });
}

/**
 * Slowloris attackers: each announces a 65535-byte message and sends one more byte of it every
 * `everyMs` (far below the idle timeout, so the idle timer never fires), reconnecting when closed
 * until stopped, as a real attacker would.
 */
function attack(port: number, sources: string[], perSource: number, everyMs: number): { stop: () => void; connects: () => number } {
  let on = true;
  let connects = 0;
  const socks = new Set<net.Socket>();
  const one = (localAddress: string, lives: number): void => {
    if (!on || lives <= 0) return;
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    socks.add(sock);
    let timer: NodeJS.Timeout | undefined;
    sock.on('error', () => {});
    sock.once('connect', () => {
      connects++;
      sock.write(Buffer.from([0xff]));
      timer = setInterval(() => sock.write(Buffer.from([0xff])), everyMs);
    });
    sock.once('close', () => {
      clearInterval(timer);
      socks.delete(sock);
      setTimeout(() => one(localAddress, lives - 1), 50);
    });
  };
  for (const s of sources) for (let i = 0; i < perSource; i++) one(s, 500);
  return {
    connects: () => connects,
    stop: () => {
      on = false;
      for (const s of socks) s.destroy();
    },
  };
}

function answered(reply: Buffer | undefined): boolean {
  return reply !== undefined && reply.readUInt16BE(6) === 1;
}

const tcp = (over: Record<string, number>) => ({ maxConnections: 50, idleTimeoutMs: 60_000, reportIntervalMs: 100, ...over });

async function daemonWithLog(t: Test, over: Record<string, number>, extra: object = {}): Promise<{ daemon: Daemon; port: number; lines: string[] }> {
  const lines: string[] = [];
  const { daemon, port } = await startDaemon(t, { zonesDir, tcp: tcp(over), logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }), ...extra });
  return { daemon, port, lines };
}

t.test('sources: IPv4 as is, IPv6 by /64, mapped IPv4 as IPv4', async (t) => {
  t.equal(sourceKey('127.1.2.3'), '127.1.2.3');
  t.equal(sourceKey('::ffff:192.0.2.7'), '192.0.2.7');
  t.equal(sourceKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  t.equal(sourceKey('2001:db8:1:2::9'), '2001:db8:1:2::/64');
  t.equal(sourceKey('2001:0db8::1'), '2001:db8:0:0::/64');
  t.equal(sourceKey('::1'), '0:0:0:0::/64');
  t.equal(sourceKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

t.test('the issue: 60 trickling attackers from 4 sources against 50 slots; new honest TCP queries are answered', async (t) => {
  const lease = await leaseNet(t);
  const { daemon, port, lines } = await daemonWithLog(t, { maxPerSource: 10, messageTimeoutMs: 300 });
  const listener = daemon.listeners[0]!;
  const a = attack(port, [1, 2, 3, 4].map((n) => lease.host(n)), 15, 50);
  t.teardown(() => a.stop());
  // The attack has taken what it can: before the guards, all 50 slots; with them, 10 per source.
  t.ok(await until(() => a.connects() >= 60 && listener.tcpState().open >= 40), 'attack in place');
  const replies: (Buffer | undefined)[] = [];
  for (let i = 0; i < 7; i++) replies.push(await ask(port, lease.host(100), 1000 + i));
  const ok = replies.filter(answered).length;
  t.equal(ok, 7, `${ok} of 7 new TCP queries answered during the attack`);
  // Why attackers were dropped: over the per-source cap, and at the message deadline though bytes kept coming.
  t.ok(await until(() => daemon.stats.tcpMessageTimeouts >= 40), `message deadline closed trickling connections (${daemon.stats.tcpMessageTimeouts})`);
  t.ok(daemon.stats.tcpSourceRejected >= 20, `per-source cap refused connections (${daemon.stats.tcpSourceRejected})`);
  t.equal(daemon.stats.tcpIdleClosed, 0, 'the idle timer never fired: the bytes kept it from it');
  a.stop();
  // Logged in aggregate: a line per report period, far fewer than the connections it counts.
  t.ok(await until(() => lines.some((l) => /closed with a message unfinished/.test(l))), 'a report line');
  const reports = lines.filter((l) => l.includes('per-source cap'));
  t.ok(reports.length < daemon.stats.tcpMessageTimeouts + daemon.stats.tcpSourceRejected, `${reports.length} lines for ${daemon.stats.tcpMessageTimeouts + daemon.stats.tcpSourceRejected} drops`);
  t.match(reports[0], new RegExp(`most from ${lease.net.replace(/\./g, '\\.')}`), 'names the sources');
});

t.test('message deadline: trickled bytes do not reset it; every slot comes free without the idle timer', async (t) => {
  const lease = await leaseNet(t);
  // Six sources under the cap: only the deadline can free the table.
  const { daemon, port } = await daemonWithLog(t, { maxPerSource: 50, messageTimeoutMs: 300 });
  const socks: net.Socket[] = [];
  t.teardown(() => { for (const s of socks) s.destroy(); });
  const timers: NodeJS.Timeout[] = [];
  t.teardown(() => { for (const x of timers) clearInterval(x); });
  for (let n = 1; n <= 5; n++) {
    for (let i = 0; i < 10; i++) {
      const c = await connectFrom(port, lease.host(n));
      socks.push(c.sock);
      c.sock.write(Buffer.from([0xff]));
      timers.push(setInterval(() => { if (!c.closed) c.sock.write(Buffer.from([0xff])); }, 50));
    }
  }
  t.ok(await until(() => daemon.stats.tcpMessageTimeouts === 50), `all 50 closed at the deadline (${daemon.stats.tcpMessageTimeouts})`);
  t.equal(daemon.stats.tcpIdleClosed, 0, 'not by the idle timer');
  t.ok(answered(await ask(port, lease.host(100), 7)), 'a new client is answered');
});

t.test('a full table evicts the connection idle the longest, never one mid-message or with an AXFR unsent', async (t) => {
  const lease = await leaseNet(t);
  // An AXFR of some MB, more than the kernel buffers of a client that does not read.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-slowloris-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'big.agents.zone'), [
    '$ORIGIN big.agents.', '$TTL 300', '@ SOA ns1 hostmaster 1 3600 600 604800 120', '@ NS ns1', 'ns1 A 192.0.2.1',
    ...Array.from({ length: 40_000 }, (_, i) => `r${i} TXT "${'x'.repeat(200)}"`),
  ].join('\n') + '\n');
  writeFileSync(path.join(dir, 'example.agents.zone'), (await import('node:fs')).readFileSync(path.join(zonesDir, 'example.agents.zone')));
  const lines: string[] = [];
  const { daemon, port } = await startDaemon(t, {
    zonesDir: dir, transfers: { allow: ['127.0.0.0/8'] }, logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }),
    tcp: tcp({ maxConnections: 10, maxPerSource: 50, messageTimeoutMs: 60_000 }),
  });
  const listener = daemon.listeners[0]!;
  const clients: Client[] = [];
  t.teardown(() => { for (const c of clients) c.sock.destroy(); });

  const axfr = await connectFrom(port, lease.host(1));
  clients.push(axfr);
  axfr.sock.pause();
  axfr.sock.write(frame(rawQuery(1, ['big', 'agents'], 252)));
  t.ok(await until(() => listener.tcpState().busy === 1), 'the AXFR is on its way, unread');
  const mid = await connectFrom(port, lease.host(2));
  clients.push(mid);
  mid.sock.write(Buffer.from([0]));
  t.ok(await until(() => listener.tcpState().inMessage === 1), 'one client mid-message');
  const idle: Client[] = [];
  for (let i = 0; i < 8; i++) {
    const c = await connectFrom(port, lease.host(3));
    idle.push(c);
    clients.push(c);
    t.ok(await until(() => listener.tcpState().open === 3 + i), `idle connection ${i} in the table`);
  }
  t.same(listener.tcpState(), { open: 10, idle: 8, inMessage: 1, busy: 1 }, 'table full');

  t.ok(answered(await ask(port, lease.host(9), 1)), 'a new client is answered with the table full');
  t.equal(daemon.stats.tcpEvicted, 1, 'by evicting one');
  t.ok(await until(() => idle[0]!.closed), 'the oldest idle one');
  t.notOk(axfr.closed || mid.closed || idle.slice(1).some((c) => c.closed), 'the AXFR, the half-sent message and the newer idle ones stay');

  // Activity moves a connection to the back: after idle[1] asks something, idle[2] is the oldest.
  t.ok(await until(() => listener.tcpState().open === 9), 'the asker has gone');
  const filler = await connectFrom(port, lease.host(3));
  clients.push(filler);
  t.ok(await until(() => listener.tcpState().open === 10), 'table full again');
  const reply = new Promise<void>((r) => idle[1]!.sock.once('data', () => r()));
  idle[1]!.sock.write(frame(rawQuery(2, QNAME, 64)));
  await reply;
  t.ok(answered(await ask(port, lease.host(9), 3)), 'a second new client is answered');
  t.ok(await until(() => idle[2]!.closed), 'evicting the one idle longest');
  t.notOk(idle[1]!.closed, 'not the one that was just active');
  t.equal(daemon.stats.tcpEvicted, 2);
  t.equal(daemon.stats.tcpRejected, 0, 'no one refused');

  // The AXFR was never cut: it reads to its closing SOA.
  let buf = Buffer.alloc(0);
  let soas = 0;
  await new Promise<void>((resolve, reject) => {
    axfr.sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        // The SOA record's type right after the owner: count messages that carry one (first and last).
        if (msg.includes(Buffer.from([0, 6, 0, 1]))) soas++;
        buf = buf.subarray(2 + len);
      }
      if (soas >= 2) resolve();
    });
    axfr.sock.once('close', () => (soas >= 2 ? resolve() : reject(new Error(`AXFR cut after ${soas} SOA`))));
    axfr.sock.resume();
  });
  t.ok(soas >= 2, 'the AXFR arrives whole');
});

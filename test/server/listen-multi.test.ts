// Listen addresses: parsing, several --listen at once (IPv4 and IPv6, UDP and TCP on each), the
// same port on 127.0.0.1 and [::1] side by side, a busy address failing the start cleanly, and
// `aop serve` with two --listen flags stopped by SIGINT.

import t from 'tap';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Daemon } from '../../src/server/daemon.js';
import { ListenAddressError, formatListen, parseListen } from '../../src/server/listen.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { startDaemon } from '../helpers/server.js';
import { privateRuntimeEnv } from '../helpers/runtime-env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const zonesDir = path.join(root, 'test', 'fixtures', 'serve');

/** Whether this machine can bind ::1 (some containers have no IPv6 loopback). */
function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: 'udp6', ipv6Only: true });
    s.once('error', () => {
      try { s.close(); } catch { /* never bound */ }
      resolve(false);
    });
    s.bind(0, '::1', () => { s.close(); resolve(true); });
  });
}

t.test('parseListen', async (t) => {
  t.same(parseListen('127.0.0.1:5300'), { host: '127.0.0.1', port: 5300, family: 4 });
  t.same(parseListen('127.0.0.1'), { host: '127.0.0.1', port: 53, family: 4 }, 'port defaults to 53');
  t.same(parseListen('127.0.0.1', 5300), { host: '127.0.0.1', port: 5300, family: 4 });
  t.same(parseListen('[::1]:5300'), { host: '::1', port: 5300, family: 6 });
  t.same(parseListen('[::1]'), { host: '::1', port: 53, family: 6 });
  t.same(parseListen('::1'), { host: '::1', port: 53, family: 6 }, 'bare IPv6: the colons are not a port');
  t.same(parseListen('::'), { host: '::', port: 53, family: 6 });
  t.same(parseListen('0.0.0.0:0'), { host: '0.0.0.0', port: 0, family: 4 });
  t.equal(formatListen(parseListen('[::1]:5300')), '[::1]:5300');
  t.equal(formatListen(parseListen('127.0.0.1:5300')), '127.0.0.1:5300');
  for (const bad of ['localhost:5300', 'example.com', '127.0.0.1:65536', '127.0.0.1:-1', '127.0.0.1:', '[::1]:', '::1:5300x', '[127.0.0.1]:53x', '', '1.2.3:53']) {
    t.throws(() => parseListen(bad), { code: 'ERR_LISTEN_ADDRESS' }, `'${bad}' rejected`);
  }
  t.throws(() => parseListen('localhost:5300'), ListenAddressError);
  t.throws(() => parseListen('localhost:5300'), { message: /'localhost' is not an IPv4 or IPv6 address/ });
});

t.test('several listen addresses, IPv4 and IPv6, UDP and TCP on each', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const v6 = await hasIpv6Loopback();
  const listen = [parseListen('127.0.0.1:0'), parseListen('127.0.0.2:0')];
  if (v6) listen.push(parseListen('[::1]:0'));
  else t.comment('no IPv6 loopback here: IPv6 listening not tested');
  const { daemon } = await startDaemon(t, { zonesDir, listen });
  t.equal(daemon.listeners.length, listen.length, 'one listener per address');
  for (const l of daemon.listeners) {
    t.not(l.address.port, 0, `${formatListen(l.address)} has its real port`);
    for (const transport of ['+notcp', '+tcp']) {
      const r = await dig(l.address.port, [transport, 'writer.example.agents', 'SVCB'], l.address.host);
      t.equal(r.status, 'NOERROR', `${formatListen(l.address)} ${transport}`);
      t.equal(r.answer.length, 1);
    }
  }
  const s = daemon.stats.snapshot();
  t.equal(s.udpQueries, listen.length);
  t.equal(s.tcpQueries, listen.length);
});

t.test('127.0.0.1 and ::1 can share a port number', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  if (!(await hasIpv6Loopback())) {
    t.skip('no IPv6 loopback on this machine', () => {});
    return;
  }
  const first = await startDaemon(t, { zonesDir });
  // [::] with IPv6-only sockets does not collide with 127.0.0.1 on the same port.
  const { daemon } = await startDaemon(t, { zonesDir, listen: [parseListen(`[::]:${first.port}`)] });
  t.equal(daemon.listeners[0]!.address.port, first.port);
  const v4 = await dig(first.port, ['writer.example.agents', 'TXT'], '127.0.0.1');
  const v6 = await dig(first.port, ['+tcp', 'writer.example.agents', 'TXT'], '::1');
  t.equal(v4.status, 'NOERROR');
  t.equal(v6.status, 'NOERROR');
  t.equal(first.daemon.stats.queries, 1, 'the IPv4 query went to the IPv4 daemon');
  t.equal(daemon.stats.queries, 1, 'the IPv6 query went to the IPv6 daemon');
});

t.test('an address already in use fails the start and closes what was opened', async (t) => {
  const busy = await startDaemon(t, { zonesDir });
  const daemon = new Daemon({ zonesDir, listen: [parseListen('127.0.0.1:0'), parseListen(`127.0.0.1:${busy.port}`)] });
  await t.rejects(daemon.start(), { code: 'ERR_ADDRESS_IN_USE', name: 'AddressInUseError', protocol: 'udp', message: `127.0.0.1:${busy.port} is in use (udp)`, cause: { code: 'EADDRINUSE' } });
  t.equal(daemon.listeners.length, 0, 'the first listener was closed again');
});

t.test('aop serve with two --listen flags', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const v6 = await hasIpv6Loopback();
  const args = [path.join(root, 'bin', 'aop.js'), 'serve', '--zones', zonesDir, '--listen', '127.0.0.1:0', '--listen', v6 ? '[::1]:0' : '127.0.0.2:0'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: privateRuntimeEnv() });
  let log = '';
  child.stderr.on('data', (d) => { log += String(d); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const re = /listening on (\[[0-9a-f:]+\]|[0-9.]+):(\d+)/g;
  const deadline = Date.now() + 60_000; // a backstop: the loop ends as soon as both are listening
  while ([...log.matchAll(re)].length < 2 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 25));
  const found = [...log.matchAll(re)].map((m) => ({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) }));
  t.equal(found.length, 2, `two listeners logged:\n${log}`);
  for (const { host, port } of found) {
    const r = await dig(port, ['writer.example.agents', 'SVCB'], host);
    t.equal(r.status, 'NOERROR', `answers on ${host}:${port}`);
  }
  // SIGINT (Ctrl-C) stops it as cleanly as SIGTERM does.
  child.kill('SIGINT');
  t.equal(await exited, 0, 'clean exit on SIGINT');
  t.match(log, /SIGINT: shutting down/);
});

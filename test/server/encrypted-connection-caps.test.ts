// Per-client limits and idle timeouts on the encrypted listeners and the MCP gateway's HTTP
// server: a source over its cap is closed at accept while another source still gets in; an idle
// DoT connection and an idle DoH session are closed by the server; a DoT message begun and not
// finished is closed at the message deadline (the TCP listener's guards, shared).

import t from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import http2 from 'node:http2';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { GatewayHttp } from '../../src/mcp/gateway/http.js';
import type { Gateway } from '../../src/mcp/gateway/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool } from '../helpers/peers.js';
import { startEncryptedDaemon } from '../helpers/encrypted-daemon.js';
import { waitFor } from '../helpers/wait.js';

function dot(port: number, ca: Buffer, localAddress?: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, ...(localAddress ? { localAddress } : {}) }, () => resolve(s));
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed before the handshake')));
  });
}

t.test('DoT: per-source cap, idle timeout, message deadline', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const lease = await leaseNet(t);
  const s = await startEncryptedDaemon(t, { zonesDir: bundledZonesDir, tcp: { maxPerSource: 2, idleTimeoutMs: 500, messageTimeoutMs: 400 } });
  const ca = readFileSync(s.certs.ca);
  const stats = s.daemon.stats;
  const a = await dot(s.dot, ca);
  const b = await dot(s.dot, ca);
  await t.rejects(dot(s.dot, ca), 'a third connection from 127.0.0.1 is closed');
  t.equal(stats.tcpSourceRejected, 1, 'counted as over the per-source cap');
  const other = await dot(s.dot, ca, lease.host(7));
  t.ok(other.authorized, 'another source still gets in');
  // Idle: the server closes a and b (nothing sent) at its idle timeout.
  await Promise.all([once(a, 'close'), once(b, 'close'), once(other, 'close')]);
  t.equal(stats.tcpIdleClosed, 3, 'all three closed as idle');
  // A message begun (its length says 40 bytes) and never finished.
  const c = await dot(s.dot, ca);
  c.write(Buffer.from([0, 40, 1, 2, 3]));
  await once(c, 'close');
  t.equal(stats.tcpMessageTimeouts, 1, 'closed at the message deadline');
  await waitFor(() => s.daemon.encrypted!.dot[0]!.state().open === 0, 'the table empties');
});

t.test('DoH: per-source cap and idle timeout', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const lease = await leaseNet(t);
  const s = await startEncryptedDaemon(t, { zonesDir: bundledZonesDir, tcp: { maxPerSource: 2, idleTimeoutMs: 500 } });
  const ca = readFileSync(s.certs.ca);
  const connect = (localAddress?: string): Promise<http2.ClientHttp2Session> => new Promise((resolve, reject) => {
    const c = http2.connect(`https://127.0.0.1:${s.doh}`, { ca, ...(localAddress ? { localAddress } : {}) });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
    c.once('close', () => reject(new Error('closed')));
  });
  const a = await connect();
  const b = await connect();
  await t.rejects(connect(), 'a third session from 127.0.0.1 is refused');
  const doh = s.daemon.encrypted!.doh[0]!;
  t.equal(doh.connections().sourceRejected, 1, 'counted');
  const other = await connect(lease.host(9));
  t.ok(other, 'another source still gets in');
  await Promise.all([once(a, 'close'), once(b, 'close'), once(other, 'close')]);
  t.pass('idle sessions closed by the server');
  await waitFor(() => doh.connections().open === 0, 'every connection closed');
});

t.test('the MCP gateway: per-source cap', async (t) => {
  const lease = await leaseNet(t);
  // The gateway object is only asked on requests; none is made here.
  const g = new GatewayHttp({ version: '0.0.0' } as Gateway, { host: '127.0.0.1', port: 0, maxPerSource: 2 });
  await g.start();
  t.teardown(() => g.close());
  const open = (localAddress?: string): Promise<net.Socket> => new Promise((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port: g.port, ...(localAddress ? { localAddress } : {}) }, () => resolve(c));
    c.once('error', reject);
  });
  const held = [await open(), await open()];
  const third = await open();
  await once(third, 'close');
  await waitFor(() => g.connections.sourceRejected === 1, 'the third counted as over the cap');
  const other = await open(lease.host(3));
  t.notOk(other.destroyed, 'another source gets in');
  for (const c of [...held, other]) c.destroy();
  await waitFor(() => g.connections.open === 0, 'all closed');
});

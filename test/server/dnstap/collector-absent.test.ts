// With no collector listening, or one that does not read, dnstap messages are dropped and
// counted, and every query is still answered.

import t from 'tap';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dig } from '../../helpers/dig.js';
import { requireTool } from '../../helpers/peers.js';
import { startDaemon } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import dgram from 'node:dgram';
import { controlFrame, CONTROL } from '../../../src/server/dnstap/fstrm.js';
import { encodeQuery } from '../../../src/wire/message.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'serve');

function tmp(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-dnstap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('no collector: dropped and counted, queries answered', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const sock = path.join(tmp(t), 'absent.sock');
  const lines: string[] = [];
  const logger = { debug() {}, info() {}, warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  const { daemon, port } = await startDaemon(t, { zonesDir, logger, dnstap: { kind: 'unix', path: sock, queueSize: 2 } });
  for (let i = 0; i < 5; i++) t.equal((await dig(port, ['writer.example.agents', 'TXT'])).status, 'NOERROR', `query ${i} answered`);
  // A queue of 2 takes the first query's pair; the other 8 messages are dropped.
  t.equal(daemon.stats.dnstapMessages, 2);
  t.equal(daemon.stats.dnstapDropped, 8);
  t.equal(lines.filter((l) => l.includes('dropping messages')).length, 1, 'one line for the drops, not one per message');
  t.equal(lines.filter((l) => l.includes('cannot reach the collector')).length, 1, 'one line for the outage, not one per retry');
});

t.test('a collector that accepts and never reads: dropped, counted, answered', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const sock = path.join(tmp(t), 'slow.sock');
  // A collector that does the handshake, then stops reading: the socket fills, the queue fills.
  const conns: net.Socket[] = [];
  const server = net.createServer((c) => {
    conns.push(c);
    c.once('data', () => {
      c.write(controlFrame(CONTROL.ACCEPT, ['protobuf:dnstap.Dnstap']));
      c.pause();
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  t.teardown(() => new Promise<void>((r) => {
    for (const c of conns) c.destroy();
    server.close(() => r());
  }));
  const { daemon, port } = await startDaemon(t, { zonesDir, dnstap: { kind: 'unix', path: sock, queueSize: 4, handshakeTimeoutMs: 200 } });
  await waitFor(() => (daemon.dnstap!.writer as { connected?: boolean }).connected === true, 'the handshake');
  // Bursts of UDP queries until the socket buffer and the queue are full.
  const client = dgram.createSocket('udp4');
  t.teardown(() => client.close());
  const q = encodeQuery('writer.example.agents', 16, { id: 1 });
  let replies = 0;
  client.on('message', () => replies++);
  await waitFor(async () => {
    for (let i = 0; i < 200; i++) client.send(q, port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 5));
    return daemon.stats.dnstapDropped > 0;
  }, 'drops once the collector stops reading', { timeoutMs: 60_000, intervalMs: 0 });
  t.ok(daemon.stats.queries > 0, `${daemon.stats.queries} flood queries taken`);
  t.equal((await dig(port, ['writer.example.agents', 'TXT'])).status, 'NOERROR', 'still answered');
  t.ok(daemon.stats.dnstapDropped > 0, `${daemon.stats.dnstapDropped} dropped`);
});

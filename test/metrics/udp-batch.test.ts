// The batched UDP sockets' counters on /metrics: datagrams received and sent move with the
// queries a client sends, and the system-call counters say how many datagrams each carried.

import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metrics } from '../../src/base/metrics.js';
import { parseListen } from '../../src/server/listen.js';
import { exchange } from '../../src/transport/index.js';
import { encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireUdpBatch } from '../helpers/udp-batch.js';
import { sample } from './helpers.js';

const zonesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'zones');

t.test('datagrams and system calls of the batched sockets', async (t) => {
  if (!requireUdpBatch(t)) return;
  const net = await leaseNet(t);
  const metrics = new Metrics({ version: 'test' });
  const { host, port } = await startDaemon(t, { zonesDir, listen: [parseListen(`${net.host(1)}:0`)], metrics, udpIo: 'batched' });
  const server = `dns://${net.host(1)}:${port}`;
  const before = (await metrics.exposition()).text;
  const got = (text: string, name: string, labels: Record<string, string>): number => { const v = sample(text, name, { server, ...labels }); return Number.isNaN(v) ? 0 : v; };
  for (let i = 0; i < 20; i++) await exchange({ address: host, port }, encodeQuery('writer.acme.agents', RRType.SVCB), { timeout: 5000 });
  const after = (await metrics.exposition()).text;
  t.equal(got(after, 'aop_udp_batch_datagrams_total', { direction: 'received' }) - got(before, 'aop_udp_batch_datagrams_total', { direction: 'received' }), 20, '20 datagrams received');
  t.equal(got(after, 'aop_udp_batch_datagrams_total', { direction: 'sent' }) - got(before, 'aop_udp_batch_datagrams_total', { direction: 'sent' }), 20, '20 answers sent');
  t.ok(got(after, 'aop_udp_batch_syscalls_total', { call: 'recvmmsg' }) >= 20, 'a recvmmsg per lone datagram at least');
  t.equal(got(after, 'aop_udp_batch_datagrams_total', { direction: 'send_failed' }), 0, 'none refused');
});

t.test('absent on node:dgram', async (t) => {
  const net = await leaseNet(t);
  const metrics = new Metrics({ version: 'test' });
  await startDaemon(t, { zonesDir, listen: [parseListen(`${net.host(1)}:0`)], metrics, udpIo: 'dgram' });
  t.notMatch((await metrics.exposition()).text, /aop_udp_batch_datagrams_total\{/, 'no batched-socket series');
});

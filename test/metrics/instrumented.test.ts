// The metrics beyond the query path move as the work they count: upstream queries, RTT and
// timeouts per server (a forwarder that answers, one that never does), dynamic updates by result,
// transfers out (served, refused), hand-off calls by outcome and the breakers' states.

import t from 'tap';
import dgram from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Metrics } from '../../src/base/metrics.js';
import { parseListen } from '../../src/server/listen.js';
import { loadHints } from '../../src/resolver/hints.js';
import { exchange } from '../../src/transport/index.js';
import { encodeMessage, encodeQuery, newMessage } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { Keyring, signMessage } from '../../src/wire/tsig.js';
import { HandOff } from '../../src/mcp/handoff.js';
import { CircuitBreaker } from '../../src/mcp/breaker.js';
import { root } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool, run } from '../helpers/peers.js';
import { startDaemon } from '../helpers/server.js';
import { sample } from './helpers.js';

const NET = await leaseNet(t);
const zone = '$ORIGIN example.\n$TTL 60\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.80\n';
const v = async (m: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> => {
  const x = sample((await m.exposition()).text, name, labels);
  return Number.isNaN(x) ? 0 : x;
};

t.test('upstream queries, RTT and timeouts per server', async (t) => {
  const dir = t.testdir({ fwd: { 'example.zone': zone }, zones: {} });
  const fwd = await startDaemon(t, { zonesDir: path.join(dir, 'fwd'), listen: [parseListen(`${NET.host(2)}:0`)] });
  // A forwarder that reads and never answers.
  const silent = dgram.createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, NET.host(3), () => r()));
  t.teardown(() => silent.close());
  const metrics = new Metrics({ processMetrics: false });
  writeFileSync(path.join(dir, 'zones', 'acme.agents.zone'), '$ORIGIN acme.agents.\n$TTL 60\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n');
  const d = await startDaemon(t, {
    zonesDir: path.join(dir, 'zones'), listen: [parseListen(`${NET.host(1)}:0`)], metrics,
    resolver: {
      hints: loadHints(path.join(root, 'zones', 'root.hints')), warmUp: 0, timeout: 200,
      forwarders: [{ address: NET.host(3), port: silent.address().port }, { address: fwd.host, port: fwd.port }],
    },
  });
  const r = await exchange({ address: d.host, port: d.port }, encodeQuery('www.example.', RRType.A, { rd: true }), { timeout: 5000 });
  t.equal(r.message.rcode, 0, 'answered by the second forwarder');
  t.equal(await v(metrics, 'aop_resolver_upstream_queries_total', { upstream: NET.host(3) }), 1);
  t.equal(await v(metrics, 'aop_resolver_upstream_timeouts_total', { upstream: NET.host(3) }), 1, 'the silent one timed out');
  t.equal(await v(metrics, 'aop_resolver_upstream_queries_total', { upstream: fwd.host }), 1);
  t.equal(await v(metrics, 'aop_resolver_upstream_rtt_seconds_count', { upstream: fwd.host }), 1, 'the answering one timed');
  t.equal(await v(metrics, 'aop_resolver_upstream_rtt_seconds_count', { upstream: NET.host(3) }), 0, 'no RTT for a timeout');
  t.equal(await v(metrics, 'aop_resolver_forwarded_total'), 1);
  t.equal(await v(metrics, 'aop_resolver_questions_total'), 1);
});

t.test('updates by result, transfers out served and refused', async (t) => {
  const dir = t.testdir({ zones: { 'example.zone': zone } });
  mkdirSync(path.join(dir, 'jnl'));
  const key = { name: 'm-key.', algorithm: 'hmac-sha256.', secret: Buffer.from('bWV0cmljcyB0ZXN0IGtleSBmb3IgdXBkYXRlcyE=', 'base64') };
  const metrics = new Metrics({ processMetrics: false });
  const d = await startDaemon(t, {
    zonesDir: path.join(dir, 'zones'), listen: [parseListen(`${NET.host(4)}:0`)], metrics, keyring: new Keyring([key]),
    update: { journalDir: path.join(dir, 'jnl'), flushDelayMs: 60_000 }, transfers: { allow: [NET.host(5)] },
  });
  const update = encodeMessage(newMessage({
    id: 7, opcode: 5, questions: [{ name: 'example.', type: 6, class: 1 }],
    authority: [{ name: 'new.example.', type: 1, class: 1, ttl: 60, rdata: Buffer.from([192, 0, 2, 9]) }],
  }));
  t.equal((await exchange({ address: d.host, port: d.port }, signMessage(update, key).message, { timeout: 5000 })).message.rcode, 0);
  t.equal((await exchange({ address: d.host, port: d.port }, update, { timeout: 5000 })).message.rcode, 5, 'unsigned: REFUSED');
  t.equal(await v(metrics, 'aop_updates_total', { result: 'NOERROR' }), 1);
  t.equal(await v(metrics, 'aop_updates_total', { result: 'REFUSED' }), 1);
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const allowed = await run('dig', ['-b', NET.host(5), `@${d.host}`, '-p', String(d.port), 'example.', 'AXFR']);
  t.match(allowed.stdout, /new\.example\./, 'the transfer, with the update');
  await run('dig', ['-b', NET.host(6), `@${d.host}`, '-p', String(d.port), 'example.', 'AXFR']);
  t.equal(await v(metrics, 'aop_xfr_out_total', { type: 'AXFR', result: 'full' }), 1);
  t.equal(await v(metrics, 'aop_xfr_out_total', { result: 'refused' }), 1);
  t.equal(await v(metrics, 'aop_dns_requests_total', { proto: 'tcp', type: 'AXFR' }), 2, 'both counted as AXFR requests');
});

t.test('hand-off calls by outcome; breakers by state', async (t) => {
  const metrics = new Metrics({ processMetrics: false });
  // A lookup that says NXDOMAIN for everything: the call fails with its code.
  const h = new HandOff({ lookup: { query: async () => ({ rcode: 3, answers: [], authority: [], additional: [] }) }, metrics });
  t.teardown(() => h.close());
  await t.rejects(h.call('nobody.acme.agents', {}));
  const text = (await metrics.exposition()).text;
  const line = text.split('\n').find((l) => l.startsWith('aop_handoff_calls_total{'));
  t.match(line, /^aop_handoff_calls_total\{agent="nobody\.acme\.agents",outcome="ERR_[A-Z_]+"\} 1$/, 'agent and error code');
  t.equal(sample(text, 'aop_handoff_call_duration_seconds_count', { agent: 'nobody.acme.agents' }), 1);
  t.same([sample(text, 'aop_handoff_breakers', { state: 'open' }), sample(text, 'aop_handoff_breakers', { state: 'closed' })], [0, 0]);
  let now = 0;
  const b = new CircuitBreaker({ threshold: 2, cooldownMs: 100, now: () => now });
  b.failure('a');
  b.failure('b');
  b.failure('b');
  t.same(b.counts(), { closed: 1, open: 1, 'half-open': 0 });
  now = 200;
  t.same(b.counts(), { closed: 1, open: 0, 'half-open': 1 });
  b.success('b');
  t.same(b.counts(), { closed: 1, open: 0, 'half-open': 0 });
});

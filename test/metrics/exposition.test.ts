// The /metrics exposition of a daemon answering real queries: accepted by `promtool check
// metrics`, and its counters move as the queries say: requests by type and protocol, responses
// by rcode, answer-cache misses then hits, the duration histogram's count.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metrics } from '../../src/base/metrics.js';
import { MetricsHttp } from '../../src/server/metrics-http.js';
import { parseListen } from '../../src/server/listen.js';
import { exchange } from '../../src/transport/index.js';
import { encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool } from '../helpers/peers.js';
import { sample } from './helpers.js';

const zonesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'zones');
const NET = await leaseNet(t);

const metrics = new Metrics({ version: 'test' });
const { daemon, host, port } = await startDaemon(t, { zonesDir, listen: [parseListen(`${NET.host(1)}:0`)], metrics });
const http = new MetricsHttp({ listen: parseListen(`${NET.host(1)}:0`), exposition: () => metrics.exposition(), readiness: () => daemon.readiness() });
await http.start();
t.teardown(() => http.close());
const scrape = async (): Promise<string> => {
  const res = await fetch(http.url);
  t.equal(res.status, 200);
  return res.text();
};
const ask = (name: string, type: number, tcp = false) => exchange({ address: host, port }, encodeQuery(name, type), { timeout: 5000, ...(tcp ? { tcp: true } : {}) });
const server = `dns://${NET.host(1)}:${port}`;

t.test('promtool check metrics accepts the exposition', async (t) => {
  if (!requireTool(t, 'promtool', 'prometheus')) return;
  await ask('writer.acme.agents.', RRType.SVCB);
  const res = await fetch(http.url);
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  t.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  t.match(text, /# TYPE aop_dns_request_duration_seconds histogram/);
  t.match(text, /aop_build_info\{version="test",nodejs="v\d+/);
});

t.test('requests, rcodes and the answer cache move as the queries say', async (t) => {
  const before = await scrape();
  const n = (text: string, name: string, labels: Record<string, string>): number => {
    const v = sample(text, name, { server, ...labels });
    return Number.isNaN(v) ? 0 : v;
  };
  // A name never asked before: a miss, then two hits.
  for (let i = 0; i < 3; i++) t.equal((await ask('editor.acme.agents.', RRType.TXT)).message.rcode, 0);
  t.equal((await ask('nope.acme.agents.', RRType.A)).message.rcode, 3, 'NXDOMAIN');
  t.equal((await ask('nope.example.', RRType.A)).message.rcode, 5, 'REFUSED: not our zone');
  await ask('writer.acme.agents.', RRType.SVCB, true);
  const after = await scrape();
  const d = (name: string, labels: Record<string, string>): number => n(after, name, labels) - n(before, name, labels);
  t.equal(d('aop_dns_requests_total', { proto: 'udp', family: '1', type: 'TXT' }), 3, '3 TXT over UDP');
  t.equal(d('aop_dns_requests_total', { proto: 'udp', type: 'A' }), 2, '2 A over UDP');
  t.equal(d('aop_dns_requests_total', { proto: 'tcp', type: 'SVCB' }), 1, '1 SVCB over TCP');
  t.equal(d('aop_dns_responses_total', { rcode: 'NXDOMAIN' }), 1);
  t.equal(d('aop_dns_responses_total', { rcode: 'REFUSED' }), 1);
  t.equal(d('aop_dns_responses_total', { rcode: 'NOERROR' }), 4);
  t.equal(d('aop_cache_hits_total', { type: 'answer' }), 2, 'the repeated TXT from the answer cache');
  t.ok(d('aop_cache_misses_total', { type: 'answer' }) >= 1, 'its first time a miss');
  t.equal(d('aop_dns_request_duration_seconds_count', { type: 'TXT' }), 3, 'every request timed');
  t.equal(sample(after, 'aop_dns_request_duration_seconds_bucket', { server, type: 'TXT', le: '+Inf' }), sample(after, 'aop_dns_request_duration_seconds_count', { server, type: 'TXT' }), '+Inf bucket = count');
  t.ok(n(after, 'aop_cache_entries', { type: 'answer' }) >= 2, 'the stored answers counted');
  t.notMatch(after, /editor\.acme|nope\./, 'no query name in any label');
});

t.test('the other paths', async (t) => {
  t.equal((await fetch(http.url.replace('/metrics', '/healthz'))).status, 200);
  const ready = await fetch(http.url.replace('/metrics', '/readyz'));
  t.equal(ready.status, 200);
  t.equal(await ready.text(), 'ready\n');
  t.equal((await fetch(http.url.replace('/metrics', '/nope'))).status, 404);
  t.equal((await fetch(http.url, { method: 'POST', body: 'x' })).status, 405);
});

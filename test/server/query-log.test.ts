// The query log: 1 in N sampled, at most R lines a second (the rest counted), one JSON line each.

import t from 'tap';
import { QueryLog } from '../../src/server/query-log.js';
import { Stats } from '../../src/server/stats.js';
import type { Exchange } from '../../src/server/tap.js';
import { encodeQuery } from '../../src/wire/message.js';

function exchange(): Exchange {
  const query = encodeQuery('writer.example.agents', 16, { id: 7 });
  const response = Buffer.from(query);
  response[2] = 0x84;
  response[3] = 0x03; // NXDOMAIN
  return { query, response, transport: 'udp', clientAddress: '127.0.0.1', clientPort: 5353, localAddress: '127.0.0.1', localPort: 53, queryTime: 1000, responseTime: 1000.25, cached: false };
}

t.test('1 in N, and the per-second cap counts the rest', async (t) => {
  const lines: string[] = [];
  const stats = new Stats();
  let now = 10_000;
  const log = new QueryLog({ debug() {}, info: (m) => lines.push(m), warn() {}, error() {} }, stats, { sample: 3, rate: 2, now: () => now });
  for (let i = 0; i < 30; i++) log.answered(exchange());
  // 30 queries sampled 1 in 3 = 10; 2 written this second, 8 over the cap.
  t.equal(lines.length, 2);
  t.equal(stats.queryLogLines, 2);
  t.equal(stats.queryLogSuppressed, 8);
  now += 1000;
  for (let i = 0; i < 3; i++) log.answered(exchange());
  t.equal(lines.length, 3, 'a new second, a new allowance');
  const fields = JSON.parse(lines[0]!.replace(/^query /, '')) as Record<string, unknown>;
  t.same(fields, { client: '127.0.0.1:5353', qname: 'writer.example.agents.', qtype: 'TXT', rcode: 'NXDOMAIN', size: fields.size, transport: 'udp', ms: 0.25, cached: false });
});

t.test('rate 0 is no cap', async (t) => {
  const lines: string[] = [];
  const stats = new Stats();
  const log = new QueryLog({ debug() {}, info: (m) => lines.push(m), warn() {}, error() {} }, stats, { sample: 1, rate: 0 });
  for (let i = 0; i < 500; i++) log.answered(exchange());
  t.equal(lines.length, 500);
  t.equal(stats.queryLogSuppressed, 0);
});

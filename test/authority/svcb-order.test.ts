// Several SVCB/HTTPS records at one name are answered in SvcPriority order (AliasMode 0 first),
// ties in zone order: DNS-AID's reference client takes the first record of the answer, so the
// preferred endpoint must come first whatever order the zone file lists them in. Checked with dig.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bySvcPriority } from '../../src/authority/answer.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { startDaemon } from '../helpers/server.js';

const ZONE = `$ORIGIN order.agents.
$TTL 300
@        3600 IN SOA ns1 hostmaster 1 3600 900 604800 300
@        3600 IN NS  ns1
ns1           IN A   127.0.0.1
h             IN A   127.0.0.1
writer        IN SVCB 3 h.order.agents. alpn="mcp" port=18103
              IN SVCB 1 h.order.agents. alpn="mcp" port=18101
              IN SVCB 2 h.order.agents. alpn="mcp" port=18102
              IN SVCB 1 h.order.agents. alpn="mcp" port=18100
www           IN HTTPS 2 h.order.agents. alpn="h2" port=8443
              IN HTTPS 1 h.order.agents. alpn="h2" port=443
`;

t.test('bySvcPriority: priority order, stable for ties, the same array when already in order', async (t) => {
  const rec = (p: number, tag: number): Buffer => Buffer.from([p >> 8, p & 0xff, 0, tag]);
  const set = [rec(3, 0), rec(1, 1), rec(0, 2), rec(1, 3)];
  t.same(bySvcPriority(set).map((b) => b[3]), [2, 1, 3, 0]);
  const sorted = [rec(1, 0), rec(1, 1), rec(2, 2)];
  t.equal(bySvcPriority(sorted), sorted, 'no copy when nothing moves');
});

t.test('dig sees SVCB and HTTPS answers in priority order', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-svcb-order-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'order.agents.zone'), ZONE);
  const { port } = await startDaemon(t, { zonesDir: dir });
  for (const transport of ['+notcp', '+tcp']) {
    const r = await dig(port, [transport, 'writer.order.agents.', 'SVCB']);
    t.equal(r.status, 'NOERROR');
    t.same(r.answer.map((l) => / SVCB (\d+) .*port=(\d+)/.exec(l)!.slice(1).join(' ')), ['1 18101', '1 18100', '2 18102', '3 18103'],
      `${transport}: priority 1 first (in zone order), then 2, then 3`);
    const h = await dig(port, [transport, 'www.order.agents.', 'HTTPS']);
    t.same(h.answer.map((l) => / HTTPS (\d+) /.exec(l)![1]), ['1', '2'], `${transport}: HTTPS too`);
  }
});

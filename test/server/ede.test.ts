// Extended DNS Errors (RFC 8914) as dig shows them: REFUSED by the recursion ACL (18
// Prohibited), REFUSED for a name in none of our zones (20 Not Authoritative), SERVFAIL when
// the network refuses (23 Network Error); none without EDNS. Stale answers (3, 19)
// and timeouts (22) are checked on the resolver handler's mapping.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { resolutionEde } from '../../src/server/resolver-handler.js';
import { Rcode } from '../../src/wire/types.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool, run } from '../helpers/peers.js';

t.test('resolution outcomes map to EDE codes', async (t) => {
  const r = { answer: [], authority: [] };
  t.same(resolutionEde({ ...r, rcode: Rcode.NOERROR, stale: true }), { code: 3 }, 'stale answer');
  t.same(resolutionEde({ ...r, rcode: Rcode.NXDOMAIN, stale: true }), { code: 19 }, 'stale NXDOMAIN');
  t.equal(resolutionEde({ ...r, rcode: Rcode.SERVFAIL, stale: false, reason: 'no server for org. answered (192.0.2.1: udp 192.0.2.1:53: send EHOSTUNREACH 192.0.2.1:53)' })?.code, 23, 'network error');
  t.equal(resolutionEde({ ...r, rcode: Rcode.SERVFAIL, stale: false, reason: 'no server for org. answered (192.0.2.1: no reply from udp 192.0.2.1:53 in 1500 ms)' })?.code, 22, 'timeouts');
  t.equal(resolutionEde({ ...r, rcode: Rcode.SERVFAIL, stale: false, reason: 'CNAME loop at a.org.' }), undefined, 'other failures: none');
  t.equal(resolutionEde({ ...r, rcode: Rcode.NOERROR, stale: false }), undefined, 'a fresh answer: none');
});

t.test('dig shows the EDE of REFUSED and SERVFAIL', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-ede-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'ede.test.zone'), '$TTL 300\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n');
  const lease = await leaseNet(t);
  // The root's only server is an address nothing listens on: every resolution fails.
  const hints = parseHints(`. 3600000 NS ns.dead.\nns.dead. 3600000 A ${lease.host(77)}\n`);
  const daemon = new Daemon({
    zonesDir: dir, listen: [parseListen(`${lease.host(1)}:0`)],
    resolver: { hints, allow: [`${lease.host(2)}/32`], timeout: 200, upstreamPort: 5399, warmUp: 0, serveStale: false },
  });
  await daemon.start();
  t.teardown(() => daemon.close());
  const { host, port } = daemon.listeners[0]!.address;
  const dig = async (from: string, ...args: string[]): Promise<string> =>
    (await run('dig', [`@${host}`, '-p', String(port), '-b', from, '+time=5', '+tries=1', ...args])).stdout;

  const prohibited = await dig(lease.host(3), '+rec', 'www.example.', 'A');
  t.match(prohibited, /status: REFUSED/);
  t.match(prohibited, /EDE: 18 \(Prohibited\)/, 'recursion refused by the ACL');

  const notAuth = await dig(lease.host(3), '+norec', 'www.example.', 'A');
  t.match(notAuth, /status: REFUSED/);
  t.match(notAuth, /EDE: 20 \(Not Authoritative\)/, 'a name in none of our zones');
  const again = await dig(lease.host(3), '+norec', 'www.example.', 'A');
  t.match(again, /EDE: 20 \(Not Authoritative\)/, 'and from the stored answer too');
  const plain = await dig(lease.host(3), '+norec', '+noedns', 'www.example.', 'A');
  t.match(plain, /status: REFUSED/);
  t.notMatch(plain, /EDE:/, 'no EDNS, no EDE');

  const failed = await dig(lease.host(2), '+rec', 'www.example.', 'A');
  t.match(failed, /status: SERVFAIL/);
  // Nothing listens there: the port-unreachable comes back as ECONNREFUSED, a network error.
  t.match(failed, /EDE: 23 \(Network Error\)/, 'resolution failed, the network said no');

  const ours = await dig(lease.host(3), '+norec', 'ns.ede.test.', 'A');
  t.match(ours, /status: NOERROR/);
  t.notMatch(ours, /EDE:/, 'an ordinary answer has none');
});

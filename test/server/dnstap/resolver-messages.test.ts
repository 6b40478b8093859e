// dnstap of a recursive answer: CLIENT_QUERY/CLIENT_RESPONSE for the client, and with
// upstream on, RESOLVER_QUERY/RESOLVER_RESPONSE for the resolver's query to the delegated
// server; authoritative answers to the same client stay AUTH_*. Read back by dnstap-read.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dig } from '../../helpers/dig.js';
import { requireTool, run } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';
import { ALLOWED, startDelegatedOrg, startRoot } from '../../helpers/delegated-org.js';

t.test('client, resolver and auth message types', async (t) => {
  if (!requireTool(t, 'dnstap-read', 'bind9-dnsutils') || !requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const world = await startDelegatedOrg(t);
  if (!world) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-dnstap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'out.fstrm');
  const { daemon, host, port } = await startRoot(t, world, { dnstap: { kind: 'file', path: file, upstream: true } });
  const from = ALLOWED(world);
  const r = await dig(port, ['-b', from, '+rec', '+time=4', 'analyst.initech.agents', 'SVCB'], host);
  t.equal(r.status, 'NOERROR', r.raw);
  const a = await dig(port, ['-b', from, '+rec', 'agents', 'SOA'], host);
  t.equal(a.status, 'NOERROR');
  await waitFor(() => daemon.stats.dnstapMessages >= 6, 'the messages queued');
  await daemon.close();
  const out = await run('dnstap-read', [file]);
  t.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trim().split('\n');
  t.comment(lines.join('\n'));
  const has = (re: RegExp): boolean => lines.some((l) => re.test(l));
  t.ok(has(new RegExp(`CQ ${from.replace(/\./g, '\\.')}:\\d+ -> ${host.replace(/\./g, '\\.')}:${port} UDP .*analyst\\.initech\\.agents/IN/SVCB`)), 'CLIENT_QUERY from the client');
  t.ok(has(/CR .*analyst\.initech\.agents\/IN\/SVCB/), 'CLIENT_RESPONSE');
  t.ok(has(new RegExp(`RQ .*-> ${world.lease.host(6).replace(/\./g, '\\.')}:53 UDP .*initech\\.agents`)), 'RESOLVER_QUERY to the delegated server');
  t.ok(has(/RR .*initech\.agents/), 'RESOLVER_RESPONSE');
  t.ok(has(/AQ .*agents\/IN\/SOA/) && has(/AR .*agents\/IN\/SOA/), 'our own zone: AUTH_QUERY/AUTH_RESPONSE');
});

// The hand-off and delegations (issue 13): through a daemon that serves `agents.` and recurses,
// an agent of an organisation delegated to another server is called like any other; from a
// daemon that does not recurse, the referral it answers with is reported as a referral
// (ERR_LOOKUP_REFERRAL, exit status 13, with the server and the zone's name servers), not as
// "no agent record"; a lame reply is ERR_LOOKUP_LAME.

import t from 'tap';
import { HandOff, HandOffError, NetworkLookup, type DnsLookup, type LookupReply } from '../../src/mcp/index.js';
import { runCall } from '../../src/cli/call.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { scratchDir } from '../helpers/child.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { rootZone, startDelegatedOrg, startRoot } from '../helpers/delegated-org.js';
import { nameToWire } from '../../src/wire/name.js';
import { Rcode, RRType } from '../../src/wire/types.js';

const quiet = { stdout: () => undefined, stderr: () => undefined, env: {} };

t.test('through a daemon that recurses, a delegated organisation\'s agent is reached', async (t) => {
  const world = await startDelegatedOrg(t);
  if (!world) return;
  const root = await startRoot(t, world);
  const handOff = new HandOff({ loopbackZones: 'any', lookup: new NetworkLookup({ address: root.host, port: root.port }), timeoutMs: 20_000, retries: 1, backoffMs: 10, connectTimeoutMs: 10_000 });
  t.teardown(() => handOff.close());
  const card = await handOff.resolve('analyst.initech.agents');
  t.equal(card.tool, 'summarize');
  t.equal(card.zone, 'initech.agents.', 'the zone, from the SOA the resolver fetched');
  const o = await handOff.call('analyst.initech.agents', { text: 'Sales rose. Costs fell. Profit grew.', max_sentences: 1 });
  const text = (o.result.content[0] as { text: string }).text;
  t.match(text, /^Summary by analyst\.initech\.agents \(1 of 3 sentences\):\nSales rose\./);

  // The delegated organisation is on loopback here: aop call allows that only for a zone it is told of.
  let stderr = '';
  const refused = await runCall({ name: 'analyst.initech.agents', arg: ['text=One. Two.'], server: `${root.host}:${root.port}` }, { ...quiet, stdout: () => undefined, stderr: (s) => { stderr += s; } });
  t.equal(refused, 8, 'aop call without --allow-loopback-zone: refused by policy');
  t.match(stderr, /loopback address .* zone initech\.agents\./);
  let stdout = '';
  const code = await runCall({ name: 'analyst.initech.agents', arg: ['text=One. Two.'], server: `${root.host}:${root.port}`, allowLoopbackZone: ['initech.agents'] }, { ...quiet, stdout: (s) => { stdout += s; } });
  t.equal(code, 0, 'aop call: exit 0');
  t.match(stdout, /Summary by analyst\.initech\.agents/);
});

t.test('from a daemon that does not recurse: ERR_LOOKUP_REFERRAL, naming the server and the zone', async (t) => {
  const lease = await leaseNet(t);
  const dir = path.join(scratchDir(t, 'aop-referral-'), 'zones');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'agents.zone'), rootZone(lease));
  const daemon = new Daemon({ zonesDir: dir, listen: [parseListen(`${lease.host(1)}:0`)] });
  await daemon.start();
  t.teardown(() => daemon.close());
  const server = `${lease.host(1)}:${daemon.listeners[0]!.address.port}`;
  const handOff = new HandOff({ loopbackZones: 'any', lookup: new NetworkLookup({ address: lease.host(1), port: daemon.listeners[0]!.address.port }) });
  t.teardown(() => handOff.close());
  const err = await handOff.resolve('analyst.initech.agents').then(() => undefined, (e: unknown) => e);
  t.type(err, HandOffError);
  const e = err as HandOffError;
  t.equal(e.code, 'ERR_LOOKUP_REFERRAL');
  t.equal(e.exitCode, 13);
  t.equal(e.message, `analyst.initech.agents. SVCB: ${server} answered with a referral to initech.agents (ns1.initech.agents.); ask a recursive resolver or a server for initech.agents`);

  let stderr = '';
  const code = await runCall({ name: 'analyst.initech.agents', arg: ['text=x'], server }, { ...quiet, stderr: (s) => { stderr += s; } });
  t.equal(code, 13, 'aop call: exit 13');
  t.match(stderr, /answered with a referral to initech\.agents/);
  t.notMatch(stderr, /no SVCB agent record/);
});

t.test('a lame reply is ERR_LOOKUP_LAME; a lookup that does not report AA keeps the old reading', async (t) => {
  const reply = (over: Partial<LookupReply>): DnsLookup => ({
    source: '192.0.2.53:53',
    query: async () => ({ rcode: Rcode.NOERROR, answers: [], authority: [], additional: [], ...over }),
  });
  const soa = { name: 'acme.agents.', type: RRType.SOA, class: 1, ttl: 300, rdata: Buffer.concat([nameToWire('ns1.acme.agents.'), nameToWire('h.acme.agents.'), Buffer.alloc(20)]) };
  const upward = { name: 'agents.', type: RRType.NS, class: 1, ttl: 300, rdata: nameToWire('a.root.agents.') };
  const sideways = { name: 'globex.agents.', type: RRType.NS, class: 1, ttl: 300, rdata: nameToWire('ns1.globex.agents.') };
  const cases: Array<[string, Partial<LookupReply>, string, RegExp]> = [
    ['empty, AA clear', { aa: false }, 'ERR_LOOKUP_LAME', /^writer\.acme\.agents\. SVCB: 192\.0\.2\.53:53 gave a lame answer: an empty answer that is not authoritative/],
    ['NS for a zone that does not hold the name', { aa: false, authority: [sideways] }, 'ERR_LOOKUP_LAME', /a referral to globex\.agents, which does not hold the name/],
    ['an upward referral (NS of a zone above) is still a referral', { aa: false, authority: [upward] }, 'ERR_LOOKUP_REFERRAL', /referral to agents \(a\.root\.agents\.\)/],
    ['NODATA with the SOA', { aa: false, authority: [soa] }, 'ERR_NO_AGENT_RECORD', /no SVCB agent record/],
    ['authoritative NODATA', { aa: true }, 'ERR_NO_AGENT_RECORD', /no SVCB agent record/],
    ['AA not reported', {}, 'ERR_NO_AGENT_RECORD', /no SVCB agent record/],
  ];
  for (const [what, over, code, message] of cases) {
    const h = new HandOff({ loopbackZones: 'any', lookup: reply(over) });
    const err = await h.resolve('writer.acme.agents').then(() => undefined, (e: unknown) => e) as HandOffError | undefined;
    t.equal(err?.code, code, what);
    t.match(err?.message, message, what);
    await h.close();
  }
});

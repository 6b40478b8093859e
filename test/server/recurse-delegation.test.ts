// A daemon that serves the root and recurses must recurse (issue 13). aop serves `agents.`, which
// delegates initech.agents to another server (NSD when installed) on port 53 of the test's own
// loopback /24; the root hints point where nothing runs. A client that may recurse gets
// initech's answer resolved (RA=1, AA=0) and cached; a client outside the ACL, or asking with
// RD=0, gets the referral; authoritative answers carry RA=1 for allowed clients only; and the
// stored-answer cache never hands one kind of answer to the other kind of client.

import t from 'tap';
import { dig as digRaw, type DigResult } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { ALLOWED, OUTSIDE, startDelegatedOrg, startRoot } from '../helpers/delegated-org.js';

t.test('recursion through a delegation away from our own zone', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const world = await startDelegatedOrg(t);
  if (!world) return;
  const { daemon, host, port } = await startRoot(t, world);
  const dig = (from: string, ...args: string[]): Promise<DigResult> => digRaw(port, ['-b', from, '+time=4', ...args], host);
  const allowed = ALLOWED(world);
  const outside = OUTSIDE(world);
  t.comment(`initech.agents served by ${world.peer} on ${world.lease.host(6)}:53`);

  t.test('an allowed client with RD=1 gets the delegated answer, resolved', async (t) => {
    const r = await dig(allowed, '+rec', 'analyst.initech.agents', 'SVCB');
    t.equal(r.status, 'NOERROR', r.raw);
    t.ok(r.flags.has('ra'), 'RA set');
    t.notOk(r.flags.has('aa'), 'AA clear: a recursive answer');
    t.equal(r.answer.length, 1, r.raw);
    t.match(r.answer[0], /^analyst\.initech\.agents\. \d+ IN SVCB 1 mcp\.initech\.agents\. alpn="mcp" port=\d+ key65320="\/agents\/analyst\/mcp"/);
    const upstream = daemon.resolver!.stats.upstreamQueries;
    const again = await dig(allowed, '+rec', 'analyst.initech.agents', 'SVCB');
    t.same(again.answer.map((l) => l.replace(/ \d+ IN /, ' IN ')), r.answer.map((l) => l.replace(/ \d+ IN /, ' IN ')), 'the same answer');
    t.equal(daemon.resolver!.stats.upstreamQueries, upstream, 'from the cache: initech was not asked again');
    const ns = await dig(allowed, '+rec', 'initech.agents', 'NS');
    t.same(ns.answer.map((l) => l.split(' ').slice(3).join(' ')), ['NS ns1.initech.agents.'], 'NS at the cut: the child\'s own, in the answer');
    t.ok(ns.flags.has('ra') && !ns.flags.has('aa'));
    const nx = await dig(allowed, '+rec', 'nobody.initech.agents', 'SVCB');
    t.equal(nx.status, 'NXDOMAIN', 'a negative answer from the child');
    t.ok(nx.authority.some((l) => / SOA ns1\.initech\.agents\. /.test(l)), 'with the child\'s SOA');
  });

  t.test('a client outside the ACL gets the referral, RA clear', async (t) => {
    const r = await dig(outside, '+rec', 'analyst.initech.agents', 'SVCB');
    t.equal(r.status, 'NOERROR');
    t.notOk(r.flags.has('ra'), 'RA clear');
    t.notOk(r.flags.has('aa'), 'AA clear: a referral');
    t.same(r.answer, []);
    t.same(r.authority, ['initech.agents. 3600 IN NS ns1.initech.agents.']);
    t.same(r.additional, [`ns1.initech.agents. 3600 IN A ${world.lease.host(6)}`], 'with glue');
  });

  t.test('an allowed client asking with RD=0 gets the referral, with RA set', async (t) => {
    const r = await dig(allowed, '+norec', 'analyst.initech.agents', 'SVCB');
    t.same(r.answer, []);
    t.same(r.authority, ['initech.agents. 3600 IN NS ns1.initech.agents.']);
    t.ok(r.flags.has('ra'), 'recursion is available to this client, as BIND says');
  });

  t.test('authoritative answers: AA for everyone, RA for allowed clients only', async (t) => {
    const a = await dig(allowed, '+rec', 'agents', 'SOA');
    t.ok(a.flags.has('aa') && a.flags.has('ra'), `allowed: ${[...a.flags].join(' ')}`);
    t.notOk(a.raw.includes('recursion requested but not available'), 'dig does not warn');
    const o = await dig(outside, '+rec', 'agents', 'SOA');
    t.ok(o.flags.has('aa'), 'outside: AA');
    t.notOk(o.flags.has('ra'), 'outside: RA clear');
    t.match(o.raw, /recursion requested but not available/);
  });

  t.test('stored answers never cross between the two kinds of client', async (t) => {
    // Each kind asks several times, interleaved, so that the later answers come from the
    // responder's stored encodings (answerCacheHits grows); each must still get its own kind.
    const hits = daemon.stats.answerCacheHits;
    for (let round = 0; round < 3; round++) {
      for (const name of ['analyst.initech.agents', 'agents']) {
        const type = name === 'agents' ? 'SOA' : 'SVCB';
        const o = await dig(outside, '+rec', name, type);
        const a = await dig(allowed, '+rec', name, type);
        t.notOk(o.flags.has('ra'), `round ${round} ${name}: outside, RA clear`);
        t.ok(a.flags.has('ra'), `round ${round} ${name}: allowed, RA set`);
        if (type === 'SVCB') {
          t.equal(o.answer.length, 0, `round ${round}: outside gets the referral`);
          t.equal(a.answer.length, 1, `round ${round}: allowed gets the answer`);
        }
      }
    }
    t.ok(daemon.stats.answerCacheHits > hits + 4, `the stored answers were used (${daemon.stats.answerCacheHits - hits} hits)`);
    // The resolved answer is stored on the resolver's terms, not as an authoritative one: a flush
    // of the resolver's cache makes it unusable, and the next question goes to initech again.
    const upstream = daemon.resolver!.stats.upstreamQueries;
    daemon.resolver!.cache.flushAll();
    const a = await dig(allowed, '+rec', 'analyst.initech.agents', 'SVCB');
    t.equal(a.answer.length, 1);
    t.ok(daemon.resolver!.stats.upstreamQueries > upstream, 'resolved again after the flush');
    const o = await dig(outside, '+rec', 'analyst.initech.agents', 'SVCB');
    t.equal(o.answer.length, 0, 'and the outside client still gets the referral');
  });

  t.test('a CNAME in our zone into the delegated one: the CNAME, then the target resolved', async (t) => {
    const a = await dig(allowed, '+rec', 'analyst-alias.agents', 'SVCB');
    t.equal(a.status, 'NOERROR');
    t.ok(a.flags.has('ra'));
    t.notOk(a.flags.has('aa'), 'AA clear: part of it is resolved');
    t.same(a.answer.map((l) => l.split(' ').slice(3, 5).join(' ')), ['CNAME analyst.initech.agents.', 'SVCB 1'], a.raw);
    const o = await dig(outside, '+rec', 'analyst-alias.agents', 'SVCB');
    t.same(o.answer, ['analyst-alias.agents. 3600 IN CNAME analyst.initech.agents.'], 'outside: our CNAME');
    t.same(o.authority, ['initech.agents. 3600 IN NS ns1.initech.agents.'], 'and the referral for its target');
    t.notOk(o.flags.has('ra'));
  });

  t.test('an organisation whose server is down: SERVFAIL for allowed clients, the referral for others', async (t) => {
    const a = await dig(allowed, '+rec', 'x.down.agents', 'SVCB');
    t.equal(a.status, 'SERVFAIL');
    t.ok(a.flags.has('ra'));
    const o = await dig(outside, '+rec', 'x.down.agents', 'SVCB');
    t.equal(o.status, 'NOERROR');
    t.same(o.authority, ['down.agents. 3600 IN NS ns1.down.agents.']);
  });
});

// End to end: the real daemon on loopback, asked by dig and kdig, for every answering behaviour.

import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dig, kdig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { startDaemon } from '../helpers/server.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'serve');

t.test('answers through dig', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const { port } = await startDaemon(t, { zonesDir });
  const q = (...args: string[]) => dig(port, args);

  t.test('exact match is authoritative, SVCB target addresses in additional', async (t) => {
    const r = await q('writer.example.agents', 'SVCB');
    t.equal(r.status, 'NOERROR');
    t.ok(r.flags.has('aa'), 'AA set');
    t.notOk(r.flags.has('ra'), 'RA clear: not a resolver');
    t.same(r.answer, ['writer.example.agents. 300 IN SVCB 1 host.example.agents. alpn="mcp,h2" port=8443 key65320="/mcp"']);
    t.same(r.additional.sort(), ['host.example.agents. 300 IN A 127.0.0.1', 'host.example.agents. 300 IN AAAA ::1']);
  });

  t.test('answers echo the question case', async (t) => {
    const r = await q('WrItEr.ExAmPlE.aGeNtS', 'TXT');
    t.equal(r.status, 'NOERROR');
    t.match(r.answer[0], /^WrItEr\.ExAmPlE\.aGeNtS\. 300 IN TXT /);
  });

  t.test('CNAME chain inside the zone', async (t) => {
    const r = await q('alias.example.agents', 'SVCB');
    t.equal(r.status, 'NOERROR');
    t.ok(r.flags.has('aa'));
    t.same(r.answer.map((l) => l.split(' ').slice(0, 4).join(' ')), [
      'alias.example.agents. 300 IN CNAME', 'alias2.example.agents. 300 IN CNAME', 'writer.example.agents. 300 IN SVCB',
    ]);
  });

  t.test('CNAME out of our zones ends the chain', async (t) => {
    const r = await q('outside.example.agents', 'A');
    t.equal(r.status, 'NOERROR');
    t.same(r.answer, ['outside.example.agents. 300 IN CNAME writer.elsewhere.test.']);
  });

  t.test('CNAME loop terminates', async (t) => {
    const r = await q('loop1.example.agents', 'A');
    t.equal(r.status, 'NOERROR');
    t.equal(r.answer.length, 2);
  });

  t.test('DNAME synthesizes a CNAME and follows it', async (t) => {
    const r = await q('w.old.example.agents', 'TXT');
    t.equal(r.status, 'NOERROR');
    t.same(r.answer, [
      'old.example.agents. 300 IN DNAME new.example.agents.',
      'w.old.example.agents. 300 IN CNAME w.new.example.agents.',
      'w.new.example.agents. 300 IN TXT "below new"',
    ]);
    const nx = await q('nope.old.example.agents', 'TXT');
    t.equal(nx.status, 'NXDOMAIN', 'rcode follows the end of the chain (RFC 6604)');
    t.equal(nx.answer.length, 2);
  });

  t.test('wildcards (RFC 4592)', async (t) => {
    const r = await q('anything.wild.example.agents', 'TXT');
    t.same(r.answer, ['anything.wild.example.agents. 300 IN TXT "wildcard"']);
    const deep = await q('a.b.wild.example.agents', 'TXT');
    t.same(deep.answer, ['a.b.wild.example.agents. 300 IN TXT "wildcard"']);
    const explicit = await q('x.wild.example.agents', 'TXT');
    t.same(explicit.answer, ['x.wild.example.agents. 300 IN TXT "explicit"']);
    const below = await q('y.x.wild.example.agents', 'TXT');
    t.equal(below.status, 'NXDOMAIN', 'an existing node blocks the wildcard below it');
    const nodata = await q('anything.wild.example.agents', 'A');
    t.equal(nodata.status, 'NOERROR');
    t.equal(nodata.answer.length, 0);
  });

  t.test('NXDOMAIN and NODATA carry the SOA with the negative TTL', async (t) => {
    const soa = 'example.agents. 120 IN SOA ns1.example.agents. hostmaster.example.agents. 2026112501 3600 600 604800 120';
    const nx = await q('missing.example.agents', 'A');
    t.equal(nx.status, 'NXDOMAIN');
    t.ok(nx.flags.has('aa'));
    t.same(nx.authority, [soa]);
    const nodata = await q('writer.example.agents', 'A');
    t.equal(nodata.status, 'NOERROR');
    t.same(nodata.answer, []);
    t.same(nodata.authority, [soa]);
    const ent = await q('b.ent.example.agents', 'TXT');
    t.equal(ent.status, 'NOERROR', 'empty non-terminal exists');
    t.same(ent.authority, [soa]);
  });

  t.test('referral at a delegation', async (t) => {
    const r = await q('host.sub.example.agents', 'A');
    t.equal(r.status, 'NOERROR');
    t.notOk(r.flags.has('aa'), 'AA clear on a referral');
    t.same(r.answer, []);
    t.same(r.authority.sort(), ['sub.example.agents. 300 IN NS ns.other.test.', 'sub.example.agents. 300 IN NS ns.sub.example.agents.']);
    t.same(r.additional, ['ns.sub.example.agents. 300 IN A 127.0.0.12']);
  });

  t.test('names outside every zone are REFUSED', async (t) => {
    const r = await q('example.com', 'A');
    t.equal(r.status, 'REFUSED');
    t.notOk(r.flags.has('aa'));
  });

  t.test('ANY is minimal (RFC 8482)', async (t) => {
    const r = await q('writer.example.agents', 'ANY');
    t.equal(r.status, 'NOERROR');
    t.equal(r.answer.length, 1);
  });

  t.test('MX and SRV targets get addresses in additional', async (t) => {
    for (const [name, type] of [['mail', 'MX'], ['srv', 'SRV']] as const) {
      const r = await q(`${name}.example.agents`, type);
      t.equal(r.answer.length, 1, type);
      t.same(r.additional.sort(), ['host.example.agents. 300 IN A 127.0.0.1', 'host.example.agents. 300 IN AAAA ::1'], type);
    }
  });

  t.test('unknown EDNS version gets BADVERS', async (t) => {
    const r = await q('writer.example.agents', 'SVCB', '+edns=1', '+noednsnegotiation');
    t.equal(r.status, 'BADVERS');
  });

  t.test('unknown opcode gets NOTIMP', async (t) => {
    const r = await q('writer.example.agents', 'A', '+opcode=2');
    t.equal(r.status, 'NOTIMP');
  });

  t.test('truncation over UDP, full answer over TCP', async (t) => {
    const udp = await q('big.example.agents', 'TXT', '+bufsize=512', '+ignore');
    t.ok(udp.flags.has('tc'), 'TC set when the RRset does not fit');
    t.equal(udp.answer.length, 0, 'no partial RRset');
    const retried = await q('big.example.agents', 'TXT', '+bufsize=512');
    t.notOk(retried.flags.has('tc'));
    t.equal(retried.answer.length, 6, 'dig retried over TCP and got the whole RRset');
    const noedns = await q('big.example.agents', 'TXT', '+noedns', '+ignore');
    t.ok(noedns.flags.has('tc'), '512-byte limit without EDNS');
    const big = await q('big.example.agents', 'TXT', '+bufsize=1232');
    t.notOk(big.flags.has('tc'));
    t.equal(big.answer.length, 6);
  });

  t.test('TCP', async (t) => {
    const r = await q('writer.example.agents', 'SVCB', '+tcp');
    t.equal(r.status, 'NOERROR');
    t.equal(r.answer.length, 1);
  });
});

t.test('answers through kdig', async (t) => {
  if (!requireTool(t, 'kdig', 'knot-dnsutils')) return;
  const { port } = await startDaemon(t, { zonesDir });
  const r = await kdig(port, ['writer.example.agents', 'SVCB']);
  t.equal(r.status, 'NOERROR');
  t.ok(r.flags.has('aa'));
  t.equal(r.answer.length, 1);
  t.match(r.answer[0], /^writer\.example\.agents\. 300 IN SVCB 1 host\.example\.agents\. /);
  const tcp = await kdig(port, ['+tcp', 'missing.example.agents', 'A']);
  t.equal(tcp.status, 'NXDOMAIN');
  const ref = await kdig(port, ['host.sub.example.agents', 'A']);
  t.notOk(ref.flags.has('aa'));
  t.equal(ref.authority.length, 2);
  const trunc = await kdig(port, ['+bufsize=512', '+ignore', 'big.example.agents', 'TXT']);
  t.ok(trunc.flags.has('tc'));
});

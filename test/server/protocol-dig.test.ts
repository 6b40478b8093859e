// End to end, the header-level rules every query passes, asked with dig and kdig: FORMERR for
// no question, BADVERS with an OPT (RFC 6891 6.1.3), REFUSED for UPDATE when no zone takes
// updates, NOTIMP for every other opcode, the DO bit copied, the UDP
// payload size (client's offer, floored at 512, capped by --udp-size), TC when required glue does
// not fit (RFC 9471) but not for optional additional data, the flags copied or cleared, classes.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dig, kdig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { startDaemon } from '../helpers/server.js';
import { rawQuery, udpExchange } from '../helpers/udp.js';

const pad = (s: string, n: number) => s + 'x'.repeat(Math.max(0, n - s.length));
const ZONE = [
  '$ORIGIN p.agents.',
  '$TTL 300',
  '@ 3600 SOA ns1 hostmaster 1 3600 600 604800 120',
  '@ NS ns1',
  'ns1 A 192.0.2.1',
  'host A 192.0.2.10',
  // 20 x ~90 bytes: about 1.9 KB, over 1232 and under 4096.
  ...Array.from({ length: 20 }, (_, i) => `big TXT "${pad(`record ${i}`, 80)}"`),
  // 8 x ~90 bytes: about 750 bytes, over 600 and under 1232.
  ...Array.from({ length: 8 }, (_, i) => `mid TXT "${pad(`record ${i}`, 80)}"`),
  // 4 x ~90 bytes: about 400 bytes, under 512 and over 100.
  ...Array.from({ length: 4 }, (_, i) => `small TXT "${pad(`record ${i}`, 80)}"`),
  // A referral with 13 in-bailiwick servers: its glue (required) cannot fit in 512 bytes.
  ...Array.from({ length: 13 }, (_, i) => `fat NS ns${i}.fat`),
  ...Array.from({ length: 13 }, (_, i) => `ns${i}.fat A 192.0.2.${100 + i}\nns${i}.fat AAAA 2001:db8::${100 + i}`),
  // An answer that fits 512 bytes whose additional addresses (optional) do not.
  ...Array.from({ length: 12 }, (_, i) => `manymx MX ${i} h${i}.mx\nh${i}.mx AAAA 2001:db8:1::${i}`),
].join('\n') + '\n';

const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-proto-'));
writeFileSync(path.join(dir, 'p.agents.zone'), ZONE);
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('through dig', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const { port } = await startDaemon(t, { zonesDir: dir });
  const q = (...args: string[]) => dig(port, args);

  t.test('a query without a question: FORMERR, OPT still echoed', async (t) => {
    const r = await q('+header-only');
    t.equal(r.status, 'FORMERR');
    t.match(r.raw, /QUERY: 0, ANSWER: 0, AUTHORITY: 0/);
    t.notOk(r.flags.has('aa'));
    t.match(r.raw, /EDNS: version: 0, flags:; udp: 1232/, 'an OPT in the reply to an EDNS query (RFC 6891 7)');
  });

  t.test('EDNS version 1 and 255: BADVERS, with our OPT at version 0', async (t) => {
    for (const v of ['1', '255']) {
      const r = await q(`+edns=${v}`, '+noednsnegotiation', 'host.p.agents', 'A');
      t.equal(r.status, 'BADVERS', `version ${v}`);
      t.match(r.raw, /EDNS: version: 0, flags:; udp: 1232/, 'the highest version we speak');
      t.same(r.answer, [], 'nothing answered');
    }
    const ok = await q('+edns=0', 'host.p.agents', 'A');
    t.equal(ok.status, 'NOERROR');
  });

  t.test('UPDATE to a server that takes none: REFUSED, as BIND answers', async (t) => {
    const r = await q('+opcode=5', 'p.agents', 'SOA');
    t.equal(r.status, 'REFUSED');
    t.equal(r.opcode, 'UPDATE');
  });

  t.test('the DO bit is copied into the reply (RFC 3225 3)', async (t) => {
    const on = await q('+dnssec', 'host.p.agents', 'A');
    t.equal(on.status, 'NOERROR');
    t.match(on.raw, /EDNS: version: 0, flags: do; udp: 1232/, 'DO set: DO in the reply');
    const again = await q('+dnssec', 'HOST.p.agents', 'A');
    t.match(again.raw, /EDNS: version: 0, flags: do; udp: 1232/, 'also from the encoded-answer cache');
    const off = await q('host.p.agents', 'A');
    t.match(off.raw, /EDNS: version: 0, flags:; udp: 1232/, 'DO clear: clear in the reply');
  });

  t.test('every other opcode but QUERY: NOTIMP, opcode echoed', async (t) => {
    const names: Record<number, string> = { 1: 'IQUERY', 2: 'STATUS', 3: 'RESERVED3', 4: 'NOTIFY', 6: 'RESERVED6', 15: 'RESERVED15' };
    for (const [op, name] of Object.entries(names)) {
      const r = await q(`+opcode=${op}`, 'p.agents', 'SOA');
      t.equal(r.status, 'NOTIMP', `opcode ${op}`);
      t.equal(r.opcode, name, `opcode ${op} echoed`);
      t.same(r.answer, []);
    }
  });

  t.test('classes: IN and ANY answered, CHAOS refused', async (t) => {
    const any = await q('-c', 'ANY', 'host.p.agents', 'A');
    t.equal(any.status, 'NOERROR');
    t.same(any.answer, ['host.p.agents. 300 IN A 192.0.2.10']);
    const ch = await q('-c', 'CH', 'version.bind', 'TXT');
    t.equal(ch.status, 'REFUSED');
  });

  t.test('flags: RD and CD copied, RA and AD clear', async (t) => {
    const r = await q('+rec', '+cd', '+adflag', 'host.p.agents', 'A');
    t.equal(r.status, 'NOERROR', 'RD=1 to an authority-only server is answered from the zone');
    t.ok(r.flags.has('rd'), 'RD copied');
    t.ok(r.flags.has('cd'), 'CD copied (RFC 4035 3.1.6)');
    t.notOk(r.flags.has('ra'), 'RA clear');
    t.notOk(r.flags.has('ad'), 'AD clear: nothing here is validated');
    t.ok(r.flags.has('aa'));
  });

  t.test('no EDNS in, no OPT out; 512 bytes then', async (t) => {
    const r = await q('+noedns', 'host.p.agents', 'A');
    t.notMatch(r.raw, /OPT PSEUDOSECTION/);
    const mid = await q('+noedns', '+ignore', 'mid.p.agents', 'TXT');
    t.ok(mid.flags.has('tc'));
    t.same(mid.answer, [], 'no partial RRset');
  });

  t.test('UDP payload: the client offer, floored at 512, capped at 1232', async (t) => {
    const within = await q('+bufsize=1232', '+ignore', 'mid.p.agents', 'TXT');
    t.notOk(within.flags.has('tc'));
    t.equal(within.answer.length, 8);
    const small = await q('+bufsize=600', '+ignore', 'mid.p.agents', 'TXT');
    t.ok(small.flags.has('tc'), 'a 600-byte offer is honoured');
    const floor = await q('+bufsize=100', '+ignore', 'small.p.agents', 'TXT');
    t.notOk(floor.flags.has('tc'), 'an offer under 512 counts as 512 (RFC 6891 6.2.5)');
    t.equal(floor.answer.length, 4);
    const capped = await q('+bufsize=4096', '+ignore', 'big.p.agents', 'TXT');
    t.ok(capped.flags.has('tc'), 'a 4096-byte offer is capped at --udp-size 1232');
    t.match(capped.raw, /udp: 1232/, 'and the OPT says so');
    const tcp = await q('+tcp', 'big.p.agents', 'TXT');
    t.notOk(tcp.flags.has('tc'));
    t.equal(tcp.answer.length, 20, 'TCP carries it whole');
  });

  t.test('required glue that does not fit sets TC; optional additional is dropped silently', async (t) => {
    const ref = await q('+noedns', '+ignore', 'x.fat.p.agents', 'A');
    t.equal(ref.status, 'NOERROR');
    t.notOk(ref.flags.has('aa'), 'a referral');
    t.ok(ref.flags.has('tc'), 'TC: in-bailiwick glue is required (RFC 9471)');
    t.equal(ref.authority.length, 13, 'the NS RRset is whole');
    const full = await q('+bufsize=1232', '+ignore', 'x.fat.p.agents', 'A');
    t.notOk(full.flags.has('tc'));
    t.equal(full.additional.length, 26, 'all glue at 1232 bytes');
    const mx = await q('+noedns', '+ignore', 'manymx.p.agents', 'MX');
    t.notOk(mx.flags.has('tc'), 'no TC for additional data that is only a courtesy');
    t.equal(mx.answer.length, 12);
    t.ok(mx.additional.length < 12, `some addresses left out (${mx.additional.length} sent)`);
  });
});

/** One query over TCP, its reply without the length prefix. */
async function tcpExchange(port: number, msg: Buffer): Promise<Buffer> {
  const sock = net.connect(port, '127.0.0.1');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  sock.write(Buffer.concat([len, msg]));
  let buf = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    sock.on('error', reject);
  });
}

t.test('zone transfers: none offered without an ACL (AXFR over UDP FORMERR, otherwise REFUSED)', async (t) => {
  const { port } = await startDaemon(t, { zonesDir: dir });
  const axfrUdp = await udpExchange(port, rawQuery(1, ['p', 'agents'], 252));
  t.equal(axfrUdp![3]! & 0x0f, 1, 'AXFR over UDP: FORMERR (RFC 5936 4.2)');
  const ixfrUdp = await udpExchange(port, rawQuery(1, ['p', 'agents'], 251));
  t.equal(ixfrUdp![3]! & 0x0f, 5, 'IXFR over UDP: REFUSED');
  for (const [type, name] of [[252, 'AXFR'], [251, 'IXFR']] as const) {
    const tcp = await tcpExchange(port, rawQuery(2, ['p', 'agents'], type));
    t.equal(tcp[3]! & 0x0f, 5, `${name} over TCP: REFUSED`);
    t.equal(tcp.readUInt16BE(6), 0, 'no records');
  }
});

t.test('a larger --udp-size lets a bigger answer through', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const { port } = await startDaemon(t, { zonesDir: dir, maxUdpSize: 4096 });
  const r = await dig(port, ['+bufsize=4096', '+ignore', 'big.p.agents', 'TXT']);
  t.notOk(r.flags.has('tc'));
  t.equal(r.answer.length, 20);
  t.match(r.raw, /udp: 4096/);
  const offer = await dig(port, ['+bufsize=1232', '+ignore', 'big.p.agents', 'TXT']);
  t.ok(offer.flags.has('tc'), 'still never more than the client offers');
});

t.test('through kdig', async (t) => {
  if (!requireTool(t, 'kdig', 'knot-dnsutils')) return;
  const { port } = await startDaemon(t, { zonesDir: dir });
  const badvers = await kdig(port, ['+edns=1', 'host.p.agents', 'A']);
  t.equal(badvers.status, 'BADVERS');
  t.match(badvers.raw, /Version: 0; flags: ; UDP size: 1232 B; ext-rcode: BADVERS/);
  // kdig retries over TCP by itself when the UDP answer is truncated.
  const retried = await kdig(port, ['+bufsize=512', 'big.p.agents', 'TXT']);
  t.match(retried.raw, /\(TCP\)/, 'the answer came over TCP');
  t.notOk(retried.flags.has('tc'));
  t.equal(retried.answer.length, 20);
});

// A client with a valid server cookie is not rate limited (Knot's semantics), and one with only a
// client cookie is told its server cookie (BADCOOKIE) where a cookieless one would get a TC slip:
// a real daemon with RRL at 5 answers/s on leased loopback addresses, real sockets.

import t from 'tap';
import dgram from 'node:dgram';
import { decodeMessage, encodeQuery, type Message } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { EDNS_COOKIE } from '../../src/server/cookies.js';
import { startFloodDaemon } from '../helpers/flood-daemon.js';
import { waitFor } from '../helpers/wait.js';

const RATE = 5;
const N = 200;

async function client(host: string): Promise<{ sock: dgram.Socket; got: Message[] }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  const c = { sock, got: [] as Message[] };
  sock.on('message', (msg) => c.got.push(decodeMessage(msg)));
  return c;
}

const query = (id: number, cookie: Buffer) => encodeQuery('www.flood.test.', RRType.A, { id, edns: { options: [{ code: EDNS_COOKIE, data: cookie }] } });
const cookieOf = (m: Message) => m.edns?.options.find((o) => o.code === EDNS_COOKIE)?.data;

t.test('a valid cookie exempts a flooding source; a client cookie alone gets BADCOOKIE for slips', async (t) => {
  const { daemon, lease, host, port } = await startFloodDaemon(t, RATE);
  const s = daemon.stats;

  const a = await client(lease.host(2));
  t.teardown(() => a.sock.close());
  const clientCookie = Buffer.from('0102030405060708', 'hex');
  a.sock.send(query(1, clientCookie), port, host);
  await waitFor(() => a.got.length === 1, 'the first answer');
  const learned = cookieOf(a.got[0]!);
  t.equal(learned?.length, 24, 'the answer carries our client cookie and a 16-byte server cookie');
  t.same(learned?.subarray(0, 8), clientCookie);
  t.equal(learned?.[8], 1, 'an RFC 9018 version 1 cookie');
  for (let i = 0; i < N; i++) a.sock.send(query(i, learned!), port, host);
  await waitFor(() => a.got.length === N + 1, `all ${N} answers to the cookie holder`, { detail: () => `${a.got.length} ${JSON.stringify(s.snapshot())}` });
  t.ok(a.got.every((m) => !m.tc && m.answers.length === 1), 'every one a full answer');
  t.equal(s.rrlDropped, 0, 'nothing dropped');
  t.ok(a.got.every((m) => cookieOf(m)?.length === 24), 'each with a server cookie');

  const b = await client(lease.host(3));
  t.teardown(() => b.sock.close());
  for (let i = 0; i < N; i++) b.sock.send(query(i, clientCookie), port, host);
  await waitFor(() => b.got.length + s.rrlDropped >= N, 'an answer, a BADCOOKIE or a drop for each', { detail: () => `${b.got.length} ${JSON.stringify(s.snapshot())}` });
  const bad = b.got.filter((m) => m.rcode === 23);
  t.ok(bad.length > 0, `${bad.length} BADCOOKIE replies in place of slips`);
  t.equal(bad.length, s.badCookies, 'counted');
  t.equal(bad.length, s.rrlSlipped, 'one for each slip');
  t.ok(bad.every((m) => cookieOf(m)?.length === 24 && m.answers.length === 0), 'each with a fresh server cookie and no answer');
  t.ok(b.got.every((m) => !m.tc), 'no TC slips for a cookie client');
});

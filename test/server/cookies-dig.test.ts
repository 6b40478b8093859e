// DNS Cookies as real clients see them: dig and kdig send a client cookie and say "(good)" when
// the reply carries it back with a server cookie (kdig prints the cookie, and complains when bad); a malformed COOKIE option is FORMERR.

import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../helpers/server.js';
import { requireTool, run } from '../helpers/peers.js';
import { udpExchange } from '../helpers/udp.js';
import { decodeMessage, encodeQuery } from '../../src/wire/message.js';
import { Rcode, RRType } from '../../src/wire/types.js';
import { EDNS_COOKIE } from '../../src/server/cookies.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'zones');

t.test('dig +cookie: the cookie comes back good, and a second query with it too', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const { port, host } = await startDaemon(t, { zonesDir });
  const first = await run('dig', [`@${host}`, '-p', String(port), '+norec', '+cookie', '+time=5', '+tries=1', 'agents.', 'SOA']);
  t.match(first.stdout, /COOKIE: [0-9a-f]{48} \(good\)/, first.stdout);
  const cookie = /COOKIE: ([0-9a-f]{48})/.exec(first.stdout)![1]!;
  const again = await run('dig', [`@${host}`, '-p', String(port), '+norec', `+cookie=${cookie}`, '+time=5', '+tries=1', 'agents.', 'SOA']);
  t.match(again.stdout, /status: NOERROR/);
  t.match(again.stdout, /COOKIE: [0-9a-f]{48} \(good\)/);
});

t.test('kdig +cookie: the client cookie and a 16-byte server cookie come back (kdig says only when bad)', async (t) => {
  if (!requireTool(t, 'kdig', 'knot-dnsutils')) return;
  const { port, host } = await startDaemon(t, { zonesDir });
  const r = await run('kdig', [`@${host}`, '-p', String(port), '+norec', '+cookie', '+time=5', '+retry=0', 'agents.', 'SOA']);
  t.match(r.stdout, /COOKIE: [0-9A-F]{48}\s/, r.stdout);
  t.notMatch(r.stdout, /bad|invalid|FORMERR/i);
});

t.test('a COOKIE option of a wrong length is FORMERR (RFC 7873 5.2.2); --no-cookies ignores it', async (t) => {
  const { port, host } = await startDaemon(t, { zonesDir });
  for (const n of [7, 9, 41]) {
    const q = encodeQuery('agents.', RRType.SOA, { id: n, edns: { options: [{ code: EDNS_COOKIE, data: Buffer.alloc(n, 1) }] } });
    const reply = decodeMessage((await udpExchange(port, q, 5000, host))!);
    t.equal(reply.rcode, Rcode.FORMERR, `${n} bytes`);
  }
  const off = await startDaemon(t, { zonesDir, cookies: false });
  const q = encodeQuery('agents.', RRType.SOA, { id: 9, edns: { options: [{ code: EDNS_COOKIE, data: Buffer.alloc(9, 1) }] } });
  const reply = decodeMessage((await udpExchange(off.port, q, 5000, off.host))!);
  t.equal(reply.rcode, Rcode.NOERROR, 'cookies off: the option is not looked at');
  t.notOk(reply.edns?.options.some((o) => o.code === EDNS_COOKIE), 'and none is sent');
});

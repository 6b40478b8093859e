// A query with a cookie is answered from the stored answers like any other, with its own
// fresh server cookie patched in (no decode, no encode); the stored copy carries no cookie,
// so a cookie-less client never gets someone else's. Answers too big for the cookie's 28
// bytes take the full path and still fit the size the client offered.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CookieJar, EDNS_COOKIE } from '../../src/server/cookies.js';
import { decodeMessage, encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { startDaemon } from '../helpers/server.js';
import { udpExchange } from '../helpers/udp.js';

const secret = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const client = Buffer.from('0123456789abcdef', 'hex');
const withCookie = (name: string, id: number, udpSize = 1232): Buffer =>
  encodeQuery(name, RRType.TXT, { id, edns: { udpSize, options: [{ code: EDNS_COOKIE, data: client }] } });
const cookieOf = (reply: Buffer): Buffer | undefined => decodeMessage(reply).edns?.options.find((o) => o.code === EDNS_COOKIE)?.data;

t.test('stored answers get a fresh cookie per asker', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-cookie-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // `big` is just under 1232 bytes: it fits alone, but not with a cookie.
  writeFileSync(path.join(dir, 'c.test.zone'), `$TTL 300\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\nw IN TXT "hello"\nbig IN TXT "${'x'.repeat(250)}" "${'y'.repeat(250)}" "${'z'.repeat(250)}" "${'v'.repeat(250)}" "${'u'.repeat(150)}"\n`);
  const { daemon, port } = await startDaemon(t, { zonesDir: dir, cookies: { secret } });
  const jar = new CookieJar({ secret });
  const s = daemon.stats;

  const first = (await udpExchange(port, withCookie('w.c.test.', 1)))!;
  const c1 = cookieOf(first)!;
  t.ok(c1, 'the first answer has a cookie');
  t.ok(c1.subarray(0, 8).equals(client), 'the client cookie echoed');
  t.ok(jar.valid(client, c1.subarray(8), '127.0.0.1'), 'and a valid server cookie for our address');
  const hits = s.answerCacheHits;
  const second = (await udpExchange(port, withCookie('W.C.test.', 2)))!;
  t.equal(s.answerCacheHits, hits + 1, 'the second comes from the stored answers');
  const m = decodeMessage(second);
  t.equal(m.id, 2);
  t.equal(m.questions[0]!.name, 'W.C.test.', 'with the asker\'s spelling');
  t.same(m.answers.map((r) => r.rdata.subarray(1).toString()), ['hello']);
  const c2 = cookieOf(second)!;
  t.ok(c2 && jar.valid(client, c2.subarray(8), '127.0.0.1'), 'and its own valid cookie');
  const plain = (await udpExchange(port, encodeQuery('w.c.test.', RRType.TXT, { id: 3 })))!;
  t.equal(s.answerCacheHits, hits + 2);
  t.equal(cookieOf(plain), undefined, 'a cookie-less client gets no cookie from the store');

  const bigPlain = (await udpExchange(port, encodeQuery('big.c.test.', RRType.TXT, { id: 4 })))!;
  t.notOk(decodeMessage(bigPlain).tc, `${bigPlain.length} bytes fit without a cookie`);
  const bigCookie = (await udpExchange(port, withCookie('big.c.test.', 5)))!;
  t.ok(bigCookie.length <= 1232, `${bigCookie.length} bytes with the cookie: within the size offered`);
  t.ok(cookieOf(bigCookie), 'with its cookie');
  t.ok(decodeMessage(bigCookie).tc, 'the answer no longer fits: TC=1');
});

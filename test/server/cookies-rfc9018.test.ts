// RFC 9018 server cookies against the RFC's own test vectors (appendix A.1, A.2), and SipHash-2-4
// against the reference implementation's vectors (the key 00..0f, messages 00..n-1).

import t from 'tap';
import { siphash24 } from '../../src/server/siphash.js';
import { CookieJar, parseCookieSecret, splitCookie } from '../../src/server/cookies.js';

t.test('siphash24 matches the reference vectors', async (t) => {
  const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
  const msg = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i));
  t.equal(siphash24(key, msg(0)).toString('hex'), '310e0edd47db6f72');
  t.equal(siphash24(key, msg(1)).toString('hex'), 'fd67dc93c539f874');
  t.equal(siphash24(key, msg(8)).toString('hex'), '6224939a79f5f593');
  t.equal(siphash24(key, msg(15)).toString('hex'), 'e545be4961ca29a1');
  t.throws(() => siphash24(Buffer.alloc(8), msg(1)), RangeError);
});

t.test('RFC 9018 A.1: learning a new server cookie', async (t) => {
  const secret = parseCookieSecret('e5e973e5a6b2a43f48e7dc849e37bfcf');
  const jar = new CookieJar({ secret, now: () => 1559731985 * 1000 });
  const client = Buffer.from('2464c4abcf10c957', 'hex');
  const server = jar.serverCookie(client, '198.51.100.100');
  t.equal(server.toString('hex'), '010000005cf79f111f8130c3eee29480');
  t.ok(jar.valid(client, server, '198.51.100.100'), 'valid for the address it was made for');
  t.notOk(jar.valid(client, server, '198.51.100.101'), 'not for another address');
  t.notOk(jar.valid(Buffer.from('2464c4abcf10c958', 'hex'), server, '198.51.100.100'), 'not for another client cookie');
});

t.test('freshness: an hour old at most, five minutes ahead at most', async (t) => {
  let now = 1559731985 * 1000;
  const jar = new CookieJar({ secret: parseCookieSecret('e5e973e5a6b2a43f48e7dc849e37bfcf'), now: () => now });
  const client = Buffer.from('2464c4abcf10c957', 'hex');
  const server = jar.serverCookie(client, '2001:db8::1');
  now += 3600 * 1000;
  t.ok(jar.valid(client, server, '2001:db8::1'));
  now += 1000;
  t.notOk(jar.valid(client, server, '2001:db8::1'), 'older than an hour');
  now = 1559731985 * 1000 - 301 * 1000;
  t.notOk(jar.valid(client, server, '2001:db8::1'), 'more than 5 minutes ahead');
});

t.test('option lengths (RFC 7873 5.2.2) and secrets', async (t) => {
  t.same(splitCookie(Buffer.alloc(8))?.server, undefined);
  t.equal(splitCookie(Buffer.alloc(24))?.server?.length, 16);
  for (const n of [0, 7, 9, 15, 41]) t.equal(splitCookie(Buffer.alloc(n)), undefined, `${n} bytes is malformed`);
  t.throws(() => parseCookieSecret('abc'), { code: 'ERR_COOKIE_SECRET' });
  t.throws(() => parseCookieSecret('zz'.repeat(16)), { code: 'ERR_COOKIE_SECRET' });
});

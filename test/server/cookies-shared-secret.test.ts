// Servers given the same --cookie-secret accept each other's cookies (an anycast set); a
// server with another secret does not; and RFC 9018 A.2, the client coming back with the
// server cookie it learnt in A.1, gets the RFC's new cookie.

import t from 'tap';
import { CookieJar, parseCookieSecret } from '../../src/server/cookies.js';

const secret = parseCookieSecret('e5e973e5a6b2a43f48e7dc849e37bfcf');
const client = Buffer.from('2464c4abcf10c957', 'hex');

t.test('a shared secret: one server\'s cookie is good at the other', async (t) => {
  let now = 1559731985 * 1000;
  const a = new CookieJar({ secret, now: () => now });
  const b = new CookieJar({ secret, now: () => now });
  const other = new CookieJar({ secret: parseCookieSecret('00112233445566778899aabbccddeeff'), now: () => now });
  const sc = a.serverCookie(client, '198.51.100.100');
  now += 60_000;
  t.ok(b.valid(client, sc, '198.51.100.100'), 'good at a server with the same secret');
  t.notOk(other.valid(client, sc, '198.51.100.100'), 'not at one with another');
  t.notOk(b.valid(client, sc, '198.51.100.101'), 'nor from another address');
  t.notOk(b.valid(Buffer.from('0000000000000000', 'hex'), sc, '198.51.100.100'), 'nor with another client cookie');
});

t.test('RFC 9018 A.2: the returning client gets a new cookie', async (t) => {
  const learnt = Buffer.from('010000005cf79f111f8130c3eee29480', 'hex');
  const jar = new CookieJar({ secret, now: () => 1559734385 * 1000 });
  t.ok(jar.valid(client, learnt, '198.51.100.100'), 'the A.1 cookie is still good 40 minutes on');
  t.equal(jar.option(client, '198.51.100.100').data.toString('hex'), '2464c4abcf10c957010000005cf7a871d4a564a1442aca77');
});

t.test('IPv6 clients and IPv4-mapped addresses', async (t) => {
  const jar = new CookieJar({ secret, now: () => 1559734385 * 1000 });
  const v6 = jar.serverCookie(client, '2001:db8:220:1:59de:d0f4:8769:82b8');
  t.ok(jar.valid(client, v6, '2001:db8:220:1:59de:d0f4:8769:82b8'));
  t.notOk(jar.valid(client, v6, '2001:db8:220:1:59de:d0f4:8769:82b9'));
  t.same(jar.serverCookie(client, '::ffff:198.51.100.100'), jar.serverCookie(client, '198.51.100.100'), 'mapped IPv4 hashes as IPv4');
});

// Recursion ACL: loopback by default, CIDR lists, IPv4-mapped clients, clear errors for bad input.

import t from 'tap';
import { Acl } from '../../src/resolver/acl.js';

t.test('default allows loopback only', async (t) => {
  const acl = new Acl();
  t.ok(acl.allows('127.0.0.1'));
  t.ok(acl.allows('127.9.9.9'));
  t.ok(acl.allows('::1'));
  t.ok(acl.allows('::ffff:127.0.0.1'), 'IPv4-mapped loopback');
  t.notOk(acl.allows('10.0.0.1'));
  t.notOk(acl.allows('192.0.2.1'));
  t.notOk(acl.allows('2001:db8::1'));
  t.notOk(acl.allows('not an address'));
});

t.test('configured networks', async (t) => {
  const acl = new Acl(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
  t.ok(acl.allows('10.200.1.1'));
  t.ok(acl.allows('2001:db8:1::5'));
  t.ok(acl.allows('192.0.2.7'));
  t.notOk(acl.allows('192.0.2.8'));
  t.notOk(acl.allows('127.0.0.1'), 'loopback is not implied once a list is given');
  t.notOk(new Acl([]).allows('127.0.0.1'), 'an empty list allows no one');
});

t.test('bad networks are rejected with a code', async (t) => {
  for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0.0/x', '10.0.0.0/']) {
    t.throws(() => new Acl([bad]), { code: 'ERR_ACL_BAD_NETWORK' }, bad);
  }
});

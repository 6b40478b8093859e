// The one network-list parser and matcher: what parses, what each fault is, and how client
// addresses (any IPv6 spelling, IPv4-mapped) are matched.

import t from 'tap';
import { NetworkList, parseNetwork, unmapIPv4 } from '../../src/base/netlist.js';

t.test('parseNetwork: networks, bare addresses and faults', async (t) => {
  t.same(parseNetwork('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
  t.same(parseNetwork('192.0.2.1'), { address: '192.0.2.1', prefix: 32, family: 'ipv4' });
  t.same(parseNetwork('fd00::/8'), { address: 'fd00::', prefix: 8, family: 'ipv6' });
  t.same(parseNetwork('::1'), { address: '::1', prefix: 128, family: 'ipv6' });
  t.same(parseNetwork('0.0.0.0/0'), { address: '0.0.0.0', prefix: 0, family: 'ipv4' });
  for (const bad of ['localhost', '10.0.0/8', '', '/8', 'key:x']) t.same(parseNetwork(bad), { fault: 'address' }, bad);
  for (const [bad, max] of [['10.0.0.0/33', 32], ['10.0.0.0/', 32], ['10.0.0.0/-1', 32], ['10.0.0.0/8.5', 32], ['10.0.0.0/ 8', 32], ['::/129', 128]] as const) {
    t.same(parseNetwork(bad), { fault: 'prefix', max }, bad);
  }
});

t.test('NetworkList: matching', async (t) => {
  const l = new NetworkList();
  for (const n of ['10.0.0.0/8', '2001:db8::/32']) l.add(parseNetwork(n) as never);
  l.addAddress('192.0.2.7');
  l.addAddress('not an address');
  t.equal(l.size, 3);
  t.ok(l.contains('10.1.2.3'));
  t.ok(l.contains('::ffff:10.1.2.3'), 'IPv4-mapped is judged as IPv4');
  t.ok(l.contains('::FFFF:192.0.2.7'));
  t.ok(l.contains('2001:0db8:0000::1'), 'any IPv6 spelling');
  t.notOk(l.contains('11.0.0.1'));
  t.notOk(l.contains('2001:db9::1'));
  t.notOk(l.contains('garbage'), 'a non-address is in no network');
  t.notOk(new NetworkList().contains('127.0.0.1'), 'an empty list holds no one');
  t.equal(unmapIPv4('::ffff:1.2.3.4'), '1.2.3.4');
  t.equal(unmapIPv4('::1'), '::1');
});

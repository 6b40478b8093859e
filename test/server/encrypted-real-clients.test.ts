// Real clients over DoT and DoH: kdig +tls and +https (GET and POST), dig +tls and +https (BIND
// 9.18), each checking our certificate against the test CA by name, get the answers dig gets over UDP.

import t, { type Test } from 'tap';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { dig, kdig, type DigResult } from '../helpers/dig.js';
import { startEncryptedDaemon } from '../helpers/encrypted-daemon.js';
import { requireTool } from '../helpers/peers.js';

const QUESTIONS: string[][] = [
  ['writer.acme.agents', 'SVCB'],
  ['_agent.writer.acme.agents', 'TXT'],
  ['nobody.acme.agents', 'SVCB'],
  ['writer.acme.agents', 'AAAA'],
  ['acme.agents', 'NS'],
];

const same = (t: Test, got: DigResult, want: DigResult, what: string): void => {
  t.equal(got.code, 0, `${what}: exit 0`);
  t.equal(got.status, want.status, `${what}: ${want.status}`);
  t.same(got.answer, want.answer, `${what}: the UDP answer`);
  t.same(got.authority, want.authority, `${what}: the UDP authority`);
};

t.test('kdig +tls and +https', async (t) => {
  if (!requireTool(t, 'kdig', 'knot-dnsutils') || !requireTool(t, 'openssl', 'openssl')) return;
  const s = await startEncryptedDaemon(t, { zonesDir: bundledZonesDir });
  const strict = [`+tls-ca=${s.certs.ca}`, '+tls-hostname=dns.test'];
  for (const q of QUESTIONS) {
    const udp = await kdig(s.udp, q);
    same(t, await kdig(s.dot, ['+tls', ...strict, ...q]), udp, `kdig +tls ${q.join(' ')}`);
    same(t, await kdig(s.doh, ['+https', ...strict, ...q]), udp, `kdig +https ${q.join(' ')}`);
    same(t, await kdig(s.doh, ['+https-get', ...strict, ...q]), udp, `kdig +https-get ${q.join(' ')}`);
  }
  const tls = await kdig(s.dot, ['+tls', ...strict, 'writer.acme.agents', 'SVCB']);
  t.match(tls.raw, /TLS session \(TLS1\.3\)/, 'kdig reports a TLS 1.3 session');
  const h = await kdig(s.doh, ['+https', ...strict, 'writer.acme.agents', 'SVCB']);
  t.match(h.raw, /HTTP session \(HTTP\/2-POST\)/, 'kdig used HTTP/2');
  const wrong = await kdig(s.dot, ['+tls', `+tls-ca=${s.certs.ca}`, '+tls-hostname=other.test', 'writer.acme.agents', 'SVCB']);
  t.not(wrong.code, 0, 'kdig refuses a certificate for another name');
});

t.test('dig +tls and +https (BIND 9.18)', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils') || !requireTool(t, 'openssl', 'openssl')) return;
  const s = await startEncryptedDaemon(t, { zonesDir: bundledZonesDir });
  const strict = [`+tls-ca=${s.certs.ca}`, '+tls-hostname=dns.test'];
  for (const q of QUESTIONS) {
    const udp = await dig(s.udp, q);
    same(t, await dig(s.dot, ['+tls', ...strict, ...q]), udp, `dig +tls ${q.join(' ')}`);
    same(t, await dig(s.doh, ['+https', ...strict, ...q]), udp, `dig +https ${q.join(' ')}`);
    same(t, await dig(s.doh, ['+https-get', ...strict, ...q]), udp, `dig +https-get ${q.join(' ')}`);
  }
  const r = await dig(s.dot, ['+tls', ...strict, 'writer.acme.agents', 'SVCB']);
  t.match(r.raw, /;; SERVER: 127\.0\.0\.1#\d+\(127\.0\.0\.1\) \(TLS\)/, 'dig says TLS');
  const h = await dig(s.doh, ['+https', ...strict, 'writer.acme.agents', 'SVCB']);
  t.match(h.raw, /\(HTTPS\)/, 'dig says HTTPS');
});

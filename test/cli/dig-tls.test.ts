// `aop dig +tls` and `+https` against aop's DoT and DoH listeners: the answer UDP gives, dig's
// SERVER line saying (TLS) or (HTTPS), the certificate checked against +tls-ca for
// +tls-hostname (else @server) and refused with ERR_TRANSPORT_TLS_CERT (exit 9) when it does
// not fit; HTTP errors as ERR_TRANSPORT_HTTP; and the flags parsed as dig spells them.

import t from 'tap';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { runDig, type DigIo } from '../../src/cli/dig.js';
import { parseDigArgs } from '../../src/cli/dig/args.js';
import { defaultPort } from '../../src/cli/dig/query.js';
import { startEncryptedDaemon } from '../helpers/encrypted-daemon.js';
import { requireTool } from '../helpers/peers.js';

async function aopDig(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: DigIo = { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, env: {}, resolvConf: '/nonexistent' };
  const code = await runDig(args, io);
  return { code, out, err };
}

t.test('the flags, as dig spells them', async (t) => {
  t.equal(parseDigArgs(['+tls']).tls, true);
  t.same(parseDigArgs(['+https']).https, { method: 'POST', path: '/dns-query' }, '+https is POST to /dns-query');
  t.same(parseDigArgs(['+https=/q']).https, { method: 'POST', path: '/q' });
  t.same(parseDigArgs(['+https-get']).https, { method: 'GET', path: '/dns-query' });
  t.same(parseDigArgs(['+https-post=/x']).https, { method: 'POST', path: '/x' });
  t.equal(parseDigArgs(['+https', '+nohttps']).https, undefined);
  t.equal(parseDigArgs(['+tls', '+notls']).tls, false);
  t.equal(parseDigArgs(['+tls-ca=/etc/ca.pem']).tlsCa, '/etc/ca.pem');
  t.equal(parseDigArgs(['+tls-hostname=dns.example']).tlsHostname, 'dns.example');
  t.equal(defaultPort(parseDigArgs(['+tls'])), 853, 'DoT on 853 unless -p');
  t.equal(defaultPort(parseDigArgs(['+https'])), 443, 'DoH on 443 unless -p');
  t.throws(() => parseDigArgs(['+https=dns-query']), { code: 'ERR_DIG_USAGE', message: /must start with \// });
  t.throws(() => parseDigArgs(['+tls-hostname']), { code: 'ERR_DIG_USAGE', message: /needs =NAME/ });
  t.throws(() => parseDigArgs(['+tls-certfile=a.pem']), { code: 'ERR_DIG_USAGE', message: /client certificates .* not supported/ });
  t.throws(() => parseDigArgs(['+http-plain']), { code: 'ERR_DIG_USAGE', message: /plain HTTP/ });
});

t.test('against aop', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const s = await startEncryptedDaemon(t, { zonesDir: bundledZonesDir });
  const ca = `+tls-ca=${s.certs.ca}`;
  const q = ['writer.acme.agents', 'SVCB', '+short'];
  const udp = await aopDig(['@127.0.0.1', '-p', String(s.udp), ...q]);
  t.equal(udp.code, 0);
  for (const [what, args] of [
    ['+tls', ['-p', String(s.dot), '+tls']],
    ['+https', ['-p', String(s.doh), '+https']],
    ['+https-get', ['-p', String(s.doh), '+https-get']],
    ['+https=/dns-query', ['-p', String(s.doh), '+https=/dns-query']],
  ] as const) {
    const r = await aopDig(['@127.0.0.1', ...args, ca, ...q]);
    t.equal(r.code, 0, `${what}: exit 0`);
    t.equal(r.out, udp.out, `${what}: the UDP answer`);
  }
  const full = await aopDig(['@127.0.0.1', '-p', String(s.dot), '+tls', ca, 'writer.acme.agents', 'SVCB']);
  t.match(full.out, new RegExp(`;; SERVER: 127\\.0\\.0\\.1#${s.dot}\\(127\\.0\\.0\\.1\\) \\(TLS\\)`), 'the SERVER line says TLS');
  const h = await aopDig(['@127.0.0.1', '-p', String(s.doh), '+https', ca, 'nobody.acme.agents', 'SVCB']);
  t.match(h.out, /status: NXDOMAIN/);
  t.match(h.out, /\(HTTPS\)/, 'and HTTPS');
  const named = await aopDig(['@127.0.0.1', '-p', String(s.dot), '+tls', ca, '+tls-hostname=dns.test', ...q]);
  t.equal(named.out, udp.out, '+tls-hostname: checked against the certificate\'s DNS name');

  const noCa = await aopDig(['@127.0.0.1', '-p', String(s.dot), '+tls', ...q]);
  t.equal(noCa.code, 9, 'a certificate the system roots do not vouch for: exit 9');
  t.match(noCa.err, /certificate refused .*expected a certificate for 127\.0\.0\.1 from the system roots \[ERR_TRANSPORT_TLS_CERT\]/);
  const other = await aopDig(['@127.0.0.1', '-p', String(s.doh), '+https', ca, '+tls-hostname=other.test', ...q]);
  t.equal(other.code, 9, 'a certificate for another name: exit 9');
  t.match(other.err, /ERR_TLS_CERT_ALTNAME_INVALID.*\[ERR_TRANSPORT_TLS_CERT\]/);
  const path = await aopDig(['@127.0.0.1', '-p', String(s.doh), '+https=/resolve', ca, ...q]);
  t.equal(path.code, 9, 'an HTTP error: exit 9');
  t.match(path.err, /HTTP 404: not found: the DNS endpoint is \/dns-query \[ERR_TRANSPORT_HTTP\]/);
  const missing = await aopDig(['@127.0.0.1', '-p', String(s.dot), '+tls', '+tls-ca=/nonexistent/ca.pem', ...q]);
  t.equal(missing.code, 1, 'a +tls-ca file that is not there: usage, exit 1');
  t.match(missing.err, /\+tls-ca=\/nonexistent\/ca\.pem: no such file/);
  const plain = await aopDig(['@127.0.0.1', '-p', String(s.udp), '+tls', ca, '+tries=1', '+time=1', ...q]);
  t.equal(plain.code, 9, 'TLS to a plain DNS port: no reply');
});

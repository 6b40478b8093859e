// The resolver forwards over DNS over TLS (`--forward tls://ADDR[:PORT][#AUTH-NAME]`): to Unbound
// (tls-port, tls-service-key) and to a second aop, the certificate checked against the auth
// name and the CA; one connection reused for many questions, and questions asked at once
// pipelined on it; a certificate for another name is a SERVFAIL, never an unchecked answer.

import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { parseTlsForward } from '../../src/cli/options/tls.js';
import { loadHints } from '../../src/resolver/hints.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { exchange } from '../../src/transport/index.js';
import { encodeQuery } from '../../src/wire/message.js';
import { Rcode, RRType } from '../../src/wire/types.js';
import { checkConfig, requireDaemon, sbin, scratchDir, startPeer, waitUntilAnswers } from '../helpers/child.js';
import { startEncryptedDaemon } from '../helpers/encrypted-daemon.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool } from '../helpers/peers.js';
import { unboundConf } from '../helpers/peer-conf.js';
import { makeCertificates } from '../helpers/tls-cert.js';

const hints = loadHints(path.join(bundledZonesDir, 'root.hints'));

async function forwardingResolver(t: Test, forward: string, ca: string): Promise<{ daemon: Daemon; port: number }> {
  const daemon = new Daemon({ listen: [parseListen('127.0.0.1:0')], resolver: { hints, warmUp: 0, forwarders: [parseTlsForward(forward, ca)] } });
  await daemon.start();
  t.teardown(() => daemon.close());
  return { daemon, port: daemon.listeners[0]!.address.port };
}

const ask = async (port: number, name: string, type: number = RRType.A) =>
  (await exchange({ address: '127.0.0.1', port }, encodeQuery(name, type, { rd: true }), { timeout: 5000 })).message;

t.test('parseTlsForward', async (t) => {
  t.same(parseTlsForward('tls://192.0.2.1'), { address: '192.0.2.1', port: 853, tls: {} });
  t.same(parseTlsForward('tls://192.0.2.1:8853#dns.example'), { address: '192.0.2.1', port: 8853, tls: { name: 'dns.example' } });
  t.same(parseTlsForward('tls://[2001:db8::1]:853#dns.example'), { address: '2001:db8::1', port: 853, tls: { name: 'dns.example' } });
  t.throws(() => parseTlsForward('tls://dns.example'), /want tls:\/\/ADDR\[:PORT\]\[#AUTH-NAME\]/);
  t.throws(() => parseTlsForward('tls://192.0.2.1#bad name'), /not a host name/);
});

t.test('to a second aop: reused, pipelined, checked', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const dir = scratchDir(t, 'aop-fwd-');
  writeFileSync(path.join(dir, 'example.test.zone'), [
    '$ORIGIN example.test.', '$TTL 300', '@ SOA ns hostmaster 1 3600 600 604800 60', '@ NS ns', 'ns A 192.0.2.53',
    ...Array.from({ length: 30 }, (_, i) => `h${i} A 192.0.2.${i + 1}`),
  ].join('\n') + '\n');
  const peer = await startEncryptedDaemon(t, { zonesDir: dir });
  const r = await forwardingResolver(t, `tls://127.0.0.1:${peer.dot}#dns.test`, peer.certs.ca);
  const one = await ask(r.port, 'h0.example.test');
  t.equal(one.rcode, Rcode.NOERROR);
  t.same(one.answers.map((a) => [...(a.rdata as Buffer)].join('.')), ['192.0.2.1'], 'the answer came over DoT');
  // 29 more at once: all on the one connection, pipelined.
  const many = await Promise.all(Array.from({ length: 29 }, (_, i) => ask(r.port, `h${i + 1}.example.test`)));
  t.same(many.map((m) => m.answers[0] ? [...(m.answers[0].rdata as Buffer)].join('.') : undefined), Array.from({ length: 29 }, (_, i) => `192.0.2.${i + 2}`), 'each its own answer');
  t.equal(peer.daemon.stats.tcpConnections, 1, 'one DoT connection for 30 questions');
  t.ok(peer.daemon.stats.tcpQueries >= 30, 'all of them over it');

  const wrong = await forwardingResolver(t, `tls://127.0.0.1:${peer.dot}#other.test`, peer.certs.ca);
  const refused = await ask(wrong.port, 'h3.example.test');
  t.equal(refused.rcode, Rcode.SERVFAIL, 'a certificate for another name: SERVFAIL');
  const otherCa = makeCertificates(dir, { tag: 'other' });
  const untrusted = await forwardingResolver(t, `tls://127.0.0.1:${peer.dot}#dns.test`, otherCa.ca);
  t.equal((await ask(untrusted.port, 'h3.example.test')).rcode, Rcode.SERVFAIL, 'a certificate from another CA: SERVFAIL');
});

t.test('to Unbound over DoT', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl') || !requireDaemon(t, 'unbound', 'unbound')) return;
  const lease = await leaseNet(t);
  const host = lease.host(1);
  const dir = scratchDir(t, 'aop-ubdot-');
  const certs = makeCertificates(dir, { names: ['unbound.test'], ips: [host] });
  const conf = path.join(dir, 'unbound.conf');
  writeFileSync(conf, unboundConf({
    dir, address: `${host}@5353`, extra: [
      `interface: ${host}@8853`, 'tls-port: 8853', `tls-service-key: "${certs.key}"`, `tls-service-pem: "${certs.cert}"`,
      'local-zone: "example.test." static', 'local-data: "www.example.test. 300 IN A 192.0.2.80"',
      'local-data: "example.test. 300 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 604800 60"',
    ],
  }).join('\n') + '\n');
  await checkConfig(sbin('unbound-checkconf'), [conf]);
  const proc = startPeer(t, 'unbound (DoT)', sbin('unbound'), ['-d', '-c', conf]);
  await waitUntilAnswers(proc, host, 5353, 'www.example.test', 'A', { recursive: true });
  const r = await forwardingResolver(t, `tls://${host}:8853#unbound.test`, certs.ca);
  const m = await ask(r.port, 'www.example.test');
  t.equal(m.rcode, Rcode.NOERROR);
  t.same(m.answers.map((a) => [...(a.rdata as Buffer)].join('.')), ['192.0.2.80'], "Unbound's answer, over DoT");
  const nx = await ask(r.port, 'nobody.example.test');
  t.equal(nx.rcode, Rcode.NXDOMAIN, "and its NXDOMAIN");
  const again = await Promise.all(['www', 'a', 'b', 'c'].map((l) => ask(r.port, `${l}.example.test`, RRType.AAAA)));
  t.ok(again.every((x) => x.rcode === Rcode.NOERROR || x.rcode === Rcode.NXDOMAIN), 'questions at once, all answered');
  const bad = await forwardingResolver(t, `tls://${host}:8853#not-unbound.test`, certs.ca);
  t.equal((await ask(bad.port, 'www.example.test')).rcode, Rcode.SERVFAIL, 'the wrong auth name: SERVFAIL');
});

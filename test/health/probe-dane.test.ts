// The health probes of https endpoints are DANE-checked with the TLSA the served zones hold, as a
// client's call is: zone hd.agents., signed by the daemon (--dnssec), with three agents whose https
// endpoints share one certificate from a CA nobody trusts. `good` has a TLSA 3 1 1 of its key:
// up (WebPKI alone would refuse the certificate); `bad` a TLSA that matches nothing: down with
// the DANE error; `plain` none: down (WebPKI). `cname`'s
// TLSA name is a CNAME to good's, followed. The same zone served unsigned: its TLSA is what a
// validating client ignores, so the probe ignores it too, and `good` is down by WebPKI.

import t, { type Test } from 'tap';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseListen } from '../../src/server/listen.js';
import { DEFAULT_TIMES } from '../../src/authority/signer.js';
import { leaseNet, type NetLease } from '../helpers/loopback-net.js';
import { makeCertificates } from '../helpers/tls-cert.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { startDaemon } from '../helpers/server.js';
import { scratchDir } from '../helpers/child.js';
import { requireTool } from '../helpers/peers.js';
import { dig } from '../helpers/dig.js';
import { waitFor } from '../helpers/wait.js';

const PORT = 18591;
const NAMES = ['good', 'bad', 'plain', 'cname'];

async function world(t: Test, net: NetLease, dir: string) {
  const certs = makeCertificates(path.join(dir, 'tls'), { names: NAMES.map((n) => `${n}.hd.agents`) });
  const spki = createHash('sha256').update(new X509Certificate(readFileSync(certs.cert)).publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  const zonesDir = path.join(dir, 'zones');
  mkdirSync(zonesDir);
  const lines = [
    '$ORIGIN hd.agents.', '$TTL 300', '@ SOA ns hostmaster 1 3600 600 86400 300', `@ NS ns`, `ns A ${net.host(1)}`,
    ...NAMES.flatMap((n, i) => [
      `${n} SVCB 1 ${n}.hd.agents. alpn="mcp" port=${PORT} key65320="/mcp" key65321="streamable-http" key65322="echo"`,
      `${n} A ${net.host(20 + i)}`,
    ]),
    `_${PORT}._tcp.good TLSA 3 1 1 ${spki}`,
    `_${PORT}._tcp.bad TLSA 3 1 1 ${'00'.repeat(32)}`,
    `_${PORT}._tcp.cname CNAME _${PORT}._tcp.good`,
  ];
  writeFileSync(path.join(zonesDir, 'hd.agents.zone'), lines.join('\n') + '\n');
  const tls = { cert: certs.cert, key: certs.key };
  for (let i = 0; i < NAMES.length; i++) {
    const s = await startHttpsSite(net.host(20 + i), PORT, tls, { '/mcp': { mcp: ['echo'] } });
    t.teardown(() => s.close());
  }
  return { zonesDir, url: (n: string) => `https://${n}.hd.agents:${PORT}/mcp` };
}

t.test('signed TLSA: the probes are DANE-checked', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl') || !requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const net = await leaseNet(t);
  const dir = scratchDir(t, 'aop-health-dane-');
  const w = await world(t, net, dir);
  const { daemon, port } = await startDaemon(t, {
    zonesDir: w.zonesDir, listen: [parseListen(`${net.host(1)}:0`)],
    dnssec: { keyDir: path.join(dir, 'keys'), algorithm: 13, keyLayout: 'combined', times: DEFAULT_TIMES },
    health: { intervalMs: 100, timeoutMs: 3000, fall: 1, rise: 1 },
  });
  const m = daemon.health!;
  const last = (n: string) => m.status().find((s) => s.url === w.url(n));
  const detail = () => JSON.stringify(m.status().map((s) => [s.url, s.state, s.last?.error]));
  await waitFor(() => NAMES.every((n) => last(n)?.last !== undefined), 'every https endpoint probed', { timeoutMs: 60_000, detail });
  // One more round, so each state rests on a probe made with the zone signed.
  const rounds = m.counts.rounds;
  await waitFor(() => m.counts.rounds > rounds + 1, 'two more rounds', { timeoutMs: 60_000, detail });
  t.equal(last('good')?.state, 'up', `good: its certificate matches its signed TLSA 3 1 1, so it is up though no CA vouches for it (${last('good')?.last?.error ?? 'ok'})`);
  t.equal(last('cname')?.state, 'up', `cname: the TLSA found through the CNAME at its TLSA name (${last('cname')?.last?.error ?? 'ok'})`);
  t.equal(last('bad')?.state, 'down', 'bad: its certificate matches none of its TLSA records');
  t.match(last('bad')?.last?.error ?? '', /DANE: the certificate of bad\.hd\.agents matches none of its 1 TLSA record\(s\)/, `why: ${last('bad')?.last?.error}`);
  t.equal(last('plain')?.state, 'down', 'plain: no TLSA, so WebPKI, which refuses the untrusted CA');
  const tlsa = await dig(port, ['+dnssec', `_${PORT}._tcp.good.hd.agents`, 'TLSA'], net.host(1));
  t.ok(tlsa.answer.some((l) => l.split(' ')[3] === 'RRSIG'), 'the TLSA the probe used is served signed');
});

t.test('unsigned TLSA: ignored by the probes, as by clients', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const net = await leaseNet(t);
  const dir = scratchDir(t, 'aop-health-dane-plain-');
  const w = await world(t, net, dir);
  const { daemon } = await startDaemon(t, { zonesDir: w.zonesDir, listen: [parseListen(`${net.host(1)}:0`)], health: { intervalMs: 100, timeoutMs: 3000, fall: 1, rise: 1 } });
  const m = daemon.health!;
  const last = (n: string) => m.status().find((s) => s.url === w.url(n));
  await waitFor(() => last('good')?.last !== undefined, 'good probed', { timeoutMs: 60_000 });
  t.equal(last('good')?.state, 'down', 'good: its TLSA is unsigned, so WebPKI judges it, and refuses the untrusted CA');
  t.notMatch(last('good')?.last?.error ?? '', /DANE/, `by WebPKI, not DANE: ${last('good')?.last?.error}`);
});

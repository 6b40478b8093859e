// DANE usages 0 (PKIX-TA) and 1 (PKIX-EE), RFC 6698 2.1.1: they narrow WebPKI, never replace it.
// The https MCP endpoints of the signed acme.agents have a certificate from a test CA; the client
// trusts that CA (--ca), so WebPKI alone passes for all of them. With a secure PKIX TLSA the
// record must match as well: the leaf's key for 1 1 1, the CA certificate (found by WebPKI in the
// client's roots, not sent by the server) for 0 0 1. A PKIX record that matches nothing refuses
// the endpoint (ERR_DANE_MISMATCH, exit 30) although WebPKI passed; a PKIX record that matches
// but whose chain WebPKI refuses (the CA not trusted) refuses it too, and says WebPKI failed.

import t from 'tap';
import { requireTool } from '../helpers/peers.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { daneWorld } from '../helpers/dane-world.js';
import { runCall, type CallArgs } from '../../src/cli/call.js';

const PORT = 18443;

interface Output { stdout: string; stderr: string; code: number }
const io = (o: Output) => ({ stdout: (s: string) => { o.stdout += s; }, stderr: (s: string) => { o.stderr += s; }, env: {} });

t.test('PKIX-TA and PKIX-EE records are checked on top of WebPKI', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const hosts = ['eeok', 'eebad', 'taok', 'tabad'];
  const w = await daneWorld(t, hosts.map((h) => `${h}.acme.agents`), (d, lease) => [
    ...hosts.map((h, i) => `${h} IN SVCB 1 ${h}.acme.agents. alpn="mcp" port=${PORT} key65320="/mcp" key65321="streamable-http" key65322="echo"\n${h} IN A ${lease.host(20 + i)}`),
    `_${PORT}._tcp.eeok IN TLSA 1 1 1 ${d.spki}`,
    `_${PORT}._tcp.eebad IN TLSA 1 1 1 ${'00'.repeat(32)}`,
    `_${PORT}._tcp.taok IN TLSA 0 0 1 ${d.caCert}`,
    // The leaf is no CA of its own path: a PKIX-TA record naming it matches nothing.
    `_${PORT}._tcp.tabad IN TLSA 0 0 1 ${d.leafCert}`,
  ]);
  const sites = await Promise.all(hosts.map((_, i) => startHttpsSite(w.lease.host(20 + i), PORT, { cert: w.certs.cert, key: w.certs.key }, { '/mcp': { mcp: ['echo'] } })));
  t.teardown(async () => { for (const s of sites) await s.close(); });
  const call = async (name: string, extra: Partial<CallArgs> = {}): Promise<Output & { error?: { code: string; message: string } }> => {
    const o: Output = { stdout: '', stderr: '', code: 0 };
    o.code = await runCall({ name: `${name}.acme.agents`, server: w.server, json: true, timeout: 8, allowLoopbackZone: ['acme.agents'], arg: ['text=hi'], trustAnchor: [w.anchorFile], ca: w.certs.ca, ...extra }, io(o));
    return { ...o, ...(o.code !== 0 ? { error: (JSON.parse(o.stdout) as { error: { code: string; message: string } }).error } : {}) };
  };

  const eeok = await call('eeok');
  t.equal(eeok.code, 0, `PKIX-EE matching, WebPKI passing: called (${eeok.stderr.trim()})`);
  t.match(eeok.stdout, /echo: hi/);

  const eebad = await call('eebad');
  t.equal(eebad.code, 30, 'PKIX-EE matching nothing: exit 30 though WebPKI passed');
  t.equal(eebad.error?.code, 'ERR_DANE_MISMATCH');
  t.notOk(sites[1]!.hits.includes('/mcp'), 'no MCP request reached it');

  const taok = await call('taok');
  t.equal(taok.code, 0, `PKIX-TA naming the CA (from the client's roots, not sent): called (${taok.stderr.trim()})`);

  const tabad = await call('tabad');
  t.equal(tabad.code, 30, 'PKIX-TA naming the leaf, not a CA: exit 30');
  t.equal(tabad.error?.code, 'ERR_DANE_MISMATCH');

  // Without --ca the test CA is not trusted: the matching PKIX-EE record cannot stand in for WebPKI.
  const untrusted = await call('eeok', { ca: undefined });
  t.equal(untrusted.code, 30, 'PKIX-EE matching, WebPKI failing: exit 30');
  t.equal(untrusted.error?.code, 'ERR_DANE_MISMATCH');
  t.match(untrusted.error?.message, /WebPKI, which its PKIX-TA\/PKIX-EE records need, failed: /, 'says WebPKI failed');
});

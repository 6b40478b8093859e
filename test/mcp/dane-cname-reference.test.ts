// RFC 7671 section 7: when an endpoint's host is given by a CNAME chain whose expansion was
// secure, the expanded name is a reference identity too for DANE-TA (2) and the PKIX usages (0,
// 1), beside the host. The certificate (from a test CA the client does not trust, the server
// sending its chain) names only the expanded hosts:
//   ta:    ta-mcp CNAME ta-host, TLSA 2 0 1 (the CA) at the expanded name: called (before: exit 30,
//          the leaf does not name ta-mcp).
//   ee:    ee-mcp CNAME ee-host, TLSA 1 1 1, the client trusting the CA (--ca): WebPKI's chain holds,
//          the leaf names the expanded name: called (before: exit 30, WebPKI failed on the name).
//   tabad: no CNAME, TLSA 2 0 1 at a host the leaf does not name: refused, exit 30.
//   ixa:   ix-mcp CNAME into the unsigned child insec.acme.agents (an insecure expansion), TLSA
//          2 0 1 at the secure ix-mcp: the expanded name does not count, refused, exit 30
//          (with --no-require-secure, so the insecure address is followed at all).

import t from 'tap';
import { requireTool } from '../helpers/peers.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { daneWorld } from '../helpers/dane-world.js';
import { runCall, type CallArgs } from '../../src/cli/call.js';

const PORT = 18445;

interface Output { stdout: string; stderr: string; code: number }
const io = (o: Output) => ({ stdout: (s: string) => { o.stdout += s; }, stderr: (s: string) => { o.stderr += s; }, env: {} });

t.test('the secure CNAME expansion is a reference identity for DANE-TA and PKIX', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const svcb = (name: string, target: string) => `${name} IN SVCB 1 ${target} alpn="mcp" port=${PORT} key65320="/mcp" key65321="streamable-http" key65322="echo"`;
  const w = await daneWorld(t, ['ta-host.acme.agents', 'ee-host.acme.agents', 'elsewhere.acme.agents', 'ix-host.insec.acme.agents'], (d, lease) => [
    svcb('ta', 'ta-mcp.acme.agents.'), 'ta-mcp IN CNAME ta-host.acme.agents.', `ta-host IN A ${lease.host(20)}`,
    `_${PORT}._tcp.ta-host IN TLSA 2 0 1 ${d.caCert}`,
    svcb('ee', 'ee-mcp.acme.agents.'), 'ee-mcp IN CNAME ee-host.acme.agents.', `ee-host IN A ${lease.host(21)}`,
    `_${PORT}._tcp.ee-host IN TLSA 1 1 1 ${d.spki}`,
    svcb('tabad', 'tabad.acme.agents.'), `tabad IN A ${lease.host(22)}`,
    `_${PORT}._tcp.tabad IN TLSA 2 0 1 ${d.caCert}`,
    svcb('ixa', 'ix-mcp.acme.agents.'), 'ix-mcp IN CNAME ix-host.insec.acme.agents.',
    `_${PORT}._tcp.ix-mcp IN TLSA 2 0 1 ${d.caCert}`,
  ], { unsigned: (_d, lease) => `ix-host IN A ${lease.host(23)}` });
  const sites = await Promise.all([20, 21, 22, 23].map((h) => startHttpsSite(w.lease.host(h), PORT, { cert: w.chainFile, key: w.certs.key }, { '/mcp': { mcp: ['echo'] } })));
  t.teardown(async () => { for (const s of sites) await s.close(); });
  const call = async (name: string, extra: Partial<CallArgs> = {}): Promise<Output & { error?: { code: string; message: string } }> => {
    const o: Output = { stdout: '', stderr: '', code: 0 };
    o.code = await runCall({ name: `${name}.acme.agents`, server: w.server, json: true, timeout: 8, allowLoopbackZone: ['acme.agents'], arg: ['text=hi'], trustAnchor: [w.anchorFile], ...extra }, io(o));
    return { ...o, ...(o.code !== 0 ? { error: (JSON.parse(o.stdout) as { error: { code: string; message: string } }).error } : {}) };
  };

  const ta = await call('ta');
  t.equal(ta.code, 0, `DANE-TA, the leaf naming the secure expansion ta-host: called (${ta.stderr.trim()})`);
  t.match(ta.stdout, /echo: hi/);
  const ee = await call('ee', { ca: w.certs.ca });
  t.equal(ee.code, 0, `PKIX-EE, WebPKI's chain holding and the leaf naming the secure expansion ee-host: called (${ee.stderr.trim()})`);
  const tabad = await call('tabad');
  t.equal(tabad.code, 30, 'DANE-TA with a leaf that names neither the host nor an expansion: exit 30');
  t.equal(tabad.error?.code, 'ERR_DANE_MISMATCH');
  const insec = await call('ixa', { requireSecure: false });
  t.equal(insec.code, 30, `an insecure expansion is no reference identity: exit 30 (${insec.stderr.trim()})`);
  t.match(insec.error?.message ?? '', /the certificate of ix-mcp\.acme\.agents matches none of its 1 TLSA record/);
  t.same(sites[2]!.hits, [], 'nothing reached the refused endpoint past the handshake');
});

// The TLSA base domain of a host given by CNAME (RFC 7671 section 7): the SVCB target
// `<h>.acme.agents` is a CNAME to the host that serves it, and the chain is secure, so the TLSA is
// asked at `_18443._tcp.<target>` first and at `_18443._tcp.<h>` after. The certificate comes
// from a CA the client does not trust: only DANE lets it through.
//   alias: TLSA only at the target: used.
//   both:  a stale TLSA at the alias, the right one at the target: the target's wins.
//   back:  no TLSA at the target, the right one at the alias: the alias's is used.

import t from 'tap';
import { requireTool } from '../helpers/peers.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { daneWorld } from '../helpers/dane-world.js';
import { runCall } from '../../src/cli/call.js';

const PORT = 18443;

interface Output { stdout: string; stderr: string; code: number }
const io = (o: Output) => ({ stdout: (s: string) => { o.stdout += s; }, stderr: (s: string) => { o.stderr += s; }, env: {} });

t.test('a host given by a secure CNAME has its TLSA at the expanded name', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const agents = ['alias', 'both', 'back'];
  const w = await daneWorld(t, agents.map((h) => `${h}-host.acme.agents`), (d, lease) => [
    ...agents.flatMap((h, i) => [
      `${h} IN SVCB 1 ${h}-mcp.acme.agents. alpn="mcp" port=${PORT} key65320="/mcp" key65321="streamable-http" key65322="echo"`,
      `${h}-mcp IN CNAME ${h}-host.acme.agents.`,
      `${h}-host IN A ${lease.host(20 + i)}`,
    ]),
    `_${PORT}._tcp.alias-host IN TLSA 3 1 1 ${d.spki}`,
    `_${PORT}._tcp.both-mcp IN TLSA 3 1 1 ${'00'.repeat(32)}`,
    `_${PORT}._tcp.both-host IN TLSA 3 1 1 ${d.spki}`,
    `_${PORT}._tcp.back-mcp IN TLSA 3 1 1 ${d.spki}`,
  ]);
  const sites = await Promise.all(agents.map((_, i) => startHttpsSite(w.lease.host(20 + i), PORT, { cert: w.certs.cert, key: w.certs.key }, { '/mcp': { mcp: ['echo'] } })));
  t.teardown(async () => { for (const s of sites) await s.close(); });

  for (const name of agents) {
    const o: Output = { stdout: '', stderr: '', code: 0 };
    o.code = await runCall({ name: `${name}.acme.agents`, arg: ['text=hi'], server: w.server, json: true, timeout: 8, allowLoopbackZone: ['acme.agents'], trustAnchor: [w.anchorFile] }, io(o));
    t.equal(o.code, 0, `${name}: called through DANE-EE (${o.stderr.trim()})`);
    t.match(o.stdout, /echo: hi/);
  }
});

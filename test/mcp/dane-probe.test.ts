// `aop agent`'s probe (MCP initialize + ping at each endpoint, the card's "reachable" state) is
// DANE-checked as a call is: an endpoint whose certificate is from a CA the client does not
// trust but matches its secure DANE-EE record answers the probe, and one whose certificate WebPKI
// accepts (--ca) but that fails its secure PKIX-EE record does not, with the DANE reason.

import t from 'tap';
import { requireTool } from '../helpers/peers.js';
import { startHttpsSite } from '../helpers/https-site.js';
import { daneWorld } from '../helpers/dane-world.js';
import { runAgent } from '../../src/cli/agent.js';

const PORT = 18443;

interface Output { stdout: string; stderr: string; code: number }
const io = (o: Output) => ({ stdout: (s: string) => { o.stdout += s; }, stderr: (s: string) => { o.stderr += s; }, env: {} });

t.test('the probe of aop agent is DANE-checked', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const hosts = ['probeee', 'probepkix'];
  const w = await daneWorld(t, hosts.map((h) => `${h}.acme.agents`), (d, lease) => [
    ...hosts.map((h, i) => `${h} IN SVCB 1 ${h}.acme.agents. alpn="mcp" port=${PORT} key65320="/mcp" key65321="streamable-http" key65322="echo"\n${h} IN A ${lease.host(20 + i)}`),
    `_${PORT}._tcp.probeee IN TLSA 3 1 1 ${d.spki}`,
    `_${PORT}._tcp.probepkix IN TLSA 1 1 1 ${'00'.repeat(32)}`,
  ]);
  const sites = await Promise.all(hosts.map((_, i) => startHttpsSite(w.lease.host(20 + i), PORT, { cert: w.certs.cert, key: w.certs.key }, { '/mcp': { mcp: ['echo'] } })));
  t.teardown(async () => { for (const s of sites) await s.close(); });
  type State = { state: { reachable: boolean; endpoints: Array<{ url: string; reachable: boolean | null; error?: string }> } };
  const agent = async (name: string, ca?: string): Promise<State['state']> => {
    const o: Output = { stdout: '', stderr: '', code: 0 };
    o.code = await runAgent({ name: `${name}.acme.agents`, server: w.server, json: true, timeout: 8, allowLoopbackZone: ['acme.agents'], trustAnchor: [w.anchorFile], ...(ca ? { ca } : {}) }, io(o));
    t.equal(o.code, 0, o.stderr);
    return (JSON.parse(o.stdout) as State).state;
  };
  const ee = await agent('probeee');
  t.equal(ee.endpoints[0]?.reachable, true, 'DANE-EE: the probe was answered (WebPKI alone would refuse the certificate)');
  t.equal(ee.reachable, true);
  t.ok(sites[0]!.hits.includes('/mcp'), 'the probe reached it');

  const pkix = await agent('probepkix', w.certs.ca);
  t.equal(pkix.endpoints[0]?.reachable, false, 'PKIX-EE matching nothing: not reachable, although WebPKI (--ca) passes');
  t.match(pkix.endpoints[0]?.error, /DANE/, `says DANE (${pkix.endpoints[0]?.error ?? ''})`);
  t.same(sites[1]!.hits, [], 'no MCP request reached it');
});

// A CNAME from the signed bundled zone acme.agents to a name outside the namespace, which the
// validating resolver reaches only through --forward and which no trust anchor covers. The
// target's data must be resolved (forwarded) and the answer passed on, insecure (no AD), as it
// is when the target is asked directly; before the fix the chain stopped at the CNAME and the
// validator took `agents.` for the target's zone: SERVFAIL with EDE 12 ("negative answer for
// www.plain.example. without the SOA of agents."). Two shapes: a resolver iterating to another
// daemon that serves the signed zones, and one daemon that serves them itself beside its
// resolver (the embedded default's shape).

import t, { type Test } from 'tap';
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { scratchDir } from '../helpers/child.js';
import { dig, type DigResult } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { leaseNet, type NetLease } from '../helpers/loopback-net.js';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { parseTrustAnchors } from '../../src/resolver/validate/index.js';
import { DEFAULT_TIMES, Signer } from '../../src/authority/signer.js';
import { Daemon, type DaemonOptions } from '../../src/server/daemon.js';

const LINES = [
  'alias IN CNAME www.plain.example.',
  'gone IN CNAME nothing.plain.example.',
  'twice IN CNAME alias.acme.agents.',
];

async function start(t: Test, opts: DaemonOptions): Promise<{ host: string; port: number }> {
  const d = new Daemon(opts);
  await d.start();
  t.teardown(() => d.close());
  return d.listeners[0]!.address;
}

interface World { lease: NetLease; zones: string; keyDir: string; anchor: string; forwarder: { address: string; port: number } }

/** Signed copies of the bundled zones with LINES in acme.agents, their anchor, and an unsigned plain.example served by a forwarder. */
async function world(t: Test): Promise<World> {
  const lease = await leaseNet(t);
  const dir = scratchDir(t, 'aop-cname-fwd-');
  const zones = path.join(dir, 'zones');
  mkdirSync(zones);
  for (const z of ['agents.', 'acme.agents.', 'globex.agents.']) copyFileSync(path.join(bundledZonesDir, `${z}zone`), path.join(zones, `${z}zone`));
  appendFileSync(path.join(zones, 'acme.agents.zone'), LINES.join('\n') + '\n');
  const keyDir = path.join(dir, 'keys');
  new Signer({ keyDir, algorithm: 13, keyLayout: 'combined', times: DEFAULT_TIMES }).keysFor('agents.');
  const anchor = parentDsLines('agents.', keyDir).join('\n') + '\n';
  const plain = path.join(dir, 'plain');
  mkdirSync(plain);
  writeFileSync(path.join(plain, 'plain.example.zone'), '$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\n');
  const forwarder = await start(t, { zonesDir: plain, listen: [parseListen(`${lease.host(9)}:0`)] });
  return { lease, zones, keyDir, anchor, forwarder: { address: forwarder.host, port: forwarder.port } };
}

/** One daemon serving the signed zones with its resolver beside them (hints to itself), forwarding plain.example. or not. */
function signedBesideResolver(t: Test, w: World, forward: boolean) {
  const host = w.lease.host(1);
  return start(t, {
    zonesDir: w.zones, listen: [parseListen(`${host}:0`)],
    dnssec: { keyDir: w.keyDir, algorithm: 13, keyLayout: 'combined', times: DEFAULT_TIMES },
    resolver: {
      hints: parseHints(`agents. 3600 IN NS a.root.agents.\na.root.agents. 3600 IN A ${host}\n`), timeout: 2000, warmUp: 0,
      ...(forward ? { forwarders: [w.forwarder] } : {}), validation: { anchors: parseTrustAnchors(w.anchor) },
    },
  });
}

const ede = (r: DigResult): string | undefined => /; EDE: (\d+)/.exec(r.raw)?.[1];

async function checks(t: Test, port: number, host: string): Promise<void> {
  const ask = (name: string, type: string) => dig(port, ['+rec', '+dnssec', name, type], host);
  const direct = await ask('www.plain.example', 'A');
  t.equal(direct.status, 'NOERROR', 'the target asked directly');
  t.same(direct.answer, ['www.plain.example. 300 IN A 192.0.2.80']);

  const r = await ask('alias.acme.agents', 'A');
  t.equal(r.status, 'NOERROR', `the CNAME into the forwarded zone: NOERROR (EDE ${ede(r) ?? 'none'})`);
  t.equal(ede(r), undefined, 'no Extended DNS Error');
  t.ok(r.answer.some((l) => /^alias\.acme\.agents\.\s+\d+\s+IN\s+CNAME\s+www\.plain\.example\.$/.test(l)), 'the CNAME');
  t.ok(r.answer.some((l) => /^alias\.acme\.agents\.\s+\d+\s+IN\s+RRSIG\s+CNAME /.test(l)), 'its signature (DO=1)');
  t.ok(r.answer.includes('www.plain.example. 300 IN A 192.0.2.80'), "the target's data, forwarded");
  t.notOk(r.flags.has('ad'), 'not AD: the target is outside every trust anchor');

  const two = await ask('twice.acme.agents', 'A');
  t.equal(two.status, 'NOERROR', 'two signed links, then the forwarded zone');
  t.ok(two.answer.includes('www.plain.example. 300 IN A 192.0.2.80'), "the chain's end");

  const gone = await ask('gone.acme.agents', 'A');
  t.equal(gone.status, 'NXDOMAIN', "the forwarder's NXDOMAIN for the target is passed on, not SERVFAIL");
  t.ok(gone.answer.some((l) => /CNAME\s+nothing\.plain\.example\.$/.test(l)), 'after the CNAME');
  t.equal(ede(gone), undefined, 'no Extended DNS Error');

  const own = await ask('writer.acme.agents', 'SVCB');
  t.ok(own.status === 'NOERROR' && own.flags.has('ad'), 'the signed zone still validates (AD)');
}

t.test('a resolver iterating to the signed zones follows the CNAME to its forwarder', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const w = await world(t);
  const auth = await start(t, {
    zonesDir: w.zones, listen: [parseListen(`${w.lease.host(2)}:0`)],
    dnssec: { keyDir: w.keyDir, algorithm: 13, keyLayout: 'combined', times: DEFAULT_TIMES },
  });
  const res = await start(t, {
    listen: [parseListen(`${w.lease.host(1)}:0`)],
    resolver: {
      hints: parseHints(`agents. 3600 IN NS a.root.agents.\na.root.agents. 3600 IN A ${auth.host}\n`), upstreamPort: auth.port, timeout: 2000, warmUp: 0,
      forwarders: [w.forwarder], validation: { anchors: parseTrustAnchors(w.anchor) },
    },
  });
  await checks(t, res.port, res.host);
});

t.test('a daemon serving the signed zones beside its resolver follows the CNAME to its forwarder', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const w = await world(t);
  const d = await signedBesideResolver(t, w, true);
  await checks(t, d.port, d.host);
});

t.test('without forwarders the CNAME target is refused, and the root servers are not asked about it', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const w = await world(t);
  const auth = new Daemon({
    zonesDir: w.zones, listen: [parseListen(`${w.lease.host(2)}:0`)],
    dnssec: { keyDir: w.keyDir, algorithm: 13, keyLayout: 'combined', times: DEFAULT_TIMES },
  });
  await auth.start();
  t.teardown(() => auth.close());
  const a = auth.listeners[0]!.address;
  const res = await start(t, {
    listen: [parseListen(`${w.lease.host(1)}:0`)],
    resolver: {
      hints: parseHints(`agents. 3600 IN NS a.root.agents.\na.root.agents. 3600 IN A ${a.host}\n`), upstreamPort: a.port, timeout: 2000, warmUp: 0,
      validation: { anchors: parseTrustAnchors(w.anchor) },
    },
  });
  const ask = (name: string, type: string) => dig(res.port, ['+rec', '+dnssec', name, type], res.host);
  const r = await ask('alias.acme.agents', 'A');
  t.equal(r.status, 'REFUSED', 'REFUSED, as the target asked on its own is');
  t.equal(ede(r), '20', 'EDE 20 (Not Authoritative)');
  t.match(r.raw, /the CNAME target www\.plain\.example\. is outside agents\. and no forwarders are set/, 'the EDE text says why');
  const before = auth.stats.queries;
  const own = await ask('hub.globex.agents', 'A');
  t.ok(own.status === 'NOERROR' && own.flags.has('ad'), 'the root servers still answer for agents. (not marked lame)');
  t.ok(auth.stats.queries > before, 'and were asked');
});

t.test('without forwarders a daemon serving the signed zones answers its CNAME as it is', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const w = await world(t);
  const d = await signedBesideResolver(t, w, false);
  const r = await dig(d.port, ['+rec', '+dnssec', 'alias.acme.agents', 'A'], d.host);
  t.equal(r.status, 'NOERROR', `the CNAME, for the client to follow (EDE ${ede(r) ?? 'none'})`);
  t.equal(ede(r), undefined, 'no Extended DNS Error');
  t.ok(r.answer.some((l) => /CNAME\s+www\.plain\.example\.$/.test(l)), 'the CNAME');
  t.notOk(r.answer.some((l) => /\sIN\s+A\s/.test(l)), 'and nothing of the target');
  t.notOk(r.flags.has('ad'), 'not AD: the chain ends outside every trust anchor');
});

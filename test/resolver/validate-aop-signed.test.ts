// The chain from the root to the tool, aop at both ends: the bundled world (agents., acme.agents,
// globex.agents) served by `aop serve --dnssec`, and an aop resolver given the DS that
// `aop zone ds agents.` prints as its only trust anchor. Agent records, negative answers and the
// DS of the delegations validate (AD); a record edited after signing is SERVFAIL with an EDE.

import t, { type Test } from 'tap';
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from '../helpers/server.js';
import { scratchDir } from '../helpers/child.js';
import { dig, type DigResult } from '../helpers/dig.js';
import { requireTool, run } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { parseTrustAnchors } from '../../src/resolver/validate/index.js';
import { Daemon } from '../../src/server/daemon.js';

const ZONES = ['agents.', 'acme.agents.', 'globex.agents.'];

async function signedWorld(t: Test, host: string, keyDir: string, zones: string) {
  return startDaemon(t, {
    zonesDir: zones, listen: [parseListen(`${host}:0`)], transfers: { allow: ['127.0.0.0/8'] },
    dnssec: { keyDir, algorithm: 13, keyLayout: 'combined', times: { validity: 86400 * 14, refresh: 86400 * 5, backdate: 3600 } },
  });
}

async function validatingResolver(t: Test, host: string, port: number, anchor: string): Promise<number> {
  const d = new Daemon({
    listen: [parseListen('127.0.0.1:0')],
    resolver: {
      hints: parseHints(`agents. 3600 IN NS a.root.agents.\na.root.agents. 3600 IN A ${host}\n`), upstreamPort: port, timeout: 2000, warmUp: 0,
      validation: { anchors: parseTrustAnchors(anchor) },
    },
  });
  await d.start();
  t.teardown(() => d.close());
  return d.listeners[0]!.address.port;
}

const ede = (r: DigResult) => Number(/; EDE: (\d+)/.exec(r.raw)?.[1] ?? NaN);

t.test('aop validates what aop signs', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const dir = scratchDir(t, 'aop-valsig-');
  const net = await leaseNet(t);
  const zones = path.join(dir, 'zones');
  mkdirSync(zones);
  for (const z of ZONES) copyFileSync(path.join(bundledZonesDir, `${z}zone`), path.join(zones, `${z}zone`));
  const keyDir = path.join(dir, 'keys');
  const world = await signedWorld(t, net.host(2), keyDir, zones);
  const anchor = parentDsLines('agents.', keyDir).join('\n') + '\n';
  const port = await validatingResolver(t, world.host, world.port, anchor);
  const ask = (name: string, type: string, p = port) => dig(p, ['+rec', '+dnssec', name, type]);

  for (const [name, type, status] of [
    ['writer.acme.agents', 'SVCB', 'NOERROR'], ['_agent.writer.acme.agents', 'TXT', 'NOERROR'], ['lab.acme.agents', 'AAAA', 'NOERROR'],
    ['hub.globex.agents', 'A', 'NOERROR'], ['nope.acme.agents', 'A', 'NXDOMAIN'], ['writer.acme.agents', 'AAAA', 'NOERROR'], ['acme.agents', 'DS', 'NOERROR'],
  ] as const) {
    const r = await ask(name, type);
    t.equal(r.status, status, `${name} ${type}: ${status}`);
    t.ok(r.flags.has('ad'), `${name} ${type}: AD`);
  }

  // The same world with acme.agents served from a signed copy whose lab A was edited after signing.
  const axfr = (await run('dig', [`@${world.host}`, '-p', String(world.port), '+nocmd', '+nostats', '+nocomments', 'acme.agents.', 'AXFR'])).stdout;
  const tampered = axfr.replace(/^(lab\.acme\.agents\.\s+\d+\s+IN\s+A\s+)\S+/m, '$1127.0.0.99');
  t.not(tampered, axfr, 'the A record was edited');
  const zones2 = path.join(dir, 'zones2');
  mkdirSync(zones2);
  for (const z of ['agents.', 'globex.agents.']) copyFileSync(path.join(bundledZonesDir, `${z}zone`), path.join(zones2, `${z}zone`));
  const lines = tampered.split('\n').filter((l) => l.trim() !== '');
  writeFileSync(path.join(zones2, 'acme.agents.zone'), lines.slice(0, -1).join('\n') + '\n');
  const keys2 = path.join(dir, 'keys2');
  cpSync(keyDir, keys2, { recursive: true });
  const world2 = await signedWorld(t, net.host(3), keys2, zones2);
  t.equal(readFileSync(path.join(zones2, 'acme.agents.zone'), 'utf8').includes('127.0.0.99'), true, 'the edited copy is what is served');
  const port2 = await validatingResolver(t, world2.host, world2.port, anchor);
  const bad = await ask('lab.acme.agents', 'A', port2);
  t.equal(bad.status, 'SERVFAIL', 'the edited record: SERVFAIL');
  t.equal(ede(bad), 6, 'EDE 6 (DNSSEC Bogus: the signature does not verify)');
  const good = await ask('mcp.acme.agents', 'A', port2);
  t.ok(good.status === 'NOERROR' && good.flags.has('ad'), 'the untouched records of that zone still validate');
});

// Real peers accept what `aop serve --dnssec` serves: dnssec-verify and ldns-verify-zone take
// an AXFR of each signed zone; delv and a validating Unbound, given the root anchor that
// `aop zone ds agents.` prints, validate names of the bundled world (AD), and Unbound answers
// SERVFAIL for a name whose signed record was edited; NSD and Knot, as secondaries, serve the
// signed zone with signatures that verify.

import t, { type Test } from 'tap';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from '../helpers/server.js';
import { requireDaemon, scratchDir } from '../helpers/child.js';
import { dig } from '../helpers/dig.js';
import { requireTool, run } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { startUnbound } from '../helpers/unbound.js';
import { requirePort53, zoneText } from '../helpers/topology.js';
import { startKresd } from '../helpers/kresd.js';
import { startKnotSecondary, startNsdSecondary } from '../helpers/xfr.js';
import { bundledZonesDir } from '../../src/cli/paths.js';
import { parseListen } from '../../src/server/listen.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { checkSignatures, recordsOf } from './helpers.js';

const ZONES = ['agents.', 'acme.agents.', 'globex.agents.'];

async function world(t: Test, dir: string, host: string, keyDir: string, zonesDir?: string) {
  const zones = zonesDir ?? path.join(dir, 'zones');
  if (!zonesDir) {
    mkdirSync(zones, { recursive: true });
    for (const z of ZONES) copyFileSync(path.join(bundledZonesDir, `${z}zone`), path.join(zones, `${z}zone`));
  }
  return startDaemon(t, {
    zonesDir: zones, listen: [parseListen(`${host}:0`)],
    transfers: { allow: ['127.0.0.0/8'] },
    dnssec: { keyDir, algorithm: 13, keyLayout: 'combined', times: { validity: 86400 * 14, refresh: 86400 * 5, backdate: 3600 } },
  });
}

async function axfr(host: string, port: number, zone: string): Promise<string> {
  const r = await run('dig', [`@${host}`, '-p', String(port), '+nocmd', '+nostats', '+nocomments', zone, 'AXFR']);
  return r.stdout;
}

t.test('dnssec-verify and ldns-verify-zone accept an AXFR of every signed zone', async (t) => {
  if (!requireTool(t, 'dnssec-verify', 'bind9-utils') || !requireTool(t, 'ldns-verify-zone', 'ldnsutils')) return;
  const dir = scratchDir(t, 'aop-sigpeer-');
  const net = await leaseNet(t);
  const { host, port } = await world(t, dir, net.host(2), path.join(dir, 'keys'));
  for (const z of ZONES) {
    const file = path.join(dir, `${z}axfr`);
    writeFileSync(file, await axfr(host, port, z));
    // -z: a combined signing key has the SEP flag and signs everything.
    const v = await run('dnssec-verify', ['-z', '-o', z, file], 60_000);
    t.equal(v.code, 0, `dnssec-verify ${z}: ${v.stderr.split('\n').slice(-3).join(' ')}`);
    const l = await run('ldns-verify-zone', [file], 60_000);
    t.equal(l.code, 0, `ldns-verify-zone ${z}: ${l.stdout}${l.stderr}`);
  }
  // IXFR of a signed zone: the whole signed zone, AXFR-style (the journals hold unsigned changes).
  const ixfr = await run('dig', [`@${host}`, '-p', String(port), '+nocmd', '+nostats', '+nocomments', 'acme.agents.', 'IXFR=2026112500']);
  t.ok(ixfr.stdout.split('\n').filter((l) => / RRSIG /.test(l)).length > 10, 'IXFR sends the signatures');
  // Each RRSIG goes out with the TTL of the RRset it covers.
  const agents = readFileSync(path.join(dir, 'agents.axfr'), 'utf8');
  t.match(agents, /^agents\.\s+0\s+IN\s+RRSIG\s+NSEC3PARAM /m, 'RRSIG over NSEC3PARAM with its TTL, 0');
  t.match(agents, /^agents\.\s+86400\s+IN\s+RRSIG\s+SOA /m, 'RRSIG over SOA with the SOA TTL');
  // The check can fail: an edited record is caught.
  const acme = readFileSync(path.join(dir, 'acme.agents.axfr'), 'utf8').replace(/^(lab\.acme\.agents\.\s+\d+\s+IN\s+A\s+)\S+/m, '$1127.0.0.99');
  writeFileSync(path.join(dir, 'bad.axfr'), acme);
  t.not((await run('dnssec-verify', ['-z', '-o', 'acme.agents.', path.join(dir, 'bad.axfr')], 60_000)).code, 0, 'dnssec-verify refuses an edited record');
});

t.test('delv and a validating Unbound, given the agents. anchor, validate; a tampered record is SERVFAIL', async (t) => {
  if (!requireTool(t, 'delv', 'bind9-dnsutils') || !requireDaemon(t, 'unbound', 'unbound')) return;
  const dir = scratchDir(t, 'aop-sigval-');
  const net = await leaseNet(t);
  const keyDir = path.join(dir, 'keys');
  const { host, port } = await world(t, dir, net.host(2), keyDir);
  const ds = parentDsLines('agents.', keyDir);
  t.equal(ds.length, 1, 'one DS for the root of the namespace');

  // delv: a trust-anchors clause with the DS.
  const [, , , tag, alg, dt, ...digest] = ds[0]!.split(' ');
  const anchors = path.join(dir, 'anchors.conf');
  writeFileSync(anchors, `trust-anchors { agents. static-ds ${tag} ${alg} ${dt} "${digest.join('')}"; };\n`);
  for (const [name, type] of [['lab.acme.agents', 'AAAA'], ['_agent.writer.acme.agents', 'TXT'], ['nope.globex.agents', 'A'], ['acme.agents', 'DS']]) {
    const r = await run('delv', [`@${host}`, '-p', String(port), '-a', anchors, '+root=agents.', name!, type!]);
    t.match(r.stdout, /; (fully validated|negative response, fully validated)/, `delv validates ${name} ${type}: ${r.stdout.split('\n')[0]}${r.stderr}`);
  }

  // Unbound with the DS as its trust anchor, stub zones at aop.
  const anchorFile = path.join(dir, 'agents.anchor');
  writeFileSync(anchorFile, ds.join('\n') + '\n');
  const at = `${host}@${port}`;
  await startUnbound(t, {
    dir: path.join(dir, 'unbound'), address: net.host(7), stubs: { 'agents.': [at], 'acme.agents.': [at], 'globex.agents.': [at] },
    ready: { name: 'agents.', type: 'SOA' }, trustAnchorFile: anchorFile,
  });
  const ask = (name: string, type: string, h = net.host(7)) => dig(53, ['+rec', '+dnssec', name, type], h);
  for (const [name, type] of [['lab.acme.agents', 'A'], ['writer.acme.agents', 'SVCB'], ['hub.globex.agents', 'A'], ['nope.acme.agents', 'A']]) {
    const r = await ask(name!, type!);
    t.ok(r.flags.has('ad'), `Unbound: AD on ${name} ${type} (${r.status})`);
  }

  // The same world with acme.agents served from a signed file whose lab A was edited after signing.
  const zones2 = path.join(dir, 'zones2');
  mkdirSync(zones2);
  for (const z of ['agents.', 'globex.agents.']) copyFileSync(path.join(bundledZonesDir, `${z}zone`), path.join(zones2, `${z}zone`));
  const signed = await axfr(host, port, 'acme.agents.');
  const tampered = signed.replace(/^(lab\.acme\.agents\.\s+\d+\s+IN\s+A\s+)\S+/m, '$1127.0.0.99');
  t.not(tampered, signed, 'the A record was edited');
  // The AXFR has the SOA twice; a zone file has it once.
  const lines = tampered.split('\n').filter((l) => l.trim() !== '');
  writeFileSync(path.join(zones2, 'acme.agents.zone'), lines.slice(0, -1).join('\n') + '\n');
  const keys2 = path.join(dir, 'keys2');
  cpSync(keyDir, keys2, { recursive: true });
  const b = await world(t, dir, net.host(3), keys2, zones2);
  const at2 = `${b.host}@${b.port}`;
  await startUnbound(t, {
    dir: path.join(dir, 'unbound2'), address: net.host(8), stubs: { 'agents.': [at2], 'acme.agents.': [at2], 'globex.agents.': [at2] },
    ready: { name: 'agents.', type: 'SOA' }, trustAnchorFile: anchorFile,
  });
  const bad = await ask('lab.acme.agents', 'A', net.host(8));
  t.equal(bad.status, 'SERVFAIL', 'Unbound: SERVFAIL for the edited record');
  const good = await ask('mcp.acme.agents', 'A', net.host(8));
  t.ok(good.status === 'NOERROR' && good.flags.has('ad'), 'Unbound: the untouched records of that zone still validate');
});

t.test('NSD and Knot secondaries serve the signed zone unchanged', async (t) => {
  if (!(await requirePort53(t))) return;
  const dir = scratchDir(t, 'aop-sigsec-');
  const net = await leaseNet(t);
  const keyDir = path.join(dir, 'keys');
  const { host, port } = await world(t, dir, net.host(2), keyDir);
  const dnskeys = readKeyDir(keyDir).map((k) => k.dnskey);
  const peers: Array<[string, string]> = [];
  if (requireDaemon(t, 'nsd', 'nsd')) {
    const d = path.join(dir, 'nsd');
    mkdirSync(d);
    await startNsdSecondary(t, { dir: d, address: net.host(10), origin: 'acme.agents.', primary: { address: host, port } });
    peers.push(['NSD', net.host(10)]);
  }
  if (requireDaemon(t, 'knotd', 'knot')) {
    const d = path.join(dir, 'knot');
    mkdirSync(d);
    await startKnotSecondary(t, { dir: d, address: net.host(11), origin: 'acme.agents.', primary: { address: host, port } });
    peers.push(['Knot', net.host(11)]);
  }
  for (const [name, addr] of peers) {
    for (const [qname, type, status] of [['lab.acme.agents', 'AAAA', 'NOERROR'], ['nope.acme.agents', 'A', 'NXDOMAIN'], ['lab.acme.agents', 'TXT', 'NOERROR']] as const) {
      const r = await dig(53, ['+dnssec', qname, type], addr);
      t.equal(r.status, status, `${name}: ${qname} ${type}`);
      const { good, bad } = checkSignatures(recordsOf([...r.answer, ...r.authority]), dnskeys);
      t.ok(good > 0 && bad.length === 0, `${name}: ${good} RRSIGs from aop verify (${bad.join(', ')})`);
      if (status === 'NXDOMAIN') t.ok(r.authority.some((l) => l.includes(' NSEC3 ')), `${name}: NSEC3 denial`);
    }
  }
});

t.test('Knot Resolver, given the agents. anchor, validates the bundled world on port 53; a tampered record is SERVFAIL', async (t) => {
  if (!(await requirePort53(t)) || !requireDaemon(t, 'kresd', 'knot-resolver')) return;
  const dir = scratchDir(t, 'aop-sigkres-');
  const net = await leaseNet(t);
  const keyDir = path.join(dir, 'keys');
  // acme.agents. signed first, by a daemon of its own, then its lab A edited after signing.
  const pre = path.join(dir, 'pre');
  mkdirSync(pre);
  writeFileSync(path.join(pre, 'acme.agents.zone'), zoneText('acme.agents.zone', net.net));
  const signer = await startDaemon(t, {
    zonesDir: pre, listen: [parseListen(`${net.host(20)}:0`)], transfers: { allow: ['127.0.0.0/8'] },
    dnssec: { keyDir, algorithm: 15, keyLayout: 'split', times: { validity: 86400 * 14, refresh: 86400 * 5, backdate: 3600 } },
  });
  const signedAcme = (await axfr(signer.host, signer.port, 'acme.agents.')).split('\n').filter((l) => l.trim() !== '');
  const tampered = signedAcme.slice(0, -1).join('\n').replace(/^(lab\.acme\.agents\.\s+\d+\s+IN\s+A\s+)\S+/m, '$1127.0.0.99');
  const zones = path.join(dir, 'zones');
  mkdirSync(zones);
  for (const z of ['agents.', 'globex.agents.']) writeFileSync(path.join(zones, `${z}zone`), zoneText(`${z}zone`, net.net));
  writeFileSync(path.join(zones, 'acme.agents.zone'), tampered + '\n');
  // One daemon on every address the bundled glue names: .2 (agents.), .3 and .4 (acme), .5 (globex).
  await startDaemon(t, {
    zonesDir: zones, listen: [2, 3, 4, 5].map((n) => parseListen(`${net.host(n)}:53`)),
    dnssec: { keyDir, algorithm: 15, keyLayout: 'split', times: { validity: 86400 * 14, refresh: 86400 * 5, backdate: 3600 } },
  });
  await startKresd(t, {
    dir: path.join(dir, 'kresd'), address: net.host(8), hints: { 'a.root.agents.': net.host(2) },
    ready: { name: 'agents.', type: 'SOA' }, trustAnchors: parentDsLines('agents.', keyDir),
  });
  for (const [name, type, status] of [['lab.acme.agents', 'AAAA', 'NOERROR'], ['mcp.acme.agents', 'A', 'NOERROR'], ['hub.globex.agents', 'A', 'NOERROR'], ['nope.acme.agents', 'A', 'NXDOMAIN']]) {
    const r = await dig(53, ['+rec', '+dnssec', name!, type!], net.host(8));
    t.equal(r.status, status, `Knot Resolver: ${name} ${type}`);
    t.ok(r.flags.has('ad'), `Knot Resolver: AD on ${name} ${type} (Ed25519, KSK and ZSK)`);
  }
  const bad = await dig(53, ['+rec', '+dnssec', 'lab.acme.agents', 'A'], net.host(8));
  t.equal(bad.status, 'SERVFAIL', 'Knot Resolver: SERVFAIL for the record edited after signing');
});

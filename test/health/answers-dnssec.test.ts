// With --dnssec, a health-filtered SVCB answer carries signatures over the subset it holds (made
// at answer time with the zone's key): delv, given the zone's DS as its trust anchor, validates
// the full answer and the filtered one, and the filtered one holds one record and one RRSIG.

import t from 'tap';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool, run } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';
import { dig } from '../helpers/dig.js';
import { parseListen } from '../../src/server/listen.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { DEFAULT_TIMES } from '../../src/authority/signer.js';
import { healthWorld, ORIGIN } from './world.js';

t.test('a filtered SVCB answer of a signed zone validates (delv)', async (t) => {
  if (!requireTool(t, 'delv', 'bind9-dnsutils') || !requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const net = await leaseNet(t);
  const w = healthWorld(t, net);
  await w.start('a');
  await w.start('b');
  const keyDir = path.join(w.dir, 'keys');
  const { daemon, host, port } = await startDaemon(t, {
    zonesDir: w.zonesDir, listen: [parseListen(`${w.hosts.dns}:0`)],
    dnssec: { keyDir, algorithm: 13, keyLayout: 'combined', times: DEFAULT_TIMES },
    health: { intervalMs: 100, timeoutMs: 2000, fall: 2, rise: 2 },
  });
  const m = daemon.health!;
  const [, , , tag, alg, dt, ...digest] = parentDsLines(ORIGIN, keyDir)[0]!.split(' ');
  const anchors = path.join(w.dir, 'anchors.conf');
  writeFileSync(anchors, `trust-anchors { ${ORIGIN} static-ds ${tag} ${alg} ${dt} "${digest.join('')}"; };\n`);
  const delv = async (): Promise<string> => {
    const r = await run('delv', [`@${host}`, '-p', String(port), '-a', anchors, `+root=${ORIGIN}`, `writer.${ORIGIN}`, 'SVCB']);
    return r.stdout + r.stderr;
  };

  await waitFor(() => m.status().length === 2 && m.status().every((s) => s.last?.ok === true), 'both endpoints probed', { timeoutMs: 60_000 });
  const full = await delv();
  t.match(full, /; fully validated/, 'the full set validates');
  t.equal(full.split('\n').filter((l) => /\sSVCB\s+1\s/.test(l)).length, 2, 'two records');

  await w.stop('a');
  await waitFor(() => m.stateOf(w.urls.a) === 'down', 'a down', { timeoutMs: 60_000, detail: () => JSON.stringify(m.status()) });
  const filtered = await delv();
  t.match(filtered, /; fully validated/, `the filtered set validates: ${filtered.split('\n')[0]}`);
  const records = filtered.split('\n').filter((l) => /\sSVCB\s+1\s/.test(l));
  t.equal(records.length, 1, 'one record');
  t.match(records[0], /b\.hz\.agents\./, 'the one up');
  const d = await dig(port, ['+dnssec', `writer.${ORIGIN}`, 'SVCB'], host);
  t.equal(d.answer.filter((l) => l.includes(' RRSIG SVCB ')).length, 1, 'one RRSIG, over the subset');
});

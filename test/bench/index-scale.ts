// `npx tsx test/bench/index-scale.ts [N]`: an organisation of N agents (default 1,000,000) with
// the paged index and capability indexes (test/helpers/large-org.ts), written to a zone file and
// loaded with loadZoneFile in a fresh process: load time, peak RSS, the agent check's CPU time,
// and the index walked in the loaded zone (nodes, the largest node). A measurement, not a test.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeLargeOrg } from '../helpers/large-org.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const n = Number(process.argv[2] ?? 1_000_000);
const cache = path.resolve(process.env.SCALE_CACHE ?? path.join(ROOT, 'tmp/scale'));
mkdirSync(cache, { recursive: true });
const file = path.join(cache, `paged${n}.agents.zone`);
if (!existsSync(file)) {
  const t0 = Date.now();
  await writeLargeOrg(file + '.part', { org: 'big.agents', agents: n, address: '127.0.0.1', layout: 'paged' });
  renameSync(file + '.part', file);
  process.stderr.write(`generated ${file} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
const dist = path.join(ROOT, 'dist');
const child = `
  const t0 = process.hrtime.bigint();
  const { loadZoneFile } = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'zone/load.js')).href)});
  const zone = loadZoneFile(${JSON.stringify(file)}, { origin: 'big.agents.', limits: { maxZoneBytes: 4 * 2 ** 30 } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
  const kib = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(status)?.[1] ?? NaN);
  const a = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'agent/index.js')).href)});
  const w0 = process.hrtime.bigint();
  const walked = a.zoneIndexEntries(zone, a.orgIndexRoot('big.agents.'));
  const walkMs = Number(process.hrtime.bigint() - w0) / 1e6;
  let largest = 0;
  for (const p of [a.orgIndexRoot('big.agents.'), ...walked.pages]) largest = Math.max(largest, zone.rrset(p, 12)?.rdata.length ?? 0);
  const c0 = process.cpuUsage();
  const faults = a.checkAgentZone(zone);
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ records: zone.size, ms, hwmMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024, agents: walked.entries.length, pages: walked.pages.length, largest, walkMs, checkMs: (c.user + c.system) / 1000, faults: faults.length, index: faults.filter((f) => /INDEX|UNLISTED|TOO_LARGE/.test(f.code)).length }));
`;
const out = execFileSync(process.execPath, ['--max-old-space-size=16000', '--input-type=module', '-e', child], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
const r = JSON.parse(out.trim().split('\n').pop()!);
console.log(`${n} agents, paged (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB, ${r.records} records): loaded in ${(r.ms / 1000).toFixed(1)} s, peak RSS ${r.hwmMiB.toFixed(0)} MiB, RSS after ${r.rssMiB.toFixed(0)} MiB`);
console.log(`index: ${r.agents} agents on ${r.pages} pages (largest node ${r.largest} entries), walked in the zone in ${(r.walkMs / 1000).toFixed(2)} s; agent check CPU ${(r.checkMs / 1000).toFixed(1)} s, ${r.faults} faults (${r.index} about the index)`);

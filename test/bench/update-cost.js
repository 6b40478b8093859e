// `node test/bench/update-cost.js [N...]`: the time of one signed UPDATE (one A record added) to
// a primary whose zone holds N records (default 230, 4,000 and 20,000), over loopback UDP, the
// journal's fsync included; the median of 30, and the zone work counters of the UPDATE path
// (records built record by record must stay 0: the cost follows the change, not the zone).
// docs/operations.md ("What an update costs") has the figures.
//
// Environment: AOP_DIST (default dist/) is the built code; `AOP_DIST=src node --import tsx ...`
// runs the sources.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.resolve(process.env.AOP_DIST ?? path.join(ROOT, 'dist'));
const load = (p) => import(pathToFileURL(path.join(dist, p)).href);
const { Daemon } = await load('server/daemon.js');
const { parseListen } = await load('server/listen.js');
const { exchange } = await load('transport/index.js');
const { encodeMessage, newMessage } = await load('wire/message.js');
const { Keyring, signMessage } = await load('wire/tsig.js');
const { zoneWork } = await load('zone/zone.js');

const ZONE = 'acme.agents.';
const key = { name: 'bench-key', algorithm: 'hmac-sha256.', secret: Buffer.from('YmVuY2gga2V5IGZvciB0aGUgdXBkYXRlIGNvc3Qh', 'base64') };
const sizes = process.argv.slice(2).map(Number);
for (const n of sizes.length > 0 ? sizes : [230, 4000, 20_000]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-bench-update-'));
  const hosts = Array.from({ length: n }, (_, i) => `h${i} IN A 127.0.1.${i % 250}`);
  writeFileSync(path.join(dir, 'acme.agents.zone'), `${readFileSync(path.join(ROOT, 'zones', 'acme.agents.zone'), 'utf8')}\n${hosts.join('\n')}\n`);
  const daemon = new Daemon({ zonesDir: dir, listen: [parseListen('127.0.0.1:0')], keyring: new Keyring([key]), update: { flushDelayMs: 60_000 } });
  await daemon.start();
  const { host, port } = daemon.listeners[0].address;
  const built = zoneWork.recordsBuilt;
  const times = [];
  for (let i = 0; i < 30; i++) {
    const msg = encodeMessage(newMessage({
      id: i, opcode: 5, questions: [{ name: ZONE, type: 6, class: 1 }],
      authority: [{ name: `bench${i}.${ZONE}`, type: 1, class: 1, ttl: 60, rdata: Buffer.from([127, 0, 0, 9]) }],
    }));
    const t0 = performance.now();
    const r = await exchange({ address: host, port }, signMessage(msg, key).message, { timeout: 10_000 });
    times.push(performance.now() - t0);
    if (r.message.rcode !== 0) throw new Error(`UPDATE answered rcode ${r.message.rcode}`);
  }
  times.sort((a, b) => a - b);
  console.log(`update-cost: ${daemon.catalog.get(ZONE).size} records: median ${times[15].toFixed(2)} ms, min ${times[0].toFixed(2)} ms; records built by the updates: ${zoneWork.recordsBuilt - built}`);
  await daemon.close();
  rmSync(dir, { recursive: true, force: true });
}

// A reload that meets an unreadable or hostile zone (a FIFO, /dev/zero, a file over the size cap,
// an $INCLUDE outside the zone's folder) refuses that zone and keeps its previous version in
// service, logged, while the other zones reload: one bad file no longer stops every zone.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../src/base/log.js';
import { startDaemon } from '../helpers/server.js';
import { rawQuery, udpExchange } from '../helpers/udp.js';

function zone(origin: string, serial: number, extra = ''): string {
  return `$ORIGIN ${origin}.\n$TTL 300\n@ SOA ns1 hostmaster ${serial} 3600 600 604800 120\n@ NS ns1\nns1 A 192.0.2.1\n${extra}`;
}

async function ask(port: number, name: string): Promise<string> {
  const r = await udpExchange(port, rawQuery(1, name.split('.'), 1), 1000);
  if (!r) return 'no reply';
  const rcode = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'][r[3]! & 0x0f] ?? String(r[3]! & 0x0f);
  return `${rcode}/${r.readUInt16BE(6)}`;
}

t.test('a hostile zone file fails its reload alone; the previous version stays in service', { timeout: 30000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-reload-limits-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const outside = mkdtempSync(path.join(os.tmpdir(), 'aop-reload-outside-'));
  t.teardown(() => rmSync(outside, { recursive: true, force: true }));
  const file = (o: string) => path.join(dir, `${o}.zone`);
  writeFileSync(file('a.agents'), zone('a.agents', 1, 'x A 192.0.2.10\n'));
  writeFileSync(file('b.agents'), zone('b.agents', 1, 'x A 192.0.2.20\n'));
  execFileSync('mkfifo', [path.join(dir, 'pipe.inc')]);
  writeFileSync(path.join(outside, 'secret.inc'), 'secret TXT "not for the world"\n');
  const lines: string[] = [];
  const logger: Logger = { debug() {}, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
  const { daemon, port } = await startDaemon(t, { zonesDir: dir, logger, zoneLimits: { maxZoneBytes: 4096 } });
  t.equal(await ask(port, 'x.a.agents'), 'NOERROR/1');

  const broken: [string, () => void, RegExp][] = [
    ['an $INCLUDE of a FIFO (it blocked every answer)', () => writeFileSync(file('a.agents'), zone('a.agents', 2, '$INCLUDE pipe.inc\n')), /pipe\.inc" cannot be read: it is a FIFO/],
    ['the zone file a symlink to a FIFO', () => { unlinkSync(file('a.agents')); symlinkSync(path.join(dir, 'pipe.inc'), file('a.agents')); }, /cannot read zone file: it is a FIFO/],
    ['the zone file a symlink to /dev/zero', () => { unlinkSync(file('a.agents')); symlinkSync('/dev/zero', file('a.agents')); }, /cannot read zone file: it is a character device/],
    ['a zone over --max-zone-bytes', () => { unlinkSync(file('a.agents')); writeFileSync(file('a.agents'), zone('a.agents', 2, `x TXT "${'a'.repeat(200)}"\n`.repeat(30))); }, /larger than the limit of 4096 octets/],
    ['an $INCLUDE outside the zone folder', () => writeFileSync(file('a.agents'), zone('a.agents', 2, `$INCLUDE ${path.join(outside, 'secret.inc')}\n`)), /is outside the zone's folder/],
  ];
  let serialB = 1;
  for (const [what, breakIt, why] of broken) {
    breakIt();
    writeFileSync(file('b.agents'), zone('b.agents', ++serialB, 'x A 192.0.2.20\n'));
    lines.length = 0;
    t.same(daemon.reload(), { loaded: 1, failed: 1 }, what);
    t.equal(await ask(port, 'x.a.agents'), 'NOERROR/1', `${what}: the previous version still answers`);
    t.equal(await ask(port, 'secret.a.agents'), 'NXDOMAIN/0', `${what}: nothing of the bad file is served`);
    t.equal(daemon.catalog.get('a.agents.')!.serial, 1);
    t.equal(daemon.catalog.get('b.agents.')!.serial, serialB, `${what}: the other zone reloaded`);
    t.ok(lines.some((l) => /^error zone a\.agents\. failed to load; keeping serial 1 in service:\n/.test(l) && why.test(l)), `${what}: logged`);
  }
});

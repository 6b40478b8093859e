// What loading a zone may read (load.ts ReadLimits): only regular files (a FIFO would block the
// daemon, /dev/zero fill its memory), a size cap per zone with its includes, $INCLUDE confined to
// the zone file's folder (real paths) or --include-dir folders, and faults that quote at most a
// short, escaped piece of the file.

import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadZoneDir, loadZoneFile, MAX_SHOWN_TOKEN, ZoneLoadError } from '../../src/zone/load.js';
import { readZoneSourceFile } from '../../src/zone/edit.js';

const ZONE = '$ORIGIN example.\n$TTL 300\n@ SOA ns1 hostmaster 7 3600 900 604800 60\n@ NS ns1\nns1 A 192.0.2.1\n';

function faults(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ZoneLoadError) return e.faults.map((f) => `${f.code} ${f.message}`);
    throw e;
  }
  return [];
}

function folder(t: Test): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-read-limits-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const load = (file: string, limits?: { maxZoneBytes?: number; includeDirs?: string[] }) =>
  () => loadZoneFile(file, { origin: 'example.', ...(limits ? { limits } : {}) });

t.test('only regular files are read: FIFOs, devices and folders are refused, not waited on', { timeout: 20000 }, async (t) => {
  const dir = folder(t);
  execFileSync('mkfifo', [path.join(dir, 'pipe.inc')]);
  mkdirSync(path.join(dir, 'sub'));
  const zone = path.join(dir, 'example.zone');

  writeFileSync(zone, ZONE + '$INCLUDE pipe.inc\n');
  t.match(faults(load(zone)), [/^ERR_ZONE_INCLUDE \$INCLUDE "pipe\.inc" cannot be read: it is a FIFO, not a regular file$/], 'a FIFO include (it blocked for ever)');
  writeFileSync(zone, ZONE + '$INCLUDE sub\n');
  t.match(faults(load(zone)), [/^ERR_ZONE_INCLUDE .*it is a directory/], 'a folder');
  writeFileSync(zone, ZONE + '$INCLUDE /dev/zero\n');
  t.match(faults(load(zone, { includeDirs: ['/dev'] })), [/^ERR_ZONE_INCLUDE .*it is a character device, not a regular file$/], '/dev/zero, even where includes are allowed');

  // The zone file itself, through a symlink.
  const fifoZone = path.join(dir, 'fifo.zone');
  symlinkSync(path.join(dir, 'pipe.inc'), fifoZone);
  t.match(faults(load(fifoZone)), [/^ERR_ZONE_READ cannot read zone file: it is a FIFO, not a regular file$/]);
  const zeroZone = path.join(dir, 'zero.zone');
  symlinkSync('/dev/zero', zeroZone);
  t.match(faults(load(zeroZone)), [/^ERR_ZONE_READ cannot read zone file: it is a character device/]);
  t.throws(() => readZoneSourceFile(zeroZone, { origin: 'example.' }), { code: 'ERR_ZONE_INVALID' }, 'aop zone add-agent reads as the loader does');

  // In a folder, the others still load.
  const zones = path.join(dir, 'zones');
  mkdirSync(zones);
  writeFileSync(path.join(zones, 'good.zone'), ZONE.replace('example.', 'good.'));
  symlinkSync('/dev/zero', path.join(zones, 'zero.zone'));
  symlinkSync(path.join(dir, 'pipe.inc'), path.join(zones, 'pipe.zone'));
  const r = loadZoneDir(zones);
  t.same(r.zones.map((z) => z.origin), ['good.']);
  t.same(r.errors.map((e) => e.faults[0]!.code), ['ERR_ZONE_READ', 'ERR_ZONE_READ']);
});

t.test('a size cap for the zone and its includes together', async (t) => {
  const dir = folder(t);
  const zone = path.join(dir, 'example.zone');
  const big = Array.from({ length: 200 }, (_, i) => `h${i} A 192.0.2.${i % 250}\n`).join('');
  writeFileSync(path.join(dir, 'big.inc'), big);
  writeFileSync(zone, ZONE + '$INCLUDE big.inc\n');
  t.equal(loadZoneFile(zone, { origin: 'example.' }).size, 203, 'loads under the default cap');
  t.equal(loadZoneFile(zone, { origin: 'example.', limits: { maxZoneBytes: ZONE.length + 20 + big.length } }).size, 203, 'a cap just above its size');
  t.match(faults(load(zone, { maxZoneBytes: ZONE.length + 100 })), [/^ERR_ZONE_INCLUDE \$INCLUDE "big\.inc" cannot be read: the zone and its includes are larger than the limit of \d+ octets/]);
  t.match(faults(load(zone, { maxZoneBytes: 50 })), [/^ERR_ZONE_READ cannot read zone file: the zone and its includes are larger than the limit of 50 octets/]);
});

t.test('$INCLUDE stays inside the zone file\'s folder, symlinks resolved, or an --include-dir', async (t) => {
  const dir = folder(t);
  const zones = path.join(dir, 'zones');
  const other = path.join(dir, 'other');
  mkdirSync(path.join(zones, 'inc'), { recursive: true });
  mkdirSync(other);
  writeFileSync(path.join(other, 'secret.inc'), 'secret TXT "root only"\n');
  writeFileSync(path.join(zones, 'inc', 'ok.inc'), 'ok A 192.0.2.9\n');
  symlinkSync(path.join(other, 'secret.inc'), path.join(zones, 'link.inc'));
  const zone = path.join(zones, 'example.zone');

  writeFileSync(zone, ZONE + '$INCLUDE inc/ok.inc\n');
  t.equal(loadZoneFile(zone, { origin: 'example.' }).size, 4, 'a subfolder is inside');
  for (const inc of ['../other/secret.inc', path.join(other, 'secret.inc'), 'link.inc', '/etc/passwd', '/proc/self/environ']) {
    writeFileSync(zone, ZONE + `$INCLUDE ${inc}\n`);
    t.match(faults(load(zone)), [/^ERR_ZONE_INCLUDE .* is outside the zone's folder .*--include-dir/], inc);
  }
  writeFileSync(zone, ZONE + '$INCLUDE link.inc\n');
  t.equal(loadZoneFile(zone, { origin: 'example.', limits: { includeDirs: [other] } }).size, 4, 'allowed by includeDirs');
  // The zone folder given through a symlink is the same folder.
  const alias = path.join(dir, 'alias');
  symlinkSync(zones, alias);
  writeFileSync(zone, ZONE + '$INCLUDE inc/ok.inc\n');
  t.equal(loadZoneFile(path.join(alias, 'example.zone'), { origin: 'example.' }).size, 4);
});

t.test('a fault quotes a short, escaped piece of the file, not the file', async (t) => {
  const dir = folder(t);
  const secret = 'hunter2'.repeat(20);
  // What $INCLUDE /proc/self/environ looked like: NUL-separated NAME=value.
  writeFileSync(path.join(dir, 'env.inc'), `FOO=bar baz\0SECRET=${secret}\0PATH=/usr/bin:/bin\n`);
  const zone = path.join(dir, 'example.zone');
  writeFileSync(zone, ZONE + '$INCLUDE env.inc\n');
  const e = (() => {
    try {
      loadZoneFile(zone, { origin: 'example.' });
    } catch (err) {
      return err as ZoneLoadError;
    }
    throw new Error('it loaded');
  })();
  t.ok(e.faults.length > 0);
  t.notOk(e.message.includes(secret.slice(0, MAX_SHOWN_TOKEN + 1)), 'no more of the file than the cap');
  t.notOk(e.message.includes('PATH=/usr/bin'), 'nothing past the offending token');
  t.notOk(/[\x00-\x08\x0b-\x1f\x7f]/.test(e.message), 'control characters escaped');
  for (const f of e.faults) t.ok(f.message.length <= 420, 'short message');
});

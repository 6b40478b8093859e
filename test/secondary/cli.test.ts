// `aop serve` as a primary and as a secondary of it, from the built dist/, with transfers signed by
// a TSIG key only (the ACL names the key, not an address), and NSD as a second secondary: a zone
// file change + SIGHUP reaches both through NOTIFY.

import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireDaemon, scratchDir } from '../helpers/child.js';
import { compareServers, serialAt, startNsdSecondary, waitForSerial } from '../helpers/xfr.js';
import { loadZoneFile } from '../../src/zone/load.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { privateRuntimeEnv } from '../helpers/runtime-env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');
// This file's own loopback /24 (both daemons and NSD listen on port 53 in it), leased for its life.
const NET = await leaseNet(t);
const PRIMARY = NET.host(1);
const SECONDARY = NET.host(2);
const NSD = NET.host(3);
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ORIGIN = 'acme.agents.';
const SECRET = Buffer.from('transfer key secret for the cli!').toString('base64');
const KEY = `hmac-sha256:xfr-key:${SECRET}`;

function aop(t: { teardown(fn: () => unknown): void }, args: string[]): { proc: ChildProcess; log: () => string } {
  const env = privateRuntimeEnv();
  delete env.NODE_OPTIONS;
  const proc = spawn(process.execPath, [bin, 'serve', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  t.teardown(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    await new Promise<void>((r) => {
      const timer = setTimeout(() => { proc.kill('SIGKILL'); r(); }, 3000);
      proc.once('exit', () => { clearTimeout(timer); r(); });
    });
  });
  return { proc, log: () => log };
}

t.test('aop serve --secondary of aop serve, TSIG-signed transfers, NOTIFY on SIGHUP', async (t) => {
  if (!existsSync(path.join(root, 'dist', 'secondary', 'secondaries.js'))) {
    t.fail('dist/ is not built with src/secondary: run npm run build first');
    return;
  }
  const zonesDir = mkdtempSync(path.join(os.tmpdir(), 'aop-cli-prim-'));
  t.teardown(() => rmSync(zonesDir, { recursive: true, force: true }));
  cpSync(path.join(root, 'zones'), zonesDir, { recursive: true });
  const copies = scratchDir(t, 'aop-cli-sec-');
  const withNsd = requireDaemon(t, 'nsd', 'nsd');

  const primary = aop(t, ['--zones', zonesDir, '--listen', `${PRIMARY}:53`, '--tsig-secret', KEY, '--allow-transfer', 'key:xfr-key',
    '--notify', SECONDARY, ...(withNsd ? ['--notify', `${NSD}:53`] : [])]);
  const p = { address: PRIMARY, port: 53 };
  const serial = loadZoneFile(path.join(zonesDir, 'acme.agents.zone'), { origin: ORIGIN }).serial;
  t.equal(await waitForSerial(p, ORIGIN, serial, 60_000), serial, `the primary is up:\n${primary.log()}`);

  const secondary = aop(t, ['--secondary', `acme.agents:${PRIMARY},key=xfr-key`, '--tsig-secret', KEY, '--listen', `${SECONDARY}:53`, '--secondary-dir', copies]);
  const s = { address: SECONDARY, port: 53 };
  t.equal(await waitForSerial(s, ORIGIN, serial, 60_000), serial, `the secondary transferred the zone:\n${secondary.log()}`);
  const zone = loadZoneFile(path.join(zonesDir, 'acme.agents.zone'), { origin: ORIGIN });
  t.same(await compareServers(p, s, zone), [], 'the secondary answers every name as the primary');
  t.match(primary.log(), new RegExp(`AXFR of acme\\.agents\\. serial \\d+ to ${re(SECONDARY)}#`), 'the primary logged the transfer');
  t.equal(await serialAt(s, 'globex.agents.'), undefined, 'only the secondary zone is served (no bundled zones)');
  if (withNsd) {
    await startNsdSecondary(t, { dir: scratchDir(t, 'aop-cli-nsd-'), address: NSD, origin: ORIGIN, primary: p, key: ['hmac-sha256', 'xfr-key', SECRET] });
    t.same(await compareServers(p, { address: NSD, port: 53 }, zone), [], 'NSD (TSIG-signed transfer) answers every name as the primary');
  }

  const file = path.join(zonesDir, 'acme.agents.zone');
  writeFileSync(file, readFileSync(file, 'utf8').replace(String(serial), String(serial + 1)) + 'cli-added IN TXT "after SIGHUP"\n');
  primary.proc.kill('SIGHUP');
  t.equal(await waitForSerial(s, ORIGIN, serial + 1, 60_000), serial + 1, `NOTIFY brought the secondary to serial ${serial + 1}:\n${secondary.log()}`);
  if (withNsd) t.equal(await waitForSerial({ address: NSD, port: 53 }, ORIGIN, serial + 1, 60_000), serial + 1, 'and NSD');
  const changed = loadZoneFile(file, { origin: ORIGIN });
  t.same(await compareServers(p, s, changed), [], 'the secondary answers every name of the changed zone as the primary');
  t.ok(existsSync(path.join(copies, 'acme.agents.zone')), 'the secondary kept its copy on disk');
  t.match(secondary.log(), new RegExp(`notify refresh from ${re(PRIMARY)}:53: (ixfr|axfr), serial`), 'the secondary logged the NOTIFY-driven refresh');
});

t.test('bad options are refused before anything starts', async (t) => {
  const cases = [
    [['--secondary', 'acme.agents:127.0.0.1,key=nokey'], /no TSIG key named nokey/],
    [['--allow-transfer', 'nonsense'], /not an address, a network/],
  ] as const;
  // All at once: each is a node start-up.
  const runs = cases.map(([args]) => {
    const r = aop(t, [...args, '--listen', `${SECONDARY}:0`]);
    // 'close', not 'exit': stderr may still be arriving when the process exits.
    return new Promise<{ code: number | null; log: string }>((res) => r.proc.once('close', (c) => res({ code: c, log: r.log() })));
  });
  const results = await Promise.all(runs);
  cases.forEach(([args, msg], i) => {
    t.not(results[i]!.code, 0, `${args.join(' ')}: exits non-zero`);
    t.match(results[i]!.log, msg, `${args.join(' ')}: says why`);
  });
});

// AXFR and IXFR out from our daemon: dig and kdig transfer the zone and every record matches the
// zone file; the transfer ACL refuses other clients; a large zone spans several messages; IXFR
// without history falls back to the whole zone, and a current serial gets the SOA alone.

import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../helpers/server.js';
import { requireTool, run } from '../helpers/peers.js';
import { loadZoneFile, loadZoneText, zoneToText } from '../../src/zone/load.js';
import { transferIn } from '../../src/xfr/client.js';
import { Zone } from '../../src/zone/zone.js';
import { XfrError } from '../../src/xfr/errors.js';
import { query } from '../../src/transport/index.js';
import { RRType, Rcode } from '../../src/wire/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOST = '127.0.101.1';
const ALLOWED = '127.0.101.2';
const OTHER = '127.0.101.3';

function zonesCopy(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-axfr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(root, 'zones'), dir, { recursive: true });
  return dir;
}

/** The records a dig/kdig transfer printed, as our canonical zone text (SOA once). */
function transferred(out: string, origin: string): { text: string; soaCount: number; first: string; last: string } {
  const lines = out.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
  const soas = lines.filter((l) => /\sSOA\s/.test(l));
  const zone = loadZoneText(lines.join('\n') + '\n', { origin });
  return { text: zoneToText(zone), soaCount: soas.length, first: lines[0] ?? '', last: lines[lines.length - 1] ?? '' };
}

t.test('dig and kdig AXFR: the zone record by record, SOA first and last', async (t) => {
  const dir = zonesCopy(t);
  const { host, port } = await startDaemon(t, { zonesDir: dir, listen: [{ host: HOST, port: 0, family: 4 }], transfers: { allow: [ALLOWED] } });
  for (const origin of ['acme.agents.', 'globex.agents.', 'agents.']) {
    const want = zoneToText(loadZoneFile(path.join(dir, `${origin.replace(/\.$/, '')}.zone`), { origin }));
    if (requireTool(t, 'dig', 'bind9-dnsutils')) {
      const r = await run('dig', [`@${host}`, '-p', String(port), '-b', ALLOWED, origin, 'AXFR', '+nocookie', '+nocomments', '+nostats', '+noquestion']);
      t.equal(r.code, 0, `dig AXFR ${origin} exits 0`);
      const got = transferred(r.stdout, origin);
      t.equal(got.text, want, `dig AXFR ${origin}: every record of the zone file, nothing else`);
      t.equal(got.soaCount, 2, 'the SOA twice');
      t.match(got.first, /\sSOA\s/, 'SOA first');
      t.match(got.last, /\sSOA\s/, 'SOA last');
    }
    if (requireTool(t, 'kdig', 'knot-dnsutils')) {
      const r = await run('kdig', [`@${host}`, '-p', String(port), '-b', ALLOWED, origin, 'AXFR', '+nocomments', '+nostats', '+noquestion']);
      t.equal(r.code, 0, `kdig AXFR ${origin} exits 0`);
      t.equal(transferred(r.stdout, origin).text, want, `kdig AXFR ${origin}: every record of the zone file`);
    }
  }
});

t.test('the transfer ACL: allowed address, other address, default, AXFR over UDP, unknown zone', async (t) => {
  const dir = zonesCopy(t);
  const { host, port } = await startDaemon(t, { zonesDir: dir, listen: [{ host: HOST, port: 0, family: 4 }], transfers: { allow: [`${ALLOWED}/32`] } });
  const server = { address: host, port };
  const ok = await transferIn(server, 'acme.agents.', { localAddress: ALLOWED, timeout: 5000 });
  t.equal(ok.kind, 'axfr', 'our own client transfers from the allowed address');
  const refused = await transferIn(server, 'acme.agents.', { localAddress: OTHER, timeout: 5000 }).catch((e: unknown) => e);
  t.ok(refused instanceof XfrError, 'refused from another address');
  t.equal((refused as XfrError).code, 'ERR_XFR_REFUSED');
  t.equal((refused as XfrError).rcode, Rcode.REFUSED, 'with REFUSED');
  const notAuth = await transferIn(server, 'nowhere.example.', { localAddress: ALLOWED, timeout: 5000 }).catch((e: unknown) => e);
  t.equal((notAuth as XfrError).rcode, Rcode.NOTAUTH, 'a zone we do not serve: NOTAUTH');
  const sub = await transferIn(server, 'writer.acme.agents.', { localAddress: ALLOWED, timeout: 5000 }).catch((e: unknown) => e);
  t.equal((sub as XfrError).rcode, Rcode.NOTAUTH, 'a name inside a zone is not a zone: NOTAUTH');
  const udp = await query(server, { name: 'acme.agents.', type: RRType.AXFR, class: 1 }, { rd: false });
  t.equal(udp.message.rcode, Rcode.FORMERR, 'AXFR over UDP: FORMERR');
  if (requireTool(t, 'dig', 'bind9-dnsutils')) {
    const r = await run('dig', [`@${host}`, '-p', String(port), '-b', OTHER, 'acme.agents', 'AXFR', '+nocookie']);
    t.match(r.stdout, /Transfer failed/, 'dig from another address: Transfer failed');
  }
});

t.test('no ACL configured: nobody may transfer', async (t) => {
  const dir = zonesCopy(t);
  const { host, port } = await startDaemon(t, { zonesDir: dir, listen: [{ host: HOST, port: 0, family: 4 }] });
  const e = await transferIn({ address: host, port }, 'acme.agents.', { localAddress: ALLOWED, timeout: 5000 }).catch((err: unknown) => err);
  t.equal((e as XfrError).rcode, Rcode.REFUSED);
});

t.test('a large zone goes in several 64 KiB messages, every record once', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-axfr-big-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines = ['$TTL 300', '@ SOA ns1 hostmaster 1 3600 900 604800 300', '@ NS ns1', 'ns1 A 192.0.2.1'];
  for (let i = 0; i < 6000; i++) lines.push(`agent${i} TXT "agent number ${i} with some padding text"`, `agent${i} A 10.${(i >> 8) & 255}.${i & 255}.1`);
  writeFileSync(path.join(dir, 'big.example.zone'), lines.join('\n') + '\n');
  const { host, port } = await startDaemon(t, { zonesDir: dir, listen: [{ host: HOST, port: 0, family: 4 }], transfers: { allow: [ALLOWED] } });
  const r = await transferIn({ address: host, port }, 'big.example.', { localAddress: ALLOWED, timeout: 10_000 });
  if (r.kind !== 'axfr') throw new Error('not an AXFR');
  t.ok(r.messages > 1, `several messages (${r.messages})`);
  t.equal(r.records.length, 12_003, 'every record once (the closing SOA not repeated)');
  const want = zoneToText(loadZoneFile(path.join(dir, 'big.example.zone'), { origin: 'big.example.' }));
  t.equal(zoneToText(new Zone('big.example.', r.records)), want, 'the records are the zone file\'s');
  if (requireTool(t, 'dig', 'bind9-dnsutils')) {
    const d = await run('dig', [`@${host}`, '-p', String(port), '-b', ALLOWED, 'big.example', 'AXFR', '+nocookie']);
    const m = /XFR size: (\d+) records \(messages (\d+)/.exec(d.stdout);
    t.ok(m, 'dig reports the transfer size');
    t.equal(Number(m?.[1]), 12_004, 'dig counts every record and both SOAs');
    t.equal(Number(m?.[2]), r.messages, 'in as many messages as our client saw');
    // Each message as full as 64 KiB allows: ~45 bytes a record compressed, so ~1,400+ per message.
    t.ok(r.messages <= Math.ceil(12_004 * 60 / 65_535), `messages are packed (${r.messages})`);
  }
});

t.test('AXFR after a reload serves the new zone; IXFR without history', async (t) => {
  const dir = zonesCopy(t);
  const { daemon, host, port } = await startDaemon(t, { zonesDir: dir, listen: [{ host: HOST, port: 0, family: 4 }], transfers: { allow: [ALLOWED] } });
  const file = path.join(dir, 'acme.agents.zone');
  const before = daemon.catalog.get('acme.agents.')!.serial;
  writeFileSync(file, readFileSync(file, 'utf8').replace(String(before), String(before + 1)) + 'newagent IN A 127.0.0.9\n');
  daemon.reload();
  const server = { address: host, port };
  const r = await transferIn(server, 'acme.agents.', { localAddress: ALLOWED, timeout: 5000 });
  if (r.kind !== 'axfr') throw new Error('not an AXFR');
  t.equal(r.soa.rdata.readUInt32BE(r.soa.rdata.length - 20), before + 1, 'the new serial');
  t.ok(r.records.some((rr) => rr.name === 'newagent.acme.agents.'), 'the new record');

  const soa = { name: 'acme.agents.', type: RRType.SOA, class: 1, ttl: 3600, rdata: Buffer.from(r.soa.rdata) };
  const current = await transferIn(server, 'acme.agents.', { localAddress: ALLOWED, timeout: 5000, from: soa });
  t.equal(current.kind, 'current', 'IXFR at the current serial: the SOA alone');
  const old = Buffer.from(r.soa.rdata);
  old.writeUInt32BE(before, old.length - 20);
  // The reload's difference is kept (test/xfr/ixfr-from-reload.test.ts); a serial before it has none.
  const fromReload = await transferIn(server, 'acme.agents.', { localAddress: ALLOWED, timeout: 5000, from: { ...soa, rdata: Buffer.from(old) } });
  t.equal(fromReload.kind, 'ixfr', 'IXFR from the serial before the reload: its difference');
  old.writeUInt32BE(before - 1, old.length - 20);
  const behind = await transferIn(server, 'acme.agents.', { localAddress: ALLOWED, timeout: 5000, from: { ...soa, rdata: old } });
  t.equal(behind.kind, 'axfr', 'IXFR from a serial without history: the whole zone, AXFR-style');
  if (requireTool(t, 'dig', 'bind9-dnsutils')) {
    const d = await run('dig', [`@${host}`, '-p', String(port), '-b', ALLOWED, 'acme.agents', `IXFR=${before + 1}`, '+nocookie', '+nocomments', '+nostats', '+noquestion']);
    const recs = d.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
    t.equal(recs.length, 1, 'dig IXFR at the current serial: one record');
    t.match(recs[0], /\sSOA\s/, 'the SOA');
    const u = await run('dig', [`@${host}`, '-p', String(port), '-b', ALLOWED, 'acme.agents', `IXFR=${before}`, '+notcp', '+nocookie', '+nocomments', '+nostats', '+noquestion']);
    const urecs = u.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
    t.equal(urecs.length, 1, 'IXFR over UDP from an old serial: the SOA alone, to send the client to TCP');
  }
});

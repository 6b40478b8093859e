// An UPDATE signed long ago with a huge fudge is refused: the fudge a signer claims is capped
// (--tsig-max-fudge, 300 s by default), and the reply is BADTIME as RFC 8945 5.2.3 says.

import t, { type Test } from 'tap';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../helpers/server.js';
import { parseListen } from '../../src/server/listen.js';
import { exchange } from '../../src/transport/index.js';
import { encodeMessage, newMessage } from '../../src/wire/message.js';
import { rdataFromText } from '../../src/wire/rdata.js';
import { tokenize } from '../../src/wire/token.js';
import { Keyring, TsigErrorCode, findTsig, signMessage, verifyRequest, type TsigKey } from '../../src/wire/tsig.js';
import { Opcode, RRClass, RRType, Rcode } from '../../src/wire/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ZONE = 'acme.agents.';
const admin: TsigKey = { name: 'admin-key', algorithm: 'hmac-sha256.', secret: Buffer.from('YWRtaW4gc2VjcmV0IGZvciB0aGUgYWNtZSB6b25lIQ==', 'base64') };
const TWELVE_HOURS = 12 * 3600;

function addA(name: string, addr: string): Buffer {
  return encodeMessage(newMessage({
    id: 91, opcode: Opcode.UPDATE, questions: [{ name: ZONE, type: RRType.SOA, class: RRClass.IN }],
    authority: [{ name, type: RRType.A, class: RRClass.IN, ttl: 60, rdata: rdataFromText(RRType.A, tokenize(addr), ZONE) }],
  }));
}

async function primary(t: Test, tsigMaxFudge?: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-fudge-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), path.join(dir, 'acme.agents.zone'));
  const { daemon, host, port } = await startDaemon(t, {
    zonesDir: dir, listen: [parseListen('127.0.0.1:0')], keyring: new Keyring([admin]), update: { flushDelayMs: 50 },
    ...(tsigMaxFudge !== undefined ? { tsigMaxFudge } : {}),
  });
  return { daemon, server: { address: host, port } };
}

t.test('verifyRequest checks time against min(fudge, cap)', async (t) => {
  const ring = new Keyring([admin]);
  const now = 1_795_600_000;
  const old = signMessage(addA('x.acme.agents.', '127.0.0.9'), admin, { now: now - TWELVE_HOURS, fudge: 65535 }).message;
  const v = verifyRequest(old, ring, { now });
  t.match(v, { ok: false, error: TsigErrorCode.BADTIME, reason: /capped to 300s/ }, 'fudge 65535 capped to 300 s by default');
  t.ok(verifyRequest(old, ring, { now, maxFudge: 65535 })?.ok, 'a cap as large as the fudge lets it through');
  const recent = signMessage(addA('x.acme.agents.', '127.0.0.9'), admin, { now: now - 299, fudge: 65535 }).message;
  t.ok(verifyRequest(recent, ring, { now })?.ok, 'within the cap: verified');
  const small = signMessage(addA('x.acme.agents.', '127.0.0.9'), admin, { now: now - 100, fudge: 60 }).message;
  t.match(verifyRequest(small, ring, { now }), { ok: false, error: TsigErrorCode.BADTIME }, 'a fudge below the cap is its own window');
});

t.test('an UPDATE signed 12 hours ago with fudge 65535 is BADTIME and changes nothing', async (t) => {
  const { daemon, server } = await primary(t);
  const before = daemon.catalog.get(ZONE)!.serial;
  const now = Math.floor(Date.now() / 1000);
  const req = signMessage(addA('replayed.acme.agents.', '127.0.0.7'), admin, { now: now - TWELVE_HOURS, fudge: 65535 });
  const r = await exchange(server, req.message, { timeout: 10_000 });
  t.equal(r.message.rcode, Rcode.NOTAUTH, 'NOTAUTH');
  const rec = findTsig(r.reply)!.record;
  t.equal(rec.error, TsigErrorCode.BADTIME, 'TSIG error BADTIME');
  t.equal(rec.timeSigned, now - TWELVE_HOURS, 'time signed copied from the request (RFC 8945 5.2.3)');
  t.ok(Math.abs(rec.other.readUIntBE(0, 6) - now) < 60, 'our clock in other data');
  t.ok(rec.mac.length > 0, 'the BADTIME reply is signed');
  t.equal(daemon.catalog.get(ZONE)!.serial, before, 'nothing applied');
  t.notOk(daemon.catalog.get(ZONE)!.rrset('replayed.acme.agents.', RRType.A), 'no record added');

  const fresh = signMessage(addA('fresh.acme.agents.', '127.0.0.8'), admin, { fudge: 65535 });
  t.equal((await exchange(server, fresh.message, { timeout: 10_000 })).message.rcode, Rcode.NOERROR, 'a fresh one with the same fudge is applied');
  t.equal(daemon.catalog.get(ZONE)!.serial, before + 1);
});

t.test('tsigMaxFudge raises the cap', async (t) => {
  const { daemon, server } = await primary(t, 86400);
  const before = daemon.catalog.get(ZONE)!.serial;
  const req = signMessage(addA('late.acme.agents.', '127.0.0.6'), admin, { now: Math.floor(Date.now() / 1000) - TWELVE_HOURS, fudge: 65535 });
  t.equal((await exchange(server, req.message, { timeout: 10_000 })).message.rcode, Rcode.NOERROR);
  t.equal(daemon.catalog.get(ZONE)!.serial, before + 1);
});

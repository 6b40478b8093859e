// A query whose EDNS option overruns its OPT record is FORMERR on both paths: decoded (nothing
// stored yet) and from the stored answers (the same name, type and EDNS size asked well before).
// The fast path checks the options' framing without decoding them. NSD says FORMERR too.

import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { answerKey } from '../../src/server/answer-cache.js';
import { RRType } from '../../src/wire/types.js';
import { startDaemon } from '../helpers/server.js';
import { rawQuery, udpExchange } from '../helpers/udp.js';
import { requireDaemon, scratchDir } from '../helpers/child.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { startNsd } from '../helpers/nsd.js';

const NAME = ['w', 'opt', 'test'];
const ZONE = '$TTL 300\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\nw IN TXT "hello"\n';

/** A TXT query for w.opt.test. with an OPT record (size 1232) whose RDATA is `rdata`. */
function withOpt(id: number, rdata: number[]): Buffer {
  const q = rawQuery(id, NAME, RRType.TXT);
  q.writeUInt16BE(1, 10);
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(41, 1);
  opt.writeUInt16BE(1232, 3);
  opt.writeUInt16BE(rdata.length, 9);
  return Buffer.concat([q, opt, Buffer.from(rdata)]);
}

const GOOD = [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]; // a COOKIE option with its 8-byte client cookie
const BAD: Record<string, number[]> = {
  'an option longer than the OPT RDATA': [0, 10, 0, 8, 1, 2, 3, 4],
  'a cut-off option header': [0, 10, 0],
  'a second option overrunning': [0, 10, 0, 0, 0, 3, 0, 9, 1],
};

const rcode = (b: Buffer | undefined): number | undefined => (b === undefined ? undefined : b[3]! & 0x0f);

t.test('keys', async (t) => {
  t.type(answerKey(withOpt(1, GOOD), 'udp', 1232), 'string', 'well-framed options: a candidate');
  t.type(answerKey(withOpt(1, []), 'udp', 1232), 'string', 'no options: a candidate');
  for (const [what, rdata] of Object.entries(BAD)) t.equal(answerKey(withOpt(1, rdata), 'udp', 1232), undefined, `${what}: not a candidate`);
});

t.test('FORMERR cold and warm', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-optf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'opt.test.zone'), ZONE);
  const { daemon, port } = await startDaemon(t, { zonesDir: dir });
  for (const [what, rdata] of Object.entries(BAD)) t.equal(rcode(await udpExchange(port, withOpt(2, rdata))), 1, `cold, ${what}: FORMERR`);
  t.equal(rcode(await udpExchange(port, withOpt(3, GOOD))), 0, 'a good query: NOERROR');
  t.equal(rcode(await udpExchange(port, withOpt(4, GOOD))), 0, 'asked again: NOERROR');
  t.ok(daemon.stats.answerCacheHits >= 1, 'the name is stored');
  for (const [what, rdata] of Object.entries(BAD)) t.equal(rcode(await udpExchange(port, withOpt(5, rdata))), 1, `warm, ${what}: FORMERR`);
});

t.test('NSD agrees', async (t) => {
  if (!requireDaemon(t, 'nsd', 'nsd')) return;
  const net = await leaseNet(t);
  const host = net.host(2);
  await startNsd(t, { dir: path.join(scratchDir(t), 'nsd'), addresses: [host], zones: [{ origin: 'opt.test', text: ZONE }] });
  t.equal(rcode(await udpExchange(53, withOpt(3, GOOD), 5000, host)), 0, 'a good query: NOERROR');
  for (const [what, rdata] of Object.entries(BAD)) t.equal(rcode(await udpExchange(53, withOpt(5, rdata), 5000, host)), 1, `${what}: FORMERR`);
});

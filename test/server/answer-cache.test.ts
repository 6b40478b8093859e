// The encoded-answer cache: repeated questions are answered from stored bytes with the ID
// and question patched; flags and EDNS size are part of the key, the name's case is not (the
// asker's spelling is copied back in); a reload empties it.

import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { answerKey } from '../../src/server/answer-cache.js';
import { decodeMessage, encodeQuery } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { startDaemon } from '../helpers/server.js';
import { udpExchange } from '../helpers/udp.js';

const zone = (txt: string) => `$TTL 300\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\nw IN TXT "${txt}"\nbig IN TXT "${'x'.repeat(200)}"\nbig IN TXT "${'y'.repeat(200)}"\nbig IN TXT "${'z'.repeat(200)}"\n`;

t.test('keys', async (t) => {
  const q = encodeQuery('w.cache.test.', RRType.TXT, { id: 1 });
  const k = answerKey(q, 'udp', 1232);
  t.type(k, 'string');
  t.equal(answerKey(encodeQuery('w.cache.test.', RRType.TXT, { id: 2 }), 'udp', 1232), k, 'the ID is not part of the key');
  t.equal(answerKey(encodeQuery('W.CACHE.test.', RRType.TXT, { id: 1 }), 'udp', 1232), k, 'ASCII case is not');
  t.not(answerKey(encodeQuery('x.cache.test.', RRType.TXT, { id: 1 }), 'udp', 1232), k, 'the name is');
  t.not(answerKey(encodeQuery('w.cache.test.', RRType.A, { id: 1 }), 'udp', 1232), k, 'the type is');
  const high = Buffer.from(q);
  high[13] = 0xd7; // 'W' | 0x80: only ASCII folds, so bytes above 0x7f are never candidates
  t.equal(answerKey(high, 'udp', 1232), undefined, 'a non-ASCII question is not');
  const v1 = encodeQuery('w.cache.test.', RRType.TXT, { id: 1 });
  v1[v1.length - 5] = 1; // EDNS version 1 gets BADVERS, never stored
  t.equal(answerKey(v1, 'udp', 1232), undefined, 'EDNS version 1 is not');
  t.not(answerKey(q, 'tcp', 1232), k, 'transport is');
  t.not(answerKey(encodeQuery('w.cache.test.', RRType.TXT, { id: 1, rd: false }), 'udp', 1232), k, 'RD is');
  t.not(answerKey(encodeQuery('w.cache.test.', RRType.TXT, { id: 1, edns: { udpSize: 512 } }), 'udp', 1232), k, 'payload size is');
  t.equal(answerKey(encodeQuery('w.cache.test.', RRType.TXT, { id: 1, edns: { udpSize: 4096 } }), 'udp', 1232), k, 'sizes above the cap are the same');
  t.not(answerKey(encodeQuery('w.cache.test.', RRType.TXT, { id: 1, edns: { dnssecOk: true } }), 'udp', 1232), k, 'DO is');
  t.not(answerKey(encodeQuery('w.cache.test.', RRType.TXT, { id: 1, edns: false }), 'udp', 1232), k, 'EDNS presence is');
  const resp = Buffer.from(q);
  resp[2]! |= 0x80;
  t.equal(answerKey(resp, 'udp', 1232), undefined, 'responses are never candidates');
  t.equal(answerKey(Buffer.concat([q, Buffer.from([0])]), 'udp', 1232), undefined, 'trailing bytes are not');
  const ptr = Buffer.from(q);
  ptr[12] = 0xc0;
  t.equal(answerKey(ptr, 'udp', 1232), undefined, 'a compressed question is not');
});

t.test('served from the cache, invalidated by a reload', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-ac-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'cache.test.zone'), zone('one'));
  const { daemon, port } = await startDaemon(t, { zonesDir: dir });
  const ask = async (id: number, name = 'w.cache.test.', size = 1232) => decodeMessage((await udpExchange(port, encodeQuery(name, RRType.TXT, { id, edns: { udpSize: size } })))!);
  const a = await ask(100);
  const b = await ask(200);
  t.equal(b.id, 200, 'ID patched');
  t.same(b.answers, a.answers);
  t.equal(daemon.stats.answerCacheHits, 1);
  const upper = await ask(300, 'W.CACHE.test.');
  t.equal(upper.answers[0]!.name, 'W.CACHE.test.', 'the asker\'s case, not the cached one');
  t.equal(upper.questions[0]!.name, 'W.CACHE.test.', 'the question as asked');
  t.equal(upper.id, 300);
  t.same(upper.answers[0]!.rdata, a.answers[0]!.rdata);
  t.equal(daemon.stats.answerCacheHits, 2, 'served from the entry the lower-case question made');
  const small = await ask(400, 'big.cache.test.', 512);
  const large = await ask(401, 'big.cache.test.', 1232);
  t.ok(small.tc, 'TC at 512');
  t.notOk(large.tc, 'no TC at 1232');
  t.ok((await ask(402, 'big.cache.test.', 512)).tc, 'the cached 512 answer is still truncated');
  writeFileSync(path.join(dir, 'cache.test.zone'), zone('two').replace('h 1 ', 'h 2 '));
  daemon.reload();
  const after = await ask(500);
  t.same(after.answers[0]!.rdata.subarray(1).toString(), 'two', 'new data after reload');
});

t.test('a stored answer owns its bytes: no slice of a shared buffer pool is kept', async (t) => {
  const { AnswerCache } = await import('../../src/server/answer-cache.js');
  const cache = new AnswerCache(10);
  const response = Buffer.from(encodeQuery('writer.acme.agents.', RRType.SVCB, { id: 7 }));
  response[2]! |= 0x80;
  t.ok(response.buffer.byteLength > response.length, 'the input is a slice of a larger buffer');
  cache.store('k', response, 0);
  const stored = cache['get']('k')!;
  t.equal(stored.buf.buffer.byteLength, response.length, 'stored in a block of its own size');
  t.same([...stored.buf], [...response], 'same bytes');
});

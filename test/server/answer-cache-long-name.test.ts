// Names of 253-255 octets in the stored-answer cache: the key keeps the whole name, type and
// class (a key built three bytes short once lost them, and an A question for a 255-octet name
// got the stored TXT reply); a name over 255 octets is never a key, so it gets FORMERR from the
// decoder however often a 255-octet name that shares its first bytes was asked. Real UDP listener,
// and the responder with a resolver (its answers are stored under the same keys).

import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { answerKey } from '../../src/server/answer-cache.js';
import { decodeMessage } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';
import { startDaemon } from '../helpers/server.js';
import { rawQuery, udpExchange } from '../helpers/udp.js';

const ZONE = ['long', 'test'];
/** Labels under long.test. whose name is `octets` long on the wire (11 of them are long.test.). */
function labelsOf(octets: number): string[] {
  const out: string[] = [];
  let left = octets - 11;
  for (let i = 0; left > 0; i++) {
    const len = Math.min(63, left - 1);
    out.push(String.fromCharCode(97 + i).repeat(len));
    left -= len + 1;
  }
  return [...out, ...ZONE];
}

t.test('keys of the longest names keep type and class', async (t) => {
  for (const octets of [253, 254, 255]) {
    const labels = labelsOf(octets);
    t.equal(labels.reduce((n, l) => n + 1 + l.length, 1), octets, `${octets}-octet name built`);
    const txt = answerKey(rawQuery(1, labels, RRType.TXT), 'udp', 1232);
    const a = answerKey(rawQuery(1, labels, RRType.A), 'udp', 1232);
    t.type(txt, 'string', `${octets} octets: a candidate`);
    t.not(txt, a, `${octets} octets: TXT and A have different keys`);
    const chaos = rawQuery(1, labels, RRType.A);
    chaos.writeUInt16BE(3, chaos.length - 2);
    t.not(answerKey(chaos, 'udp', 1232), a, `${octets} octets: the class is in the key`);
  }
  const over = [...labelsOf(255).slice(0, -2), 'x', ...ZONE];
  t.equal(answerKey(rawQuery(1, over, RRType.A), 'udp', 1232), undefined, 'a 257-octet name is not a candidate');
});

t.test('through a listener: each type gets its own answer, an overlong name FORMERR', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-long-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'long.test.zone'), '$TTL 300\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n*.long.test. IN TXT "wild"\n*.long.test. IN A 192.0.2.7\n');
  const { port } = await startDaemon(t, { zonesDir: dir });
  for (const octets of [253, 254, 255]) {
    const labels = labelsOf(octets);
    for (let round = 0; round < 2; round++) {
      const txt = decodeMessage((await udpExchange(port, rawQuery(10 + round, labels, RRType.TXT)))!);
      t.equal(txt.questions[0]!.type, RRType.TXT, `${octets} octets, round ${round}: TXT question echoed`);
      t.same(txt.answers.map((r) => r.type), [RRType.TXT], `${octets} octets, round ${round}: TXT answer`);
      const a = decodeMessage((await udpExchange(port, rawQuery(20 + round, labels, RRType.A)))!);
      t.equal(a.questions[0]!.type, RRType.A, `${octets} octets, round ${round}: A question echoed, not the stored TXT reply`);
      t.same(a.answers.map((r) => [r.type, [...r.rdata]]), [[RRType.A, [192, 0, 2, 7]]], `${octets} octets, round ${round}: A answer`);
    }
  }
  // Asked after the 255-octet name was stored: the same first 255 bytes, then one more label.
  const over = [...labelsOf(255).slice(0, -2), 'x', ...ZONE];
  const reply = (await udpExchange(port, rawQuery(30, over, RRType.A)))!;
  t.equal(reply[3]! & 0x0f, 1, 'a 257-octet name: FORMERR');
});

t.test('resolver answers: the same keys, so A after TXT for a 255-octet name is the A', async (t) => {
  const { DnsCache } = await import('../../src/cache/index.js');
  const { Acl } = await import('../../src/resolver/acl.js');
  const { Resolver } = await import('../../src/resolver/resolver.js');
  const { Catalog } = await import('../../src/authority/catalog.js');
  const { ResolverHandler } = await import('../../src/server/resolver-handler.js');
  const { AuthorityHandler } = await import('../../src/server/authority-handler.js');
  const { Responder } = await import('../../src/server/respond.js');
  const { Stats } = await import('../../src/server/stats.js');
  const { silentLogger } = await import('../../src/base/log.js');
  const { encodeMessage } = await import('../../src/wire/message.js');
  type Query = ConstructorParameters<typeof Resolver>[0]['query'];
  // One server authoritative for agents.: a TXT and an A record at every name asked.
  const query: Query = async (server, q) => {
    const rdata = q.type === RRType.TXT ? Buffer.from('\x04wild', 'latin1') : Buffer.from([192, 0, 2, 7]);
    const reply = encodeMessage({
      id: 1, qr: true, opcode: 0, aa: true, tc: false, rd: false, ra: false, ad: false, cd: false, rcode: 0,
      questions: [q], answers: q.type === RRType.TXT || q.type === RRType.A ? [{ name: q.name, type: q.type, class: 1, ttl: 300, rdata }] : [], authority: [], additional: [],
    });
    return { message: decodeMessage(reply), reply, transport: 'udp', rtt: 1, server: { address: server.address, port: server.port ?? 53 }, bytes: reply.length };
  };
  const resolver = new Resolver({ hints: { zone: 'agents.', servers: [{ name: 'a.root.agents.', addresses: ['127.0.0.2'] }], ttl: 3600 }, cache: new DnsCache(), query, timeout: 100 });
  const catalog = new Catalog();
  const responder = new Responder([new ResolverHandler(resolver, new Acl(['127.0.0.0/8']), catalog, silentLogger), new AuthorityHandler(catalog)], new Stats());
  const labels = [...labelsOf(255 - 8 + 11).slice(0, -2), 'agents']; // 255 octets under agents.
  t.equal(labels.reduce((n, l) => n + 1 + l.length, 1), 255, '255-octet name under agents.');
  const ask = async (type: number, id: number) => {
    const buf = rawQuery(id, labels, type, { flags: 0x0100 });
    return decodeMessage((responder.cached(buf, 'udp', '127.0.0.1') ?? await responder.respond(buf, 'udp', '127.0.0.1', 5353)) as Buffer);
  };
  for (let round = 0; round < 3; round++) {
    const txt = await ask(RRType.TXT, 10 + round);
    t.same([txt.questions[0]!.type, txt.answers.map((r) => r.type)], [RRType.TXT, [RRType.TXT]], `round ${round}: TXT`);
    const a = await ask(RRType.A, 20 + round);
    t.same([a.questions[0]!.type, a.answers.map((r) => r.type)], [RRType.A, [RRType.A]], `round ${round}: A, not the stored TXT reply`);
  }
});

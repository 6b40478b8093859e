// Names: parsing, escapes, limits, case-insensitive matching and loop-safe decompression.

import t from 'tap';
import { isInDomain, labelCount, nameKey, nameToWire, parentName, parseName, readName } from '../../src/wire/name.js';
import { DecodeError, NameError } from '../../src/wire/errors.js';

t.test('parseName', async (t) => {
  t.equal(parseName('writer', 'acme.agents.'), 'writer.acme.agents.');
  t.equal(parseName('@', 'acme.agents.'), 'acme.agents.');
  t.equal(parseName('Writer.ACME.agents.'), 'Writer.ACME.agents.', 'case kept');
  t.equal(parseName('.'), '.');
  t.equal(parseName('a\\.b.agents.'), 'a\\.b.agents.', 'escaped dot stays inside the label');
  t.equal(parseName('\\065b.agents.'), 'Ab.agents.', '\\DDD of a printable octet is normalised');
  t.equal(parseName('a\\032b.agents.'), 'a\\032b.agents.', 'space stays escaped');
  t.throws(() => parseName('writer'), { code: 'ERR_NAME_RELATIVE' });
  t.throws(() => parseName('a..b.'), { code: 'ERR_NAME_EMPTY_LABEL' });
  t.throws(() => parseName('x'.repeat(64) + '.'), { code: 'ERR_NAME_LABEL_TOO_LONG' });
  t.throws(() => parseName(Array.from({ length: 60 }, () => 'abcd').join('.') + '.'), { code: 'ERR_NAME_TOO_LONG' });
  t.throws(() => parseName('a\\256.'), { code: 'ERR_NAME_BAD_ESCAPE' });
  t.throws(() => parseName('a\\1.'), NameError);
});

t.test('wire form and structure', async (t) => {
  t.same([...nameToWire('Ab.c.')], [2, 65, 98, 1, 99, 0]);
  t.same([...nameToWire('.')], [0]);
  t.same([...nameToWire('a\\.b.c.')], [3, 97, 46, 98, 1, 99, 0]);
  t.equal(labelCount('a\\.b.c.'), 2);
  t.equal(labelCount('.'), 0);
  t.equal(parentName('a\\.b.c.'), 'c.');
  t.equal(parentName('c.'), '.');
  t.equal(parentName('.'), undefined);
});

t.test('matching ignores case, respects label boundaries', async (t) => {
  t.equal(nameKey('WrItEr.Acme.Agents.'), 'writer.acme.agents.');
  t.ok(isInDomain('writer.ACME.agents.', 'acme.AGENTS.'));
  t.ok(isInDomain('acme.agents.', 'acme.agents.'));
  t.notOk(isInDomain('xacme.agents.', 'acme.agents.'));
  t.notOk(isInDomain('x\\.acme.agents.', 'acme.agents.'));
  t.ok(isInDomain('anything.', '.'));
});

t.test('readName decompresses and refuses loops', async (t) => {
  // "agents" at 0, "acme" + pointer to 0 at 8
  const buf = Buffer.from([6, 97, 103, 101, 110, 116, 115, 0, 4, 97, 99, 109, 101, 0xc0, 0]);
  t.same(readName(buf, 8), { name: 'acme.agents.', end: 15 });
  t.throws(() => readName(Buffer.from([0xc0, 0]), 0), DecodeError, 'self pointer');
  t.throws(() => readName(Buffer.from([1, 97, 0xc0, 0]), 0), { code: 'ERR_DECODE_NAME_POINTER' }, 'pointer back to the start of the same name');
  t.throws(() => readName(Buffer.from([0, 0xc0, 3, 0xc0, 1]), 3), { code: 'ERR_DECODE_NAME_POINTER' }, 'forward pointer');
  t.throws(() => readName(Buffer.from([5, 97]), 0), { code: 'ERR_DECODE_NAME_BOUNDS' });
  t.throws(() => readName(Buffer.from([0x40, 97]), 0), { code: 'ERR_DECODE_NAME_LABEL_TYPE' });
  const long = Buffer.concat([...Array.from({ length: 128 }, () => Buffer.from([1, 97])), Buffer.from([0])]);
  t.throws(() => readName(long, 0), { code: 'ERR_DECODE_NAME_TOO_LONG' });
});

// Two zone-file inputs BIND refuses, held to named-checkzone: a raw NUL byte outside quotes and
// comments (ERR_ZONE_NUL; inside a quoted string or a comment BIND keeps or ignores it, and so do
// we), and a TTL of -1, which BIND calls an unknown RR type and we call a bad TTL.

import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadZoneText } from '../../src/zone/load.js';
import { ZoneLoadError } from '../../src/zone/errors.js';
import { rdataToText } from '../../src/wire/rdata.js';
import { RRType } from '../../src/wire/types.js';
import { requireTool, run } from '../helpers/peers.js';
import { scratchDir } from '../helpers/child.js';

const HEAD = '$TTL 300\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n';

/** The fault codes and messages of loading `text` as ex., or [] when it loads. */
function faults(text: string): Array<{ code: string; message: string; line: number; col: number }> {
  try {
    loadZoneText(text, { origin: 'ex.' });
    return [];
  } catch (e) {
    if (!(e instanceof ZoneLoadError)) throw e;
    return e.faults.map((f) => ({ code: f.code, message: f.message, line: f.line, col: f.col }));
  }
}

const REFUSED: Array<[string, string, string]> = [
  ['a NUL in an owner name', 'w\0x IN A 192.0.2.1\n', 'ERR_ZONE_NUL'],
  ['a NUL in unquoted RDATA', 'w IN TXT a\0b\n', 'ERR_ZONE_NUL'],
  ['a NUL alone between tokens', 'w IN \0 A 192.0.2.1\n', 'ERR_ZONE_NUL'],
  ['a TTL of -1', 'w -1 IN A 192.0.2.1\n', 'ERR_ZONE_BAD_TTL'],
  ['a TTL of -1 without class', 'w -1 A 192.0.2.1\n', 'ERR_ZONE_BAD_TTL'],
];
const ACCEPTED: Array<[string, string]> = [
  ['a NUL in a quoted string', 'w IN TXT "a\0b"\n'],
  ['a NUL in a comment', '; a comment \0 here\nw IN A 192.0.2.1\n'],
];

t.test('aop', async (t) => {
  for (const [what, body, code] of REFUSED) {
    const got = faults(HEAD + body);
    t.same(got.map((f) => f.code), [code], `${what}: ${code}`);
  }
  const nul = faults(HEAD + 'w\0x IN TXT a\0b\0\0\n')[0]!;
  t.match(nul, { line: 5, col: 2, message: /raw NUL byte \(0x00\) outside a quoted string: write it as \\000/ }, 'points at the first NUL, says how to write it');
  t.equal(faults(HEAD + 'w\0x IN TXT a\0b\0\0\n').length, 1, 'one fault per record, however many NULs');
  const ttl = faults(HEAD + 'w -1 IN A 192.0.2.1\n')[0]!;
  t.match(ttl.message, /^bad TTL: "-1" has a sign/, 'a bad TTL, not an unknown type');
  t.notMatch(ttl.message, /unknown RR type/);
  t.same(faults(HEAD + '$TTL -1\n').map((f) => f.code), ['ERR_ZONE_BAD_TTL'], '$TTL -1 too');
  for (const [what, body] of ACCEPTED) t.same(faults(HEAD + body), [], `${what}: loads`);
  const z = loadZoneText(HEAD + 'w IN TXT "a\0b"\n', { origin: 'ex.' });
  t.equal(rdataToText(RRType.TXT, z.node('w.ex.')!.rrsets.get(RRType.TXT)!.rdata[0]!), '"a\\000b"', 'the quoted NUL kept, as named-compilezone prints it');
});

t.test('named-checkzone agrees', async (t) => {
  if (!requireTool(t, 'named-checkzone', 'bind9-utils')) return;
  const dir = scratchDir(t, 'aop-nul-');
  const bind = async (body: string): Promise<{ code: number; said: string }> => {
    const file = path.join(dir, 'ex.zone');
    writeFileSync(file, HEAD + body, 'latin1');
    const r = await run('named-checkzone', ['-w', dir, 'ex.', file]);
    return { code: r.code, said: r.stdout + r.stderr };
  };
  for (const [what, body] of REFUSED) {
    const r = await bind(body);
    t.not(r.code, 0, `${what}: BIND refuses it too`);
    if (what.startsWith('a TTL')) t.match(r.said, /unknown RR type '-1'/, `${what}: BIND's words, which ours improve on`);
  }
  for (const [what, body] of ACCEPTED) t.equal((await bind(body)).code, 0, `${what}: BIND loads it too`);
});

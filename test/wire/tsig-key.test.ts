// Key-file faults name their file and line: a key defined twice (in one file, or across the
// --tsig-key files and --tsig-secret specs) is refused with both places, as BIND's
// named-checkconf does (`k.conf:5: key 'A.': already exists previous definition: k.conf:1`),
// and a key name that cannot be a DNS name says where it is.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Keyring } from '../../src/wire/tsig.js';
import { loadKeyFile, loadKeys, parseKeyFile, parseKeySpec } from '../../src/wire/tsig-key.js';

const key = (name: string, secret = 'c2VjcmV0') => `key "${name}" {\n\talgorithm hmac-sha256;\n\tsecret "${secret}";\n};\n`;

t.test('two keys of one name in a file: refused with both lines', async (t) => {
  const text = key('writer-key') + key('Writer-Key.', 'b3RoZXI=');
  t.throws(() => parseKeyFile(text, 'k.conf'), {
    code: 'ERR_TSIG_KEY_DUPLICATE',
    message: "k.conf:5: key 'Writer-Key.': already exists, previous definition: k.conf:1",
  });
  t.equal(parseKeyFile(key('a') + key('b'), 'k.conf').length, 2, 'two names: both kept');
});

t.test('across several key files and specs: refused with both places', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-tsig-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = path.join(dir, 'a.key');
  const b = path.join(dir, 'b.key');
  writeFileSync(a, key('admin') + key('writer-key'));
  writeFileSync(b, `# another\n${key('writer-key', 'b3RoZXI=')}`);
  t.throws(() => loadKeys([a, b]), { code: 'ERR_TSIG_KEY_DUPLICATE', message: `${b}:2: key 'writer-key': already exists, previous definition: ${a}:5` });
  t.throws(() => loadKeys([a], ['hmac-sha256:admin.:c2VjcmV0']), { code: 'ERR_TSIG_KEY_DUPLICATE', message: `--tsig-secret admin.: key 'admin.': already exists, previous definition: ${a}:1` });
  t.throws(() => loadKeys([a, a]), { code: 'ERR_TSIG_KEY_DUPLICATE' }, 'the same file twice');
  t.same(loadKeys([a], ['other:c2VjcmV0']).map((k) => k.name), ['admin', 'writer-key', 'other']);
  t.throws(() => new Keyring([parseKeySpec('x:c2VjcmV0'), parseKeySpec('X.:b3RoZXI=')]), { code: 'ERR_TSIG_KEY_DUPLICATE' }, 'a keyring never drops a key silently');
});

t.test('every key-file fault names file:line', async (t) => {
  t.throws(() => parseKeyFile(`# one\n${key('bad..name')}`, 'k.conf'), { code: 'ERR_TSIG_KEY', message: /^k\.conf:2: key 'bad\.\.name': bad key name/ });
  t.throws(() => parseKeyFile(key('a'.repeat(64)), 'k.conf'), { code: 'ERR_TSIG_KEY', message: /^k\.conf:1: key 'a+': bad key name/ });
  t.throws(() => parseKeyFile('key "x" {\n algorithm hmac-sha256;\n', 'k.conf'), { code: 'ERR_TSIG_KEY', message: /^k\.conf:2: ends early/ });
  t.throws(() => parseKeyFile('# nothing\n\n', 'k.conf'), { code: 'ERR_TSIG_KEY', message: /^k\.conf:3: no key in it/ });
  t.throws(() => parseKeyFile('key "x" {\n algorithm hmac-sha256;\n secret "";\n};\n', 'k.conf'), { code: 'ERR_TSIG_KEY', message: /^k\.conf:3: the secret is not base64/ });
  t.throws(() => parseKeySpec('hmac-sha256:bad..name:c2VjcmV0'), { code: 'ERR_TSIG_KEY', message: /key 'bad\.\.name': bad key name/ });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-tsig-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'w.key'), key('writer-key') + key('writer-key'));
  t.throws(() => loadKeyFile(path.join(dir, 'w.key')), { code: 'ERR_TSIG_KEY_DUPLICATE', message: /w\.key:5: .*w\.key:1$/ });
});

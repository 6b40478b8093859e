// Trust anchor files (--trust-anchor): DS and DNSKEY records in zone-file syntax, several zones,
// TTL optional; every bad file a clear ERR_TRUST_ANCHOR_INVALID naming the line, and `aop serve`
// stops at start-up with it (exit 1, one line).

import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTrustAnchors, readTrustAnchorFiles, readTrustAnchors, TrustAnchorError } from '../../src/resolver/validate/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DS_ROOT = '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D';
const KEY_ORG = 'org. 3600 IN DNSKEY 257 3 13 Df5BuYdI1FOTQZLaHHZOKQ49/q0lzeHB5M6CCVgLECiVVYow1jIdLbzr vJtbxu9oWptJpVBYARXK4jjoPLELnA==';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof TrustAnchorError ? `${err.code}: ${err.message}` : `not a TrustAnchorError: ${String(err)}`;
  }
};

t.test('DS and DNSKEY anchors for several zones, TTL optional', async (t) => {
  const a = parseTrustAnchors(`${DS_ROOT}\n${KEY_ORG}\n`, 'anchors');
  t.same(a.zones().sort(), ['.', 'org.'], 'two zones');
  t.equal(a.at('.')!.ds.length, 1, 'the root: one DS');
  t.equal(a.at('org.')!.dnskey.length, 1, 'org: one DNSKEY');
  t.equal(a.closest('www.example.org.')!.zone, 'org.', 'the deepest anchor above a name');
  t.equal(a.closest('agents.')!.zone, '.', 'else the root');
  t.equal(parseTrustAnchors('agents. IN DS 1 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF').closest('example.'), undefined, 'no anchor above a name outside it');
});

t.test('bad anchors: a clear error naming the line', async (t) => {
  t.match(code(() => parseTrustAnchors('www.example. IN A 192.0.2.1\n', 'x.anchor')), /^ERR_TRUST_ANCHOR_INVALID: x\.anchor:1:1: a trust anchor is a DS or DNSKEY record, not type 1 at www\.example\./, 'another type');
  t.match(code(() => parseTrustAnchors('org. IN DNSKEY 0 3 13 Df5BuYdI1FOTQZLaHHZOKQ49/q0lzeHB5M6CCVgLECiVVYow1jIdLbzrvJtbxu9oWptJpVBYARXK4jjoPLELnA==\n', 'x.anchor')), /no Zone Key flag/, 'a DNSKEY without the Zone Key flag');
  t.match(code(() => parseTrustAnchors('. IN DS 20326 8 2 E06D\n', 'x.anchor')), /^ERR_TRUST_ANCHOR_INVALID: x\.anchor:1:\d+: .*digest/i, 'a DS digest of the wrong length');
  t.match(code(() => parseTrustAnchors('. IN DZ 1 2 3\n', 'x.anchor')), /^ERR_TRUST_ANCHOR_INVALID: x\.anchor:1:\d+: /, 'an unknown type');
  t.match(code(() => parseTrustAnchors('; nothing\n', 'x.anchor')), /no DS or DNSKEY records/, 'an empty file');
  t.match(code(() => readTrustAnchors('/nonexistent/root.anchor')), /^ERR_TRUST_ANCHOR_INVALID: cannot read trust anchors \/nonexistent\/root\.anchor: ENOENT/, 'a file that is not there');
});

t.test('several files: their anchors together', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-anchor-'));
  writeFileSync(path.join(dir, 'a'), `${DS_ROOT}\n`);
  writeFileSync(path.join(dir, 'b'), `${KEY_ORG}\n${DS_ROOT.replace('20326', '20327')}\n`);
  const a = readTrustAnchorFiles([path.join(dir, 'a'), path.join(dir, 'b')]);
  t.same(a.zones().sort(), ['.', 'org.']);
  t.equal(a.at('.')!.ds.length, 2, 'the root\'s DS from both files');
});

t.test('aop serve stops at start-up on a bad anchor file', { skip: existsSync(path.join(root, 'dist', 'cli', 'main.js')) ? false : 'dist/ is not built: run npm run build' }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-anchor-'));
  const file = path.join(dir, 'bad.anchor');
  writeFileSync(file, 'www.example. IN A 192.0.2.1\n');
  const run = (args: string[]) => new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [path.join(root, 'bin', 'aop.js'), ...args], { cwd: root, timeout: 30_000, env: { ...process.env, AOP_STATE_FILE: path.join(dir, 'state.json') } }, (err, _out, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr: String(stderr) });
    });
  });
  const r = await run(['serve', '--resolver', '--trust-anchor', file, '--listen', '127.0.0.1:0', '--no-control', '--warm-up', '0']);
  t.equal(r.code, 1, 'exit 1');
  t.match(r.stderr, /bad\.anchor:1:1: a trust anchor is a DS or DNSKEY record, not type 1 at www\.example\./, 'the fault, with its line');
  const without = await run(['serve', '--zones', path.join(root, 'zones'), '--trust-anchor', file, '--listen', '127.0.0.1:0', '--no-control']);
  t.equal(without.code, 1, 'without --resolver: exit 1');
  t.match(without.stderr, /--trust-anchor needs --resolver/, 'says why');
});

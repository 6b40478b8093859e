// The built CLI: `aop serve --dnssec` refuses bad signing options with exit status 1, and
// `aop zone ds` prints the DS lines dnssec-dsfromkey prints for the same key-signing keys.

import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTool, run } from '../helpers/peers.js';
import { scratchDir } from '../helpers/child.js';
import { generateKey, KSK_FLAGS, writeKeyFiles, ZSK_FLAGS } from '../../src/dnssec/keys.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const aop = (...args: string[]) => run(process.execPath, [path.join(root, 'bin', 'aop.js'), ...args]);

t.test('aop serve --dnssec says what is wrong', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--dnssec'], /--dnssec needs --key-dir DIR/],
    [['--dnssec', '--key-dir', '/tmp/k', '--dnssec-algorithm', 'rsasha1'], /--dnssec-algorithm 'rsasha1': use ecdsap256sha256 \(13\) or ed25519 \(15\)/],
    [['--dnssec', '--key-dir', '/tmp/k', '--dnssec-validity', '1d', '--dnssec-refresh', '2d'], /--dnssec-refresh must be more than 0 and less than --dnssec-validity/],
    [['--dnssec', '--key-dir', '/tmp/k', '--dnssec-validity', 'soon'], /--dnssec-validity 'soon'/],
    [['--dnssec', '--key-dir', '/tmp/k', '--dnssec-keys', 'three'], /dnssec-keys/],
    [['--dnssec', '--key-dir', '/tmp/k', '--dnssec-zsk-lifetime', '1h'], /--dnssec-zsk-lifetime must be at least 1d/],
    [['--dnssec', '--key-dir', '/tmp/k', '--dnssec-keys', 'split', '--dnssec-ksk-lifetime', '2h'], /--dnssec-ksk-lifetime must be at least 1d/],
    [['--dnssec', '--key-dir', '/tmp/k', '--dnssec-ksk-lifetime', '12h'], /--dnssec-ksk-lifetime must be at least 1d/],
    [['--dnssec', '--key-dir', '/tmp/k', '--dnssec-parental-agent', 'parent.example'], /--dnssec-parental-agent 'parent.example': an IPv4 or IPv6 address/],
    [['--dnssec', '--key-dir', '/tmp/k', '--dnssec-cds-port', '0'], /--dnssec-cds-port 0/],
    [['--dnssec', '--key-dir', '/tmp/k', '--dnssec-cds-bootstrap'], /--dnssec-cds-bootstrap needs --dnssec-cds-scan/],
    [['--dnssec', '--key-dir', '/tmp/k', '--dnssec-cds-scan', '--dnssec-cds-bootstrap', '--dnssec-cds-bootstrap-hold', 'a while'], /--dnssec-cds-bootstrap-hold 'a while'/],
    [['--resolver', '--trust-anchor-managed', '/nonexistent/anchor'], /cannot read trust anchors \/nonexistent\/anchor/],
    [['--resolver', '--trust-anchor-managed', '/nonexistent/anchor', '--trust-anchor-hold-down', 'later'], /--trust-anchor-hold-down 'later'|cannot read trust anchors/],
  ];
  for (const [args, re] of cases) {
    const r = await aop('serve', '--listen', '127.0.0.1:0', ...args);
    t.equal(r.code, 1, args.join(' '));
    t.match(r.stderr, re, args.join(' '));
  }
});

t.test('aop zone ds', async (t) => {
  const dir = scratchDir(t, 'aop-zone-ds-');
  const ksk = generateKey('example.com.', 13, KSK_FLAGS);
  const base = writeKeyFiles(dir, ksk);
  writeKeyFiles(dir, generateKey('example.com.', 13, ZSK_FLAGS));
  const r = await aop('zone', 'ds', 'Example.COM', '--key-dir', dir, '--digest', '2', '--digest', '4');
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, 2, 'the KSK only, one line per digest type');
  t.match(lines[0], new RegExp(`^example\\.com\\. IN DS ${ksk.tag} 13 2 [0-9A-F ]+$`));
  t.match(lines[1], new RegExp(`^example\\.com\\. IN DS ${ksk.tag} 13 4 `));
  if (requireTool(t, 'dnssec-dsfromkey', 'bind9-utils')) {
    const b = await run('dnssec-dsfromkey', ['-2', `${base}.key`]);
    t.equal(lines[0]!.replace(/ /g, ''), b.stdout.trim().replace(/ /g, ''), 'as dnssec-dsfromkey prints it (spaces aside)');
  }
  const none = await aop('zone', 'ds', 'other.example', '--key-dir', dir);
  t.equal(none.code, 1);
  t.match(none.stderr, /no keys for other\.example\./);
  const bad = await aop('zone', 'ds', 'example.com', '--key-dir', dir, '--digest', '1');
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--digest 1: use 2/);
});

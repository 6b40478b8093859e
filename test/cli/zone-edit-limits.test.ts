// `aop zone add-agent` / `remove-agent` read the zone under the same limits as `aop serve` and
// `aop zone check`: --include-dir lets a $INCLUDE outside the zone's folder in, and
// --max-zone-bytes caps what is read. Before, the editors took the defaults whatever was given.

import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAop, type AopRun } from '../helpers/aop-cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const aop = (args: string[]): Promise<AopRun> => runAop(args);

t.test('the zone editors honour --include-dir and --max-zone-bytes', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-edit-limits-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const zones = path.join(dir, 'zones');
  const shared = path.join(dir, 'shared');
  mkdirSync(zones);
  mkdirSync(shared);
  const zone = path.join(zones, 'acme.agents.zone');
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), zone);
  writeFileSync(path.join(shared, 'extra.inc'), 'extra-host 300 IN A 192.0.2.77\n');
  appendFileSync(zone, `$INCLUDE ${path.join(shared, 'extra.inc')}\n`);
  const before = readFileSync(zone, 'utf8');
  const add = ['zone', 'add-agent', zone, 'poet', '--endpoint', 'http://127.0.0.1:18199/mcp', '--tool', 'write_poem'];

  const refused = await aop(add);
  t.equal(refused.code, 1, 'without --include-dir the $INCLUDE is refused');
  t.match(refused.stderr, /outside the zone's folder.*--include-dir/);
  t.equal(readFileSync(zone, 'utf8'), before, 'and the file is untouched');

  const small = await aop([...add, '--include-dir', shared, '--max-zone-bytes', '100']);
  t.equal(small.code, 1, 'a zone over --max-zone-bytes is refused');
  t.match(small.stderr, /larger than the limit of 100 octets/);
  t.equal(readFileSync(zone, 'utf8'), before, 'and the file is untouched');

  const ok = await aop([...add, '--include-dir', shared, '--max-zone-bytes', String(statSync(zone).size + 4096)]);
  t.equal(ok.code, 0, `add-agent with the folder allowed: ${ok.stderr}`);
  t.match(readFileSync(zone, 'utf8'), /^poet\b/m, 'the agent is in the file');

  const removed = await aop(['zone', 'remove-agent', zone, 'poet']);
  t.equal(removed.code, 1, 'remove-agent refuses the $INCLUDE without --include-dir too');
  const removedOk = await aop(['zone', 'remove-agent', zone, 'poet', '--include-dir', shared]);
  t.equal(removedOk.code, 0, `remove-agent with --include-dir: ${removedOk.stderr}`);
  t.notMatch(readFileSync(zone, 'utf8'), /^poet\b/m, 'the agent is gone');
});

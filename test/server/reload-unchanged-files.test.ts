// A reload reads again only the zone files that changed since they were read (their size, times or
// inode moved, or an $INCLUDEd file's did): the others stay in service as they are, so a thousand
// unchanged zones do not hold up the one that changed. A file changed in the same moment it was
// read (within the file system's clock tick) is not trusted as unchanged: it is read again, after
// the files that did change are served.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from '../helpers/server.js';
import type { Logger } from '../../src/base/log.js';

const zone = (origin: string, serial: number, extra = ''): string =>
  `$ORIGIN ${origin}.\n$TTL 300\n@ SOA ns1 hostmaster ${serial} 3600 600 604800 120\n@ NS ns1\nns1 A 192.0.2.1\n${extra}`;
// Past the window in which a stamp is not trusted (a change within 2 s of the read).
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 2100));

t.test('unchanged zone files are not read again on reload', { timeout: 60000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-reload-unchanged-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'a.agents.zone'), zone('a.agents', 1));
  writeFileSync(path.join(dir, 'b.agents.zone'), zone('b.agents', 1));
  writeFileSync(path.join(dir, 'c.inc'), 'x A 192.0.2.7\n');
  writeFileSync(path.join(dir, 'c.agents.zone'), zone('c.agents', 1, '$INCLUDE c.inc\n'));
  await settle();
  const lines: string[] = [];
  const log: Logger = { debug() {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  const { daemon } = await startDaemon(t, { zonesDir: dir, logger: log });
  const serial = (o: string): number | undefined => daemon.catalog.get(`${o}.`)?.serial;
  const loadedLines = (): string[] => lines.filter((l) => /: loaded serial/.test(l)).map((l) => /zone (\S+):/.exec(l)![1]!);
  t.same([serial('a.agents'), serial('b.agents'), serial('c.agents')], [1, 1, 1]);
  await settle();

  lines.length = 0;
  t.same(await daemon.reloadAsync(), { loaded: 3, failed: 0 }, 'every zone in service after a reload of no change');
  t.same(loadedLines(), [], 'no file read again');
  t.match(lines.join('\n'), /0 zone file\(s\) read, 3 unchanged/);

  lines.length = 0;
  writeFileSync(path.join(dir, 'b.agents.zone'), zone('b.agents', 2, 'fresh A 192.0.2.9\n'));
  t.same(await daemon.reloadAsync(), { loaded: 3, failed: 0 });
  t.same(loadedLines(), ['b.agents.'], 'the changed file alone is read');
  t.equal(serial('b.agents'), 2, 'and served at its new serial');
  t.equal(daemon.catalog.get('b.agents.')?.size, 4, 'with its new record');

  // Read within a moment of its change: not trusted, read once more.
  await settle();
  lines.length = 0;
  await daemon.reloadAsync();
  t.same(loadedLines(), ['b.agents.'], 'a file read just after it changed is read again at the next reload');
  lines.length = 0;
  await daemon.reloadAsync();
  t.same(loadedLines(), [], 'then trusted');

  // An $INCLUDEd file that changed makes its zone read again, its own file untouched.
  lines.length = 0;
  writeFileSync(path.join(dir, 'c.inc'), 'x A 192.0.2.8\ny A 192.0.2.9\n');
  await daemon.reloadAsync();
  t.same(loadedLines(), ['c.agents.'], 'the zone of a changed $INCLUDE is read again');
  t.equal(daemon.catalog.get('c.agents.')?.size, 5, 'with the included file as it is now');

  // A changed file is read and served first; the files whose stamps were racy after it.
  writeFileSync(path.join(dir, 'a.agents.zone'), zone('a.agents', 2));
  await daemon.reloadAsync();
  lines.length = 0;
  writeFileSync(path.join(dir, 'b.agents.zone'), zone('b.agents', 3));
  t.same(await daemon.reloadAsync(), { loaded: 3, failed: 0 });
  t.same(loadedLines(), ['b.agents.', 'a.agents.', 'c.agents.'], 'the changed file first (not in name order), then those read just after a change');
  t.same([serial('a.agents'), serial('b.agents')], [2, 3]);

  // A file removed stops being served; a file added is read.
  lines.length = 0;
  rmSync(path.join(dir, 'a.agents.zone'));
  writeFileSync(path.join(dir, 'd.agents.zone'), zone('d.agents', 1));
  t.same(await daemon.reloadAsync(), { loaded: 3, failed: 0 });
  t.equal(daemon.catalog.get('a.agents.'), undefined, 'a removed file is no longer served');
  t.equal(serial('d.agents'), 1, 'a new file is read');
});

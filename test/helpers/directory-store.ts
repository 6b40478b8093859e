// A directory store on disk in a scratch folder, closed and removed at teardown: the start of the
// tests that read it through reader threads (which need a file, not memory).

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryStore } from '../../src/directory/index.js';
import type { Teardownable } from './child.js';

export function scratchStore(t: Teardownable, prefix: string): { dir: string; file: string; store: DirectoryStore } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'dir.db');
  const store = DirectoryStore.open(file);
  t.teardown(() => store.close());
  return { dir, file, store };
}

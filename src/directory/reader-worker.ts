// One directory reader thread (reader-pool.ts): its own read-only connection to the WAL database,
// the same queries as the writer's (store-reader.ts), one request at a time. A request's fault is
// its answer (`err`); only a fault in opening the file ends the thread (thrown: the pool's 'error').

import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { StoreReader } from './store-reader.js';
import type { ReadRequest } from './reader-pool.js';

/** Open the file and answer the pool's requests on `port`. Throws when the file cannot be read. */
export function serveReads(port: MessagePort, file: string, candidateCap: number): void {
  const db = new DatabaseSync(file, { readOnly: true });
  // A reader waits only while the writer checkpoints or recovers the WAL.
  db.exec('PRAGMA busy_timeout = 5000');
  // The postings' and agents' upper B-tree levels stay in memory (the default 2 MB cache does not hold them at a million agents).
  db.exec('PRAGMA cache_size = -65536');
  const reader = new StoreReader(db, candidateCap);
  // A file that is not a directory database fails here, before the first request.
  reader.stats();
  port.on('message', (m: { id: number; req: ReadRequest }) => {
    try {
      port.postMessage({ id: m.id, ok: answer(reader, m.req) });
    } catch (err) {
      port.postMessage({ id: m.id, err: (err as Error).message });
    }
  });
  port.postMessage({ ready: true });
}

function answer(reader: StoreReader, r: ReadRequest): unknown {
  switch (r.op) {
    case 'list': return reader.listPage(r.filters, r.after, r.limit);
    case 'names': return reader.namesPage(r.filters, r.after, r.limit);
    case 'search': return reader.searchPage(r.match, r.filters, r.offset, r.limit);
    case 'count': return reader.count(r.filters, r.match);
    case 'get': return reader.get(r.name) ?? null;
    case 'stats': return reader.stats();
    case 'problems': return reader.problems(r.limit);
  }
}

// Started by the pool (its workerData); imported anywhere else, it does nothing.
const data = workerData as { aopDirectoryReader?: { file: string; candidateCap: number } } | null;
if (parentPort !== null && data?.aopDirectoryReader !== undefined) serveReads(parentPort, data.aopDirectoryReader.file, data.aopDirectoryReader.candidateCap);

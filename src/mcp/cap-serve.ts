// Serving capability documents (docs/records.md, "Capability document") from the HTTP servers aop
// runs (the demo agents, the gateway): the exact bytes the record's cap-sha256 hashes, GET (and
// HEAD) only, `content-type: application/json`, the digest as a strong ETag. Each document is
// checked when it is mounted (size, JSON), so a server never hands out one a client would refuse.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { AopError } from '../base/errors.js';
import { capDigest, CapabilityError, CAP_PATH_PREFIX, MAX_CAPABILITY_BYTES, parseCapability } from '../agent/index.js';

export class CapServeError extends AopError {
  declare readonly code: 'ERR_CAP_SERVE';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('ERR_CAP_SERVE', message, opts);
  }
}

interface Served {
  bytes: Buffer;
  etag: string;
}

/** Most documents one server holds (a folder of them is read into memory). */
const MAX_DOCUMENTS = 10_000;

/** A set of documents by URL path, answering the requests for them. */
export class CapabilityDocs {
  private readonly docs = new Map<string, Served>();

  constructor(docs: Iterable<[string, Uint8Array]> = []) {
    for (const [p, b] of docs) this.set(p, b);
  }

  /** Serve `bytes` at `urlPath`. Throws CapServeError for a path that is not one, or a document a client would refuse. */
  set(urlPath: string, bytes: Uint8Array): void {
    if (!/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/.test(urlPath)) throw new CapServeError(`${JSON.stringify(urlPath)} is not a URL path`);
    if (bytes.length > MAX_CAPABILITY_BYTES) throw new CapServeError(`${urlPath}: ${bytes.length} bytes, more than ${MAX_CAPABILITY_BYTES}; clients refuse it`);
    try {
      parseCapability(bytes);
    } catch (err) {
      if (err instanceof CapabilityError) throw new CapServeError(`${urlPath}: ${err.message}; clients refuse it`, { cause: err });
      throw err;
    }
    if (!this.docs.has(urlPath) && this.docs.size >= MAX_DOCUMENTS) throw new CapServeError(`more than ${MAX_DOCUMENTS} documents`);
    const b = Buffer.from(bytes);
    this.docs.set(urlPath, { bytes: b, etag: `"${capDigest(b)}"` });
  }

  delete(urlPath: string): boolean {
    return this.docs.delete(urlPath);
  }

  has(urlPath: string): boolean {
    return this.docs.has(urlPath);
  }

  get paths(): string[] {
    return [...this.docs.keys()];
  }

  get size(): number {
    return this.docs.size;
  }

  /**
   * Answer the request when its path is a document's: 200 with the bytes (304 for a matching
   * If-None-Match), 405 for a method other than GET or HEAD. False when the path is not ours.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const urlPath = (req.url ?? '/').split('?', 1)[0]!;
    const doc = this.docs.get(urlPath);
    if (doc === undefined) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('capability documents are read with GET\n');
      return true;
    }
    const headers = { 'content-type': 'application/json', etag: doc.etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
    const inm = req.headers['if-none-match'];
    if (typeof inm === 'string' && inm.split(',').some((t) => t.trim() === doc.etag || t.trim() === '*')) {
      res.writeHead(304, headers).end();
      return true;
    }
    res.writeHead(200, { ...headers, 'content-length': String(doc.bytes.length) });
    res.end(req.method === 'HEAD' ? undefined : doc.bytes);
    return true;
  }
}

/**
 * The `*.json` files of a folder as documents at `<prefix><file name>` (default
 * /.well-known/aop/cap/), read once. Throws CapServeError for a file a client would refuse.
 */
export function capabilityDocsFromDir(dir: string, prefix = CAP_PATH_PREFIX): CapabilityDocs {
  const docs = new CapabilityDocs();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    throw new CapServeError(`cannot read ${dir}: ${(err as Error).message}`, { cause: err });
  }
  for (const n of names) {
    const file = path.join(dir, n);
    const st = statSync(file);
    if (!st.isFile()) continue;
    if (st.size > MAX_CAPABILITY_BYTES) throw new CapServeError(`${file}: ${st.size} bytes, more than ${MAX_CAPABILITY_BYTES}; clients refuse it`);
    docs.set(`${prefix}${n}`, readFileSync(file));
  }
  return docs;
}

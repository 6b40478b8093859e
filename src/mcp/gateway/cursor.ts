// Opaque page cursors for the gateway's list tools (MCP pagination: `nextCursor`, then `cursor`).
// A cursor is base64url JSON that names the request it belongs to (a digest of the query and
// filters), so a cursor handed to a different request is refused, never silently misread.

import { createHash } from 'node:crypto';
import { AopError } from '../../base/errors.js';

export class CursorError extends AopError {
  declare readonly code: 'ERR_GATEWAY_BAD_CURSOR';
  constructor(message: string) {
    super('ERR_GATEWAY_BAD_CURSOR', message);
  }
}

/** Where the next page starts: after a name (keyset, for name order) or at an offset (ranked results). */
export type CursorPosition = { after: string } | { offset: number };

/** A short digest of what a request asked, so a cursor fits only its own request. */
export function requestDigest(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(digest: string, at: CursorPosition): string {
  return Buffer.from(JSON.stringify({ v: 1, d: digest, ...at }), 'utf8').toString('base64url');
}

/** The position a cursor holds for the request `digest`; throws CursorError for anything else. */
export function decodeCursor(cursor: string, digest: string): CursorPosition {
  let v: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,1024}$/.test(cursor)) throw new Error('not base64url');
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CursorError('the cursor is not one this gateway gave (pass nextCursor back unchanged)');
  }
  const o = v as { v?: unknown; d?: unknown; after?: unknown; offset?: unknown };
  if (typeof o !== 'object' || o === null || o.v !== 1 || typeof o.d !== 'string') throw new CursorError('the cursor is not one this gateway gave (pass nextCursor back unchanged)');
  if (o.d !== digest) throw new CursorError('the cursor belongs to another query or other filters: repeat the request that gave it');
  if (typeof o.after === 'string' && o.after.length <= 254) return { after: o.after };
  if (typeof o.offset === 'number' && Number.isSafeInteger(o.offset) && o.offset >= 0) return { offset: o.offset };
  throw new CursorError('the cursor is not one this gateway gave (pass nextCursor back unchanged)');
}

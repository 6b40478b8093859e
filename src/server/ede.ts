// Extended DNS Errors (RFC 8914): EDNS option 15, an INFO-CODE and optional EXTRA-TEXT telling
// the client why an answer is what it is (REFUSED, SERVFAIL, stale data).

import type { EdnsOption } from '../wire/message.js';

export const EDNS_EDE = 15;

export { EdeCode } from '../wire/ede-codes.js';

export interface ExtendedError {
  code: number;
  /** For a human reading the answer (dig shows it); UTF-8, no terminating NUL (RFC 8914 2). */
  text?: string;
}

/** EXTRA-TEXT is for debugging, not a channel: kept short so it never crowds the answer out of a UDP reply. */
const MAX_TEXT = 200;

export function edeOption(e: ExtendedError): EdnsOption {
  let text = Buffer.from(e.text ?? '', 'utf8');
  if (text.length > MAX_TEXT) text = Buffer.concat([text.subarray(0, MAX_TEXT - 3), Buffer.from('...')]);
  const data = Buffer.alloc(2 + text.length);
  data.writeUInt16BE(e.code, 0);
  text.copy(data, 2);
  return { code: EDNS_EDE, data };
}

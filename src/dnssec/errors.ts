// Errors of the DNSSEC primitives: unsupported algorithms, keys that do not decode, key files
// that cannot be read or written.

import { AopError } from '../base/errors.js';

export type DnssecErrorCode =
  | 'ERR_DNSSEC_ALGORITHM'
  | 'ERR_DNSSEC_BAD_KEY'
  | 'ERR_DNSSEC_KEY_FILE';

export class DnssecError extends AopError {
  declare readonly code: DnssecErrorCode;
  constructor(code: DnssecErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

// Errors of zone transfers and NOTIFY: each carries a stable `code` that callers and tests match on.

import { AopError } from '../base/errors.js';

export type XfrErrorCode =
  | 'ERR_XFR_REFUSED'
  | 'ERR_XFR_BAD_STREAM'
  | 'ERR_XFR_TOO_LARGE'
  | 'ERR_XFR_TIMEOUT'
  | 'ERR_XFR_NETWORK'
  | 'ERR_XFR_ABORTED'
  | 'ERR_XFR_BAD_ZONE'
  | 'ERR_XFR_BAD_OPTION'
  | 'ERR_XFR_TSIG'
  | 'ERR_XFR_RECORD_TOO_BIG';

export class XfrError extends AopError {
  declare readonly code: XfrErrorCode;
  /** The RCODE the primary answered, for ERR_XFR_REFUSED. */
  readonly rcode: number | undefined;
  constructor(code: XfrErrorCode, message: string, opts: { cause?: unknown; rcode?: number } = {}) {
    super(code, message, { cause: opts.cause });
    this.rcode = opts.rcode;
  }
}

// Errors of the wire layer: each class carries a stable `code` that tests and callers match on.

import { AopError } from '../base/errors.js';

export class WireError extends AopError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** A name that cannot be a DNS name: bad escape, label over 63 octets, name over 255 octets. */
export class NameError extends WireError {
  constructor(code: 'ERR_NAME_LABEL_TOO_LONG' | 'ERR_NAME_TOO_LONG' | 'ERR_NAME_EMPTY_LABEL' | 'ERR_NAME_BAD_ESCAPE' | 'ERR_NAME_RELATIVE', message: string) {
    super(code, message);
  }
}

/** A message that cannot be decoded: the server answers FORMERR or drops it. */
export class DecodeError extends WireError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** RDATA whose presentation or wire form is invalid for its type. */
export class RdataError extends WireError {
  /** Where in presentation text the fault is, when parsing text. */
  readonly line: number | undefined;
  readonly col: number | undefined;
  constructor(code: string, message: string, at?: { line: number; col: number }) {
    super(code, message);
    this.line = at?.line;
    this.col = at?.col;
  }
}

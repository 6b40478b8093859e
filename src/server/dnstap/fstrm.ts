// Frame Streams (the transport dnstap rides on, farsightsec/fstrm's PROTOCOL): frames are a 32-bit
// big-endian length and the payload; a length of 0 escapes a control frame (its own 32-bit length,
// a 32-bit type, then fields of type, length and value). A bidirectional writer (a unix socket)
// sends READY with its content type, waits for the reader's ACCEPT, sends START, then data, and
// at the end STOP, answered by FINISH. A unidirectional one (a file) writes START, data, STOP.

import { AopError } from '../../base/errors.js';
export const CONTROL = { ACCEPT: 0x01, START: 0x02, STOP: 0x03, READY: 0x04, FINISH: 0x05 } as const;
export type ControlType = (typeof CONTROL)[keyof typeof CONTROL];
const FIELD_CONTENT_TYPE = 0x01;
/** The protocol's own limit on a control frame, so a reader's garbage cannot make us buffer more. */
export const MAX_CONTROL = 512;

export class FstrmError extends AopError {
  declare readonly code: 'ERR_FSTRM_PROTOCOL';
  constructor(message: string, opts?: { cause?: unknown }) {
    super('ERR_FSTRM_PROTOCOL', message, opts);
  }
}

/** A control frame with its escape: 0, length, type, and one CONTENT_TYPE field per content type. */
export function controlFrame(type: ControlType, contentTypes: string[] = []): Buffer {
  const fields = contentTypes.map((c) => Buffer.from(c, 'utf8'));
  const len = 4 + fields.reduce((n, f) => n + 8 + f.length, 0);
  const out = Buffer.alloc(8 + len);
  out.writeUInt32BE(0, 0);
  out.writeUInt32BE(len, 4);
  out.writeUInt32BE(type, 8);
  let at = 12;
  for (const f of fields) {
    out.writeUInt32BE(FIELD_CONTENT_TYPE, at);
    out.writeUInt32BE(f.length, at + 4);
    f.copy(out, at + 8);
    at += 8 + f.length;
  }
  return out;
}

/** A data frame: the payload behind its 32-bit length. */
export function dataFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}

export interface Control {
  type: number;
  contentTypes: string[];
}

/** Parse a control frame's body (after the escape and length). Throws FstrmError on a malformed one. */
export function parseControl(body: Buffer): Control {
  if (body.length < 4) throw new FstrmError(`control frame of ${body.length} bytes has no type`);
  const type = body.readUInt32BE(0);
  const contentTypes: string[] = [];
  let at = 4;
  while (at < body.length) {
    if (at + 8 > body.length) throw new FstrmError('control frame field header is cut short');
    const ftype = body.readUInt32BE(at);
    const flen = body.readUInt32BE(at + 4);
    if (at + 8 + flen > body.length) throw new FstrmError(`control frame field of ${flen} bytes runs past the frame`);
    if (ftype === FIELD_CONTENT_TYPE) contentTypes.push(body.subarray(at + 8, at + 8 + flen).toString('utf8'));
    at += 8 + flen;
  }
  return { type, contentTypes };
}

/**
 * Reads the control frames a reader sends back (ACCEPT, FINISH) from a byte stream. A reader
 * sends no data frames to a writer, so anything else is a protocol error.
 */
export class ControlReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Feed bytes; returns the whole control frames they complete. Throws FstrmError. */
  push(chunk: Buffer): Control[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Control[] = [];
    for (;;) {
      if (this.buf.length < 8) break;
      if (this.buf.readUInt32BE(0) !== 0) throw new FstrmError('reader sent a data frame');
      const len = this.buf.readUInt32BE(4);
      if (len > MAX_CONTROL) throw new FstrmError(`control frame of ${len} bytes is over the ${MAX_CONTROL}-byte limit`);
      if (this.buf.length < 8 + len) break;
      out.push(parseControl(this.buf.subarray(8, 8 + len)));
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }
}

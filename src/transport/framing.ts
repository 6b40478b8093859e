// DNS over TCP framing (RFC 1035 4.2.2, RFC 7766 8): a two-byte length before each message.

import { TransportError } from './errors.js';

export const MAX_FRAME = 0xffff;

/** The message with its length prefix; a message over 65535 bytes cannot be framed. */
export function frameMessage(msg: Uint8Array): Buffer {
  if (msg.length > MAX_FRAME) {
    throw new TransportError('ERR_TRANSPORT_BAD_QUERY', `a ${msg.length}-byte message is too long for TCP framing (max ${MAX_FRAME})`);
  }
  const out = Buffer.allocUnsafe(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  out.set(msg, 2);
  return out;
}

/**
 * Reassembles messages from a byte stream: a reply may arrive split over many chunks (one byte
 * each, even in the length prefix) or several replies in one chunk. Chunks are kept as a list and
 * joined once per message, so 1-byte chunks of a 64 KiB reply cost linear time, not quadratic.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private length = 0;

  /** Bytes held that do not yet make a whole message. */
  get pending(): number {
    return this.length;
  }

  /** Feed a chunk; returns the messages it completed, in order (without their prefixes). */
  push(chunk: Uint8Array): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.length += chunk.length;
    }
    const out: Buffer[] = [];
    for (;;) {
      if (this.length < 2) break;
      const size = this.peekLength();
      if (this.length < 2 + size) break;
      out.push(this.take(2 + size).subarray(2));
    }
    return out;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= 2) return first.readUInt16BE(0);
    return (first[0]! << 8) | this.chunks[1]![0]!;
  }

  /** Remove the first n bytes (n <= length) as one buffer. */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let pos = 0;
      while (pos < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - pos);
        c.copy(out, pos, 0, k);
        pos += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.length -= n;
    return out;
  }
}

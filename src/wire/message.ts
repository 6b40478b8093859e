// DNS messages (RFC 1035 4) with EDNS(0) (RFC 6891): strict decoding, and encoding with name
// compression and clean truncation. The framing is ours rather than dns-packet's because
// dns-packet neither compresses names nor bounds-checks RDLENGTH (see docs/errors.md); RDATA
// is held uncompressed (src/wire/rr.ts) and the per-type codecs live in rdata.ts.

import { randomInt } from 'node:crypto';
import { DecodeError, WireError } from './errors.js';
import { isPlainAbsolute, labelsToText, nameToLabels, readName } from './name.js';
import type { RR } from './rr.js';
import { RRClass, RRType } from './types.js';

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface EdnsOption {
  code: number;
  data: Buffer;
}

export interface Edns {
  /** Requestor's UDP payload size (the OPT record's CLASS). */
  udpSize: number;
  version: number;
  /** The DO bit (RFC 3225). */
  dnssecOk: boolean;
  /** Upper 8 bits of the 12-bit RCODE as carried in the OPT TTL; Message.rcode already holds them. */
  extendedRcode: number;
  /** The OPT flags other than DO (all must-be-zero today). */
  flags: number;
  options: EdnsOption[];
}

export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** The full 12-bit RCODE: header bits plus the OPT record's extended bits. */
  rcode: number;
  questions: Question[];
  answers: RR[];
  authority: RR[];
  /** Additional records without the OPT pseudo-record, which is `edns`. */
  additional: RR[];
  edns?: Edns;
}

export interface EncodeOptions {
  /** Largest message to produce; RRsets that do not fit are left out as RFC 2181 9 says. */
  maxSize?: number;
  /** How many leading additional records are required (referral glue, RFC 9471): if they do not fit, TC is set. */
  requiredAdditional?: number;
}

export const MAX_MESSAGE = 65535;

/** Compression for RDATA names, per type: the layout of RDATA as fixed-size fields and names. */
type Field = number | 'name' | 'string';
const LAYOUT = new Map<number, Field[]>([
  [RRType.NS, ['name']], [RRType.CNAME, ['name']], [RRType.PTR, ['name']], [RRType.DNAME, ['name']],
  [3, ['name']], [4, ['name']], [7, ['name']], [8, ['name']], [9, ['name']], // MD MF MB MG MR
  [RRType.SOA, ['name', 'name', 20]],
  [RRType.MX, [2, 'name']], [18, [2, 'name']], [21, [2, 'name']], [36, [2, 'name']], // MX AFSDB RT KX
  [14, ['name', 'name']], [17, ['name', 'name']], // MINFO RP
  [26, [2, 'name', 'name']], // PX
  [RRType.SRV, [6, 'name']],
  [35, [2, 2, 'string', 'string', 'string', 'name']], // NAPTR
]);

/**
 * Types whose RDATA names we compress when sending: only those of RFC 1035 itself
 * (RFC 3597 section 4); SRV, NAPTR, DNAME and the rest go out uncompressed.
 */
const COMPRESS_OUT = new Set<number>([RRType.NS, RRType.CNAME, RRType.PTR, RRType.SOA, RRType.MX, 3, 4, 7, 8, 9, 14]);

// ---------------------------------------------------------------------------------------------
// Decoding

function u16(buf: Buffer, off: number, what: string): number {
  if (off + 2 > buf.length) throw new DecodeError('ERR_DECODE_SHORT', `message ends inside ${what} at offset ${off}`);
  return buf.readUInt16BE(off);
}

/** RDATA from the message, with compressed names expanded so the record stands alone. */
function readRdata(buf: Buffer, type: number, start: number, length: number): Buffer {
  const end = start + length;
  const layout = LAYOUT.get(type);
  if (!layout) return Buffer.from(buf.subarray(start, end));
  const parts: Buffer[] = [];
  let pos = start;
  for (const f of layout) {
    if (f === 'name') {
      const { name, end: next } = readName(buf, pos);
      if (next > end) throw new DecodeError('ERR_DECODE_RDATA', `a name in the ${type} record at offset ${start} runs past its RDLENGTH`);
      parts.push(wireOfName(name));
      pos = next;
    } else if (f === 'string') {
      if (pos >= end) throw new DecodeError('ERR_DECODE_RDATA', `RDATA of type ${type} at offset ${start} is shorter than its fields`);
      const n = 1 + buf[pos]!;
      if (pos + n > end) throw new DecodeError('ERR_DECODE_RDATA', `a string in the ${type} record at offset ${start} runs past its RDLENGTH`);
      parts.push(buf.subarray(pos, pos + n));
      pos += n;
    } else {
      if (pos + f > end) throw new DecodeError('ERR_DECODE_RDATA', `RDATA of type ${type} at offset ${start} is shorter than its fields`);
      parts.push(buf.subarray(pos, pos + f));
      pos += f;
    }
  }
  if (pos !== end) throw new DecodeError('ERR_DECODE_RDATA', `RDATA of type ${type} at offset ${start} has ${end - pos} bytes beyond its fields`);
  return Buffer.from(Buffer.concat(parts));
}

function wireOfName(name: string): Buffer {
  const labels = nameToLabels(name);
  let len = 1;
  for (const l of labels) len += l.length + 1;
  const out = Buffer.allocUnsafe(len);
  let pos = 0;
  for (const l of labels) {
    out[pos++] = l.length;
    l.copy(out, pos);
    pos += l.length;
  }
  out[pos] = 0;
  return out;
}

/** Decode a whole message. Anything malformed throws DecodeError (code ERR_DECODE_*); nothing is guessed. */
export function decodeMessage(buf: Buffer): Message {
  if (buf.length < 12) throw new DecodeError('ERR_DECODE_SHORT', `message of ${buf.length} bytes is shorter than a header`);
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  const msg: Message = {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0x0f,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0x0f,
    questions: [],
    answers: [],
    authority: [],
    additional: [],
  };
  let pos = 12;
  for (let i = 0; i < counts[0]; i++) {
    const { name, end } = readName(buf, pos);
    const type = u16(buf, end, 'a question');
    const cls = u16(buf, end + 2, 'a question');
    msg.questions.push({ name, type, class: cls });
    pos = end + 4;
  }
  const sections = [msg.answers, msg.authority, msg.additional];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const { name, end } = readName(buf, pos);
      if (end + 10 > buf.length) throw new DecodeError('ERR_DECODE_SHORT', `message ends inside a record header at offset ${end}`);
      const type = buf.readUInt16BE(end);
      const cls = buf.readUInt16BE(end + 2);
      const rawTtl = buf.readUInt32BE(end + 4);
      const rdlength = buf.readUInt16BE(end + 8);
      const start = end + 10;
      if (start + rdlength > buf.length) throw new DecodeError('ERR_DECODE_SHORT', `RDATA at offset ${start} claims ${rdlength} bytes; only ${buf.length - start} remain`);
      pos = start + rdlength;
      if (type === RRType.OPT) {
        if (s !== 2) throw new DecodeError('ERR_DECODE_OPT_PLACE', 'OPT record outside the additional section');
        if (msg.edns) throw new DecodeError('ERR_DECODE_OPT_TWICE', 'more than one OPT record');
        if (name !== '.') throw new DecodeError('ERR_DECODE_OPT_OWNER', `OPT record owned by ${name}, not the root`);
        msg.edns = decodeOpt(buf, cls, rawTtl, start, rdlength);
        msg.rcode |= msg.edns.extendedRcode << 4;
        continue;
      }
      // RFC 2181 8: a TTL with the top bit set is treated as zero.
      const ttl = rawTtl > 0x7fffffff ? 0 : rawTtl;
      // Class ANY or NONE with no RDATA is an UPDATE prerequisite or deletion (RFC 2136 2.4, 2.5).
      const empty = rdlength === 0 && (cls === RRClass.ANY || cls === RRClass.NONE);
      sections[s]!.push({ name, type, class: cls, ttl, rdata: empty ? Buffer.alloc(0) : readRdata(buf, type, start, rdlength) });
    }
  }
  if (pos !== buf.length) throw new DecodeError('ERR_DECODE_TRAILING', `${buf.length - pos} bytes after the last record`);
  return msg;
}

function decodeOpt(buf: Buffer, udpSize: number, ttl: number, start: number, length: number): Edns {
  const options: EdnsOption[] = [];
  let pos = start;
  const end = start + length;
  while (pos < end) {
    if (pos + 4 > end) throw new DecodeError('ERR_DECODE_OPT', 'EDNS option header cut off');
    const code = buf.readUInt16BE(pos);
    const len = buf.readUInt16BE(pos + 2);
    if (pos + 4 + len > end) throw new DecodeError('ERR_DECODE_OPT', `EDNS option ${code} claims ${len} bytes beyond the OPT record`);
    options.push({ code, data: Buffer.from(buf.subarray(pos + 4, pos + 4 + len)) });
    pos += 4 + len;
  }
  return {
    udpSize,
    extendedRcode: ttl >>> 24,
    version: (ttl >>> 16) & 0xff,
    dnssecOk: (ttl & 0x8000) !== 0,
    flags: ttl & 0x7fff,
    options,
  };
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** A growable output buffer with a name-compression table that can be rolled back per RRset. */
class Writer {
  buf = Buffer.allocUnsafe(512);
  pos = 0;
  /** Exact-case suffix (canonical text) -> offset. Case-sensitive so names keep their case. */
  private readonly table = new Map<string, number>();
  private added: string[] = [];

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void { this.ensure(1); this.buf[this.pos++] = v; }
  u16(v: number): void { this.ensure(2); this.buf.writeUInt16BE(v, this.pos); this.pos += 2; }
  u32(v: number): void { this.ensure(4); this.buf.writeUInt32BE(v >>> 0, this.pos); this.pos += 4; }
  bytes(b: Uint8Array): void { this.ensure(b.length); this.buf.set(b, this.pos); this.pos += b.length; }

  /**
   * Write a name, compressed against the names written before when `compress`. The table is
   * keyed by the canonical text of each suffix, which names it exactly (case kept): a plain
   * name's suffixes are slices of its own text, so the common case builds no label buffers.
   */
  name(name: string, compress: boolean): void {
    if (!isPlainAbsolute(name)) {
      this.nameLabels(nameToLabels(name), compress);
      return;
    }
    const n = name.length;
    for (let start = 0; start < n;) {
      const key = start === 0 ? name : name.slice(start);
      if (this.lookup(key, compress)) return;
      const dot = name.indexOf('.', start);
      const len = dot - start;
      this.ensure(len + 1);
      const buf = this.buf;
      let pos = this.pos;
      buf[pos++] = len;
      for (let i = start; i < dot; i++) buf[pos++] = name.charCodeAt(i);
      this.pos = pos;
      start = dot + 1;
    }
    this.u8(0);
  }

  private nameLabels(labels: Buffer[], compress: boolean): void {
    for (let i = 0; i < labels.length; i++) {
      if (this.lookup(labelsToText(labels.slice(i)), compress)) return;
      const l = labels[i]!;
      this.u8(l.length);
      this.bytes(l);
    }
    this.u8(0);
  }

  /** Write a pointer to `key` if it is known and `compress`; else remember where it starts now. */
  private lookup(key: string, compress: boolean): boolean {
    const at = this.table.get(key);
    if (at !== undefined) {
      if (compress) {
        this.u16(0xc000 | at);
        return true;
      }
      return false;
    }
    if (this.pos < 0x4000) {
      this.table.set(key, this.pos);
      this.added.push(key);
    }
    return false;
  }

  mark(): { pos: number; added: number } {
    return { pos: this.pos, added: this.added.length };
  }

  rollback(m: { pos: number; added: number }): void {
    this.pos = m.pos;
    for (const key of this.added.splice(m.added)) this.table.delete(key);
  }

  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function writeRR(w: Writer, rr: RR): void {
  w.name(rr.name, true);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lenAt = w.pos;
  w.u16(0);
  // Empty RDATA (UPDATE deletions and prerequisites) has no names to compress.
  const layout = COMPRESS_OUT.has(rr.type) && rr.rdata.length > 0 ? LAYOUT.get(rr.type) : undefined;
  if (!layout) {
    w.bytes(rr.rdata);
  } else {
    let pos = 0;
    for (const f of layout) {
      if (f === 'name') {
        const { name, end } = readName(rr.rdata, pos);
        w.name(name, true);
        pos = end;
      } else {
        const n = f === 'string' ? 1 + rr.rdata[pos]! : f;
        w.bytes(rr.rdata.subarray(pos, pos + n));
        pos += n;
      }
    }
  }
  const rdlength = w.pos - lenAt - 2;
  if (rdlength > 0xffff) throw new WireError('ERR_ENCODE_RDATA_TOO_LONG', `RDATA of ${rr.name} type ${rr.type} is over 65535 bytes`);
  w.buf.writeUInt16BE(rdlength, lenAt);
}

function optLength(edns: Edns): number {
  let n = 11;
  for (const o of edns.options) n += 4 + o.data.length;
  return n;
}

/** RRsets as runs of consecutive records with the same owner, type and class. */
function runs(rrs: RR[]): RR[][] {
  const out: RR[][] = [];
  for (const rr of rrs) {
    const last = out[out.length - 1];
    const head = last?.[0];
    if (head && head.type === rr.type && head.class === rr.class && head.name === rr.name) last.push(rr);
    else out.push([rr]);
  }
  return out;
}

/**
 * Encode a message. When it would exceed `maxSize`: optional additional RRsets are left out
 * first; if an answer or authority RRset, or required glue, does not fit, TC is set and only
 * the whole RRsets that fit are sent (RFC 2181 9, RFC 9471). The OPT record always goes in.
 */
export function encodeMessage(msg: Message, opts: EncodeOptions = {}): Buffer {
  const maxSize = Math.min(opts.maxSize ?? MAX_MESSAGE, MAX_MESSAGE);
  const required = opts.requiredAdditional ?? 0;
  if (msg.rcode > 0xf && !msg.edns) throw new WireError('ERR_ENCODE_RCODE', `RCODE ${msg.rcode} needs an OPT record`);
  const w = new Writer();
  w.u16(msg.id);
  w.u16(0); // flags, written at the end when TC is known
  w.u16(msg.questions.length);
  w.u32(0); // ANCOUNT, NSCOUNT
  w.u16(0); // ARCOUNT
  for (const q of msg.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  const reserve = msg.edns ? optLength(msg.edns) : 0;
  let tc = msg.tc;
  const counts = [0, 0, 0];
  const sections = [msg.answers, msg.authority, msg.additional];
  let stop = false;
  for (let s = 0; s < 3 && !stop; s++) {
    let index = 0;
    for (const set of runs(sections[s]!)) {
      const m = w.mark();
      for (const rr of set) writeRR(w, rr);
      const isRequired = s < 2 || index < required;
      index += set.length;
      if (w.pos + reserve <= maxSize) {
        counts[s]! += set.length;
        continue;
      }
      w.rollback(m);
      if (isRequired) {
        tc = true;
        stop = true;
        break;
      }
    }
  }
  let arcount = counts[2]!;
  if (msg.edns) {
    const e = msg.edns;
    w.u8(0);
    w.u16(RRType.OPT);
    w.u16(e.udpSize);
    w.u32(((((msg.rcode >> 4) & 0xff) << 24) | ((e.version & 0xff) << 16) | (e.dnssecOk ? 0x8000 : 0) | (e.flags & 0x7fff)) >>> 0);
    w.u16(reserve - 11);
    for (const o of e.options) {
      w.u16(o.code);
      w.u16(o.data.length);
      w.bytes(o.data);
    }
    arcount++;
  }
  const out = w.result();
  const flags = (msg.qr ? 0x8000 : 0) | ((msg.opcode & 0xf) << 11) | (msg.aa ? 0x0400 : 0) | (tc ? 0x0200 : 0)
    | (msg.rd ? 0x0100 : 0) | (msg.ra ? 0x0080 : 0) | (msg.ad ? 0x0020 : 0) | (msg.cd ? 0x0010 : 0) | (msg.rcode & 0xf);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(counts[0]!, 6);
  out.writeUInt16BE(counts[1]!, 8);
  out.writeUInt16BE(arcount, 10);
  return out;
}

/** A message with every field at its zero value. */
export function newMessage(fields: Partial<Message> = {}): Message {
  return {
    id: 0, qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false, rcode: 0,
    questions: [], answers: [], authority: [], additional: [],
    ...fields,
  };
}

export interface QueryOptions {
  id?: number;
  rd?: boolean;
  cd?: boolean;
  /** EDNS to advertise; false for none. Default: version 0, 1232-byte payload. */
  edns?: Partial<Edns> | false;
  cls?: number;
}

/** A query for one question, with a random ID unless one is given. */
export function encodeQuery(name: string, type: number, opts: QueryOptions = {}): Buffer {
  const msg = newMessage({
    id: opts.id ?? randomInt(0, 0x10000),
    rd: opts.rd ?? true,
    cd: opts.cd ?? false,
    questions: [{ name, type, class: opts.cls ?? RRClass.IN }],
  });
  if (opts.edns !== false) {
    msg.edns = { udpSize: 1232, version: 0, dnssecOk: false, extendedRcode: 0, flags: 0, options: [], ...opts.edns };
  }
  return encodeMessage(msg);
}

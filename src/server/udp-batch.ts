// Batched UDP through the native module in native/udp-batch (recvmmsg/sendmmsg): one callback per
// batch of datagrams, answers written into one shared buffer and sent with one system call. Where
// the module was not built (not Linux, no compiler at `npm ci`), `loadUdpBatch` says why and the
// listener uses node:dgram. See native/udp-batch/README.md.

import { AopError } from '../base/errors.js';
import type { ListenAddress } from './listen.js';
import { loadUdpBatch, type UdpBatchCounters, type UdpBatchNative } from '../transport/native-udp.js';

export { loadUdpBatch, type UdpBatchCounters } from '../transport/native-udp.js';

/** How a listener does UDP: `batched` needs the native module, `auto` takes it when built. */
export type UdpIo = 'auto' | 'batched' | 'dgram';

export const UDP_IO_CHOICES: readonly UdpIo[] = ['auto', 'batched', 'dgram'];

export class UdpBatchUnavailableError extends AopError {
  declare readonly code: 'ERR_UDP_BATCH_UNAVAILABLE';
  constructor(why: string, opts?: { cause?: unknown }) {
    super('ERR_UDP_BATCH_UNAVAILABLE', `batched UDP is not available: ${why} (build it with \`npm rebuild\` or \`node native/build.js\`, or use --udp-io dgram)`, opts);
  }
}

const META = 8;
const TEXT_SLOT = 48;
/** Datagrams per system call: dnsperf's and a busy resolver's bursts fit; 64 x 64 KiB of receive buffer. */
export const DEFAULT_BATCH = 64;
/** A receive slot holds the largest UDP payload, so no datagram (an UPDATE, say) is cut. */
const IN_SLOT = 65536;
/** Answers longer than a send slot (past the 4096 a client may offer) go out one by one. */
const OUT_SLOT = 4096;
/** Source addresses kept as strings (IPv4, by their 32 bits): one client asks many times. */
const MAX_ADDRESS_STRINGS = 4096;

/**
 * One bound UDP socket read and written in batches. The listener's `onBatch(n)` reads datagram
 * i with query(i)/address(i)/port(i) and answers with reply(i, bytes) while the call lasts;
 * answers made later go with sendTo.
 */
export class BatchedUdpSocket {
  private readonly input: Buffer;
  private readonly output: Buffer;
  private readonly meta: Int32Array;
  private readonly text: Buffer;
  private readonly addresses = new Map<number, string>();
  private open = true;
  readonly port: number;

  private constructor(private readonly native: UdpBatchNative, private readonly handle: object, bufs: { input: ArrayBuffer; output: ArrayBuffer; meta: ArrayBuffer; text: ArrayBuffer }) {
    this.input = Buffer.from(bufs.input);
    this.output = Buffer.from(bufs.output);
    this.meta = new Int32Array(bufs.meta);
    this.text = Buffer.from(bufs.text);
    this.port = native.port(handle);
  }

  /** Bind `address` at `port` (SO_REUSEPORT when `reusePort`); errors are Node-style (code EADDRINUSE, ...). */
  static bind(native: UdpBatchNative, address: ListenAddress, port: number, reusePort: boolean, batch = DEFAULT_BATCH): BatchedUdpSocket {
    const bufs = {
      input: new ArrayBuffer(batch * IN_SLOT), output: new ArrayBuffer(batch * OUT_SLOT),
      meta: new ArrayBuffer(batch * META * 4), text: new ArrayBuffer(batch * TEXT_SLOT),
    };
    const handle = native.open(address.family, address.host, port, reusePort, batch, IN_SLOT, OUT_SLOT, bufs.input, bufs.output, bufs.meta, bufs.text);
    return new BatchedUdpSocket(native, handle, bufs);
  }

  /** Start reading: `onBatch(n)` for each batch of n datagrams. */
  start(onBatch: (n: number) => void): void {
    this.native.start(this.handle, onBatch);
  }

  /** Datagram i's bytes, a view valid during the batch call only (copy to keep), or undefined when it was too large for a slot. */
  query(i: number): Buffer | undefined {
    const len = this.meta[i * META]!;
    if (len < 0) return undefined;
    return this.input.subarray(i * IN_SLOT, i * IN_SLOT + len);
  }

  address(i: number): string {
    const m = i * META;
    if (this.meta[m + 2] === 4) {
      const key = this.meta[m + 4]!;
      let s = this.addresses.get(key);
      if (s === undefined) {
        if (this.addresses.size >= MAX_ADDRESS_STRINGS) this.addresses.clear();
        s = this.textAt(i);
        this.addresses.set(key, s);
      }
      return s;
    }
    return this.textAt(i);
  }

  private textAt(i: number): string {
    const start = i * TEXT_SLOT;
    const end = this.text.indexOf(0, start);
    return this.text.toString('latin1', start, end < 0 || end > start + TEXT_SLOT ? start + TEXT_SLOT : end);
  }

  sourcePort(i: number): number {
    return this.meta[i * META + 3]!;
  }

  /** Answer datagram i in this batch (sent with the others when the batch call returns). */
  reply(i: number, out: Buffer): void {
    if (out.length > OUT_SLOT) {
      this.sendTo(out, this.sourcePort(i), this.address(i));
      return;
    }
    out.copy(this.output, i * OUT_SLOT);
    this.meta[i * META + 1] = out.length;
  }

  /**
   * During the batch call: send the answers given to reply() so far, now. The rest of the batch
   * (and what its return runs: promise reactions, ticks) then happens after they are on the wire.
   */
  flush(): void {
    if (this.open) this.native.flush(this.handle);
  }

  /** Send one datagram now (an answer made after its batch). Dropped once closed. */
  sendTo(out: Buffer, port: number, host: string): void {
    if (this.open) this.native.sendTo(this.handle, out, port, host);
  }

  counters(): UdpBatchCounters {
    return this.native.counters(this.handle);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.native.close(this.handle);
  }
}

/** The start-up line that says how UDP is done, and why not batched when it is not. */
export function udpPathLine(path: 'batched' | 'dgram', asked: UdpIo): string {
  if (path === 'batched') return `udp: batched, up to ${DEFAULT_BATCH} datagrams per recvmmsg/sendmmsg (native/udp-batch)`;
  if (asked === 'dgram') return 'udp: node:dgram (--udp-io dgram)';
  return `udp: node:dgram (${loadUdpBatch().why ?? 'a cluster worker on port 0 shares the primary\'s socket'})`;
}

// The native module of native/udp-batch (recvmmsg/sendmmsg for the listeners, and upstream
// queries on connected sockets for the resolver), loaded once per process. Where it was not built
// (not Linux, no compiler at `npm ci`), `loadUdpBatch` says why and callers use node:dgram.

import { createRequire } from 'node:module';

/** The native module's functions (native/udp-batch/src/udp_batch.c). */
export interface UdpBatchNative {
  open(family: 4 | 6, host: string, port: number, reusePort: boolean, batch: number, inSlot: number, outSlot: number,
    input: ArrayBuffer, output: ArrayBuffer, meta: ArrayBuffer, text: ArrayBuffer): object;
  port(handle: object): number;
  start(handle: object, onBatch: (n: number) => void): void;
  sendTo(handle: object, bytes: Uint8Array, port: number, host: string): void;
  /** During the batch call: send the answers written so far now (one sendmmsg), not when the call returns. */
  flush(handle: object): void;
  close(handle: object): void;
  counters(handle: object): UdpBatchCounters;
  /** One upstream query on a fresh connected socket; replies (or a network error code) to onReply until closeExchange. */
  exchange(family: 4 | 6, host: string, port: number, query: Uint8Array, onReply: (err: string | null, reply?: Buffer) => void): number;
  closeExchange(id: number): void;
  exchanges(): { open: number; opened: number };
}

/** What the native socket did: system calls, and the datagrams they carried. */
export interface UdpBatchCounters {
  recvCalls: number;
  received: number;
  sendCalls: number;
  sent: number;
  /** Answers the kernel refused (send buffer full, a bad destination). */
  sendErrors: number;
  /** Datagrams larger than a receive slot, dropped. */
  oversize: number;
}

let loaded: { native?: UdpBatchNative; why?: string } | undefined;

/** The native module, or why it cannot be had; asked once per process. */
export function loadUdpBatch(): { native?: UdpBatchNative; why?: string } {
  if (loaded) return loaded;
  if (process.platform !== 'linux') return (loaded = { why: `recvmmsg/sendmmsg are Linux system calls, this is ${process.platform}` });
  try {
    // From src/transport or dist/transport alike, the module is two levels up.
    const req = createRequire(import.meta.url);
    loaded = { native: req('../../native/udp-batch/build/Release/udp_batch.node') as UdpBatchNative };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    loaded = { why: e.code === 'MODULE_NOT_FOUND' ? 'native/udp-batch was not built at install' : `native/udp-batch does not load: ${e.message}` };
  }
  return loaded;
}


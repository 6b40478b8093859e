// Whether the native batched-UDP module (native/udp-batch) loads here: a test of the batched path
// skips with the reason when it does not, except with CI=true, where `npm ci` must have built it.

import { loadUdpBatch } from '../../src/server/udp-batch.js';

interface SkippableTest {
  skip(name: string, cb: () => void): unknown;
  fail(msg: string): unknown;
}

export function requireUdpBatch(t: SkippableTest): boolean {
  const { native, why } = loadUdpBatch();
  if (native) return true;
  const msg = `batched UDP unavailable: ${why}`;
  if (process.env.CI === 'true') t.fail(`${msg}; CI's npm ci must build native/udp-batch`);
  else t.skip(msg, () => {});
  return false;
}

// TCP framing: length prefixes, replies split over chunks (even inside the prefix), several in one chunk.

import t from 'tap';
import { randomBytes } from 'node:crypto';
import { FrameDecoder, frameMessage, MAX_FRAME } from '../../src/transport/framing.js';

t.test('frameMessage prefixes the length', async (t) => {
  t.same([...frameMessage(Buffer.from([1, 2, 3]))], [0, 3, 1, 2, 3]);
  t.same([...frameMessage(Buffer.alloc(0))], [0, 0]);
  t.equal(frameMessage(Buffer.alloc(MAX_FRAME)).readUInt16BE(0), 0xffff);
  t.throws(() => frameMessage(Buffer.alloc(MAX_FRAME + 1)), { code: 'ERR_TRANSPORT_BAD_QUERY' });
});

t.test('one message split into 1-byte chunks', async (t) => {
  const msg = randomBytes(300);
  const framed = frameMessage(msg);
  const d = new FrameDecoder();
  const got: Buffer[] = [];
  for (let i = 0; i < framed.length; i++) {
    got.push(...d.push(framed.subarray(i, i + 1)));
    if (i < framed.length - 1) t.equal(got.length, 0, `nothing before the last byte (${i})`);
  }
  t.equal(got.length, 1);
  t.ok(got[0]!.equals(msg));
  t.equal(d.pending, 0);
});

t.test('several messages and a partial one in a single chunk', async (t) => {
  const a = randomBytes(20);
  const b = randomBytes(1);
  const c = randomBytes(40);
  const all = Buffer.concat([frameMessage(a), frameMessage(Buffer.alloc(0)), frameMessage(b), frameMessage(c)]);
  const d = new FrameDecoder();
  const first = d.push(all.subarray(0, all.length - 10));
  t.equal(first.length, 3);
  t.ok(first[0]!.equals(a));
  t.equal(first[1]!.length, 0, 'an empty frame is delivered (the matcher ignores it)');
  t.ok(first[2]!.equals(b));
  t.equal(d.pending, 2 + 40 - 10);
  const rest = d.push(all.subarray(all.length - 10));
  t.equal(rest.length, 1);
  t.ok(rest[0]!.equals(c));
  t.equal(d.pending, 0);
});

t.test('random chunking of many messages reassembles exactly', async (t) => {
  const msgs = Array.from({ length: 50 }, (_, i) => randomBytes(i * 37 % 700));
  const stream = Buffer.concat(msgs.map(frameMessage));
  const d = new FrameDecoder();
  const got: Buffer[] = [];
  let pos = 0;
  let seed = 7;
  while (pos < stream.length) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const n = seed % 9; // 0-byte chunks too
    got.push(...d.push(stream.subarray(pos, pos + n)));
    pos += n;
  }
  t.equal(got.length, msgs.length);
  t.ok(got.every((g, i) => g.equals(msgs[i]!)), 'all equal, in order');
});

t.test('a 64 KiB message in 1-byte chunks costs linear copying, not quadratic', async (t) => {
  const msg = randomBytes(MAX_FRAME);
  const framed = frameMessage(msg);
  const d = new FrameDecoder();
  // Count the bytes copied, not the time taken: a decoder that joined its chunks on every push
  // would copy about n^2/2 bytes (2 GiB here); joining once per message copies n.
  let copied = 0;
  const copy = Buffer.prototype.copy;
  const concat = Buffer.concat;
  const set = Uint8Array.prototype.set;
  Buffer.prototype.copy = function (this: Buffer, ...args: Parameters<Buffer['copy']>): number {
    const n = copy.apply(this, args);
    copied += n;
    return n;
  };
  Buffer.concat = (...args: Parameters<typeof Buffer.concat>): ReturnType<typeof Buffer.concat> => {
    const out = concat(...args);
    copied += out.length;
    return out;
  };
  Uint8Array.prototype.set = function (this: Uint8Array, ...args: [ArrayLike<number>, number?]): void {
    copied += args[0].length;
    set.apply(this, args);
  };
  let got: Buffer[] = [];
  const start = performance.now();
  try {
    for (let i = 0; i < framed.length; i++) got = got.concat(d.push(framed.subarray(i, i + 1)));
  } finally {
    Buffer.prototype.copy = copy;
    Buffer.concat = concat;
    Uint8Array.prototype.set = set;
  }
  t.comment(`${framed.length} pushes in ${Math.round(performance.now() - start)} ms, ${copied} bytes copied`);
  t.ok(copied <= 2 * framed.length, `at most twice the message copied (${copied} bytes for ${framed.length})`);
  t.equal(got.length, 1);
  t.ok(got[0]!.equals(msg));
});

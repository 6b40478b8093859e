// Send raw datagrams to a test server and collect what comes back.

import dgram from 'node:dgram';

/**
 * The first datagram back, or undefined after `waitMs`. The default (5 s) is a backstop for a
 * reply that is expected: a loaded machine may be slow to send it. Where no reply is the expected
 * outcome, wait on the server's counters instead (see test/server/malformed.test.ts).
 */
export function udpExchange(port: number, packet: Buffer, waitMs = 5000, host = '127.0.0.1'): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve(undefined);
    }, waitMs);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg);
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.send(packet, port, host);
  });
}

/** A well-formed query, built by hand so tests can break it in precise ways. */
export function rawQuery(id: number, labels: string[], type = 1, opts: { qdcount?: number; flags?: number } = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(opts.flags ?? 0, 2);
  header.writeUInt16BE(opts.qdcount ?? 1, 4);
  const parts: Buffer[] = [header];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'latin1'));
  parts.push(Buffer.from([0]));
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(1, 2);
  parts.push(tail);
  return Buffer.concat(parts);
}

// The floor of a Node DNS server: one UDP socket that returns each query with QR set and no
// answer, doing no DNS work at all. Its QPS under dnsperf is the most one Node process gets here
// through that UDP path: `dgram` (node:dgram, a callback and a send per datagram) or `batched`
// (native/udp-batch, recvmmsg/sendmmsg). Scenario 1 of `npm run bench` measures both beside aop;
// `node test/bench/profile.js ceiling` profiles the dgram one.
// Usage: node echo-server.js ADDR PORT [dgram|batched]

import dgram from 'node:dgram';

const [host = '127.0.0.1', port = '5300', mode = 'dgram'] = process.argv.slice(2);
if (mode === 'batched') {
  const { BatchedUdpSocket, loadUdpBatch } = await import('../../dist/server/udp-batch.js');
  const { native, why } = loadUdpBatch();
  if (!native) {
    process.stderr.write(`echo-server: batched UDP unavailable: ${why}\n`);
    process.exit(1);
  }
  const sock = BatchedUdpSocket.bind(native, { host, port: Number(port), family: host.includes(':') ? 6 : 4 }, Number(port), false);
  sock.start((n) => {
    for (let i = 0; i < n; i++) {
      const msg = sock.query(i);
      if (msg === undefined || msg.length < 12 || (msg[2] & 0x80) !== 0) continue;
      msg[2] |= 0x80;
      sock.reply(i, msg);
    }
  });
} else {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 12 || (msg[2] & 0x80) !== 0) return;
    msg[2] |= 0x80;
    sock.send(msg, rinfo.port, rinfo.address);
  });
  sock.bind(Number(port), host);
}
process.on('SIGTERM', () => process.exit(0));

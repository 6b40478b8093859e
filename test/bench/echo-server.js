// The floor of a Node DNS server: one UDP socket that returns each query with QR set and no
// answer, doing no DNS work at all. Its QPS under dnsperf is the most node:dgram gives one
// process here; `node test/bench/profile.js ceiling` runs it. Usage: node echo-server.js ADDR PORT

import dgram from 'node:dgram';

const [host = '127.0.0.1', port = '5300'] = process.argv.slice(2);
const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  if (msg.length < 12 || (msg[2] & 0x80) !== 0) return;
  msg[2] |= 0x80;
  sock.send(msg, rinfo.port, rinfo.address);
});
sock.bind(Number(port), host);
process.on('SIGTERM', () => process.exit(0));

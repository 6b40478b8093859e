// Daemon.open(): the listeners are bound before the resolver's warm-up, so an address in use fails
// the start at once; what arrives meanwhile waits and is answered once start() has warmed up.

import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Daemon } from '../../src/server/daemon.js';
import { AddressInUseError, parseListen } from '../../src/server/listen.js';
import { loadHints } from '../../src/resolver/hints.js';
import type { Logger } from '../../src/base/log.js';
import { encodeQuery, decodeMessage } from '../../src/wire/message.js';
import { RRType } from '../../src/wire/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const zonesDir = path.join(root, 'test', 'fixtures', 'serve');
const hints = loadHints(path.join(root, 'zones', 'root.hints'));

function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (m: string): void => { lines.push(`${level} ${m}`); };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

const query = (id: number): Buffer => encodeQuery('host.example.agents.', RRType.A, { id, rd: false });

t.test('a question that arrives between open() and start() is answered after the warm-up', async (t) => {
  const { logger, lines } = recorder();
  const daemon = new Daemon({ zonesDir, listen: [parseListen('127.0.0.1:0')], logger, resolver: { hints, warmUp: 200 } });
  t.teardown(() => daemon.close());
  await daemon.open();
  const port = daemon.listeners[0]!.address.port;
  t.ok(port > 0, 'bound: the port is known after open()');
  t.notOk(lines.some((l) => l.includes('listening on')), 'not announced as listening yet');

  const udp = dgram.createSocket('udp4');
  t.teardown(() => udp.close());
  const replies: Buffer[] = [];
  udp.on('message', (m) => replies.push(m));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  udp.send(query(0x1234), port, '127.0.0.1');
  const tcp = net.connect(port, '127.0.0.1');
  t.teardown(() => tcp.destroy());
  let tcpData = Buffer.alloc(0);
  tcp.on('data', (d) => { tcpData = Buffer.concat([tcpData, d]); });
  await new Promise<void>((r) => tcp.once('connect', () => r()));
  const q = query(0x4321);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  tcp.write(Buffer.concat([len, q]));
  await new Promise((r) => setTimeout(r, 150));
  t.equal(replies.length, 0, 'no UDP answer while held');
  t.equal(tcpData.length, 0, 'no TCP answer while held');
  t.equal(daemon.stats.queries, 0, 'nothing answered yet');

  await daemon.start();
  const warmed = lines.findIndex((l) => l.includes('warmed up'));
  const listening = lines.findIndex((l) => l.includes('listening on'));
  t.ok(warmed >= 0 && listening > warmed, 'the warm-up ran, then the listener was announced');
  for (let i = 0; i < 100 && (replies.length === 0 || tcpData.length < 2); i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(replies.length, 1, 'the held datagram was answered');
  t.equal(decodeMessage(replies[0]!).id, 0x1234);
  t.equal(decodeMessage(tcpData.subarray(2)).id, 0x4321, 'the held connection was answered');
  await daemon.start();
  t.equal(lines.filter((l) => l.includes('warmed up')).length, 1, 'start() twice warms up once');
});

t.test('an address in use fails open() before the warm-up, as AddressInUseError', async (t) => {
  const busy = dgram.createSocket('udp4');
  await new Promise<void>((r) => busy.bind(0, '127.0.0.1', r));
  t.teardown(() => busy.close());
  const { logger, lines } = recorder();
  const daemon = new Daemon({ zonesDir, listen: [parseListen(`127.0.0.1:${busy.address().port}`)], logger, resolver: { hints, warmUp: 100000 } });
  const started = Date.now();
  const err = await daemon.start().then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof AddressInUseError, 'AddressInUseError');
  t.match(err, { code: 'ERR_ADDRESS_IN_USE', protocol: 'udp', address: { host: '127.0.0.1', port: busy.address().port }, cause: { code: 'EADDRINUSE' } });
  t.equal((err as Error).message, `127.0.0.1:${busy.address().port} is in use (udp)`);
  t.notOk(lines.some((l) => l.includes('warmed up')), 'no warm-up');
  t.ok(Date.now() - started < 5000, 'at once, not after 100000 made-up resolutions');
  t.equal(daemon.listeners.length, 0, 'nothing left open');

  const tcpBusy = net.createServer();
  await new Promise<void>((r) => tcpBusy.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => tcpBusy.close());
  const port = (tcpBusy.address() as net.AddressInfo).port;
  // The UDP port of the same number may be taken by someone else; only the TCP error matters here.
  const d2 = new Daemon({ zonesDir, listen: [parseListen(`127.0.0.1:${port}`)] });
  const e2 = await d2.open().then(() => undefined, (e: unknown) => e);
  if ((e2 as AddressInUseError | undefined)?.protocol === 'udp') t.pass('the UDP port was taken too');
  else t.match(e2, { code: 'ERR_ADDRESS_IN_USE', protocol: 'tcp', message: `127.0.0.1:${port} is in use (tcp)` });
});

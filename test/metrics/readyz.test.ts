// /readyz: 503 with the reason while the listeners are bound but held (Daemon.open(), the
// resolver's warm-up), 200 once they answer, 503 again after close; /healthz 200 throughout.

import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Daemon } from '../../src/server/daemon.js';
import { MetricsHttp } from '../../src/server/metrics-http.js';
import { parseListen } from '../../src/server/listen.js';
import { loadHints } from '../../src/resolver/hints.js';
import { leaseNet } from '../helpers/loopback-net.js';

const zonesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'zones');
const NET = await leaseNet(t);

t.test('503 while held and warming up, 200 when answering', async (t) => {
  const daemon = new Daemon({
    zonesDir, listen: [parseListen(`${NET.host(1)}:0`)],
    resolver: { hints: loadHints(path.join(zonesDir, 'root.hints')), warmUp: 300 },
  });
  t.teardown(() => daemon.close());
  const http = new MetricsHttp({ listen: parseListen(`${NET.host(1)}:0`), exposition: async () => ({ text: '', contentType: 'text/plain' }), readiness: () => daemon.readiness() });
  await http.start();
  t.teardown(() => http.close());
  const get = async (p: string): Promise<[number, string]> => {
    const r = await fetch(`http://${NET.host(1)}:${http.address.port}${p}`);
    return [r.status, await r.text()];
  };
  t.same(await get('/readyz'), [503, 'not ready: not started\n']);
  await daemon.open();
  t.same(await get('/readyz'), [503, 'not ready: listeners bound and held\n'], 'open: bound, not answering');
  t.same(await get('/healthz'), [200, 'ok\n'], 'the process is up all the same');
  const started = daemon.start();
  // The warm-up runs in slices: the listener answers meanwhile.
  t.same(await get('/readyz'), [503, 'not ready: warming up the resolver; listeners held\n'], 'during the warm-up');
  await started;
  t.same(await get('/readyz'), [200, 'ready\n'], 'answering');
  await daemon.close();
  t.same(await get('/readyz'), [503, 'not ready: stopped\n'], 'after close');
});

t.test('idle connections are closed, and the connection cap holds', async (t) => {
  const http = new MetricsHttp({
    listen: parseListen(`${NET.host(2)}:0`), exposition: async () => ({ text: 'x 1\n', contentType: 'text/plain' }), readiness: () => ({ ready: true, reason: 'ok' }),
    maxConnections: 2, idleTimeoutMs: 300, headersTimeoutMs: 300,
  });
  await http.start();
  t.teardown(() => http.close());
  const net = await import('node:net');
  const open = (): Promise<import('node:net').Socket> => new Promise((resolve) => {
    const s = net.connect(http.address.port, NET.host(2), () => resolve(s));
    s.on('error', () => {});
  });
  const closed = (s: import('node:net').Socket): Promise<void> => new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));
  const a = await open();
  const b = await open();
  const c = await open();
  await closed(c);
  t.pass('a third connection past the cap of 2 is closed');
  await Promise.all([closed(a), closed(b)]);
  t.pass('connections that send nothing are closed after the idle timeout');
});

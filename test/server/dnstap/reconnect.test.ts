// The collector goes away and comes back: aop reconnects (a new READY/ACCEPT/START) by itself,
// answers throughout, and the new collector receives what is asked after it is back.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dig } from '../../helpers/dig.js';
import { requireTool, run } from '../../helpers/peers.js';
import { startDaemon } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import type { UnixWriter } from '../../../src/server/dnstap/writer.js';
import { capture } from '../../helpers/fstrm-capture.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'serve');

t.test('reconnects after the collector restarts', async (t) => {
  if (!requireTool(t, 'fstrm_capture', 'fstrm-bin') || !requireTool(t, 'dnstap-read', 'bind9-dnsutils') || !requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-dnstap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sock = path.join(dir, 'c.sock');
  const first = await capture(sock, path.join(dir, 'one.fstrm'));
  const { daemon, port } = await startDaemon(t, { zonesDir, dnstap: { kind: 'unix', path: sock, reconnectMinMs: 50, reconnectMaxMs: 200 } });
  const writer = daemon.dnstap!.writer as UnixWriter;
  await waitFor(() => writer.connections === 1, 'the first connection');
  await dig(port, ['writer.example.agents', 'TXT']);
  await waitFor(() => writer.written === 2, 'the first pair written');
  await first.stop();
  await waitFor(() => !writer.connected, 'the writer to see the collector gone');
  t.equal((await dig(port, ['nope.example.agents', 'A'])).status, 'NXDOMAIN', 'answered while the collector is away');
  rmSync(sock, { force: true });
  const second = await capture(sock, path.join(dir, 'two.fstrm'));
  t.teardown(() => { second.proc.kill('SIGKILL'); });
  await waitFor(() => writer.connections === 2, 'the reconnection');
  await dig(port, ['host.example.agents', 'AAAA']);
  await waitFor(() => writer.written >= 4, 'messages after the reconnection written');
  await daemon.close();
  await second.stop();
  const r = await run('dnstap-read', [path.join(dir, 'two.fstrm')]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /host\.example\.agents\/IN\/AAAA/, 'the query asked after the collector came back');
  const one = await run('dnstap-read', [path.join(dir, 'one.fstrm')]);
  t.match(one.stdout, /writer\.example\.agents\/IN\/TXT/);
});

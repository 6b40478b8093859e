// dnstap to a real collector: fstrm_capture takes aop's Frame Streams over a unix socket
// (READY/ACCEPT/START ... STOP/FINISH) and dnstap-read shows every query and response of a set of
// dig queries with the right message types, addresses and question names.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dig } from '../../helpers/dig.js';
import { requireTool, run } from '../../helpers/peers.js';
import { startDaemon } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import { capture } from '../../helpers/fstrm-capture.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'serve');

t.test('fstrm_capture receives the stream, dnstap-read shows the queries', async (t) => {
  if (!requireTool(t, 'fstrm_capture', 'fstrm-bin') || !requireTool(t, 'dnstap-read', 'bind9-dnsutils') || !requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-dnstap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sock = path.join(dir, 'c.sock');
  const file = path.join(dir, 'out.fstrm');
  const cap = await capture(sock, file);
  t.teardown(() => { cap.proc.kill('SIGKILL'); });
  const { daemon, port } = await startDaemon(t, { zonesDir, dnstap: { kind: 'unix', path: sock, identity: 'tap-test' } });
  await waitFor(() => (daemon.dnstap!.writer as { connected?: boolean }).connected === true, 'the handshake with fstrm_capture');
  t.equal((await dig(port, ['writer.example.agents', 'TXT'])).status, 'NOERROR');
  t.equal((await dig(port, ['nope.example.agents', 'A'])).status, 'NXDOMAIN');
  t.equal((await dig(port, ['+tcp', 'host.example.agents', 'AAAA'])).status, 'NOERROR');
  // Asked twice: the second is answered from the stored answers (the listener's hot path).
  await dig(port, ['writer.example.agents', 'TXT']);
  await waitFor(() => daemon.stats.dnstapMessages === 8, '8 dnstap messages queued', { detail: () => JSON.stringify(daemon.stats.snapshot()) });
  await daemon.close();
  await cap.stop();
  const r = await run('dnstap-read', ['-y', file]);
  t.equal(r.code, 0, r.stderr);
  const docs = r.stdout.split(/^---$/m).map((d) => d.trim()).filter(Boolean);
  t.equal(docs.length, 8, 'four queries and four responses');
  const types = docs.map((d) => /^\s+type: (\w+)$/m.exec(d.split('message:')[1] ?? '')?.[1]);
  t.same(types, ['AUTH_QUERY', 'AUTH_RESPONSE', 'AUTH_QUERY', 'AUTH_RESPONSE', 'AUTH_QUERY', 'AUTH_RESPONSE', 'AUTH_QUERY', 'AUTH_RESPONSE']);
  for (const d of docs) {
    t.match(d, /identity: tap-test/);
    t.match(d, /socket_family: INET\b/);
    t.match(d, /query_address: "?127\.0\.0\.1"?$/m);
    t.match(d, /response_address: "?127\.0\.0\.1"?$/m);
    t.match(d, new RegExp(`response_port: ${port}`));
  }
  t.match(docs[0], /socket_protocol: UDP/);
  t.match(docs[4], /socket_protocol: TCP/);
  t.match(docs[0], /writer\.example\.agents\.\s+IN\s+TXT/);
  t.match(docs[3], /status: NXDOMAIN/);
  t.match(docs[3], /nope\.example\.agents\.\s+IN\s+A/);
  t.match(docs[5], /host\.example\.agents\.\s+IN\s+AAAA/);
  t.match(docs[7], /writer\.example\.agents\.\s+IN\s+TXT/);
});

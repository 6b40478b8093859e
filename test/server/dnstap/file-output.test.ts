// dnstap to a file (unidirectional Frame Streams: START, data, STOP), read back by dnstap-read.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dig } from '../../helpers/dig.js';
import { requireTool, run } from '../../helpers/peers.js';
import { startDaemon } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'serve');

t.test('a dnstap file that dnstap-read reads', async (t) => {
  if (!requireTool(t, 'dnstap-read', 'bind9-dnsutils') || !requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-dnstap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'out.fstrm');
  const { daemon, port } = await startDaemon(t, { zonesDir, dnstap: { kind: 'file', path: file, identity: '' } });
  await dig(port, ['writer.example.agents', 'TXT']);
  await dig(port, ['+tcp', 'nope.example.agents', 'A']);
  await waitFor(() => daemon.stats.dnstapMessages === 4, '4 dnstap messages queued');
  await daemon.close();
  const r = await run('dnstap-read', ['-y', file]);
  t.equal(r.code, 0, r.stderr);
  const docs = r.stdout.split(/^---$/m).map((d) => d.trim()).filter(Boolean);
  t.equal(docs.length, 4);
  t.notMatch(r.stdout, /identity:/, "identity '' is left out");
  t.match(docs[0], /type: AUTH_QUERY/);
  t.match(docs[0], /writer\.example\.agents\.\s+IN\s+TXT/);
  t.match(docs[3], /type: AUTH_RESPONSE/);
  t.match(docs[3], /socket_protocol: TCP/);
  t.match(docs[3], /status: NXDOMAIN/);
  // The short form too: one line per message, query and response.
  const short = await run('dnstap-read', [file]);
  t.equal(short.stdout.trim().split('\n').length, 4);
  t.match(short.stdout, /AQ 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ UDP/);
});

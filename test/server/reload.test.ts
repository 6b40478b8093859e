// Zone reloads in the running daemon (what SIGHUP triggers): changed zones are swapped in, a zone
// that fails keeps its previous version, a new broken zone is not served, a removed file stops
// being served, a new file starts being served; the log says which.

import t from 'tap';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../src/base/log.js';
import { startDaemon } from '../helpers/server.js';
import { rawQuery, udpExchange } from '../helpers/udp.js';

function zone(origin: string, serial: number, extra = ''): string {
  return `$ORIGIN ${origin}.\n$TTL 300\n@ SOA ns1 hostmaster ${serial} 3600 600 604800 120\n@ NS ns1\nns1 A 192.0.2.1\n${extra}`;
}

/** RCODE and answer count for `name A`. */
async function ask(port: number, name: string): Promise<string> {
  const r = await udpExchange(port, rawQuery(1, name.split('.'), 1), 1000);
  if (!r) return 'no reply';
  const rcode = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'][r[3]! & 0x0f] ?? String(r[3]! & 0x0f);
  return `${rcode}/${r.readUInt16BE(6)}`;
}

t.test('reload', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = (o: string) => path.join(dir, `${o}.zone`);
  writeFileSync(file('a.agents'), zone('a.agents', 1, 'x A 192.0.2.10\n'));
  writeFileSync(file('b.agents'), zone('b.agents', 1, 'x A 192.0.2.20\n'));
  const lines: string[] = [];
  const logger: Logger = { debug() {}, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
  const { daemon, port } = await startDaemon(t, { zonesDir: dir, logger });
  t.equal(await ask(port, 'x.a.agents'), 'NOERROR/1');
  t.equal(await ask(port, 'y.a.agents'), 'NXDOMAIN/0');

  // A good change is swapped in.
  writeFileSync(file('a.agents'), zone('a.agents', 2, 'x A 192.0.2.10\ny A 192.0.2.11\n'));
  t.same(daemon.reload(), { loaded: 2, failed: 0 });
  t.equal(await ask(port, 'y.a.agents'), 'NOERROR/1', 'new record served');
  t.ok(lines.some((l) => /zone a\.agents\.: loaded serial 2, .* \(was serial 1\)/.test(l)), 'log names the serial change');

  // A broken change keeps the previous version in service.
  writeFileSync(file('b.agents'), zone('b.agents', 2, 'x A 192.0.2.20\nbad A not-an-address\n'));
  t.same(daemon.reload(), { loaded: 1, failed: 1 });
  t.equal(await ask(port, 'x.b.agents'), 'NOERROR/1', 'previous version still answers');
  t.equal(daemon.catalog.get('b.agents.')!.serial, 1);
  t.ok(lines.some((l) => /^error zone b\.agents\. failed to load; keeping serial 1 in service:\n.*b\.agents\.zone:7:\d+: /s.test(l)), 'error names file:line:col');

  // A removed file stops being served; the broken one is still kept.
  unlinkSync(file('a.agents'));
  daemon.reload();
  t.equal(await ask(port, 'x.a.agents'), 'REFUSED/0', 'no longer served');
  t.equal(await ask(port, 'x.b.agents'), 'NOERROR/1');
  t.ok(lines.some((l) => /zone a\.agents\.: file removed, no longer served/.test(l)));

  // A new zone is served; a new zone that fails is not.
  writeFileSync(file('c.agents'), zone('c.agents', 5, 'x A 192.0.2.30\n'));
  writeFileSync(file('d.agents'), zone('d.agents', 5, 'x CNAME y\nx A 192.0.2.40\n'));
  daemon.reload();
  t.equal(await ask(port, 'x.c.agents'), 'NOERROR/1');
  t.equal(await ask(port, 'x.d.agents'), 'REFUSED/0');
  t.ok(lines.some((l) => /^error zone d\.agents\. failed to load; not served/.test(l)));

  // Fixed later, it is picked up.
  writeFileSync(file('d.agents'), zone('d.agents', 6, 'x A 192.0.2.40\n'));
  writeFileSync(file('b.agents'), zone('b.agents', 3, 'x A 192.0.2.21\n'));
  t.same(daemon.reload(), { loaded: 3, failed: 0 });
  t.equal(await ask(port, 'x.d.agents'), 'NOERROR/1');
  t.equal(daemon.catalog.get('b.agents.')!.serial, 3);
});

// Warnings any client can cause with a packet (a bad TSIG, a refused AXFR, a refused UPDATE) are
// rate limited per kind: the first few of a window are logged, the rest counted, and one line
// says how many were left out. The clock is injected: no waiting for the 10 s window.

import t from 'tap';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../helpers/server.js';
import type { Logger } from '../../src/base/log.js';
import { LogLimiter } from '../../src/base/log-limit.js';
import { parseListen } from '../../src/server/listen.js';
import { exchange } from '../../src/transport/index.js';
import { encodeMessage, encodeQuery, newMessage } from '../../src/wire/message.js';
import { Keyring, signMessage, type TsigKey } from '../../src/wire/tsig.js';
import { Opcode, RRClass, RRType, Rcode } from '../../src/wire/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ZONE = 'acme.agents.';
const admin: TsigKey = { name: 'admin-key', algorithm: 'hmac-sha256.', secret: Buffer.from('YWRtaW4gc2VjcmV0IGZvciB0aGUgYWNtZSB6b25lIQ==', 'base64') };
const stranger: TsigKey = { ...admin, name: 'stranger-key' };

t.test('LogLimiter: first N per kind per window, then one summary line', async (t) => {
  let now = 1_000_000;
  const lines: string[] = [];
  const lim = new LogLimiter({ warn: (m) => lines.push(m) }, { burst: 3, intervalMs: 10_000, now: () => now, timer: false });
  for (let i = 0; i < 20; i++) lim.warn('TSIG failure', `bad ${i}`);
  lim.warn('refused transfer', 'axfr 0');
  t.same(lines, ['bad 0', 'bad 1', 'bad 2', 'axfr 0'], 'three of the first kind, the other kind apart');
  now += 9_999;
  lim.tick();
  t.equal(lines.length, 4, 'nothing said before the window ends');
  now += 1;
  lim.tick();
  t.same(lines.slice(4), ['suppressed 17 more TSIG failure line(s) in the last 10 s'], 'one summary; none for a kind that lost nothing');
  lim.warn('TSIG failure', 'bad again');
  t.equal(lines.at(-1), 'bad again', 'a new window logs again');
  for (let i = 0; i < 5; i++) lim.warn('TSIG failure', 'more');
  lim.close();
  t.equal(lines.at(-1), 'suppressed 3 more TSIG failure line(s) in the last 10 s', 'close says what is still counted');
  t.same(lim.counts, { logged: 7, suppressed: 20 });
});

t.test('a flood of bad-TSIG, refused-AXFR and refused-UPDATE packets logs a few lines each', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-reflog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), path.join(dir, 'acme.agents.zone'));
  let now = 5_000_000;
  const lines: string[] = [];
  // The bundled zone's own load warnings (AID clients refuse its http agents) are not refusals.
  const logger: Logger = { debug() {}, info() {}, warn: (m) => { if (!/^zone |: warning: /.test(m)) lines.push(m); }, error: (m) => lines.push(m) };
  const { host, port } = await startDaemon(t, {
    zonesDir: dir, listen: [parseListen('127.0.0.1:0')], keyring: new Keyring([admin]), update: { flushDelayMs: 50 }, logger,
    logLimit: { burst: 5, intervalMs: 10_000, now: () => now, timer: false },
  });
  const server = { address: host, port };
  const update = (): Buffer => encodeMessage(newMessage({ id: 3, opcode: Opcode.UPDATE, questions: [{ name: ZONE, type: RRType.SOA, class: RRClass.IN }] }));
  const N = 60;
  const flood = async (): Promise<number[]> => {
    const rcodes: number[] = [];
    for (let i = 0; i < N; i += 20) {
      const batch = Array.from({ length: Math.min(20, N - i) }, async () => {
        const badTsig = await exchange(server, signMessage(encodeQuery('writer.acme.agents.', RRType.A), stranger).message, { timeout: 10_000 });
        const axfr = await exchange(server, encodeQuery(ZONE, RRType.AXFR), { timeout: 10_000, tcp: true });
        const upd = await exchange(server, update(), { timeout: 10_000 });
        rcodes.push(badTsig.message.rcode, axfr.message.rcode, upd.message.rcode);
      });
      await Promise.all(batch);
    }
    return rcodes;
  };
  const rcodes = await flood();
  t.equal(rcodes.length, 3 * N, 'every packet answered');
  t.same([...new Set(rcodes)].sort(), [Rcode.REFUSED, Rcode.NOTAUTH].sort(), 'NOTAUTH (BADKEY) and REFUSED');
  const count = (re: RegExp): number => lines.filter((l) => re.test(l)).length;
  t.equal(count(/^tsig: /), 5, 'five bad-TSIG lines');
  t.equal(count(/^AXFR of /), 5, 'five refused-AXFR lines');
  t.equal(count(/^update .* unsigned: REFUSED/), 5, 'five refused-UPDATE lines');
  t.equal(count(/^suppressed/), 0, 'no summary before the window ends');

  now += 10_000;
  await exchange(server, update(), { timeout: 10_000 });
  t.ok(lines.includes(`suppressed ${N - 5} more refused unsigned UPDATE line(s) in the last 10 s`), 'the update summary');
  t.ok(lines.includes(`suppressed ${N - 5} more TSIG failure line(s) in the last 10 s`), 'the TSIG summary');
  t.ok(lines.includes(`suppressed ${N - 5} more refused transfer line(s) in the last 10 s`), 'the transfer summary');
  t.equal(count(/^update .* unsigned: REFUSED/), 6, 'a new window logs the next one');
  t.ok(lines.length <= 3 * 5 + 3 + 1, `${lines.length} lines for ${3 * N + 1} packets`);
});

// The bundled zones walked as the DNS-AID reference client (dns-aid-core 0.28) walks an
// organisation, over the wire from the real daemon: TXT at `_index._agents.<org>` (the first
// string with an entry), then SVCB at `{label}.{org}` for each entry, one AliasMode hop, the
// first ServiceMode record of the answer taken as it comes. Every agent the PTR index lists is
// found, every one carries `bap` "mcp" (one token) and no `mandatory` key, and the first record
// is the preferred one.

import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dnsAidIndexView, readSvcb, SvcKey } from '../../src/agent/index.js';
import { exchange } from '../../src/transport/index.js';
import { encodeQuery } from '../../src/wire/message.js';
import { readName } from '../../src/wire/name.js';
import { RRType } from '../../src/wire/types.js';
import { startDaemon } from '../helpers/server.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { parseListen } from '../../src/server/listen.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

t.test('a DNS-AID zone walk of each bundled organisation finds every indexed agent', async (t) => {
  const net = await leaseNet(t);
  const { host, port } = await startDaemon(t, { zonesDir: path.join(root, 'zones'), listen: [parseListen(`${net.host(1)}:0`)] });
  const ask = async (name: string, type: number) => (await exchange({ address: host, port }, encodeQuery(name, type, { rd: false }), { timeout: 10_000 })).message.answers.filter((r) => r.type === type);
  let found = 0;
  for (const org of ['acme.agents', 'globex.agents']) {
    const index = `_index._agents.${org}.`;
    const txt = await ask(index, RRType.TXT);
    t.equal(txt.length, 1, `${org}: one TXT index record`);
    const entries = dnsAidIndexView(txt.map((r) => r.rdata));
    const ptrs = (await ask(index, RRType.PTR)).map((r) => readName(r.rdata, 0).name).sort();
    t.same(entries.map((e) => `${e.label}.${org}.`).sort(), ptrs, `${org}: the TXT index names what the PTRs name`);
    for (const e of entries) {
      t.equal(e.protocol, 'mcp');
      let answer = await ask(`${e.label}.${org}.`, RRType.SVCB);
      let first = readSvcb(answer[0]!.rdata);
      if (first.priority === 0) {
        // One AliasMode hop, then the first ServiceMode record of that answer.
        answer = await ask(first.target, RRType.SVCB);
        first = readSvcb(answer.find((r) => readSvcb(r.rdata).priority > 0)!.rdata);
      }
      const all = answer.map((r) => readSvcb(r.rdata).priority).filter((p) => p > 0);
      t.equal(first.priority, Math.min(...all), `${e.label}.${org}: the first record is the preferred one`);
      t.equal(first.params.get(SvcKey.bap)?.toString('latin1'), 'mcp', `${e.label}.${org}: bap "mcp"`);
      t.notOk(first.params.has(0), `${e.label}.${org}: no mandatory key`);
      found++;
    }
  }
  t.equal(found, 9, 'all nine agents of the bundled organisations');
});

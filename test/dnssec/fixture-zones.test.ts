// Every good zone of the fixtures and the bundled world, signed by aop's signer (KSK and ZSK)
// and written out as an AXFR sends it, passes dnssec-verify (the full completeness test) and
// ldns-verify-zone: wildcards, delegations with glue, DNAME, empty non-terminals, generic
// types, TTL runs, duplicate records, SVCB.

import t from 'tap';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadZoneFile, originFromFileName } from '../../src/zone/load.js';
import { Signer } from '../../src/authority/signer.js';
import { axfrRecords } from '../../src/xfr/axfr-out.js';
import { rdataToText } from '../../src/wire/rdata.js';
import { typeToString } from '../../src/wire/types.js';
import { requireTool, run } from '../helpers/peers.js';
import { scratchDir } from '../helpers/child.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dirs = ['test/fixtures/zones/good', 'test/fixtures/agent-zones', 'test/fixtures/serve', 'zones'];

t.test('signed fixture zones pass dnssec-verify and ldns-verify-zone', async (t) => {
  if (!requireTool(t, 'dnssec-verify', 'bind9-utils') || !requireTool(t, 'ldns-verify-zone', 'ldnsutils')) return;
  const dir = scratchDir(t, 'aop-sigfix-');
  const signer = new Signer({ keyDir: path.join(dir, 'keys'), algorithm: 13, keyLayout: 'split', times: { validity: 14 * 86400, refresh: 5 * 86400, backdate: 3600 } });
  let n = 0;
  for (const d of dirs) {
    for (const f of readdirSync(path.join(root, d)).filter((x) => x.endsWith('.zone'))) {
      const zone = loadZoneFile(path.join(root, d, f), { origin: originFromFileName(f) });
      const signed = signer.view(zone);
      t.not(signed, zone, `${f} signed`);
      const out = path.join(dir, `${f}.signed`);
      writeFileSync(out, axfrRecords(signed).slice(0, -1).map((r) => `${r.name} ${r.ttl} IN ${typeToString(r.type)} ${rdataToText(r.type, r.rdata)}`).join('\n') + '\n');
      const v = await run('dnssec-verify', ['-o', zone.origin, out], 60_000);
      t.equal(v.code, 0, `dnssec-verify ${d}/${f}: ${v.stderr.split('\n').slice(-3).join(' ')}`);
      const l = await run('ldns-verify-zone', [out], 60_000);
      t.equal(l.code, 0, `ldns-verify-zone ${d}/${f}: ${l.stdout}${l.stderr}`);
      n++;
    }
  }
  t.ok(n >= 20, `${n} zones`);
});

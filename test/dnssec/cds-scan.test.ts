// The parental agent's checks (RFC 7344 4.1) against a live aop-signed child: a CDS vouched for
// by the current DS is taken, one whose DNSKEY RRset no current DS names is refused, a DS set
// equal to the CDS is left alone, and no DS at all (an insecure delegation) is left to the bootstrap.

import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { scanChild } from '../../src/authority/cds-scan.js';
import { dsFromDnskey } from '../../src/dnssec/ds.js';
import { generateKey, KSK_FLAGS, readKeyDir } from '../../src/dnssec/keys.js';
import { scratchDir } from '../helpers/child.js';
import { startDaemon } from '../helpers/server.js';

t.test('CDS accepted only through the current DS chain', async (t) => {
  const dir = scratchDir(t, 'aop-cds-');
  const zones = path.join(dir, 'zones');
  mkdirSync(zones);
  writeFileSync(path.join(zones, 'child.example.zone'), '$ORIGIN child.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n');
  const keyDir = path.join(dir, 'keys');
  const { port } = await startDaemon(t, { zonesDir: zones, dnssec: { keyDir, algorithm: 13, keyLayout: 'split', times: { validity: 86400 * 14, refresh: 86400 * 5, backdate: 3600 } } });
  const servers = [{ address: '127.0.0.1', port }];
  const now = Math.floor(Date.now() / 1000);
  const ksk = readKeyDir(keyDir, 'child.example.').find((k) => k.flags === 257)!;
  const good = dsFromDnskey('child.example.', ksk.dnskey, 2);
  const stranger = dsFromDnskey('child.example.', generateKey('child.example.', 13, KSK_FLAGS).dnskey, 2);

  const same = await scanChild('child.example.', [good], servers, now);
  t.equal(same.change, undefined, `DS equal to the CDS: no change (${same.why})`);
  t.match(same.why, /is what the CDS asks for/);

  const refused = await scanChild('child.example.', [stranger], servers, now);
  t.equal(refused.change, undefined, 'a DS naming none of the child\'s keys: refused');
  t.match(refused.why, /not signed by a key the current DS names/);

  const taken = await scanChild('child.example.', [good, stranger], servers, now);
  t.same(taken.change?.map((d) => d.toString('hex')), [good.toString('hex')], `an extra DS is asked away by the CDS (${taken.why})`);

  const none = await scanChild('child.example.', [], servers, now);
  t.equal(none.change, undefined);
  t.match(none.why, /insecure delegation is taken secure only by the RFC 8078 bootstrap/);
});

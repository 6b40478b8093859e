// The parental agents' DS answers validated: a child rolling its KSK by double-DS, in a daemon
// that also validates (`--resolver` with the parent's anchor), asks two parental agents for its
// DS set. The first lies: a copy of the parent zone, signed with keys of its own, that already
// holds the successor's DS. Its answer is bogus to the child's validator and is not taken, so
// the roll does not move on before the real parent has the DS; once the real parent (aop with
// `--dnssec-cds-scan`) has taken the DS from the child's CDS, its secure answer moves the roll.
// A daemon whose trust anchors do not cover the parent takes the agents' answers as given.

import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/base/time.js';
import { Daemon } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';
import { parseHints } from '../../src/resolver/hints.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { readKeyDir } from '../../src/dnssec/keys.js';
import { parseTrustAnchors } from '../../src/resolver/validate/index.js';
import { scratchDir } from '../helpers/child.js';
import { dig } from '../helpers/dig.js';
import { requireTool } from '../helpers/peers.js';
import { leaseNet } from '../helpers/loopback-net.js';

const PORT = 5300;
const DAY = 86400;
const times = { validity: 80 * DAY, refresh: 30 * DAY, backdate: 3600 };

async function world(t: Test, anchorOf: 'parent' | 'unrelated') {
  const net = await leaseNet(t);
  const [P, C, F] = [net.host(2), net.host(3), net.host(4)];
  const dir = scratchDir(t, 'aop-agent-validated-');
  const clock = new ManualClock(Date.now() - 40 * DAY * 1000);
  const seconds = () => clock.seconds();
  const mk = (name: string) => { const d = path.join(dir, name); mkdirSync(d); return d; };
  const [pz, cz, fz, pk, ck, fk] = [mk('pzones'), mk('czones'), mk('fzones'), mk('pkeys'), mk('ckeys'), mk('fkeys')];
  const logs: string[] = [];
  const logger = { debug() {}, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
  const parentZone = (ds: string[]) => `$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${P}\nchild 600 NS ns.child\nns.child A ${C}\n${ds.join('\n')}\n`;

  // The parent's keys first: the child's validator is given their DS as its anchor.
  writeFileSync(path.join(cz, 'child.example.zone'), `$ORIGIN child.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A ${C}\nwww A 192.0.2.3\n`);
  const childOpts = (anchor: string) => ({
    zonesDir: cz, listen: [parseListen(`${C}:${PORT}`)], logger,
    dnssec: { keyDir: ck, algorithm: 13, keyLayout: 'split' as const, times, now: seconds, kskLifetime: 30 * DAY, rollover: { parentalAgents: [{ address: F, port: PORT }, { address: P, port: PORT }] } },
    resolver: {
      hints: parseHints(`example. 3600 IN NS ns.example.\nns.example. 3600 IN A ${P}\n`), upstreamPort: PORT, timeout: 2000, warmUp: 0,
      cache: { now: clock.now }, validation: { anchors: parseTrustAnchors(anchor), now: seconds },
    },
  });
  // Keys of the child made by a first start (no parent yet), then the parent with its DS.
  const first = new Daemon({ zonesDir: cz, listen: [parseListen(`${C}:${PORT}`)], dnssec: { keyDir: ck, algorithm: 13, keyLayout: 'split', times, now: seconds } });
  await first.start();
  await first.close();
  const ds1 = parentDsLines('child.example.', ck).map((l) => l.replace(' IN DS ', ' 600 IN DS '));
  writeFileSync(path.join(pz, 'example.zone'), parentZone(ds1));
  const parent = new Daemon({
    zonesDir: pz, listen: [parseListen(`${P}:${PORT}`)],
    dnssec: { keyDir: pk, algorithm: 13, keyLayout: 'combined', times, now: seconds, rollover: { cdsScan: true, cdsPort: PORT } },
  });
  await parent.start();
  t.teardown(() => parent.close());
  const unrelated = 'unrelated. 3600 IN DS 12345 13 2 ' + 'AB'.repeat(32);
  const child = new Daemon(childOpts(anchorOf === 'parent' ? parentDsLines('example.', pk).join('\n') : unrelated));
  await child.start();
  t.teardown(() => child.close());
  t.ok(child.validator, 'the child daemon validates');

  const kskTags = () => readKeyDir(ck, 'child.example.').filter((k) => k.flags === 257).map((k) => k.tag);
  const ksk1 = kskTags()[0]!;
  clock.advance(30 * DAY + 1);
  await child.dnssecPass();
  const ksk2 = kskTags().find((k) => k !== ksk1)!;
  t.ok(ksk2, 'the child made a successor KSK and publishes the CDS of both');

  // The liar: the parent zone with both DS already, signed by keys no anchor vouches for.
  writeFileSync(path.join(fz, 'example.zone'), parentZone(parentDsLines('child.example.', ck).map((l) => l.replace(' IN DS ', ' 600 IN DS '))));
  const liar = new Daemon({ zonesDir: fz, listen: [parseListen(`${F}:${PORT}`)], dnssec: { keyDir: fk, algorithm: 13, keyLayout: 'combined', times, now: seconds } });
  await liar.start();
  t.teardown(() => liar.close());
  const lied = (await dig(PORT, ['+dnssec', 'child.example.', 'DS'], F)).answer.filter((l) => l.split(' ')[3] === 'DS').map((l) => Number(l.split(' ')[4])).sort();
  t.same(lied, [ksk1, ksk2].sort(), 'the liar answers both DS, authoritatively');

  const k2 = () => readKeyDir(ck, 'child.example.').find((k) => k.tag === ksk2)!;
  return { clock, child, parent, k2, logs, F };
}

t.test('a forged DS answer from a parental agent does not move a KSK roll', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const { clock, child, parent, k2, logs, F } = await world(t, 'parent');
  clock.advance(60);
  await child.dnssecPass();
  t.equal(k2().timing.DSPublish, undefined, 'the forged DS set is not taken: no DSPublish');
  t.ok(logs.some((l) => new RegExp(`the DS answer of parental agent ${F.replace(/\./g, '\\.')} is not taken: bogus`).test(l)), 'the log says the liar\'s answer was bogus');

  await parent.dnssecPass();
  clock.advance(60);
  await child.dnssecPass();
  t.equal(k2().timing.DSPublish, clock.seconds(), 'the real parent took the DS from the CDS: its secure answer sets DSPublish');
  t.equal(k2().timing.Activate, clock.seconds() + 600, 'and the switch is timed a DS TTL later');
});

t.test('with no trust anchor over the parent, the agents\' answers are taken as given', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const { clock, child, k2 } = await world(t, 'unrelated');
  clock.advance(60);
  await child.dnssecPass();
  t.equal(k2().timing.DSPublish, clock.seconds(), 'the first agent\'s answer (unjudged: no anchor covers example.) is taken');
});

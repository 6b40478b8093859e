// The crawler's IXFR (RFC 1995): after a first AXFR of an organisation, a moved serial is read as
// the differences from the serial held, and only the agents they touch are read again: an agent
// registered is added, one deregistered removed, the others left as they were; each entry says
// the server it came from and the serial, the zone says by which method. Changes it cannot apply
// agent by agent (an address that may be an endpoint's host) fall back to a whole AXFR, as a
// secondary does. Against aop's own IXFR (its update journal) and Knot serving IXFR from its
// journal as aop's secondary.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Crawler, DirectoryStore } from '../../src/directory/index.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { parseListen } from '../../src/server/listen.js';
import { Keyring } from '../../src/wire/tsig.js';
import { parseKeySpec } from '../../src/wire/tsig-key.js';
import { checkConfig, requireDaemon, sbin, scratchDir, startPeer, waitUntilAnswers } from '../helpers/child.js';
import { knotServerConf } from '../helpers/peer-conf.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool, run } from '../helpers/peers.js';
import { startDaemon } from '../helpers/server.js';
import { waitForSerial } from '../helpers/xfr.js';

const ORG = 'news.test';
const UPD = 'hmac-sha256:upd-key:' + Buffer.from('update key secret, 32 bytes long!').toString('base64');
const svcb = (label: string): string =>
  `${label}.${ORG}. 300 IN SVCB 1 mcp.${ORG}. alpn="mcp" port=18199 key65320="/${label}" key65321="streamable-http" key65322="${label}_tool" key65324="Agent ${label}" key65326="http"`;
const zoneText = (labels: string[]): string => [
  `$ORIGIN ${ORG}.`, '$TTL 300', `@ IN SOA ns.${ORG}. host.${ORG}. ( 1 3600 900 604800 300 )`, `@ IN NS ns.${ORG}.`, 'ns IN A 127.0.0.1', 'mcp IN A 127.0.0.1',
  ...labels.flatMap((l) => [svcb(l), `_index._agents IN PTR ${l}.${ORG}.`]), ''].join('\n');

t.test('IXFR after the first AXFR: the differences applied agent by agent', async (t) => {
  if (!requireTool(t, 'nsupdate', 'bind9-dnsutils')) return;
  const net = await leaseNet(t);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dir-ixfr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, `${ORG}.zone`), zoneText(['anchor', 'reporter']));
  const HOST = net.host(1);
  const KNOT = net.host(4);
  const { daemon, port } = await startDaemon(t, {
    zonesDir: dir, listen: [parseListen(`${HOST}:0`)], keyring: new Keyring([parseKeySpec(UPD)]),
    update: { flushDelayMs: 50 }, transfers: { allow: ['127.0.0.0/8'], notify: [{ address: KNOT, port: 53 }], notifyAttempts: 8 },
  });
  const ours = { address: HOST, port };
  const nsupdate = async (lines: string[]): Promise<void> => {
    const script = [`server ${HOST} ${port}`, `zone ${ORG}.`, ...lines, 'send', ''].join('\n');
    const r = await run('sh', ['-c', `printf '%s' "$1" | nsupdate -y "$2"`, 'nsupdate', script, UPD]);
    if (r.code !== 0) throw new Error(`nsupdate failed: ${r.stdout}${r.stderr}`);
  };
  const serial = (): number => daemon.catalog.get(`${ORG}.`)!.serial;

  const store = DirectoryStore.open(path.join(dir, 'd.db'));
  t.teardown(() => store.close());
  const crawler = new Crawler({ store, lookup: new NetworkLookup(ours), orgs: [ORG], transferServers: () => [ours] });
  t.teardown(() => crawler.close());

  let r = await crawler.checkZone(ORG);
  t.equal(r.method, 'axfr', 'the first read is a whole transfer');
  t.same(store.namesOf(ORG), [`anchor.${ORG}`, `reporter.${ORG}`]);
  const anchorBefore = store.get(`anchor.${ORG}`)!;

  await nsupdate([`update add ${svcb('editor')}`, `update add _index._agents.${ORG}. 300 PTR editor.${ORG}.`]);
  r = await crawler.checkZone(ORG);
  t.equal(r.method, 'ixfr', 'a moved serial is read as its differences');
  t.equal(r.serial, serial());
  t.equal(r.agents, 3, 'three agents now');
  t.same(store.namesOf(ORG), [`anchor.${ORG}`, `editor.${ORG}`, `reporter.${ORG}`], 'the registered agent is added');
  t.same(store.search('"editor"*', {}, 0, 5).map((a) => a.name), [`editor.${ORG}`], 'and searchable');
  const editor = store.get(`editor.${ORG}`)!;
  t.same(editor.source, { server: `${HOST}:${port}`, zone: ORG, serial: serial() }, 'the entry says where it came from, at which serial');
  t.equal(store.zone(ORG)!.method, 'ixfr', 'the zone says how it was read');
  t.equal(store.get(`anchor.${ORG}`)!.source.serial, anchorBefore.source.serial, 'an agent the differences did not touch is not rewritten');
  t.ok(store.get(`anchor.${ORG}`)!.confirmedAt > anchorBefore.confirmedAt, 'but confirmed at the new serial');

  await nsupdate([`update delete reporter.${ORG}. SVCB`, `update delete _index._agents.${ORG}. PTR reporter.${ORG}.`]);
  r = await crawler.checkZone(ORG);
  t.equal(r.method, 'ixfr');
  t.equal(r.removed, 1, 'one agent removed');
  t.same(store.namesOf(ORG), [`anchor.${ORG}`, `editor.${ORG}`], 'the deregistered agent is gone');
  t.equal(store.zone(ORG)!.agents, 2);

  await nsupdate([`update delete ${svcb('editor')}`, `update add ${svcb('editor').replace('Agent editor', 'The night editor')}`]);
  r = await crawler.checkZone(ORG);
  t.equal(r.method, 'ixfr');
  t.equal(store.get(`editor.${ORG}`)!.description, 'The night editor', 'a changed agent is read again');

  // An address at a name that is not an agent may be an endpoint's host: the zone is read whole.
  await nsupdate([`update add mcp.${ORG}. 300 A 127.0.0.9`]);
  r = await crawler.checkZone(ORG);
  t.equal(r.method, 'axfr', 'a change it cannot apply agent by agent falls back to AXFR');
  t.same(store.namesOf(ORG), [`anchor.${ORG}`, `editor.${ORG}`]);

  // Knot as aop's secondary, IXFR from its journal to the crawler.
  if (!requireDaemon(t, 'knotd', 'knot')) return;
  const kdir = scratchDir(t, 'aop-knot-ixfr-');
  const conf = path.join(kdir, 'knot.conf');
  writeFileSync(conf, [
    ...knotServerConf({ dir: kdir, listen: [`${KNOT}@53`] }),
    'remote:', '  - id: primary', `    address: ${HOST}@${port}`, `    via: ${KNOT}`,
    'acl:', '  - id: notify', `    address: ${HOST}`, '    action: notify', '  - id: xfr', '    address: 127.0.0.0/8', '    action: transfer',
    'template:', '  - id: default', `    storage: "${kdir}"`, '    file: "%s.zone"', '    zonefile-sync: -1',
    'zone:', `  - domain: ${ORG}.`, '    master: primary', '    acl: [notify, xfr]',
  ].join('\n') + '\n');
  await checkConfig(sbin('knotc'), ['-c', conf, 'conf-check']);
  const knot = startPeer(t, `knotd secondary (${KNOT})`, sbin('knotd'), ['-c', conf]);
  await waitUntilAnswers(knot, KNOT, 53, `${ORG}.`, 'SOA', { timeoutMs: 30_000 });
  const atKnot = { address: KNOT, port: 53 };
  const kstore = DirectoryStore.open(path.join(dir, 'k.db'));
  t.teardown(() => kstore.close());
  const kc = new Crawler({ store: kstore, lookup: new NetworkLookup(atKnot), orgs: [ORG], transferServers: () => [atKnot] });
  t.teardown(() => kc.close());
  t.equal(await waitForSerial(atKnot, `${ORG}.`, serial(), 30_000), serial(), 'Knot holds the primary\'s serial');
  r = await kc.checkZone(ORG);
  t.equal(r.method, 'axfr', 'from Knot: a whole transfer first');
  await nsupdate([`update add ${svcb('critic')}`, `update add _index._agents.${ORG}. 300 PTR critic.${ORG}.`]);
  t.equal(await waitForSerial(atKnot, `${ORG}.`, serial(), 30_000), serial(), 'Knot holds the primary\'s serial');
  r = await kc.checkZone(ORG);
  t.equal(r.method, 'ixfr', 'then IXFR from Knot\'s journal');
  t.same(kstore.namesOf(ORG), [`anchor.${ORG}`, `critic.${ORG}`, `editor.${ORG}`], 'the agent registered at the primary is added');
  t.equal(kstore.get(`critic.${ORG}`)!.source.server, `${KNOT}:53`, 'read from Knot');
});

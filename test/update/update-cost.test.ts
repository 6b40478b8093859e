// An UPDATE costs what it changes, not the zone: the new zone version is the old one's index
// copied and the touched RRsets edited (Zone.withChange), validated at the names the change can
// affect (validateChange), and agent-checked at the touched names. Held by work counters, not
// timings; and by a property test that the shortcut gives what the whole rebuild and the whole
// validation give.

import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../helpers/rng.js';
import { startDaemon } from '../helpers/server.js';
import { parseListen } from '../../src/server/listen.js';
import { exchange } from '../../src/transport/index.js';
import { encodeMessage, newMessage } from '../../src/wire/message.js';
import { rdataFromText } from '../../src/wire/rdata.js';
import { nameKey } from '../../src/wire/name.js';
import type { RR } from '../../src/wire/rr.js';
import { tokenize } from '../../src/wire/token.js';
import { Keyring, signMessage, type TsigKey } from '../../src/wire/tsig.js';
import { Opcode, RRClass, RRType, Rcode, typeFromString } from '../../src/wire/types.js';
import { sameRdata, type Change } from '../../src/zone/journal.js';
import { validateZone } from '../../src/zone/validate.js';
import { Zone, zoneWork } from '../../src/zone/zone.js';
import { updateWork, validateChange } from '../../src/update/apply.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ZONE = 'acme.agents.';
const admin: TsigKey = { name: 'admin-key', algorithm: 'hmac-sha256.', secret: Buffer.from('YWRtaW4gc2VjcmV0IGZvciB0aGUgYWNtZSB6b25lIQ==', 'base64') };

function rr(name: string, type: string, rdata: string, ttl = 300): RR {
  const tn = typeFromString(type)!;
  return { name, type: tn, class: RRClass.IN, ttl, rdata: rdataFromText(tn, tokenize(rdata), ZONE) };
}

/** The zone a whole rebuild gives: every record but the deleted, plus the added (journal semantics). */
function rebuilt(zone: Zone, change: Change): Zone {
  const sets = new Map<string, { name: string; type: number; class: number; ttl: number; rdata: Buffer[] }>();
  const k = (name: string, type: number): string => `${nameKey(name)}|${type}`;
  for (const r of zone.records()) {
    const key = k(r.name, r.type);
    const s = sets.get(key) ?? { name: r.name, type: r.type, class: r.class, ttl: r.ttl, rdata: [] };
    s.rdata.push(r.rdata);
    sets.set(key, s);
  }
  for (const r of change.deleted) {
    const s = sets.get(k(r.name, r.type));
    if (!s) continue;
    s.rdata = s.rdata.filter((d) => !sameRdata(r.type, d, r.rdata));
    if (s.rdata.length === 0) sets.delete(k(r.name, r.type));
  }
  for (const r of change.added) {
    const key = k(r.name, r.type);
    const s = sets.get(key) ?? { name: r.name, type: r.type, class: r.class, ttl: r.ttl, rdata: [] };
    sets.set(key, s);
    s.ttl = r.ttl;
    if (r.type === RRType.SOA) s.rdata = [];
    if (!s.rdata.some((d) => sameRdata(r.type, d, r.rdata))) s.rdata.push(r.rdata);
  }
  const records: RR[] = [];
  for (const s of sets.values()) for (const rdata of s.rdata) records.push({ name: s.name, type: s.type, class: s.class, ttl: s.ttl, rdata });
  return new Zone(zone.origin, records, zone.class);
}

const show = (z: Zone): string[] => [...z.records()].map((r) => `${nameKey(r.name)} ${r.type} ${r.ttl} ${r.rdata.toString('hex')}`).sort();
const nodes = (z: Zone): string[] => [...z.allNodes()].map((n) => `${nameKey(n.name)}:${[...n.rrsets.keys()].sort().join(',')}`).sort();

t.test('withChange gives the zone a rebuild gives, and validateChange the verdict of validateZone', async (t) => {
  const names = ['a', 'b', 'x.a', 'y.x.a', 'ns.sub', 'sub', 'deep.ns.sub', 'c', '_agent.a', 'Mixed.Case'].map((n) => `${n}.${ZONE}`);
  const pool: RR[] = [
    ...names.flatMap((n) => [rr(n, 'A', '127.0.0.1'), rr(n, 'A', '127.0.0.2'), rr(n, 'TXT', '"t"'), rr(n, 'CNAME', 'c.acme.agents.'), rr(n, 'AAAA', '::1')]),
    rr(`sub.${ZONE}`, 'NS', 'ns.sub.acme.agents.'), rr(ZONE, 'NS', 'ns3.acme.agents.'), rr(`ns3.${ZONE}`, 'A', '127.0.0.3'),
    rr(`b.${ZONE}`, 'DNAME', 'elsewhere.example.'), rr(`A.${ZONE}`, 'a', '127.0.0.1'), rr(`x.a.${ZONE}`, 'PTR', 'A.acme.agents.'), rr(`x.a.${ZONE}`, 'PTR', 'a.ACME.agents.'),
  ];
  const base: RR[] = [
    rr(ZONE, 'SOA', 'ns1.acme.agents. h.acme.agents. 1 3600 900 604800 300'), rr(ZONE, 'NS', 'ns1.acme.agents.'), rr(`ns1.${ZONE}`, 'A', '127.0.0.3'),
  ];
  const random = rng(1412);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(random() * a.length)]!;
  let agree = 0;
  let faulty = 0;
  for (let round = 0; round < 400; round++) {
    // A valid zone to start from.
    let zone = new Zone(ZONE, base);
    for (let i = 0; i < 12; i++) {
      const cand = [...zone.records(), pick(pool)];
      if (validateZone(ZONE, cand.map((r) => ({ ...r, file: 'x', line: 0, col: 0 })), 'x').length === 0) zone = new Zone(ZONE, cand);
    }
    for (let step = 0; step < 4; step++) {
      const current = [...zone.records()].filter((r) => r.type !== RRType.SOA);
      const deleted = Array.from({ length: Math.floor(random() * 3) }, () => pick(current.length > 0 && random() < 0.7 ? current : pool)).map((r) => ({ ...r, ...(random() < 0.3 ? { name: r.name.toUpperCase() } : {}) }));
      const added = Array.from({ length: Math.floor(random() * 3) }, () => ({ ...pick(pool), ttl: pick([60, 300]) }));
      const soa = zone.soa;
      const newSoa = Buffer.from(soa.rdata[0]!);
      newSoa.writeUInt32BE(zone.serial + 1, newSoa.length - 20);
      const change: Change = {
        from: zone.serial, to: zone.serial + 1, time: 0,
        deleted: [{ name: soa.name, type: RRType.SOA, class: soa.class, ttl: soa.ttl, rdata: soa.rdata[0]! }, ...deleted],
        added: [{ name: soa.name, type: RRType.SOA, class: soa.class, ttl: soa.ttl, rdata: newSoa }, ...added],
      };
      const fast = zone.withChange(change.deleted, change.added, sameRdata);
      const slow = rebuilt(zone, change);
      if (show(fast).join('\n') !== show(slow).join('\n') || nodes(fast).join('\n') !== nodes(slow).join('\n') || fast.size !== slow.size || fast.nodeTotal !== slow.nodeTotal) {
        t.same({ records: show(fast), nodes: nodes(fast), size: fast.size, total: fast.nodeTotal }, { records: show(slow), nodes: nodes(slow), size: slow.size, total: slow.nodeTotal }, `round ${round} step ${step}: withChange = rebuild`);
        return;
      }
      const whole = validateZone(ZONE, [...slow.records()].map((r) => ({ ...r, file: '<update>', line: 0, col: 0 })), '<update>');
      const part = validateChange(zone, fast, change);
      if ((whole.length === 0) !== (part.length === 0)) {
        t.same(part.map((f) => f.message), whole.map((f) => f.message), `round ${round} step ${step}: same verdict\n${show(zone).join('\n')}\n-${deleted.map((r) => `${r.name} ${r.type}`).join(' ')} +${added.map((r) => `${r.name} ${r.type}`).join(' ')}`);
        return;
      }
      agree++;
      if (whole.length > 0) faulty++;
      else zone = fast;
      t.equal(fast.faultFree(), slow.faultFree(), 'faultFree agrees') || t.fail('faultFree');
    }
  }
  t.ok(agree === 1600, `${agree} changes agree, ${faulty} of them refused`);
  t.ok(faulty > 50 && faulty < 1500, 'both verdicts were tried');
});

t.test('an UPDATE to a 20,000-record zone touches its change, not the zone', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-upcost-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  for (let i = 0; i < 5000; i++) {
    lines.push(`a${i} IN SVCB 1 mcp.acme.agents. alpn="mcp" port=18101 key65320="/a${i}" key65321="streamable-http" key65322="t"`);
    lines.push(`_agent.a${i} IN TXT "v=aid2;u=http://mcp.acme.agents:18101/a${i};p=mcp"`);
    lines.push(`_index._agents IN PTR a${i}.acme.agents.`);
    lines.push(`h${i} IN A 127.0.1.${i % 250}`);
  }
  writeFileSync(path.join(dir, 'acme.agents.zone'), `${readFileSync(path.join(root, 'zones', 'acme.agents.zone'), 'utf8')}\n${lines.join('\n')}\n`);
  const { daemon, host, port } = await startDaemon(t, { zonesDir: dir, listen: [parseListen('127.0.0.1:0')], keyring: new Keyring([admin]), update: { flushDelayMs: 60_000 } });
  const size = daemon.catalog.get(ZONE)!.size;
  t.ok(size > 20_000, `${size} records`);
  const send = async (authority: RR[]): Promise<number> => {
    const msg = encodeMessage(newMessage({ id: 5, opcode: Opcode.UPDATE, questions: [{ name: ZONE, type: RRType.SOA, class: RRClass.IN }], authority }));
    return (await exchange({ address: host, port }, signMessage(msg, admin).message, { timeout: 10_000 })).message.rcode;
  };
  const indexSize = daemon.catalog.get(ZONE)!.rrset(`_index._agents.${ZONE}`, RRType.PTR)!.rdata.length;
  const before = { ...zoneWork, ...updateWork };
  // A registration: SVCB, _agent TXT and an index PTR (the index holds 5,000 entries).
  t.equal(await send([
    rr(`scout.${ZONE}`, 'SVCB', '1 mcp.acme.agents. alpn=mcp port=18150 key65320="/mcp" key65321="streamable-http" key65322="scout"'),
    rr(`_agent.scout.${ZONE}`, 'TXT', '"v=aid2;u=http://mcp.acme.agents:18150/mcp;p=mcp"'),
    rr(`_index._agents.${ZONE}`, 'PTR', 'scout.acme.agents.'),
    rr(`new.${ZONE}`, 'A', '127.0.0.9'),
  ]), Rcode.NOERROR);
  // A host's address replaced: it keeps an address, so no agent can lose its endpoint.
  t.equal(await send([{ ...rr(`h8.${ZONE}`, 'A', '127.0.1.8', 0), class: RRClass.NONE }, rr(`h8.${ZONE}`, 'A', '127.0.2.8')]), Rcode.NOERROR);
  t.equal(zoneWork.versions - before.versions, 2);
  t.equal(updateWork.wholeAgentChecks - before.wholeAgentChecks, 0, 'no agent check of every agent for a replaced address');
  // A removal of a host's last address: then every agent is checked (one could point at it).
  t.equal(await send([{ ...rr(`h7.${ZONE}`, 'A', '127.0.1.7', 0), class: RRClass.NONE }]), Rcode.NOERROR);
  t.equal(updateWork.wholeAgentChecks - before.wholeAgentChecks, 1, 'a name left without an address checks every agent');
  const after = { ...zoneWork, ...updateWork };
  t.equal(daemon.catalog.get(ZONE)!.size, size + 4 - 1, 'all applied');
  t.equal(after.recordsBuilt - before.recordsBuilt, 0, 'no zone built record by record');
  t.equal(after.rebuilds - before.rebuilds, 0, 'no rebuild');
  t.equal(after.versions - before.versions, 3, 'one new version per update');
  t.ok(after.recordsTouched - before.recordsTouched <= 3 * 2 + 4 + 2 + 1, `records touched: ${after.recordsTouched - before.recordsTouched}`);
  t.equal(after.fullValidations - before.fullValidations, 0, 'no whole-zone validation');
  t.ok(after.recordsValidated - before.recordsValidated < 60, `records validated: ${after.recordsValidated - before.recordsValidated}`);
  // The index RRset is touched: its records are keyed a few times each, never compared pairwise.
  t.ok(after.recordsCompared - before.recordsCompared <= 4 * (indexSize + 1) + 100, `records keyed to diff: ${after.recordsCompared - before.recordsCompared} (index of ${indexSize})`);
  t.equal(daemon.catalog.get(ZONE)!.rrset(`_index._agents.${ZONE}`, RRType.PTR)!.rdata.length, indexSize + 1, 'the index grew by one');
  t.equal(daemon.catalog.get(ZONE)!.node(`h7.${ZONE}`), undefined, 'an emptied name is gone (NXDOMAIN, not NODATA)');
});

t.test('garbage left by many versions is collected by a rebuild, paid for by the updates', async (t) => {
  let zone = new Zone(ZONE, [rr(ZONE, 'SOA', 'ns1.acme.agents. h.acme.agents. 1 3600 900 604800 300'), rr(ZONE, 'NS', 'ns1.acme.agents.'), rr(`ns1.${ZONE}`, 'A', '127.0.0.3')]);
  const rebuilds = zoneWork.rebuilds;
  for (let i = 0; i < 1500; i++) {
    const prev = i > 0 ? [rr(`n${i - 1}.x.${ZONE}`, 'A', '127.0.0.1')] : [];
    zone = zone.withChange(prev, [rr(`n${i}.x.${ZONE}`, 'A', '127.0.0.1'), rr(`idx.${ZONE}`, 'PTR', `n${i}.acme.agents.`)], sameRdata);
  }
  t.ok(zoneWork.rebuilds > rebuilds, 'rebuilt at least once');
  t.equal(zone.size, 3 + 1 + 1500, 'every record kept');
  t.equal(zone.nodeTotal, 5, 'apex, ns1, x, n1499.x, idx: the emptied names are gone');
  t.equal(zone.rrset(`idx.${ZONE}`, RRType.PTR)!.rdata.length, 1500);
  t.same(zone.node(`n1499.x.${ZONE}`)?.rrsets.get(RRType.A)?.rdata.length, 1);
});

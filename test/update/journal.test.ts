// The journal (src/zone/journal.ts), the zone store (src/update/store.ts), serial arithmetic
// (src/zone/serial.ts) and update-policy rules (src/update/policy.ts): torn tails, IXFR history,
// compaction, replay, hand edits, RFC 1982 wrap.

import t from 'tap';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadZoneText } from '../../src/zone/load.js';
import { Journal, applyChange, decodeJournal, encodeChange, type Change } from '../../src/zone/journal.js';
import { nextSerial, serialAdd, serialCompare, serialGreater } from '../../src/zone/serial.js';
import { decide, parsePolicy, parseRule } from '../../src/update/policy.js';
import { ZoneStore } from '../../src/update/store.js';
import { nameToWire } from '../../src/wire/name.js';
import { RRType } from '../../src/wire/types.js';

const ZONE = `$ORIGIN ex.agents.
$TTL 300
@ IN SOA ns1 host 10 3600 900 604800 300
@ IN NS ns1
ns1 IN A 127.0.0.1
`;

function soa(serial: number): Buffer {
  const head = Buffer.concat([nameToWire('ns1.ex.agents.'), nameToWire('host.ex.agents.')]);
  const tail = Buffer.alloc(20);
  tail.writeUInt32BE(serial, 0);
  tail.writeUInt32BE(3600, 4);
  tail.writeUInt32BE(900, 8);
  tail.writeUInt32BE(604800, 12);
  tail.writeUInt32BE(300, 16);
  return Buffer.concat([head, tail]);
}

function change(from: number, label: string): Change {
  return {
    from, to: from + 1, time: 1,
    deleted: [{ name: 'ex.agents.', type: RRType.SOA, class: 1, ttl: 300, rdata: soa(from) }],
    added: [{ name: 'ex.agents.', type: RRType.SOA, class: 1, ttl: 300, rdata: soa(from + 1) }, { name: `${label}.ex.agents.`, type: RRType.A, class: 1, ttl: 60, rdata: Buffer.from([10, 0, 0, from & 0xff]) }],
  };
}

t.test('append, reopen, history for IXFR, replay', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-jnl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'ex.agents.jnl');
  const j = Journal.open(file, { maxHistory: 3 });
  for (let s = 10; s < 15; s++) j.append(change(s, `h${s}`));
  t.throws(() => j.append(change(20, 'gap')), { code: 'ERR_JOURNAL_GAP' });
  j.close();

  const again = Journal.open(file, { maxHistory: 3 });
  t.equal(again.changes.length, 5);
  t.equal(again.lastSerial, 15);
  t.same(again.changesSince(13)!.map((c) => c.from), [13, 14]);
  t.same(again.changesSince(15), [], 'up to date');
  t.equal(again.changesSince(5), undefined, 'history does not reach back: AXFR instead');

  let zone = loadZoneText(ZONE, { origin: 'ex.agents.' });
  for (const c of again.replayFrom(zone.serial)) zone = applyChange(zone, c);
  t.equal(zone.serial, 15);
  t.ok(zone.rrset('h14.ex.agents.', RRType.A));
  t.same(again.replayFrom(13).map((c) => c.from), [13, 14], 'only what the file lacks');
  t.throws(() => again.replayFrom(7), { code: 'ERR_JOURNAL_GAP' }, 'a file edited past the journal');

  // Compaction keeps what the zone file lacks, and history up to the limit.
  again.compact(12);
  t.same(again.changes.map((c) => c.from), [12, 13, 14], 'pending 12..14 kept; older ones dropped to the limit');
  again.append(change(15, 'h15'));
  again.close();
  t.same(Journal.open(file).changes.map((c) => c.from), [12, 13, 14, 15], 'the compacted file reopens and appends');
});

t.test('torn and corrupt tails are cut; other files are refused', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-jnl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'ex.agents.jnl');
  const j = Journal.open(file);
  j.append(change(10, 'a'));
  j.append(change(11, 'b'));
  j.close();
  const good = readFileSync(file).length;
  const next = encodeChange(change(12, 'c'));
  for (let cut = 1; cut < next.length; cut += 7) {
    writeFileSync(file, readFileSync(file).subarray(0, good));
    appendFileSync(file, next.subarray(0, cut));
    const o = Journal.open(file);
    t.equal(o.changes.length, 2, `cut at ${cut}: two whole entries`);
    t.equal(o.discardedBytes, cut);
    t.equal(readFileSync(file).length, good, 'file cut back');
  }
  const flipped = Buffer.from(next);
  flipped[20] = flipped[20]! ^ 1;
  appendFileSync(file, flipped);
  t.equal(Journal.open(file).changes.length, 2, 'checksum mismatch: cut');
  t.same(decodeJournal(Buffer.from('AOPJ')), { changes: [], goodLength: 0 }, 'a file torn inside its magic is empty');
  t.throws(() => decodeJournal(Buffer.from('not a journal at all')), { code: 'ERR_JOURNAL_CORRUPT' });
});

t.test('RFC 1982 serial arithmetic', async (t) => {
  t.equal(serialAdd(0xffffffff, 1), 0, 'wraps');
  t.equal(serialCompare(1, 0xffffffff), 1, '1 is after 2^32-1');
  t.equal(serialCompare(0xffffffff, 1), -1);
  t.equal(serialCompare(0, 0x80000000), undefined, 'exactly half apart: undefined');
  t.ok(serialGreater(5, 4));
  t.equal(nextSerial(0xffffffff), 0);
  t.equal(nextSerial(10, 500), 500, 'an explicit newer serial');
  t.equal(nextSerial(10, 5), 11, 'an older one is not used');
  t.throws(() => serialAdd(1, 0x80000000));
});

t.test('update-policy rules', async (t) => {
  const rules = parsePolicy([
    'deny writer-key name secret.acme.agents.',
    'grant writer-key subdomain acme.agents. SVCB TXT',
    'grant robot-key agent robot.acme.agents.',
    'grant * self ANY; grant admin-key wildcard *.globex.agents. ANY',
  ]);
  const rr = (name: string, type: number, rdata: Buffer = Buffer.alloc(0)) => ({ name, type, rdata });
  t.match(decide(rules, 'writer-key.', rr('a.acme.agents.', RRType.SVCB), 'acme.agents.'), { allowed: true });
  t.match(decide(rules, 'writer-key', rr('a.acme.agents.', RRType.A), 'acme.agents.'), { allowed: false }, 'type not listed');
  t.match(decide(rules, 'writer-key', rr('secret.acme.agents.', RRType.TXT), 'acme.agents.'), { allowed: false, rule: { grant: false } }, 'deny first');
  t.match(decide(rules, 'robot-key', rr('robot.acme.agents.', RRType.SVCB), 'acme.agents.'), { allowed: true });
  t.match(decide(rules, 'robot-key', rr('_agent.robot.acme.agents.', RRType.TXT), 'acme.agents.'), { allowed: true });
  t.match(decide(rules, 'robot-key', rr('_index._agents.acme.agents.', RRType.PTR, nameToWire('ROBOT.acme.agents.')), 'acme.agents.'), { allowed: true }, 'its index PTR');
  t.match(decide(rules, 'robot-key', rr('_index._agents.acme.agents.', RRType.PTR, nameToWire('writer.acme.agents.')), 'acme.agents.'), { allowed: false }, "another's PTR");
  t.match(decide(rules, 'robot-key', rr('robot.acme.agents.', RRType.NS), 'acme.agents.'), { allowed: false }, 'NS excluded by default');
  t.match(decide(rules, 'robot-key', rr('robot.acme.agents.', RRType.ANY), 'acme.agents.'), { allowed: false }, 'delete-all needs ANY');
  t.match(decide(rules, 'host1.acme.agents', rr('host1.acme.agents.', RRType.A), 'acme.agents.'), { allowed: true }, 'self');
  t.match(decide(rules, 'admin-key', rr('x.globex.agents.', RRType.A), 'globex.agents.'), { allowed: true }, 'wildcard');
  t.match(decide(rules, 'admin-key', rr('globex.agents.', RRType.A), 'globex.agents.'), { allowed: false }, 'wildcard excludes its base');
  t.match(decide(rules, 'stranger', rr('x.acme.agents.', RRType.A), 'acme.agents.'), { allowed: false, rule: undefined }, 'no rule: denied');
  for (const bad of ['allow k name x.', 'grant', 'grant k nearby x.', 'grant k name', 'grant k name x. NOTATYPE', 'grant k wildcard x.y.', 'grant k name bad..name']) {
    t.throws(() => parseRule(bad), { code: 'ERR_UPDATE_POLICY' }, bad);
  }
});

t.test('ZoneStore: commit, replay, and a zone file edited past the journal', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'ex.agents.zone'), ZONE);
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, warn: (m: string) => { warnings.push(m); }, error: (m: string) => { warnings.push(m); } };
  const store = new ZoneStore({ zonesDir: dir, flushDelayMs: 10_000, logger });
  let zone = store.recover(loadZoneText(ZONE, { origin: 'ex.agents.' }));
  for (let s = 10; s < 13; s++) {
    const c = change(s, `c${s}`);
    zone = applyChange(zone, c);
    store.commit(zone, c);
  }
  // A restart before the file was rewritten: the journal brings the file's zone up to date.
  const again = new ZoneStore({ zonesDir: dir, flushDelayMs: 10_000, logger });
  t.equal(again.recover(loadZoneText(ZONE, { origin: 'ex.agents.' })).serial, 13);
  await store.close();
  t.match(readFileSync(path.join(dir, 'ex.agents.zone'), 'utf8'), /ex\.agents\. 300 IN SOA ns1\.ex\.agents\. host\.ex\.agents\. 13 /, 'close rewrote the file');
  t.same(store.journal('ex.agents.').changes.length, 3, 'history kept after compaction');

  // The operator edits the file with a serial past the journal: taken as is, journal restarted.
  const edited = ZONE.replace(' 10 3600', ' 50 3600') + 'hand IN A 127.0.0.50\n';
  const third = new ZoneStore({ zonesDir: dir, flushDelayMs: 10_000, logger });
  const z = third.recover(loadZoneText(edited, { origin: 'ex.agents.' }));
  t.equal(z.serial, 50);
  t.match(warnings.join('\n'), /past the journal's 13; starting a new journal/);
  t.equal(third.journal('ex.agents.').changes.length, 0);
  const next = change(50, 'after');
  third.commit(applyChange(z, next), next);
  t.equal(third.journal('ex.agents.').lastSerial, 51, 'updates continue from the edited serial');
  // A file older than the journal that does not lead into it is refused.
  const fourth = new ZoneStore({ zonesDir: dir, flushDelayMs: 10_000, logger });
  t.throws(() => fourth.recover(loadZoneText(ZONE.replace(' 10 3600', ' 20 3600'), { origin: 'ex.agents.' })), { code: 'ERR_JOURNAL_GAP' });
  await third.close();
});

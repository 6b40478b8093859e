// `aop serve --dnssec --workers 2` (the built CLI) on a leased loopback /24: the primary makes the
// keys once, both workers sign with them and give the same signed answers (the same DNSKEY set,
// signer key and serial; each worker's AXFR accepted by dnssec-verify, its answers by delv), a
// ZSK roll is made by the lead worker alone and reaches the other worker, and a ZSK that reaches
// its Activate time takes over in both. Which worker answered is read from the per-worker query
// counts of `aop cache stats` around each question (the kernel spreads source ports over the
// workers' SO_REUSEPORT sockets).

import t, { type Test } from 'tap';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sendCommand } from '../../src/server/control.js';
import { generateKey, KSK_FLAGS, writeKeyFiles, ZSK_FLAGS } from '../../src/dnssec/keys.js';
import { parentDsLines } from '../../src/dnssec/parent-ds.js';
import { scratchDir } from '../helpers/child.js';
import { dig } from '../helpers/dig.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { requireTool, run } from '../helpers/peers.js';
import { spawnServe } from '../helpers/aop-serve.js';
import { waitForLog } from '../helpers/wait.js';

const NET = await leaseNet(t);
const PORT = 5300;
const ZONE = 'multi.test.';
const ZONE_TEXT = '$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\n';
const DAY = 86400;

interface Served { log: () => string; sock: string; host: string }


/** A world: the zone in its folder and a key folder (keys put there by `keys`, or none). */
function world(t: Test, keys?: (dir: string, now: number) => void): { zones: string; keyDir: string; dir: string } {
  const dir = scratchDir(t, 'aop-cluster-dnssec-');
  const zones = path.join(dir, 'zones');
  const keyDir = path.join(dir, 'keys');
  mkdirSync(zones);
  mkdirSync(keyDir);
  writeFileSync(path.join(zones, `${ZONE}zone`), ZONE_TEXT);
  keys?.(keyDir, Math.floor(Date.now() / 1000));
  return { zones, keyDir, dir };
}

async function serve(t: Test, host: string, w: { zones: string; keyDir: string; dir: string }, extra: string[] = []): Promise<Served> {
  const sock = path.join(w.dir, 'control.sock');
  const args = ['--zones', w.zones, '--listen', `${host}:${PORT}`, '--workers', '2', '--control', sock, '--allow-transfer', '127.0.0.0/8',
    '--dnssec', '--key-dir', w.keyDir, '--dnssec-keys', 'split', '--dnssec-validity', '1d', '--dnssec-refresh', '4s', '--log-format', 'text', ...extra];
  const { log } = await spawnServe(t, args, /2 workers serving/);
  return { log, sock, host };
}

async function perWorker(sock: string): Promise<Map<string, number>> {
  const r = await sendCommand(sock, 'stats');
  if (r.ok !== true) throw new Error(`stats failed: ${JSON.stringify(r)}`);
  const pw = (r.stats as { perWorker: Record<string, { queries: number }> }).perWorker;
  return new Map(Object.entries(pw).map(([w, v]) => [w, v.queries]));
}

/**
 * Run `ask` (one exchange, or a peer's few) until each of the 2 workers has alone answered one
 * run; returns each worker's result, by worker id.
 */
async function fromEach<T>(s: Served, ask: () => Promise<T>): Promise<Map<string, T>> {
  const got = new Map<string, T>();
  for (let i = 0; i < 80 && got.size < 2; i++) {
    const before = await perWorker(s.sock);
    const r = await ask();
    const after = await perWorker(s.sock);
    const grew = [...after].filter(([w, n]) => n > (before.get(w) ?? 0)).map(([w]) => w);
    if (grew.length === 1 && !got.has(grew[0]!)) got.set(grew[0]!, r);
  }
  if (got.size < 2) throw new Error(`only worker(s) ${[...got.keys()].join(', ')} answered alone in 80 tries`);
  return got;
}

const keyFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.key')).sort();
const dnskeys = (lines: string[]) => lines.map((l) => l.split(/\s+/)).filter((f) => f[3] === 'DNSKEY').map((f) => f.slice(4).join(' ')).sort();
/** The key tag of the RRSIG over `type` in an answer. */
const signerTag = (lines: string[], type: string) => lines.filter((l) => new RegExp(`\\sRRSIG\\s+${type}\\s`).test(l)).map((l) => Number(l.split(/\s+/)[10]));
const tagOf = (file: string) => Number(/\+(\d{5})\.key$/.exec(file)![1]);
/** The primary's word that the other worker(s) took the lead's state with `serial`, relayed or given at their start. */
const FOLLOWED = (serial: number, who = '(the lead worker \\d+ re-signed or changed keys|worker \\d+ started)') =>
  new RegExp(`DNSSEC: ${who}: 1 worker\\(s\\) read the keys again and took the lead's serials \\(multi\\.test\\. ${serial}\\)`);

/** Both workers' signed answers: the same DNSKEY set, SOA serial and signer; dnssec-verify accepts each one's AXFR. */
async function sameSignedAnswers(t: Test, s: Served, dir: string, zsk: number): Promise<void> {
  const q = (type: string) => () => dig(PORT, ['+norec', '+dnssec', ZONE, type], s.host);
  const keySets = await fromEach(s, q('DNSKEY'));
  const [k1, k2] = [...keySets.values()].map((r) => dnskeys(r.answer));
  t.ok(k1!.length >= 2, `a DNSKEY set of ${k1!.length} keys`);
  t.same(k1, k2, 'both workers publish the same DNSKEY set');
  const soas = await fromEach(s, q('SOA'));
  const serials = [...soas.values()].map((r) => r.answer.find((l) => /\sSOA\s/.test(l))!.split(/\s+/)[6]);
  t.equal(serials[0], serials[1], `the same serial (${serials[0]})`);
  for (const [w, r] of soas) t.same(signerTag(r.answer, 'SOA'), [zsk], `worker ${w} signs the SOA with ZSK ${zsk}`);
  if (!requireTool(t, 'dnssec-verify', 'bind9-utils')) return;
  const xfrs = await fromEach(s, async () => (await run('dig', [`@${s.host}`, '-p', String(PORT), '+nocmd', '+nostats', '+nocomments', ZONE, 'AXFR'])).stdout);
  for (const [w, text] of xfrs) {
    const file = path.join(dir, `axfr-${w}`);
    writeFileSync(file, text);
    const v = await run('dnssec-verify', ['-o', ZONE, file], 60_000);
    t.equal(v.code, 0, `dnssec-verify accepts worker ${w}'s AXFR: ${v.stderr.trim().split('\n').slice(-2).join(' ')}`);
  }
}

/** delv, given the zone's DS as its anchor, fully validates an answer of each worker. */
async function delvOnEach(t: Test, s: Served, keyDir: string, dir: string): Promise<void> {
  if (!requireTool(t, 'delv', 'bind9-dnsutils')) return;
  const [, , , tag, alg, dt, ...digest] = parentDsLines(ZONE, keyDir)[0]!.split(' ');
  const anchors = path.join(dir, 'anchors.conf');
  writeFileSync(anchors, `trust-anchors { ${ZONE} static-ds ${tag} ${alg} ${dt} "${digest.join('')}"; };\n`);
  const outs = await fromEach(s, async () => {
    const r = await run('delv', [`@${s.host}`, '-p', String(PORT), '-a', anchors, `+root=${ZONE}`, `www.${ZONE}`, 'A']);
    return r.stdout + r.stderr;
  });
  for (const [w, out] of outs) t.match(out, /; fully validated/, `delv: worker ${w}'s answers fully validate`);
}

t.test('the primary makes the keys once; both workers sign with them', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  const w = world(t);
  const s = await serve(t, NET.host(1), w);
  const files = keyFiles(w.keyDir);
  t.equal(files.length, 2, `one KSK and one ZSK in the key folder: ${files.join(' ')}`);
  t.equal((s.log().match(/made KSK \d+ and ZSK \d+/g) ?? []).length, 1, 'made once, by one process');
  const zsk = files.map(tagOf).find((tag) => new RegExp(`ZSK ${tag}\\b`).test(s.log()))!;
  await sameSignedAnswers(t, s, w.dir, zsk);
  await delvOnEach(t, s, w.keyDir, w.dir);
});

t.test('a ZSK roll is made by the lead worker alone and reaches the other worker', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  let oldZsk = 0;
  const w = world(t, (dir, now) => {
    const ksk = generateKey(ZONE, 13, KSK_FLAGS, now - 2 * DAY);
    const zsk = generateKey(ZONE, 13, ZSK_FLAGS, now - 2 * DAY);
    writeKeyFiles(dir, ksk);
    writeKeyFiles(dir, zsk);
    oldZsk = zsk.tag;
  });
  const s = await serve(t, NET.host(2), w, ['--dnssec-zsk-lifetime', '1d']);
  await waitForLog(s.log, new RegExp(`rolling ZSK ${oldZsk} to \\d+`));
  await waitForLog(s.log, FOLLOWED(2));
  const files = keyFiles(w.keyDir);
  t.equal(files.length, 3, `one new ZSK, made by one worker: ${files.join(' ')}`);
  t.equal((s.log().match(/rolling ZSK/g) ?? []).length, 1, 'one roll in the log');
  const newZsk = Number(new RegExp(`rolling ZSK ${oldZsk} to (\\d+)`).exec(s.log())![1]);
  const keySets = await fromEach(s, () => dig(PORT, ['+norec', '+dnssec', ZONE, 'DNSKEY'], s.host));
  for (const [wid, r] of keySets) {
    t.equal(dnskeys(r.answer).length, 3, `worker ${wid} publishes the successor beside the old keys`);
    t.ok(r.answer.some((l) => /\sDNSKEY\s+256\s/.test(l)), 'a ZSK in the set');
  }
  // Published, not active yet (it takes over after the DNSKEY TTL and an hour): the old ZSK still signs.
  await sameSignedAnswers(t, s, w.dir, oldZsk);
  t.ok(newZsk > 0, `the successor is ZSK ${newZsk}`);
  await delvOnEach(t, s, w.keyDir, w.dir);

  // A worker that dies is replaced by one that starts from the zone file's serial (1): the
  // primary gives it the lead's serials, so it answers as the others do.
  const r = await sendCommand(s.sock, 'stats');
  const pids = (r.stats as { perWorker: Record<string, { pid: number }> }).perWorker;
  const [other, { pid }] = Object.entries(pids).find(([wid]) => wid !== '1')!;
  process.kill(pid, 'SIGKILL');
  await waitForLog(s.log, new RegExp(`worker ${other} \\(pid ${pid}\\) exited`));
  await waitForLog(s.log, FOLLOWED(2, `worker ${Number(other) + 1} started`));
  await sameSignedAnswers(t, s, w.dir, oldZsk);

  // The lead too: its replacement takes the serials (and the lead's role, the roll not made again).
  process.kill(pids['1']!.pid, 'SIGKILL');
  await waitForLog(s.log, /worker 1 \(pid \d+\) exited/);
  // Cluster ids only grow: the follower's replacement was the next one, the lead's is the one after.
  await waitForLog(s.log, FOLLOWED(2, `worker ${Number(other) + 2} started`));
  await sameSignedAnswers(t, s, w.dir, oldZsk);
  t.equal(keyFiles(w.keyDir).length, 3, 'no second roll by the new lead');
});

t.test('a ZSK reaching its Activate time takes over in both workers', async (t) => {
  if (!requireTool(t, 'dig', 'bind9-dnsutils')) return;
  let zsk1 = 0;
  let zsk2 = 0;
  const switchAt = Math.floor(Date.now() / 1000) + 12;
  const w = world(t, (dir, now) => {
    const ksk = generateKey(ZONE, 13, KSK_FLAGS, now - 2 * DAY);
    const a = generateKey(ZONE, 13, ZSK_FLAGS, now - 2 * DAY);
    const b = generateKey(ZONE, 13, ZSK_FLAGS, now - DAY);
    a.timing = { ...a.timing, Inactive: switchAt, Delete: switchAt + 10 * DAY };
    b.timing = { Created: now - DAY, Publish: now - DAY, Activate: switchAt };
    for (const k of [ksk, a, b]) writeKeyFiles(dir, k);
    zsk1 = a.tag;
    zsk2 = b.tag;
  });
  const s = await serve(t, NET.host(3), w);
  if (Math.floor(Date.now() / 1000) < switchAt - 2) {
    const before = await fromEach(s, () => dig(PORT, ['+norec', '+dnssec', ZONE, 'SOA'], s.host));
    if (Math.floor(Date.now() / 1000) < switchAt) for (const [wid, r] of before) t.same(signerTag(r.answer, 'SOA'), [zsk1], `before its time, worker ${wid} signs with ZSK ${zsk1}`);
  } else t.comment('the workers took too long to start to look before the switch');
  // Workers that came up after the switch (a loaded machine) signed with the new ZSK from the
  // start: there is no change to wait for, only the answers to check.
  const firstSigned = /^(\S+) info zone multi\.test\.: signed serial/m.exec(s.log());
  if (firstSigned && Date.parse(firstSigned[1]!) / 1000 >= switchAt) t.comment('the workers first signed after the switch: both sign with the new ZSK from their start');
  else {
    await waitForLog(s.log, new RegExp(`signing with \\S+ \\(DNSKEY\\) and 13\\+${zsk2}\\b`), 60_000);
    await waitForLog(s.log, FOLLOWED(2));
  }
  await sameSignedAnswers(t, s, w.dir, zsk2);
});

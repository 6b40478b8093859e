// The zone loader's fast path (records into the zone as parsed, checks on the built zone,
// text read in pieces) against the full path (parseZone, validateZone, then Zone): the same
// zone or the same faults, for random zones full of the cases the rules are about; and
// lexChunks against lexLines at every split.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { lexChunks, lexLines } from '../../src/zone/lexer.js';
import { loadZoneFile, loadZoneText, zoneToText, ZoneLoadError } from '../../src/zone/load.js';
import { parseZone } from '../../src/zone/parser.js';
import { validateZone } from '../../src/zone/validate.js';
import { Zone } from '../../src/zone/zone.js';
import { rng } from '../helpers/rng.js';

const ORIGIN = 'ex.agents.';

/** The full path, as the loader had it before the fast path. */
function fullLoad(text: string): string {
  const parsed = parseZone(text, { origin: ORIGIN });
  const faults = [...parsed.faults, ...validateZone(ORIGIN, parsed.records, '<text>')];
  if (faults.length > 0) return 'faults';
  return zoneToText(new Zone(ORIGIN, parsed.records));
}

function fastLoad(text: string): string {
  try {
    return zoneToText(loadZoneText(text, { origin: ORIGIN }));
  } catch (e) {
    if (e instanceof ZoneLoadError) return 'faults';
    throw e;
  }
}


t.test('random zones: the fast path gives what the full path gives', async (t) => {
  const owners = ['a', 'A', 'b', 'sub', 'x.sub', 'ns1', 'ns1.sub', 'd', 'y.d', '@', 'other.agents.', '*.w', 'c'];
  const recs = (r: () => number, owner: string): string => {
    const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
    const ttl = r() < 0.5 ? '' : `${pick([60, 300, 3600])} `;
    return pick([
      `${owner} ${ttl}A 192.0.2.${Math.floor(r() * 3)}`,
      `${owner} ${ttl}AAAA 2001:db8::${Math.floor(r() * 3)}`,
      `${owner} ${ttl}TXT "t${Math.floor(r() * 2)}"`,
      `${owner} ${ttl}CNAME ${pick(['a', 'b', 'elsewhere.org.'])}`,
      `${owner} ${ttl}DNAME ${pick(['a', 'elsewhere.org.'])}`,
      `${owner} ${ttl}NS ${pick(['ns1', 'ns1.sub', 'ns.elsewhere.org.', 'a'])}`,
      `${owner} ${ttl}SVCB 1 ${pick(['a', '.'])} alpn=${pick(['mcp', 'h2,h3'])} port=${pick([80, 443])} key65320="/p"`,
      `${owner} ${ttl}MX 10 ${pick(['a', 'b'])}`,
      `${owner} ${ttl}SOA ns1 h 1 2 3 4 5`,
    ]);
  };
  let same = 0;
  let clean = 0;
  for (let seed = 1; seed <= 600; seed++) {
    const r = rng(seed);
    const lines = ['$TTL 300', '@ SOA ns1 hostmaster 1 3600 900 604800 300', '@ NS ns1', 'ns1 A 192.0.2.53'];
    if (r() < 0.1) lines.splice(1, 1);
    const n = 1 + Math.floor(r() * 8);
    for (let i = 0; i < n; i++) {
      const owner = owners[Math.floor(r() * owners.length)]!;
      lines.push(recs(r, owner));
      if (r() < 0.2) lines.push(` ${recs(r, '').trimStart()}`); // the previous owner
    }
    const text = lines.join('\n') + '\n';
    const want = fullLoad(text);
    const got = fastLoad(text);
    if (got === want) same++;
    else t.equal(got, want, text);
    if (want !== 'faults') clean++;
  }
  t.equal(same, 600, `all agree (${clean} clean zones)`);
});

t.test('TTLs of an RRset across runs, as BIND sets them', async (t) => {
  const text = [
    '$TTL 300', '@ SOA ns1 h 1 2 3 4 5', '@ NS ns1', 'ns1 A 192.0.2.1',
    'a 10 A 192.0.2.1', 'a 20 A 192.0.2.2', 'b 30 TXT "x"', 'a 40 A 192.0.2.3', 'A 50 A 192.0.2.4', 'a 60 A 192.0.2.1',
  ].join('\n') + '\n';
  t.equal(fastLoad(text), fullLoad(text));
  t.match(fastLoad(text), /a\.ex\.agents\. 60 IN A 192\.0\.2\.1/);
});

t.test('lexChunks gives the lines of lexLines at any split', async (t) => {
  const text = [
    '\ufeff$ORIGIN ex.agents.',
    '@ 3600 IN SOA ns1 h (',
    '    1 ; serial',
    '    2 3 4 5 )',
    ' TXT "a b" ; c',
    'x TXT "q\\',
    'r" ( a',
    ') b',
    '',
    'z A 192.0.2.1',
  ].join('\n') + '\n';
  const want = JSON.stringify([...lexLines(text)]);
  const cuts: number[] = [];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') cuts.push(i + 1);
  for (const a of cuts) {
    for (const b of cuts) {
      if (b <= a) continue;
      const chunks = [text.slice(0, a), text.slice(a, b), text.slice(b)].filter((c) => c.length > 0);
      const got = JSON.stringify([...lexChunks(chunks)]);
      if (got !== want) t.equal(got, want, `split at ${a}, ${b}`);
    }
  }
  t.pass('every split agrees');
});

t.test('loadZoneFile: a file bigger than one read, a record across the read boundary, faults with their places', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-fast-load-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const head = '$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n';
  const lines: string[] = [];
  let size = head.length;
  let i = 0;
  while (size < (1 << 23) + (1 << 20)) {
    const l = i % 1000 === 0
      ? `m${i} TXT (\n  "one"\n  "two" )\n`
      : `agent${i} SVCB 1 ns1 alpn="mcp" port=${1000 + (i % 100)} key65320="/agents/${i}"\n`;
    lines.push(l);
    size += l.length;
    i++;
  }
  const text = head + lines.join('');
  const file = path.join(dir, 'ex.agents.zone');
  writeFileSync(file, text);
  const zone = loadZoneFile(file, { origin: ORIGIN });
  t.equal(zone.size, 3 + i);
  t.equal(zoneToText(zone), fullLoad(text));
  t.same(zone.rrset('m0.ex.agents.', 16)?.rdata.length, 1);

  // A fault near the end: reported with its line, by the full path.
  const bad = text + 'late A 999.0.0.1\n';
  writeFileSync(file, bad);
  const err = t.throws(() => loadZoneFile(file, { origin: ORIGIN })) as ZoneLoadError;
  const line = bad.split('\n').length - 1;
  t.match(err.faults, [{ file, line, code: 'ERR_RDATA_BAD_ADDRESS' }]);

  // Not UTF-8, after the first read: the place of the octet.
  const enc = Buffer.concat([Buffer.from(text), Buffer.from('bad TXT "'), Buffer.from([0xff]), Buffer.from('"\n')]);
  writeFileSync(file, enc);
  const e2 = t.throws(() => loadZoneFile(file, { origin: ORIGIN })) as ZoneLoadError;
  t.match(e2.faults, [{ code: 'ERR_ZONE_ENCODING', line: text.split('\n').length, col: 10 }]);
});

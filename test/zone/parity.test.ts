// Parity with BIND 9: every good fixture loads in both with the same records, and every bad
// fixture is refused by both, except where aop is knowingly stricter (listed below with why).

import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadZoneFile, originFromFileName, zoneToText, ZoneLoadError } from '../../src/zone/load.js';
import { hasTool, requireTool, run } from '../helpers/peers.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'zones');
const goodDir = path.join(fixtures, 'good');
const badDir = path.join(fixtures, 'bad');
const zoneFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.zone')).sort();

/** requireTool, typed for tap's Test. */
const need = (tt: object, tool: string): boolean => requireTool(tt as Parameters<typeof requireTool>[0], tool, 'bind9-utils');

/**
 * named-checkzone as strict as it goes toward what we check: integrity checks on in-zone names
 * only (-i full would ask the system resolver about out-of-zone names), host-name checks fatal,
 * run in the zone's folder so relative $INCLUDE paths resolve as ours do for these fixtures.
 */
const checkzone = (origin: string, file: string): ReturnType<typeof run> =>
  run('named-checkzone', ['-i', 'local', '-k', 'fail', '-w', path.dirname(file), origin, file]);

const compilezone = (origin: string, file: string): ReturnType<typeof run> =>
  run('named-compilezone', ['-i', 'local', '-k', 'ignore', '-w', path.dirname(file), '-o', '-', origin, file]);

/** A record line with its separators normalised: `name ttl class type rdata`. */
function normaliseLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith(';')) continue; // BIND adds `; resign=` comments for RRSIGs
    const m = /^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!m) throw new Error(`not a record line: ${JSON.stringify(line)}`);
    out.push([m[1], m[2], m[3], m[4], m[5] ?? ''].join(' ').trimEnd());
  }
  return out.sort();
}

t.test('the fixture sets are all there', async (t) => {
  t.ok(zoneFiles(goodDir).length >= 12, `${zoneFiles(goodDir).length} good zones`);
  t.ok(zoneFiles(badDir).length >= 20, `${zoneFiles(badDir).length} bad zones`);
});

for (const name of zoneFiles(goodDir)) {
  t.test(`good/${name}`, async (t) => {
    const file = path.join(goodDir, name);
    const origin = originFromFileName(name);
    let ours: string[];
    try {
      ours = normaliseLines(zoneToText(loadZoneFile(file, { origin })));
    } catch (e) {
      t.fail(`our loader refused it:\n${e instanceof ZoneLoadError ? e.message : String(e)}`);
      return;
    }
    t.ok(ours.length > 0, `we load ${ours.length} records`);
    if (!need(t, 'named-checkzone') || !need(t, 'named-compilezone')) return;
    const check = await checkzone(origin, file);
    t.equal(check.code, 0, `named-checkzone accepts it${check.code === 0 ? '' : `:\n${check.stdout}${check.stderr}`}`);
    const compiled = await compilezone(origin, file);
    t.equal(compiled.code, 0, 'named-compilezone compiles it');
    t.same(ours, normaliseLines(compiled.stdout), 'our canonical text is BIND\'s, line for line');
  });
}

/**
 * Bad fixtures BIND loads, and why we do not. A fixture here must load in BIND (so this list
 * cannot go stale unnoticed); docs/zones.md explains each difference to operators.
 */
const STRICTER: Record<string, string> = {
  'out-of-zone.zone': 'BIND warns "ignoring out-of-zone data" and drops the record; a dropped record is silent data loss, so we refuse',
  'occluded.zone': 'BIND loads data below a delegation that no query can reach; we refuse it as a mistake',
  'occluded-at-cut.zone': 'BIND loads non-glue data at a delegation point that the child zone owns; we refuse it',
  'below-dname.zone': 'RFC 6672 2.3 forbids data below a DNAME; BIND only checks name servers there',
  'no-glue-delegation.zone': 'BIND logs "has no REQUIRED GLUE" as an error but loads the zone; the delegation cannot work, so we refuse',
  'generate.zone': '$GENERATE is a BIND extension aop does not implement; a clear fault beats a half-supported feature',
  'ttl-over-max.zone': 'BIND warns and sets the TTL to 0; we refuse a TTL over 2^31-1 (RFC 2181 8) rather than change it',
  'encoding.zone': 'BIND stores non-UTF-8 octets as they are; we refuse a file that is not UTF-8 instead of guessing its encoding',
};

/** What BIND says for the same fault, where it has a stable message for it. */
const BIND_SAYS: Record<string, RegExp> = {
  ERR_ZONE_NO_SOA: /has 0 SOA records/,
  ERR_ZONE_MULTIPLE_SOA: /multiple RRs of singleton type/,
  ERR_ZONE_SOA_NOT_AT_APEX: /SOA record not at top of zone/,
  ERR_ZONE_NO_NS: /has no NS records/,
  ERR_ZONE_CNAME_AT_APEX: /CNAME and other data/,
  ERR_ZONE_CNAME_AND_OTHER: /CNAME and other data/,
  ERR_ZONE_MULTIPLE_CNAME: /multiple RRs of singleton type/,
  ERR_ZONE_MULTIPLE_DNAME: /multiple RRs of singleton type/,
  ERR_ZONE_BELOW_DNAME: /is below a DNAME/,
  ERR_ZONE_NO_GLUE: /has no address records/,
  ERR_ZONE_NS_CNAME: /is a CNAME \(illegal\)/,
  ERR_ZONE_WILDCARD_NS: /invalid NS owner name \(wildcard\)/,
  ERR_ZONE_BAD_CLASS: /!= zone class/,
  ERR_ZONE_UNKNOWN_TYPE: /unknown RR type/,
  ERR_ZONE_UNKNOWN_DIRECTIVE: /unknown \$ directive/,
  ERR_ZONE_PARENS: /unbalanced parentheses/,
  ERR_ZONE_QUOTE: /unbalanced quotes/,
  ERR_ZONE_NO_OWNER: /no current owner name/,
  ERR_ZONE_NO_TTL: /no TTL specified; zone rejected/,
  ERR_ZONE_INCLUDE: /file not found/,
  ERR_RDATA_BAD_ADDRESS: /bad dotted quad/,
  ERR_RDATA_META_TYPE: /meta type/,
};

for (const name of zoneFiles(badDir)) {
  t.test(`bad/${name}`, async (t) => {
    const file = path.join(badDir, name);
    const text = readFileSync(file, 'latin1');
    const m = /^; expect: (ERR_[A-Z0-9_]+) (?:(\S+):)?(\d+):(\d+)\s*$/m.exec(text);
    if (!m) {
      t.fail('no "; expect: CODE [file:]line:col" comment');
      return;
    }
    const [, code, inFile, line, col] = m;
    const origin = originFromFileName(name);
    const expectFile = inFile === undefined ? file : path.join(badDir, inFile);
    try {
      loadZoneFile(file, { origin });
      t.fail('we loaded it');
    } catch (e) {
      if (!(e instanceof ZoneLoadError)) throw e;
      t.equal(e.code, 'ERR_ZONE_INVALID');
      t.same(e.faults.map((f) => `${f.code} ${f.file}:${f.line}:${f.col}`), [`${code} ${expectFile}:${line}:${col}`], 'exactly the expected fault');
      t.match(e.message, new RegExp(`^${expectFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:${col}: \\S`), 'message is file:line:col: text');
    }
    if (!need(t, 'named-checkzone')) return;
    const bind = await checkzone(origin, file);
    const said = bind.stdout + bind.stderr;
    const stricter = STRICTER[name];
    if (stricter !== undefined) {
      t.equal(bind.code, 0, `BIND loads it; we are stricter: ${stricter}`);
      return;
    }
    t.not(bind.code, 0, `named-checkzone refuses it too${bind.code === 0 ? `:\n${said}` : ''}`);
    const says = BIND_SAYS[code!];
    if (says !== undefined) t.match(said, says, `BIND names the same fault (${says.source})`);
  });
}

t.test('every stricter case has its fixture', async (t) => {
  for (const name of Object.keys(STRICTER)) t.ok(zoneFiles(badDir).includes(name), name);
  t.ok(hasTool('named-checkzone') || process.env.CI !== 'true', 'named-checkzone is installed under CI');
});

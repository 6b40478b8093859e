// `aop zone cap`: every agent of a zone at once (the demo agents on a copy of the bundled zones,
// on this file's own loopback address), each document written to the folder, cap and cap-sha256
// set in every SVCB record of every agent, the rest of the file as it was, the serial bumped;
// named-checkzone accepts the result; a second run changes nothing; the demo agents, restarted on
// the new zone, serve the documents the records pin; --cap-file and --url for one agent.

import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leaseNet } from '../helpers/loopback-net.js';
import { rewrittenZones } from '../helpers/mcp-agents.js';
import { requireTool, run } from '../helpers/peers.js';
import { startDemoAgents } from '../../src/mcp/demo/index.js';
import { loadZoneFile } from '../../src/zone/load.js';
import { capDigest, capPathFor, readSvcb, SvcKey } from '../../src/agent/index.js';
import { RRType } from '../../src/wire/types.js';
import { runAop, type AopRun } from '../helpers/aop-cli.js';


const aop = (args: string[]): Promise<AopRun> => runAop(args);

const NET = await leaseNet(t);
const HOST = NET.host(1);
const zonesDir = rewrittenZones(t, HOST);
const file = path.join(zonesDir, 'acme.agents.zone');
const before = readFileSync(file, 'utf8');
const out = mkdtempSync(path.join(os.tmpdir(), 'aop-caps-'));
t.teardown(() => rmSync(out, { recursive: true, force: true }));

/** cap and cap-sha256 of each SVCB record, by owner. */
function capsOf(f: string): Map<string, Array<{ cap?: string; sha?: string }>> {
  const zone = loadZoneFile(f, { origin: 'acme.agents.' });
  const by = new Map<string, Array<{ cap?: string; sha?: string }>>();
  for (const rr of zone.records()) {
    if (rr.type !== RRType.SVCB) continue;
    const s = readSvcb(rr.rdata);
    if (s.priority === 0) continue;
    const list = by.get(rr.name) ?? [];
    const cap = s.params.get(SvcKey.cap)?.toString('latin1');
    const sha = s.params.get(SvcKey.capSha256)?.toString('latin1');
    list.push({ ...(cap !== undefined ? { cap } : {}), ...(sha !== undefined ? { sha } : {}) });
    by.set(rr.name, list);
  }
  return by;
}

t.test('--all: every agent, its documents in the folder, its records pinning them', async (t) => {
  const demo = await startDemoAgents({ zonesDir, host: HOST });
  const r = await aop(['zone', 'cap', file, '--all', '--out', out]).finally(() => demo.close());
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /zone acme\.agents\.: cap for 5 agents \(\d+ SVCB records\), serial \d+ -> \d+\n$/);
  const caps = capsOf(file);
  t.equal(caps.size, 5, 'five agents');
  for (const [name, records] of caps) {
    const doc = readFileSync(path.join(out, `${name.slice(0, -1)}.json`));
    const pinned = records.filter((x) => x.cap !== undefined);
    t.ok(pinned.length >= 1, `${name}: its preferred records carry the keys`);
    for (const rec of pinned) {
      t.equal(rec.sha, capDigest(doc), `${name}: cap-sha256 is the digest of the written document`);
      t.match(rec.cap, new RegExp(`^http://[a-z.]+:\\d+${capPathFor(name).replaceAll('.', '\\.')}$`), `${name}: the default URL, on its preferred endpoint's origin`);
    }
    t.equal(new Set(pinned.map((x) => x.cap)).size, 1, `${name}: one document for all its records`);
  }
  t.equal(readdirSync(out).length, 5);
  const after = readFileSync(file, 'utf8');
  const changed = after.split('\n').filter((l, i, all) => !before.includes(l) && all.indexOf(l) === i);
  t.ok(changed.every((l) => /key6540[01]=|^\s+key|SVCB|serial|^\s+\d+\s*;|^\s+\(/.test(l) || l.trim() === '' || /alpn=|key653/.test(l)), 'only SVCB records and the serial changed');
  t.ok(before.split('\n').filter((l) => /^\s*;/.test(l)).every((l) => after.includes(l)), 'every comment line is kept');
});

t.test('named-checkzone accepts the rewritten zone', async (t) => {
  if (!requireTool(t, 'named-checkzone', 'bind9-utils')) return;
  const r = await run('named-checkzone', ['acme.agents', file]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /OK/);
});

t.test('aop zone check: loads, and warns that the cap is not https', async (t) => {
  const r = await aop(['zone', 'check', file]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /warning: writer\.acme\.agents\. SVCB 1: key65400 \(cap\) "http:\/\/[^"]+" is not an https URL; DNS-AID clients fetch the capability document only over https/);
});

t.test('a second run changes nothing; the restarted demo agents serve what the records pin', async (t) => {
  const text = readFileSync(file, 'utf8');
  const demo = await startDemoAgents({ zonesDir, host: HOST });
  t.teardown(() => demo.close());
  const again = await aop(['zone', 'cap', file, '--all']); // the default URL: the demo agents serve the documents
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, /already as generated; .* not changed/);
  t.equal(readFileSync(file, 'utf8'), text, 'the file is byte for byte the same');
  for (const [name, records] of capsOf(file)) {
    const url = new URL(records[0]!.cap!);
    const res = await fetch(`http://${HOST}:${url.port}${url.pathname}`);
    t.equal(capDigest(Buffer.from(await res.arrayBuffer())), records[0]!.sha, `${name}: the served document hashes to the record's cap-sha256`);
  }
});

t.test('one agent: --url and --cap-file; bad input refused with the file untouched', async (t) => {
  const doc = path.join(out, 'mine.json');
  writeFileSync(doc, JSON.stringify({ endpoints: { mcp: '/agents/writer/mcp' }, capabilities: ['writing'] }));
  const r = await aop(['zone', 'cap', file, 'writer', '--url', 'https://docs.acme.example/cap/{name}.json', '--cap-file', doc]);
  t.equal(r.code, 0, r.stderr);
  const w = capsOf(file).get('writer.acme.agents.')!;
  // writer's priority-1 record, not its failover one.
  t.same(w.map((x) => x.cap), w.map((_, i) => (i === 0 ? 'https://docs.acme.example/cap/writer.acme.agents.json' : undefined)));
  t.same(w.map((x) => x.sha), w.map((_, i) => (i === 0 ? capDigest(readFileSync(doc)) : undefined)));
  const text = readFileSync(file, 'utf8');
  writeFileSync(doc, '[1, 2]');
  const bad = await aop(['zone', 'cap', file, 'writer', '--url', 'https://docs.acme.example/w.json', '--cap-file', doc]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--cap-file .*mine\.json: not a JSON object \(an array\); clients refuse it/);
  const none = await aop(['zone', 'cap', file, 'nobody', '--url', 'https://x.example/c.json', '--cap-file', path.join(out, 'writer.acme.agents.json')]);
  t.equal(none.code, 1);
  t.match(none.stderr, /no agent nobody\.acme\.agents\./);
  const usage = await aop(['zone', 'cap', file]);
  t.equal(usage.code, 1);
  t.match(usage.stderr, /name one agent, or give --all/);
  const noOut = await aop(['zone', 'cap', file, 'writer', '--url', 'https://docs.acme.example/w.json']);
  t.equal(noOut.code, 1);
  t.match(noOut.stderr, /--url needs --out/);
  t.equal(readFileSync(file, 'utf8'), text, 'refusals leave the file as it was');
});

t.test('--all leaves a record aop does not read (DNS-AID form) as it is, with a warning', async (t) => {
  const copy = path.join(out, 'dnsaid.agents.zone');
  writeFileSync(copy, `$TTL 300
@ IN SOA ns h 1 2 3 4 5
@ IN NS ns
ns IN A ${HOST}
mcp IN A ${HOST}
theirs IN SVCB 1 mcp alpn="mcp" port=443 key65402="mcp"
`);
  const r = await aop(['zone', 'cap', copy, '--all', '--out', out]);
  t.equal(r.code, 1);
  t.match(r.stderr, /warning: theirs\.dnsaid\.agents\.: skipped: /);
  t.match(r.stderr, /has no agent aop can read/);
});

// `aop directory crawl` and `aop directory search` as a user runs them (the built bin/aop.js),
// against the real daemon serving the bundled zones on a loopback /24 of the test's own: a crawl
// from the root by AXFR, a search with a filter and pages, and the refusals, each one line and
// exit 1.

import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyZones, zonesDaemon } from '../helpers/gateway.js';
import { leaseNet } from '../helpers/loopback-net.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'aop.js');

const aop = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const c = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  c.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
});

t.test('aop directory', async (t) => {
  const net = await leaseNet(t);
  const address = net.host(1);
  const { server } = await zonesDaemon(t, copyZones(t, address), address, { transfers: true });
  const at = `${address}:${server.port}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-dir-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'd.db');

  const crawl = await aop(['directory', 'crawl', '--db', db, '--server', at, '--root', 'agents', '--root-server', at, '--transfer-from', at, '--allow-loopback', '--json']);
  t.equal(crawl.code, 0, crawl.stderr);
  const report = JSON.parse(crawl.stdout) as { zones: Array<{ zone: string; method: string; agents: number }> };
  t.same(report.zones.map((z) => [z.zone, z.method, z.agents]), [['acme.agents', 'axfr', 5], ['globex.agents', 'axfr', 4]]);

  const text = await aop(['directory', 'crawl', '--db', db, '--server', at, '--org', 'globex.agents', '--no-force']);
  t.equal(text.code, 0);
  t.match(text.stdout, /^globex\.agents: unchanged, serial \d+, 4 agents/m, 'a serial that did not move: nothing read again');
  t.match(text.stderr, /^directory crawl: 1\/1 zones, 4 agents, 0 errors, [\d.]+ s\n/m, 'progress on stderr: plain lines when not a terminal');
  t.match(text.stderr, /, done\n$/);
  t.equal(crawl.stderr, '', '--json: no progress lines');

  const hits = await aop(['directory', 'search', '--db', db, '--json', '--organization', 'globex.agents', 'code']);
  t.equal(hits.code, 0, hits.stderr);
  const h = JSON.parse(hits.stdout) as { total: number; agents: Array<{ name: string }> };
  t.same(h.agents.map((a) => a.name).sort(), ['coder.globex.agents', 'reviewer.globex.agents']);
  const first = JSON.parse((await aop(['directory', 'search', '--db', db, '--json', '--limit', '1', 'agents'])).stdout) as { nextCursor: string; agents: Array<{ name: string }> };
  const second = JSON.parse((await aop(['directory', 'search', '--db', db, '--json', '--limit', '1', '--cursor', first.nextCursor, 'agents'])).stdout) as { agents: Array<{ name: string }> };
  t.not(second.agents[0]!.name, first.agents[0]!.name, 'the next page');

  for (const [args, message] of [
    [['directory', 'crawl', '--db', db, '--server', at], /nothing to crawl: give --root ZONE/],
    [['directory', 'crawl', '--db', db, '--server', at, '--org', 'bad zone'], /zone 'bad zone' is not a domain name/],
    [['directory', 'crawl', '--db', db, '--server', 'localhost', '--org', 'acme.agents'], /--server 'localhost'/],
    [['directory', 'crawl', '--db', db, '--server', at, '--org', 'acme.agents', '--max-agents', '0'], /--max-agents must be a whole number >= 1/],
    [['directory', 'search', '--db', db, '!!!'], /has no words/],
    [['directory', 'search', '--db', db, '--cursor', 'bm90LWEtY3Vyc29y', 'agents'], /not one this gateway gave/],
    [['directory', 'search', '--db', '/proc/aop-nowhere/d.db', 'agents'], /directory database \/proc\/aop-nowhere\/d\.db: cannot open/],
  ] as Array<[string[], RegExp]>) {
    const r = await aop(args);
    t.equal(r.code, 1, `${args.slice(1).join(' ')}: exit 1`);
    t.match(r.stderr, message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

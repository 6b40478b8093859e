// `aop call` and `aop agent`: through the built bin (main.ts wiring, real exit statuses) and
// in-process (runCall/runAgent) for every exit status. In a loopback /24 leased for the file, an
// aop Daemon on .1 serves the bundled zones with the agents on .2, where the demo agents run; a
// silent HTTP server on .3 plays an agent that never answers.

import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { agentWorld, repoRoot, type AgentWorld } from '../helpers/mcp-agents.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { runCall, parseArgPairs, type CallArgs } from '../../src/cli/call.js';
import { runAgent, type AgentArgs } from '../../src/cli/agent.js';

// This file's own loopback /24 (the demo agents' ports are fixed), leased for its life.
/** The test daemon serves these zones: its agents' loopback endpoints are allowed as for the announced daemon's. */
const LOCAL_ZONES = ['acme.agents', 'globex.agents', 'agents'];
const NET = await leaseNet(t);
const DNS = NET.host(1);
const AGENTS = NET.host(2);
const SILENT = NET.host(3);
const GONE = NET.host(4);
/** An address for a RegExp. */
const re = (s: string): string => s.replace(/\./g, '\\.');
const bin = path.join(repoRoot, 'bin', 'aop.js');

interface Output { stdout: string; stderr: string; code: number }

function aopBin(args: string[], env: Record<string, string>): Promise<Output> {
  const base = { ...process.env };
  delete base.AOP_RESOLVER;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args, ...((args[0] === 'call' || args[0] === 'agent') && !args.includes('--help') ? LOCAL_ZONES.flatMap((z) => ['--allow-loopback-zone', z]) : [])], { env: { ...base, AOP_STATE_FILE: '/nonexistent/aop-test-state.json', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
  });
}

async function silentServer(t: Test): Promise<number> {
  const sockets = new Set<Socket>();
  const server = http.createServer(() => { /* never answers */ });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, SILENT, resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  }));
  return (server.address() as { port: number }).port;
}

const rec = (name: string, target: string, port: number, tool: string): string =>
  `${name} IN SVCB 1 ${target} alpn="mcp" port=${port} key65320="/mcp" key65321="streamable-http" key65322="${tool}" key65326="http"`;

let world: AgentWorld;
let env: Record<string, string>;

t.before(async () => {
  const slowPort = await silentServer(t);
  const extra = [
    // The demo agents bind every endpoint on AGENTS; these hosts have other addresses, where nothing (or a silent server) listens.
    rec('offline', 'gone.acme.agents.', 18199, 'x'),
    `gone IN A ${GONE}`,
    rec('slow', 'quiet.acme.agents.', slowPort, 'x'),
    `quiet IN A ${SILENT}`,
    rec('remote', 'far.acme.agents.', 8080, 'x'),
    'far IN A 192.0.2.1',
    '',
  ].join('\n');
  // globex.agents gets a CNAME into acme.agents (beside copyedit's AliasMode alias).
  world = await agentWorld(t, {
    dnsHost: DNS, agentHost: AGENTS,
    edit: (text, file) => (file === 'acme.agents.zone' ? text + extra : file === 'globex.agents.zone' ? `${text}\nediting IN CNAME editor.acme.agents.\n` : text),
  });
  env = { AOP_RESOLVER: `${world.dns.address}:${world.dns.port}` };
});

async function call(a: Omit<CallArgs, 'server'>): Promise<Output> {
  let stdout = '';
  let stderr = '';
  const code = await runCall({ allowLoopbackZone: LOCAL_ZONES, ...a, server: `${world.dns.address}:${world.dns.port}` }, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, env: {} });
  return { stdout, stderr, code };
}

async function agent(a: Omit<AgentArgs, 'server'>): Promise<Output> {
  let stdout = '';
  let stderr = '';
  const code = await runAgent({ allowLoopbackZone: LOCAL_ZONES, ...a, server: `${world.dns.address}:${world.dns.port}` }, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, env: {} });
  return { stdout, stderr, code };
}

t.test('the built bin', async (t) => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'call.js'))) {
    t.fail('dist/cli/call.js is missing: run npm run build first');
    return;
  }
  // Two at a time: each run starts a node process, and the machine may be busy.
  const [ok, json] = await Promise.all([
    aopBin(['call', 'writer.acme.agents', '--arg', 'task=Draft a haiku'], env),
    aopBin(['call', 'summarizer.acme.agents', '--arg', 'text=One. Two. Three.', '--arg', 'max_sentences=1', '--json'], env),
  ]);
  t.equal(ok.code, 0, 'call: exit 0');
  t.match(ok.stdout, /^Draft by writer\.acme\.agents \(tone: plain\)\nTask: Draft a haiku\n/, 'the tool text on stdout');
  t.equal(ok.stderr, '', 'nothing on stderr');
  t.equal(json.code, 0);
  const parsed = JSON.parse(json.stdout) as { agent: string; endpoint: string; result: { content: Array<{ text: string }> }; attempts: unknown[] };
  t.equal(parsed.agent, 'summarizer.acme.agents.');
  t.equal(parsed.endpoint, 'http://summarizer.acme.agents:18107/mcp');
  t.match(parsed.result.content[0]!.text, /\(1 of 3 sentences\):\nOne\.$/, '--arg max_sentences=1 went as a number (the schema says integer)');

  const [nx, card] = await Promise.all([
    aopBin(['call', 'nope.acme.agents', '--arg', 'task=x'], env),
    aopBin(['agent', 'copywriter.acme.agents'], env),
  ]);
  t.equal(nx.code, 2, 'NXDOMAIN: exit 2');
  t.equal(nx.stderr, `aop: call: nope.acme.agents.: no such name (NXDOMAIN) (asked ${world.dns.address}:${world.dns.port}, from $AOP_RESOLVER)\n`, 'one line on stderr, naming the server $AOP_RESOLVER chose');
  t.equal(nx.stdout, '');
  t.equal(card.code, 0);
  t.match(card.stdout, new RegExp(String.raw`^agent        writer\.acme\.agents\.\naliases      copywriter\.acme\.agents\. -> writer\.acme\.agents\.\ntool         draft_copy\ndescription  Drafts marketing copy\ncapabilities writing, marketing\nauth         none\nttl          300 s\nzone         acme\.agents\.\nserver       ${re(DNS)}#\d+\n`));
  t.match(card.stdout, new RegExp(String.raw`endpoints, in the order a call tries them:\n  1\. http:\/\/mcp\.acme\.agents:18101\/agents\/writer\/mcp\n     priority 1, streamable-http, ${re(AGENTS)}(?:, answered in \d+ ms)?\n  2\. http:\/\/mcp-backup\.acme\.agents:18102\/agents\/writer\/mcp\n     priority 2, `));

  const [help, agentHelp] = await Promise.all([aopBin(['call', '--help'], env), aopBin(['agent', '--help'], env)]);
  t.equal(help.code, 0);
  t.match(help.stdout, /Examples:\n  aop call writer\.acme\.agents --arg/, 'call --help has examples');
  t.match(help.stdout.replace(/\s+/g, ' '), /Exit status: 0 ok, 1 usage, 2 no such name \(NXDOMAIN\), 3 no usable agent record/);
  t.match(agentHelp.stdout, /Examples:\n  aop agent writer\.acme\.agents/, 'agent --help has examples');
  t.match(help.stdout.replace(/\s+/g, ' '), /13 the DNS server gave a referral, 14 a lame DNS answer/, 'call --help lists the referral and lame statuses');
  t.match(agentHelp.stdout.replace(/\s+/g, ' '), /Exit status as aop call: 0 ok, 1 usage, 2 no such name, 3 no usable agent record, 9 DNS lookup failed, 10 internal error, 13 the DNS server gave a referral, 14 a lame DNS answer/, 'agent --help lists its statuses, the referral and lame ones too');
});

t.test('every exit status of aop call', async (t) => {
  const cases: Array<[string, Omit<CallArgs, 'server'>, number, RegExp]> = [
    ['ok', { name: 'translator.acme.agents', arg: ['text=hello', 'target_language=es'] }, 0, /^$/],
    ['--args-json', { name: 'planner.globex.agents', argsJson: '{"goal":"x","steps":2}' }, 0, /^$/],
    ['usage: not key=value', { name: 'writer.acme.agents', arg: ['task'] }, 1, /--arg 'task' is not key=value/],
    ['usage: --arg twice', { name: 'writer.acme.agents', arg: ['task=a', 'task=b'] }, 1, /--arg task is given twice/],
    ['usage: not a number', { name: 'summarizer.acme.agents', arg: ['text=x', 'max_sentences=two'] }, 1, /max_sentences=two: the tool wants a number/],
    ['usage: --args-json not an object', { name: 'writer.acme.agents', argsJson: '[1]' }, 1, /must be a JSON object/],
    ['usage: --timeout', { name: 'writer.acme.agents', timeout: 0 }, 1, /--timeout 0/],
    ['NXDOMAIN', { name: 'nope.globex.agents' }, 2, /no such name \(NXDOMAIN\)/],
    ['no agent record', { name: 'mcp.acme.agents' }, 3, /no SVCB agent record/],
    ['unreachable', { name: 'offline.acme.agents', argsJson: '{}' }, 4, /no endpoint could be reached: http:\/\/gone\.acme\.agents:18199\/mcp: .*ECONNREFUSED/],
    ['tool missing', { name: 'editor.acme.agents', tool: 'nope', arg: ['text=x'] }, 5, /has no tool "nope"/],
    ['tool error', { name: 'translator.acme.agents', arg: ['text=x', 'target_language=xx'] }, 6, /tool translate returned an error/],
    ['timeout', { name: 'slow.acme.agents', timeout: 1 }, 7, /no answer within 1000 ms/],
    ['refused', { name: 'remote.acme.agents' }, 8, /refused by policy.*192\.0\.2\.1/],
  ];
  const results = await Promise.all(cases.map(([, a]) => call(a)));
  cases.forEach(([what, , code, stderr], i) => {
    const r = results[i]!;
    t.equal(r.code, code, `${what}: exit ${code}`);
    t.match(r.stderr, stderr, `${what}: ${r.stderr.trim() || '(no stderr)'}`);
    if (code !== 0) t.equal(r.stderr.split('\n').length, 2, `${what}: one line`);
  });
  let stderr = '';
  const dns = await runCall({ name: 'writer.acme.agents', server: `${DNS}:1` }, { stdout: () => undefined, stderr: (s) => { stderr += s; }, env: {} });
  t.equal(dns, 9, 'no DNS server: exit 9');
  t.match(stderr, /^aop: call: writer\.acme\.agents\. SVCB: no DNS reply/);
  const json = await call({ name: 'nope.acme.agents', json: true });
  t.match(JSON.parse(json.stdout), { error: { code: 'ERR_AGENT_NOT_FOUND' } }, '--json prints the error as JSON too');
});

t.test('aop agent in-process: researcher shuffled within its priority, an alias into another zone, errors', async (t) => {
  const r = await agent({ name: 'researcher.acme.agents' });
  t.equal(r.code, 0);
  t.match(r.stdout, /endpoints, in the order a call tries them \(shuffled within a priority\):/);
  const x = await agent({ name: 'copyedit.globex.agents' });
  t.match(x.stdout, /aliases      copyedit\.globex\.agents\. -> editor\.acme\.agents\./);
  t.match(x.stdout, /zone         acme\.agents\./, "the zone of the agent's records");
  const far = await agent({ name: 'remote.acme.agents' });
  t.match(far.stdout, /192\.0\.2\.1 \(refused: plain http off loopback\)/, 'endpoints a call would refuse are marked');
  const j = await agent({ name: 'writer.acme.agents', json: true });
  const c = JSON.parse(j.stdout) as { name: string; tool: string; zone: string; ttl: number; endpoints: Array<{ priority: number }>; server: string };
  t.match(c, { name: 'writer.acme.agents.', tool: 'draft_copy', zone: 'acme.agents.', ttl: 300, server: `${world.dns.address}#${world.dns.port}` }, '--json');
  t.same(c.endpoints.map((e) => e.priority), [1, 2], '--json: endpoints in order');
  for (const [name, owner, zone] of [
    ['researcher.acme.agents', 'researcher.acme.agents.', 'acme.agents.'],
    ['planner.globex.agents', 'planner.globex.agents.', 'globex.agents.'],
    ['copyedit.globex.agents', 'editor.acme.agents.', 'acme.agents.'],
    ['editing.globex.agents', 'editor.acme.agents.', 'acme.agents.'],
  ] as const) {
    const r = await agent({ name, json: true });
    t.equal(r.code, 0, `${name}: exit 0`);
    t.match(JSON.parse(r.stdout), { name: owner, zone, server: `${world.dns.address}#${world.dns.port}` }, `${name} --json: ${owner}'s card, zone ${zone}, the server asked`);
  }
  t.match((await agent({ name: 'editing.globex.agents' })).stdout, new RegExp(String.raw`aliases      editing\.globex\.agents\. -> editor\.acme\.agents\.\n[^]*zone         acme\.agents\.\nserver       ${re(DNS)}#\d+\n`), 'the text shows the zone and the server');
  t.equal((await agent({ name: 'nope.acme.agents' })).code, 2);
  t.equal((await agent({ name: 'mcp.acme.agents' })).code, 3);
});

t.test('parseArgPairs types values by the input schema', async (t) => {
  const tool = { name: 'x', inputSchema: { type: 'object' as const, properties: { n: { type: 'integer' }, b: { type: 'boolean' }, o: { type: 'object' }, s: { type: 'string' } } } };
  t.same(parseArgPairs(['n=3', 'b=true', 'o={"k":1}', 's=3', 'free=a=b'], tool), { n: 3, b: true, o: { k: 1 }, s: '3', free: 'a=b' });
  t.same(parseArgPairs(['n=3'], undefined), { n: '3' }, 'strings when the schema is not known');
  t.throws(() => parseArgPairs(['b=yes'], tool), { code: 'ERR_CALL_USAGE' });
  t.throws(() => parseArgPairs(['o={'], tool), { code: 'ERR_CALL_USAGE' });
  t.throws(() => parseArgPairs(['=x'], tool), { code: 'ERR_CALL_USAGE' });
});

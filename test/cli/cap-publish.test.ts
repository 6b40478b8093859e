// Publishing `cap` and `cap-sha256` with the agent, whichever way it is published: `aop zone
// add-agent --cap URL --cap-file FILE`, `aop zone import-mcp --cap URL --cap-out DIR` (documents
// generated from the server's tools/list) or `--cap-file`, and `aop register --cap --cap-file` (a
// signed UPDATE to a daemon). The one record builder puts both keys into every SVCB record.

import t from 'tap';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { leaseNet } from '../helpers/loopback-net.js';
import { startDaemon } from '../helpers/server.js';
import { run } from '../helpers/peers.js';
import { parseListen } from '../../src/server/listen.js';
import { exchange } from '../../src/transport/index.js';
import { encodeQuery } from '../../src/wire/message.js';
import { Keyring, type TsigKey } from '../../src/wire/tsig.js';
import { formatKeyFile } from '../../src/wire/tsig-key.js';
import { RRType } from '../../src/wire/types.js';
import { parsePolicy } from '../../src/update/policy.js';
import { loadZoneFile } from '../../src/zone/load.js';
import { capDigest, parseCapability, readSvcb, SvcKey } from '../../src/agent/index.js';
import type { RR } from '../../src/wire/rr.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const aop = (args: string[]) => run(process.execPath, [path.join(root, 'bin', 'aop.js'), ...args], 60_000);
const NET = await leaseNet(t);

const dir = mkdtempSync(path.join(os.tmpdir(), 'aop-cap-publish-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const doc = path.join(dir, 'poet.json');
writeFileSync(doc, JSON.stringify({ endpoints: { mcp: '/poet/mcp' }, capabilities: ['poetry'], version: '1.0.0' }));
const digest = capDigest(readFileSync(doc));

/** cap and cap-sha256 of every SVCB record at `name`. */
function caps(rrs: Iterable<RR>, name: string): Array<[string | undefined, string | undefined]> {
  return [...rrs].filter((r) => r.type === RRType.SVCB && r.name === name).map((r) => {
    const p = readSvcb(r.rdata).params;
    return [p.get(SvcKey.cap)?.toString('latin1'), p.get(SvcKey.capSha256)?.toString('latin1')];
  });
}

function zoneCopy(): string {
  const f = path.join(mkdtempSync(path.join(dir, 'z-')), 'acme.agents.zone');
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), f);
  return f;
}

t.test('add-agent --cap --cap-file: both keys on the preferred record, the digest of the file', async (t) => {
  const file = zoneCopy();
  const r = await aop(['zone', 'add-agent', file, 'poet', '--endpoint', 'https://mcp.acme.agents/poet/mcp', '--endpoint', 'https://lab.acme.agents/poet/mcp',
    '--tool', 'write_poem', '--cap', 'https://mcp.acme.agents/.well-known/aop/cap/poet.acme.agents.json', '--cap-file', doc]);
  t.equal(r.code, 0, r.stderr);
  t.same(caps(loadZoneFile(file, { origin: 'acme.agents.' }).records(), 'poet.acme.agents.'),
    [['https://mcp.acme.agents/.well-known/aop/cap/poet.acme.agents.json', digest], [undefined, undefined]], 'on the priority-1 record; the failover record carries the path and needs none');
  const [alone, bad, http] = await Promise.all([
    aop(['zone', 'add-agent', file, 'poem', '--endpoint', 'https://mcp.acme.agents/p', '--tool', 'p', '--cap', 'https://x.example/c.json']),
    aop(['zone', 'add-agent', file, 'poem', '--endpoint', 'https://mcp.acme.agents/p', '--tool', 'p', '--cap', 'https://x.example/c.json', '--cap-file', path.join(dir, 'missing.json')]),
    aop(['zone', 'add-agent', file, 'poem', '--endpoint', 'https://mcp.acme.agents/p', '--tool', 'p', '--cap', 'http://x.example/c.json', '--cap-file', doc, '--dry-run']),
  ]);
  t.equal(alone.code, 1);
  t.match(alone.stderr, /--cap URL and --cap-file FILE go together/);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--cap-file .*missing\.json: ENOENT/);
  t.equal(http.code, 0, http.stderr);
  t.match(http.stderr, /warning: poem\.acme\.agents\.: cap http:\/\/x\.example\/c\.json is not an https URL/);
});

/** A stateless MCP server with two tools, on `host`. */
async function mcpServer(host: string): Promise<string> {
  const http: Server = createServer((req, res) => {
    const server = new McpServer({ name: 'cap-test', version: '2.0.0' });
    server.registerTool('write_poem', { description: 'Writes a short poem', inputSchema: { topic: z.string().describe('What about') } }, ({ topic }) => ({ content: [{ type: 'text', text: topic }] }));
    server.registerTool('rhyme', { description: 'Finds rhymes', inputSchema: { word: z.string() }, annotations: { readOnlyHint: true } }, ({ word }) => ({ content: [{ type: 'text', text: word }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => { void transport.close(); void server.close(); });
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((resolve) => http.listen(0, host, resolve));
  t.teardown(() => new Promise<void>((resolve) => http.close(() => resolve())));
  return `http://${host}:${(http.address() as AddressInfo).port}/mcp`;
}

t.test('import-mcp --cap --cap-out: a document per agent from the tools/list, pinned by its records', async (t) => {
  const url = await mcpServer(NET.host(1));
  const file = zoneCopy();
  const out = path.join(dir, 'caps') + '/';
  const r = await aop(['zone', 'import-mcp', url, '--zone', 'acme.agents', '--file', file, '--cap', 'https://docs.acme.example/cap/{name}.json', '--cap-out', out]);
  t.equal(r.code, 0, r.stderr);
  const zone = loadZoneFile(file, { origin: 'acme.agents.' });
  for (const [name, tool] of [['write-poem', 'write_poem'], ['rhyme', 'rhyme']] as const) {
    const bytes = readFileSync(path.join(out, `${name}.acme.agents.json`));
    const parsed = parseCapability(bytes).document!;
    t.equal(parsed.tool, tool, `${name}: its own tool`);
    t.equal(parsed.version, '2.0.0');
    t.same(Object.keys(parsed.tools[0]!.inputSchema.properties as object), [tool === 'rhyme' ? 'word' : 'topic'], `${name}: the input schema from tools/list`);
    t.equal(parsed.endpoints.mcp, '/mcp');
    t.same(caps(zone.records(), `${name}.acme.agents.`), [[`https://docs.acme.example/cap/${name}.acme.agents.json`, capDigest(bytes)]], `${name}: the record pins its document`);
  }
  const [noTemplate, both, oneFile, printed] = await Promise.all([
    aop(['zone', 'import-mcp', url, '--zone', 'acme.agents', '--cap', 'https://docs.acme.example/cap.json', '--cap-out', out]),
    aop(['zone', 'import-mcp', url, '--zone', 'acme.agents', '--cap', 'https://docs.acme.example/{name}.json']),
    aop(['zone', 'import-mcp', url, '--zone', 'acme.agents', '--cap', 'https://docs.acme.example/{name}.json', '--cap-file', doc]),
    aop(['zone', 'import-mcp', url, '--zone', 'acme.agents', '--cap', 'https://docs.acme.example/{name}.json', '--cap-out', path.join(dir, 'printed', '{name}.json')]),
  ]);
  t.equal(noTemplate.code, 1);
  t.match(noTemplate.stderr, /2 agents need one URL each; put \{name\} in it/);
  t.equal(both.code, 1);
  t.match(both.stderr, /--cap needs exactly one of --cap-out/);
  t.equal(oneFile.code, 1);
  t.match(oneFile.stderr, /--cap-file is one document, for one agent/);
  t.equal(printed.code, 0, printed.stderr);
  const sha = capDigest(readFileSync(path.join(dir, 'printed', 'rhyme.acme.agents.json')));
  t.match(printed.stdout, new RegExp(`key65401="${sha}"`), 'the printed records pin the written document too');
});

t.test('register --cap --cap-file: the UPDATE carries both keys on the preferred record', async (t) => {
  const robot: TsigKey = { name: 'robot-key', algorithm: 'hmac-sha256.', secret: Buffer.from('cm9ib3Qga2V5IGZvciB0aGUgY2FwIHRlc3QhISEhISE=', 'base64') };
  const zdir = mkdtempSync(path.join(dir, 'reg-'));
  copyFileSync(path.join(root, 'zones', 'acme.agents.zone'), path.join(zdir, 'acme.agents.zone'));
  const keyFile = path.join(zdir, 'robot.key');
  writeFileSync(keyFile, formatKeyFile(robot));
  const { host, port } = await startDaemon(t, {
    zonesDir: zdir, listen: [parseListen(`${NET.host(2)}:0`)], keyring: new Keyring([robot]),
    update: { policy: parsePolicy(['grant robot-key agent robot.acme.agents.']), flushDelayMs: 50 },
  });
  const server = `${host}:${port}`;
  const reg = await aop(['register', 'robot.acme.agents', '--endpoint', 'https://mcp.acme.agents/agents/robot/mcp', '--endpoint', 'https://lab.acme.agents/agents/robot/mcp',
    '--tool', 'assemble', '--cap', 'https://mcp.acme.agents/.well-known/aop/cap/robot.acme.agents.json', '--cap-file', doc, '--key', keyFile, '--server', server, '--timeout', '15000']);
  t.equal(reg.code, 0, reg.stderr);
  const answer = (await exchange({ address: host, port }, encodeQuery('robot.acme.agents.', RRType.SVCB, { rd: false }), { timeout: 10_000 })).message.answers;
  const got = caps(answer, 'robot.acme.agents.').sort((a, b) => (a[0] === undefined ? 1 : 0) - (b[0] === undefined ? 1 : 0));
  t.same(got, [['https://mcp.acme.agents/.well-known/aop/cap/robot.acme.agents.json', digest], [undefined, undefined]], 'on the priority-1 record only');
  const usage = await aop(['register', 'robot.acme.agents', '--endpoint', 'https://mcp.acme.agents/r', '--tool', 'assemble', '--cap', 'https://x.example/c.json', '--key', keyFile, '--server', server]);
  t.equal(usage.code, 1);
  t.match(usage.stderr, /--cap URL and --cap-file FILE go together/);
});

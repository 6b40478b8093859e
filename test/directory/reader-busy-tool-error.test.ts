// Readers that refuse a read (their queue full) or lose it (their thread died, or they were
// closed) make the gateway's list tools answer a tool error with the code, and the page's JSON an
// HTTP 503 with it: never a protocol error, never a hang.

import t from 'tap';
import { DirectoryReaders, StoreCatalog, type DirectoryRecord } from '../../src/directory/index.js';
import { AgentDirectory, Gateway, type AgentClient } from '../../src/mcp/gateway/index.js';
import { startGatewayHttp } from '../../src/mcp/gateway/http.js';
import { NetworkLookup } from '../../src/mcp/lookup.js';
import { scratchStore } from '../helpers/directory-store.js';

const agent = (name: string): DirectoryRecord => ({
  name, org: 'acme.example', description: 'translates contracts', capabilities: ['translation'], tools: [], transports: ['streamable-http'],
  endpoints: [], card: { name, endpoints: [], capabilities: ['translation'] }, dnssec: 'insecure', capCheck: 'absent', source: { zone: 'acme.example' }, confirmedAt: 1,
});

t.test('busy and dead readers through the gateway', async (t) => {
  const { file, store } = scratchStore(t, 'aop-dir-busy-');
  store.upsert([agent('a.acme.example'), agent('b.acme.example')], 1);
  // One thread, no queue: a second read while the first runs is refused.
  const readers = new DirectoryReaders(file, { threads: 1, maxQueue: 0 });
  t.teardown(() => readers.close());
  await readers.ready();
  const none: AgentClient = { resolve: async () => { throw new Error('not here'); }, call: async () => { throw new Error('not here'); }, listTools: async () => [] };
  // No DNS is asked: the list tools read the catalog only.
  const gateway = new Gateway({ client: none, directory: new AgentDirectory({ lookup: new NetworkLookup({ address: '127.0.0.1', port: 9 }), client: none, zones: () => [] }), catalog: new StoreCatalog(readers) });
  t.teardown(() => gateway.close());

  const [first, second] = await Promise.all([
    gateway.callTool('search_agents', { query: 'contracts' }),
    gateway.callTool('search_agents', { query: 'contracts' }),
  ]);
  t.notOk(first.isError, 'the first search is answered');
  t.same((first.structuredContent as { matching_agents: unknown[] }).matching_agents.length, 2, 'with both agents');
  t.ok(second.isError, 'the second is a tool error');
  t.match((second.content as Array<{ text: string }>)[0]!.text, /ERR_DIRECTORY_BUSY/, 'saying the readers are busy');

  // The thread dies during a list: the tool says so.
  const pending = gateway.callTool('list_agents', {});
  // Its answer comes in a later turn of the loop (a message from the thread): until then, the read is the thread's.
  for (let i = 0; i < 10_000 && readers.busy === 0; i++) await null;
  t.equal(readers.busy, 1, 'the list is handed to the reader');
  await readers.kill(0);
  const dead = await pending;
  t.ok(dead.isError, 'a read lost with its thread is a tool error');
  t.match((dead.content as Array<{ text: string }>)[0]!.text, /ERR_DIRECTORY_READER.*died/, 'saying the reader died');
  const after = await gateway.callTool('list_agents', {});
  t.same((after.structuredContent as { agent_names: string[] }).agent_names, ['a.acme.example', 'b.acme.example'], 'and the next list is answered by the new thread');

  // Readers that are gone: the page's JSON is a 503 with the code.
  await readers.close();
  const http = await startGatewayHttp(gateway, { host: '127.0.0.1', port: 0 });
  t.teardown(() => http.close());
  for (const q of ['', '?q=contracts']) {
    const r = await fetch(`http://127.0.0.1:${http.port}/api/agents${q}`);
    t.equal(r.status, 503, `/api/agents${q}: 503`);
    t.equal(((await r.json()) as { error: { code: string } }).error.code, 'ERR_DIRECTORY_READER', 'with the code');
  }
});

// An agent rewritten or removed deletes its capability and transport rows by the agent's id: the
// schema has an index for that, so the delete is a search, not a scan of every agent's rows (the
// scan made one zone's re-read after a NOTIFY take 112 s at 1,000,000 agents). And the rows the
// rewrite leaves are the new ones only: a filter on a capability the agent dropped no longer finds it.

import t from 'tap';
import { DatabaseSync } from 'node:sqlite';
import type { DirectoryRecord } from '../../src/directory/index.js';
import { scratchStore } from '../helpers/directory-store.js';

const agent = (name: string, capabilities: string[], transports: string[]): DirectoryRecord => ({
  name, org: 'acme.example', description: 'an agent', capabilities, tools: [], transports, endpoints: [], card: { name },
  dnssec: 'insecure', capCheck: 'absent', source: { zone: 'acme.example', serial: 1 }, confirmedAt: 1,
});

t.test('per-agent rows are deleted through an index', async (t) => {
  const { file, store } = scratchStore(t, 'aop-dir-rows-');
  store.upsert([agent('a.acme.example', ['translation', 'legal'], ['streamable-http']), agent('b.acme.example', ['translation'], ['sse'])], 1);

  const db = new DatabaseSync(file, { readOnly: true });
  t.teardown(() => db.close());
  for (const table of ['agent_caps', 'agent_transports']) {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN DELETE FROM ${table} WHERE agent = ?`).all(1) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    t.notMatch(plan, /\bSCAN\b/, `${table}: an agent's rows found without a scan (${plan})`);
    t.match(plan, /USING (COVERING )?INDEX/, `${table}: by an index`);
  }

  store.upsert([agent('a.acme.example', ['coding'], ['sse'])], 2);
  t.same(store.list({ capability: 'legal' }, undefined, 10).map((a) => a.name), [], 'the dropped capability no longer finds the agent');
  t.same(store.list({ capability: 'coding' }, undefined, 10).map((a) => a.name), ['a.acme.example'], 'the new one does');
  t.same(store.list({ transport: 'streamable-http' }, undefined, 10).map((a) => a.name), [], 'nor the dropped transport');
  t.ok(store.remove('b.acme.example'));
  t.same(store.list({ capability: 'translation' }, undefined, 10).map((a) => a.name), [], 'a removed agent leaves no capability row');
});

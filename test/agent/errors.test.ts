// Every AgentRecordError code is thrown by some input, and src/agent/README.md lists each one.

import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AgentErrorCode, AgentRecordError, AliasChain, cardFromRecords, endpointFromUrl, parseAid, recordsFromCard, type AgentCard,
} from '../../src/agent/index.js';
import { loadZoneText } from '../../src/zone/load.js';

const records = [...loadZoneText(`$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 127.0.0.3
alias SVCB 0 writer
gone SVCB 0 .
broken SVCB 1 mcp alpn="mcp" key65320="/mcp" key65321="streamable-http"
`, { origin: 'example.agents.' }).records()];

const TRIGGERS: Record<string, () => unknown> = {
  ERR_AGENT_NO_RECORD: () => cardFromRecords('nobody.example.agents.', records),
  ERR_AGENT_BAD_RECORD: () => cardFromRecords('broken.example.agents.', records),
  ERR_AGENT_ALIAS: () => cardFromRecords('alias.example.agents.', records),
  ERR_AGENT_ALIAS_LOOP: () => {
    const c = new AliasChain('a.example.');
    c.follow('b.example.');
    c.follow('a.example.');
  },
  ERR_AGENT_BAD_AID: () => parseAid('v=aid2'),
  ERR_AGENT_BAD_CARD: () => recordsFromCard({ name: 'x.example.agents.', endpoints: [endpointFromUrl('http://mcp.example.agents/mcp')], tool: 'bad tool', capabilities: [], ttl: 300, zone: 'example.agents.', warnings: [] } as AgentCard),
};

t.test('every code is thrown, as an AgentRecordError', async (t) => {
  t.same(Object.keys(TRIGGERS).sort(), Object.keys(AgentErrorCode).sort(), 'a trigger per code');
  for (const [code, fn] of Object.entries(TRIGGERS)) {
    try {
      fn();
      t.fail(`${code}: nothing thrown`);
    } catch (e) {
      t.ok(e instanceof AgentRecordError, `${code}: AgentRecordError`);
      t.equal((e as AgentRecordError).code, code);
      t.equal((e as Error).name, 'AgentRecordError');
    }
  }
  t.equal(cardFromRecords.length, 2, 'cardFromRecords(name, records, opts?)');
  try {
    cardFromRecords('gone.example.agents.', records);
  } catch (e) {
    t.equal((e as AgentRecordError).code, 'ERR_AGENT_NO_RECORD', 'AliasMode to "." is "no record"');
  }
});

t.test('the README lists every code', async (t) => {
  const readme = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'agent', 'README.md'), 'utf8');
  for (const code of Object.keys(AgentErrorCode)) t.match(readme, `\`${code}\``, code);
});

// Large organisations for tests and measurements: one zone file of N agents (an SVCB record and
// an `_agent` TXT each, one shared endpoint host), with the organisation index flat (one PTR set,
// as small orgs have it, whatever its size) or paged (src/agent/index-pages.ts, as aop writes
// it), and capability indexes. Names and capabilities follow from the agent's number, so a test
// knows the ground truth: agent i offers CAPABILITIES[i % CAPABILITIES.length].

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { capIndexRoot, entryHash, layoutIndex, orgIndexRoot, type IndexMember } from '../../src/agent/index.js';

export const CAPABILITIES = ['translation', 'writing', 'review', 'search', 'summarising', 'coding', 'vision'];

export interface LargeOrg {
  /** The organisation (zone origin), without the trailing dot: `big.agents`. */
  org: string;
  agents: number;
  /** Address of ns1 and of the agents' MCP host. */
  address: string;
  /** Port in the agents' SVCB records (nothing needs to listen there to list them). */
  port?: number;
  /** 'flat': one PTR set at `_index._agents`; 'paged': aop's paged index and capability indexes. */
  layout: 'flat' | 'paged';
}

/** The relative label of agent i: `agent-0000042`. */
export const agentLabel = (i: number): string => `agent-${String(i).padStart(7, '0')}`;

/** Zone-file lines of the organisation, in chunks (a million agents is some 400 MB of text). */
export function* largeOrgLines(o: LargeOrg): Generator<string> {
  const port = o.port ?? 18999;
  yield `$ORIGIN ${o.org}.\n$TTL 300\n@ 3600 IN SOA ns1.${o.org}. hostmaster.${o.org}. 1 3600 900 604800 300\n  3600 IN NS ns1\nns1 IN A ${o.address}\nmcp IN A ${o.address}\n`;
  let chunk = '';
  for (let i = 0; i < o.agents; i++) {
    const l = agentLabel(i);
    const cap = CAPABILITIES[i % CAPABILITIES.length];
    chunk += `${l} IN SVCB 1 mcp.${o.org}. alpn="mcp" port=${port} key65320="/mcp" key65321="streamable-http" key65322="tool" key65323="${cap}" key65402="mcp"\n`
      + `_agent.${l} IN TXT "v=aid2;u=https://mcp.${o.org}:${port}/mcp;p=mcp"\n`;
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
  const labels = Array.from({ length: o.agents }, (_, i) => agentLabel(i));
  if (o.layout === 'flat') {
    let idx = '';
    for (const l of labels) {
      idx += `_index._agents IN PTR ${l}.${o.org}.\n`;
      if (idx.length > 1 << 20) {
        yield idx;
        idx = '';
      }
    }
    yield idx;
  } else {
    const org = `${o.org}.`;
    const members: IndexMember[] = labels.map((l) => ({ name: `${l}.${org}`, hash: entryHash(`${l}.${org}`, org) }));
    yield* indexLines(layoutIndex(orgIndexRoot(org), members));
    for (const [c, cap] of CAPABILITIES.entries()) {
      yield* indexLines(layoutIndex(capIndexRoot(org, cap)!, members.filter((_, i) => i % CAPABILITIES.length === c)));
    }
  }
}

/** Zone-file lines of an index layout (layoutIndex), absolute names. */
export function* indexLines(layout: ReadonlyMap<string, readonly string[]>): Generator<string> {
  let chunk = '';
  for (const [owner, targets] of layout) {
    for (const target of targets) chunk += `${owner} IN PTR ${target}\n`;
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
}

/** The whole zone as one string (for up to some 100,000 agents). */
export function largeOrgText(o: LargeOrg): string {
  return [...largeOrgLines(o)].join('');
}

/** The zone written to a file, streamed (any size). */
export async function writeLargeOrg(file: string, o: LargeOrg): Promise<void> {
  const out = createWriteStream(file);
  for (const chunk of largeOrgLines(o)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

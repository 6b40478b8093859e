// What the gateway needs from the hand-off (src/mcp/handoff.ts's HandOff has this shape), so the
// gateway's tools are written against the contract and not against one implementation.

import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AgentCard } from '../../agent/index.js';
import type { Attempt } from '../errors.js';
import type { AgentStates, EndpointReach } from '../agent-state.js';

export interface AgentCallResult {
  result: CallToolResult;
  card: AgentCard;
  endpoint: string;
  attempts: Attempt[];
}

export interface AgentClient {
  resolve(name: string, opts?: { signal?: AbortSignal }): Promise<AgentCard>;
  call(name: string, args: Record<string, unknown>, opts?: { signal?: AbortSignal; timeoutMs?: number; tool?: string; hops?: number }): Promise<AgentCallResult>;
  listTools(name: string, opts?: { signal?: AbortSignal }): Promise<Tool[]>;
  /** The three states of a card from what the client has seen (HandOff.states); absent: not known. */
  states?(card: AgentCard): AgentStates;
  /** Probe the card's endpoints now (HandOff.probe). */
  probe?(card: AgentCard, opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<EndpointReach[]>;
}

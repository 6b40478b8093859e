// Which tool a call uses, and a tool result's text: the parts of a call that read the agent's answer.

import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AgentCard } from '../../agent/index.js';
import { HandOffError } from '../errors.js';

/**
 * The tool a call uses: the one asked for, else the record's, else (a DNS-AID record names none)
 * the endpoint's only tool. Throws ERR_HANDOFF_USAGE (a usage error: say --tool) when it lists several, ERR_TOOL_MISSING when none.
 */
export function chooseTool(card: AgentCard, tools: readonly Tool[], asked: string | undefined, url: string): string {
  const named = asked ?? card.tool;
  if (named !== undefined) return named;
  if (tools.length === 1) return tools[0]!.name;
  if (tools.length === 0) throw new HandOffError('ERR_TOOL_MISSING', `${card.name}: the record names no tool and ${url} lists none`, { agent: card.name });
  throw new HandOffError('ERR_HANDOFF_USAGE', `${card.name}: the record names no tool and ${url} lists ${tools.length}: ${tools.map((t) => t.name).join(', ')}; pick one with --tool`, { agent: card.name });
}

/** The text parts of a tool result, joined by newlines. */
export function toolText(result: CallToolResult): string {
  return result.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');
}

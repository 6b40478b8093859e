// Errors of the agent layer: records that do not make an agent card, and cards that do not make records.

import { AopError } from '../base/errors.js';

/** Every code an AgentRecordError carries, with what it means (docs/errors.md has a row for each). */
export const AgentErrorCode = {
  ERR_AGENT_NO_RECORD: 'no SVCB record at the agent name, or an AliasMode record to "." (agent not available)',
  ERR_AGENT_BAD_RECORD: 'SVCB records at the agent name, but none an aop client can use',
  ERR_AGENT_ALIAS: 'the SVCB set at the name is AliasMode: follow its target instead',
  ERR_AGENT_ALIAS_LOOP: 'more than 8 aliases (CNAME and AliasMode together) in a row, or a name met twice',
  ERR_AGENT_BAD_AID: 'an AID TXT text (`v=aid2;u=...`) that is malformed or cannot be written',
  ERR_AGENT_BAD_CARD: 'an agent card that cannot be written as records',
} as const;

export type AgentErrorCodeName = keyof typeof AgentErrorCode;

/** What was wrong with one SVCB record that was skipped. */
export interface RecordProblem {
  owner: string;
  priority: number;
  target: string;
  /** One entry per fault, e.g. `missing key65322 (tool)`. */
  reasons: string[];
  /** The record as a message names it: `writer.acme.agents. SVCB 1` (plus the target when needed). */
  label: string;
}

export class AgentRecordError extends AopError {
  declare readonly code: AgentErrorCodeName;
  /** For ERR_AGENT_BAD_RECORD: every record and why it was skipped. */
  readonly problems: RecordProblem[];
  /** For ERR_AGENT_ALIAS: the AliasMode target to follow. */
  readonly target: string | undefined;
  constructor(code: AgentErrorCodeName, message: string, extra: { problems?: RecordProblem[]; target?: string } = {}) {
    super(code, message);
    this.problems = extra.problems ?? [];
    this.target = extra.target;
  }
}

// The UPDATE opcode (RFC 2136): zone section, TSIG requirement, prerequisites, policy, the update
// itself, the agent check of what it changes, the journal, then the reply. Every refusal is
// logged with its reason and changes nothing.

import { silentLogger, type Logger } from '../base/log.js';
import { checkAgentZone } from '../agent/index.js';
import type { Catalog } from '../authority/catalog.js';
import { encodeMessage, newMessage, type Message } from '../wire/message.js';
import type { OpcodeHandler, RequestContext } from '../wire/request.js';
import { nameKey } from '../wire/name.js';
import { tooLargeForAnyMessage } from '../wire/answer-size.js';
import { Opcode, Rcode, RRType, rcodeToString } from '../wire/types.js';
import { JournalError, type Change } from '../zone/journal.js';
import type { Zone } from '../zone/zone.js';
import { applyUpdate, prescan, updateWork } from './apply.js';
import { decide, describeDecision, DEFAULT_POLICY, type PolicyRule } from './policy.js';
import { checkPrerequisites, type Verdict } from './prereq.js';
import type { ZoneStore } from './store.js';

/** The parts of the request context (src/wire/request.ts) this handler reads. */
export type UpdateRequest = Pick<RequestContext, 'request' | 'remoteAddress' | 'remotePort' | 'transport' | 'tsig'>;

export interface UpdateHandlerOptions {
  catalog: Catalog;
  store: ZoneStore;
  /** Rules in order; default DEFAULT_POLICY (any key we hold, anything in the zone). */
  policy?: readonly PolicyRule[];
  /** Whether we are the primary for a zone; updates to other zones get NOTAUTH. Default: every zone in the catalog. */
  isPrimary?: (origin: string) => boolean;
  /** Called after a change is durable and served: the new zone and the change. */
  onChange?: (zone: Zone, change: Change) => void;
  logger?: Logger;
  /**
   * Where refusals go instead of logger.warn, by kind (`refused UPDATE`, `refused unsigned UPDATE`):
   * anyone can send an update to be refused, so the daemon rate-limits these (src/base/log-limit.ts LogLimiter).
   */
  refused?: (kind: string, msg: string) => void;
}

export class UpdateHandler implements OpcodeHandler {
  readonly name = 'update';
  /** Updates answered, by rcode (the metrics read it). */
  readonly byRcode = new Map<number, number>();
  private readonly log: Logger;

  constructor(private readonly opts: UpdateHandlerOptions) {
    this.log = opts.logger ?? silentLogger;
  }
  /** The update-policy from now on (SIGHUP with new rules); undefined: the default policy. */
  setPolicy(policy: readonly PolicyRule[] | undefined): void {
    this.opts.policy = policy;
  }


  wants(request: Message): boolean {
    return request.opcode === Opcode.UPDATE;
  }

  /** Synchronous from check to commit, so concurrent updates cannot interleave. */
  handle(ctx: UpdateRequest): Buffer {
    const { request } = ctx;
    const who = `${ctx.remoteAddress}#${ctx.remotePort}${ctx.tsig ? ` key ${ctx.tsig.key.name}` : ' unsigned'}`;
    const zoneName = request.questions[0]?.name ?? '?';
    const answer = (rcode: number, reason?: string): Buffer => {
      if (reason !== undefined) {
        const line = `update ${zoneName} from ${who}: ${rcodeToString(rcode)}: ${reason}`;
        if (this.opts.refused) this.opts.refused(ctx.tsig ? 'refused UPDATE' : 'refused unsigned UPDATE', line);
        else this.log.warn(line);
      }
      return this.reply(request, rcode);
    };
    // RFC 2136 3.1: exactly one zone, of type SOA.
    if (request.questions.length !== 1) return answer(Rcode.FORMERR, `the zone section holds ${request.questions.length} entries, not 1`);
    const z = request.questions[0]!;
    if (z.type !== RRType.SOA) return answer(Rcode.FORMERR, `the zone section's type is ${z.type}, not SOA`);
    const zone = this.opts.catalog.get(z.name);
    if (!zone || z.class !== zone.class || !(this.opts.isPrimary?.(zone.origin) ?? true)) {
      return answer(Rcode.NOTAUTH, `we are not the primary for ${z.name}`);
    }
    if (!ctx.tsig) return answer(Rcode.REFUSED, 'updates must be signed with a TSIG key');
    const prereq: Verdict | undefined = checkPrerequisites(zone, request.answers, zone.class);
    if (prereq) return answer(prereq.rcode, prereq.reason);
    const scan = prescan(zone, request.authority, zone.class);
    if (scan) return answer(scan.rcode, scan.reason);
    const rules = this.opts.policy ?? DEFAULT_POLICY;
    for (const rr of request.authority) {
      const d = decide(rules, ctx.tsig.key.name, rr, zone.origin);
      if (!d.allowed) return answer(Rcode.REFUSED, `policy: ${describeDecision(d, rr.name, rr.type)}`);
    }
    const outcome = applyUpdate(zone, request.authority, zone.class);
    if (!outcome.ok) return answer(outcome.verdict.rcode, outcome.verdict.reason);
    if (!outcome.change) {
      this.log.info(`update ${zone.origin} from ${who}: NOERROR, nothing to change (serial stays ${zone.serial})`);
      return this.reply(request, Rcode.NOERROR);
    }
    const change = outcome.change;
    const broken = agentErrors(outcome.zone, change);
    if (broken) return answer(Rcode.REFUSED, `the change would break an agent record, which the zone's next load would refuse: ${broken}`);
    try {
      this.opts.store.commit(outcome.zone, change);
    } catch (err) {
      const why = err instanceof JournalError ? err.message : String(err);
      this.log.error(`update ${zone.origin} from ${who}: SERVFAIL: the change could not be made durable: ${why}`);
      return this.reply(request, Rcode.SERVFAIL);
    }
    this.opts.catalog.set(outcome.zone);
    this.log.info(`update ${zone.origin} from ${who}: serial ${change.from} -> ${change.to}, ${change.deleted.length - 1} record(s) removed, ${change.added.length - 1} added`);
    try {
      this.opts.onChange?.(outcome.zone, change);
    } catch (err) {
      this.log.error(`update ${zone.origin}: a change listener failed: ${(err as Error).message}`);
    }
    return this.reply(request, Rcode.NOERROR);
  }

  /** The reply: header, the zone section echoed, no records (RFC 2136 3.8). */
  private reply(request: Message, rcode: number): Buffer {
    this.byRcode.set(rcode, (this.byRcode.get(rcode) ?? 0) + 1);
    const m = newMessage({ id: request.id, qr: true, opcode: Opcode.UPDATE, rcode, questions: request.questions.slice(0, 1) });
    if (request.edns) m.edns = { udpSize: 1232, version: 0, dnssecOk: false, extendedRcode: 0, flags: 0, options: [] };
    else if (rcode > 0xf) m.rcode = Rcode.SERVFAIL;
    return encodeMessage(m);
  }
}

/** Types whose removal can leave an agent's endpoint host without an address. */
const ADDRESS_TYPES = new Set<number>([RRType.A, RRType.AAAA, RRType.CNAME]);

/**
 * The first agent-record error (checkAgentZone) the change brings, or undefined. Only the agents
 * at the changed names are checked, and `_agent.X` stands for X; a name left without any address
 * record can break any agent pointing at that host, so then the whole zone is checked.
 */
function agentErrors(zone: Zone, change: Change): string | undefined {
  const names = new Set<string>();
  let whole = false;
  for (const rr of [...change.added.slice(1), ...change.deleted.slice(1)]) {
    const key = nameKey(rr.name);
    names.add(key);
    if (key.startsWith('_agent.')) names.add(key.slice('_agent.'.length));
  }
  // Only a name left with no address at all can break an agent elsewhere (ERR_AGENT_ZONE_TARGET);
  // replacing a host's address, or removing one of several, cannot.
  const addressless = (name: string): boolean => [...ADDRESS_TYPES].every((t) => zone.rrset(name, t) === undefined);
  for (const rr of change.deleted.slice(1)) if (ADDRESS_TYPES.has(rr.type) && addressless(rr.name)) whole = true;
  // Only errors refuse an update; the index warnings would walk every entry of the index.
  if (whole) updateWork.wholeAgentChecks++;
  const faults = checkAgentZone(zone, whole ? { indexChecks: false } : { names, indexChecks: false });
  // An RRset this change makes too large for any message would be served as TC=1 with nothing:
  // refused, like an error (BIND refuses such updates with max-records-per-type). One that was
  // too large already (the load warned) is the operator's to page; changes to it go through.
  const error = faults.find((f) => f.severity === 'error' || (f.code === 'ERR_AGENT_ZONE_RRSET_TOO_LARGE' && names.has(nameKey(f.owner)) && !wasTooLarge(zone, change, f.owner, f.type)));
  return error?.message;
}

/** Whether the RRset at owner/type was already too large for a message before `change`. */
function wasTooLarge(zone: Zone, change: Change, owner: string, type: number): boolean {
  const now = zone.rrset(owner, type);
  if (now === undefined) return false;
  const key = nameKey(owner);
  const same = (rr: { name: string; type: number }): boolean => rr.type === type && nameKey(rr.name) === key;
  const added = new Set(change.added.slice(1).filter(same).map((rr) => rr.rdata.toString('latin1')));
  const rdata = now.rdata.filter((d) => !added.has(d.toString('latin1')));
  rdata.push(...change.deleted.slice(1).filter(same).map((rr) => rr.rdata));
  return tooLargeForAnyMessage({ ...now, rdata });
}

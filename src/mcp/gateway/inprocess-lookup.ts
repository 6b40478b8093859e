// ResolverLookup: a DnsLookup that asks the daemon in-process, through its own query path (the
// same handler chain as a loopback client: local zones, then the resolver), with no sockets.

import { AopError } from '../../base/errors.js';
import { decodeMessage, encodeQuery } from '../../wire/message.js';
import { nameKey } from '../../wire/name.js';
import { RRClass } from '../../wire/types.js';
import { edeOf, type DnsLookup, type LookupReply } from '../lookup.js';

/** What the daemon offers: query bytes in, response bytes out (undefined: dropped). */
export interface QueryResponder {
  respond(query: Buffer): Promise<Buffer | undefined>;
}

export class InProcessLookupError extends AopError {
  declare readonly code: 'ERR_INPROCESS_LOOKUP';
  constructor(message: string) {
    super('ERR_INPROCESS_LOOKUP', message);
  }
}

const absKey = (n: string): string => nameKey(n.endsWith('.') ? n : `${n}.`);

/** Queries with RD=1, answered by the daemon's handler chain as if from 127.0.0.1 over TCP (no size limit). */
export class ResolverLookup implements DnsLookup {
  readonly source = 'the daemon (in-process)';

  /** `checkingDisabled`: ask with CD=1, for the gateway's own validation (resolver/validate/stub.ts). */
  constructor(private readonly daemon: QueryResponder, private readonly opts: { checkingDisabled?: boolean } = {}) {}

  async query(name: string, type: number, signal?: AbortSignal): Promise<LookupReply> {
    signal?.throwIfAborted();
    // DO=1: the daemon's validating resolver (with --trust-anchor) says with AD what it proved (security.ts).
    const wire = encodeQuery(name, type, { rd: true, ...(this.opts.checkingDisabled ? { cd: true } : {}), edns: { dnssecOk: true } });
    const out = await this.daemon.respond(wire);
    signal?.throwIfAborted();
    if (!out) throw new InProcessLookupError(`${name}: the server dropped the query`);
    const m = decodeMessage(out);
    const q = m.questions[0];
    // The responder answers the question it was given; anything else is a bug worth surfacing.
    if (m.id !== wire.readUInt16BE(0) || !q || absKey(q.name) !== absKey(name) || q.type !== type || q.class !== RRClass.IN) {
      throw new InProcessLookupError(`${name}: the reply does not match the question`);
    }
    const ede = edeOf(m.edns?.options);
    return { rcode: m.rcode, answers: m.answers, authority: m.authority, additional: m.additional, aa: m.aa, tc: m.tc, ad: m.ad, ...(ede ? { ede } : {}) };
  }
}

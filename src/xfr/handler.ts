// The transfer handler: AXFR and IXFR requests, checked against the transfer ACL, answered from
// the zone as it is served now. An OpcodeHandler (src/wire/request.ts) the responder dispatches to.

import { encodeMessage, type Message } from '../wire/message.js';
import type { OpcodeHandler, RequestContext } from '../wire/request.js';
import { Opcode, Rcode, RRClass, RRType } from '../wire/types.js';
import type { Zone } from '../zone/zone.js';
import type { TransferAcl } from './acl.js';
import { axfrResponse, transferTemplate } from './axfr-out.js';
import type { ZoneHistory } from './diff.js';
import { clientSerial, ixfrResponse } from './ixfr-out.js';

export interface TransferHandlerOptions {
  /** The zone served at exactly this origin. */
  zone(origin: string): Zone | undefined;
  acl: TransferAcl;
  /** Change history for IXFR; without it IXFR is answered with the whole zone. */
  history?: ZoneHistory;
  log?: (level: 'info' | 'warn', msg: string) => void;
}

export class TransferHandler implements OpcodeHandler {
  readonly name = 'xfr';
  /** Transfers served and refused, for the stats. */
  readonly counts = { axfr: 0, ixfr: 0, incremental: 0, refused: 0 };

  constructor(private readonly opts: TransferHandlerOptions) {}

  wants(request: Message): boolean {
    const q = request.questions[0];
    return request.opcode === Opcode.QUERY && request.questions.length === 1 && (q!.type === RRType.AXFR || q!.type === RRType.IXFR);
  }

  handle(ctx: RequestContext): Buffer | Buffer[] {
    const { request } = ctx;
    const q = request.questions[0]!;
    const what = q.type === RRType.AXFR ? 'AXFR' : 'IXFR';
    const who = `${ctx.remoteAddress}#${ctx.remotePort}`;
    const fail = (rcode: number, why: string): Buffer => {
      this.counts.refused++;
      this.opts.log?.('warn', `${what} of ${q.name} for ${who} (${ctx.transport}): ${why}`);
      return encodeMessage(transferTemplate(request, rcode));
    };
    // RFC 5936 4.2: AXFR is a TCP exchange; over UDP there is nothing sensible to send.
    if (q.type === RRType.AXFR && ctx.transport === 'udp') return fail(Rcode.FORMERR, 'AXFR over UDP');
    if (request.answers.length > 0) return fail(Rcode.FORMERR, 'records in the answer section');
    if (q.class !== RRClass.IN) return fail(Rcode.NOTAUTH, `class ${q.class}`);
    const zone = this.opts.zone(q.name);
    if (!zone) return fail(Rcode.NOTAUTH, 'not a zone served here');
    const key = ctx.tsig?.key.name;
    if (!this.opts.acl.allows(ctx.remoteAddress, key)) return fail(Rcode.REFUSED, `not allowed by the transfer ACL${key ? ` (key ${key})` : ''}`);
    const pack = { maxSize: ctx.maxSize };
    if (q.type === RRType.AXFR) {
      const messages = axfrResponse(request, zone, pack);
      this.counts.axfr++;
      this.opts.log?.('info', `AXFR of ${zone.origin} serial ${zone.serial} to ${who}: ${zone.size} records in ${messages.length} messages`);
      return messages;
    }
    const serial = clientSerial(request, zone.origin);
    if (serial === undefined) return fail(Rcode.FORMERR, 'no SOA of the zone in the authority section');
    const r = ixfrResponse(request, zone, serial, ctx.transport, this.opts.history, pack);
    this.counts.ixfr++;
    if (r.kind === 'incremental') this.counts.incremental++;
    this.opts.log?.('info', `IXFR of ${zone.origin} from serial ${serial} to ${zone.serial} for ${who}: ${r.kind}, ${r.messages.length} messages`);
    return r.messages;
  }
}

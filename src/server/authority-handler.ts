// The authoritative handler: answers from the catalog, REFUSED for names outside every zone.

import type { Handler, HandlerResult, QueryContext } from './handler.js';
import { Authority, type RRsetFilter } from '../authority/answer.js';
import { Rcode } from '../wire/types.js';
import { EdeCode } from './ede.js';
import type { Catalog } from '../authority/catalog.js';

export class AuthorityHandler implements Handler {
  readonly name = 'authority';
  private readonly authority: Authority;

  constructor(readonly catalog: Catalog, filter?: RRsetFilter) {
    this.authority = new Authority(catalog, filter);
  }

  handle(ctx: QueryContext): HandlerResult {
    const q = ctx.request.questions[0]!;
    // The DO bit shapes referrals; it is part of the stored-answer key, so `cacheable` holds.
    const a = this.authority.answer(q.name, q.type, { dnssecOk: ctx.request.edns?.dnssecOk === true });
    return {
      rcode: a.rcode, aa: a.aa, answers: a.answer, authority: a.authority, additional: a.additional,
      requiredAdditional: a.requiredAdditional, cacheable: true,
      // REFUSED here means no zone of ours holds the name.
      ...(a.rcode === Rcode.REFUSED ? { ede: [{ code: EdeCode.NOT_AUTHORITATIVE }] } : {}),
    };
  }
}

// The recursive handler: RD=1 questions from allowed clients, for names no local zone serves,
// go to the iterative resolver. Everything else passes on to the authoritative handler.

import type { Catalog } from '../authority/catalog.js';
import type { Acl } from '../resolver/acl.js';
import type { Resolver } from '../resolver/resolver.js';
import { Rcode, typeToString } from '../wire/types.js';
import type { Handler, HandlerResult, QueryContext } from './handler.js';
import type { Logger } from './log.js';

export class ResolverHandler implements Handler {
  readonly name = 'resolver';

  constructor(
    private readonly resolver: Resolver,
    private readonly acl: Acl,
    private readonly catalog: Catalog,
    private readonly log: Logger,
  ) {}

  async handle(ctx: QueryContext): Promise<HandlerResult | undefined> {
    const q = ctx.request.questions[0]!;
    // Our own zones answer authoritatively, as BIND does with recursion on.
    if (!ctx.request.rd || this.catalog.find(q.name)) return undefined;
    if (!this.acl.allows(ctx.remoteAddress)) {
      this.log.debug(`recursion refused for ${ctx.remoteAddress}: not in the allowed networks`);
      return { rcode: Rcode.REFUSED, aa: false, ra: false, answers: [], authority: [], additional: [] };
    }
    const r = await this.resolver.resolve(q.name, q.type);
    if (r.reason) this.log.info(`${q.name} ${typeToString(q.type)}: ${Rcode.SERVFAIL === r.rcode ? 'SERVFAIL' : 'REFUSED'}: ${r.reason}`);
    return { rcode: r.rcode, aa: false, ra: true, answers: r.answer, authority: r.authority, additional: [] };
  }
}

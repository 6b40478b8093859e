// The recursive handler: RD=1 questions from allowed clients, for names no local zone serves,
// go to the iterative resolver. Everything else passes on to the authoritative handler.

import type { Catalog } from '../authority/catalog.js';
import type { Acl } from '../resolver/acl.js';
import type { Resolver } from '../resolver/resolver.js';
import { Rcode, typeToString } from '../wire/types.js';
import type { ReuseOwner } from './answer-cache.js';
import type { Handler, HandlerResult, QueryContext } from './handler.js';
import type { Logger } from './log.js';

export class ResolverHandler implements Handler, ReuseOwner {
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
    const result: HandlerResult = { rcode: r.rcode, aa: false, ra: true, answers: r.answer, authority: r.authority, additional: [] };
    // From fresh cache data only: the responder may keep the encoding (see answer-cache.ts).
    if (r.reuseUntil !== undefined) result.reuse = { owner: this, until: r.reuseUntil };
    return result;
  }

  // ReuseOwner: encoded answers live on the resolver cache's clock and generation, for allowed clients.
  get generation(): number {
    return this.resolver.cache.generation;
  }

  now(): number {
    return this.resolver.cache.now();
  }

  allows(address: string): boolean {
    return this.acl.allows(address);
  }
}

// Which clients may ask for recursion: a list of networks checked with node's BlockList.
// The default is loopback only, so the daemon is never an open resolver by accident.

import { AopError } from '../base/errors.js';
import { BlockList, isIP } from 'node:net';

export class AclError extends AopError {
  declare readonly code: 'ERR_ACL_BAD_NETWORK';
  constructor(message: string) {
    super('ERR_ACL_BAD_NETWORK', message);
  }
}

export const DEFAULT_ALLOW = ['127.0.0.0/8', '::1/128'];

/** Client addresses whose verdict is remembered; past this the memory starts again. */
const MAX_VERDICTS = 10_000;

export class Acl {
  private readonly list = new BlockList();
  /** The networks never change after construction, so a verdict per address string stays true. */
  private readonly verdicts = new Map<string, boolean>();
  readonly networks: string[];

  /** Networks as `address/prefix` or a bare address; an empty list allows no one. */
  constructor(networks: readonly string[] = DEFAULT_ALLOW) {
    this.networks = [...networks];
    for (const n of networks) {
      const slash = n.indexOf('/');
      const addr = slash < 0 ? n : n.slice(0, slash);
      const family = isIP(addr);
      if (family === 0) throw new AclError(`"${n}" is not an IP address or network (want e.g. 10.0.0.0/8 or fd00::/8)`);
      const max = family === 4 ? 32 : 128;
      const prefix = slash < 0 ? max : Number(n.slice(slash + 1));
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (slash >= 0 && !/^\d+$/.test(n.slice(slash + 1)))) {
        throw new AclError(`"${n}": prefix length must be 0 to ${max}`);
      }
      this.list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  allows(address: string): boolean {
    // BlockList.check builds a SocketAddress per call: remember the verdict per address string.
    const known = this.verdicts.get(address);
    if (known !== undefined) return known;
    const verdict = this.check(address);
    if (this.verdicts.size >= MAX_VERDICTS) this.verdicts.clear();
    this.verdicts.set(address, verdict);
    return verdict;
  }

  private check(address: string): boolean {
    // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; judge them as IPv4.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const addr = mapped ? mapped[1]! : address;
    const family = isIP(addr);
    if (family === 0) return false;
    return this.list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
  }
}

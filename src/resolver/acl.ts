// Which clients may ask for recursion: a list of networks (src/base/netlist.ts, node's BlockList).
// The default is loopback only, so the daemon is never an open resolver by accident.

import { AopError } from '../base/errors.js';
import { NetworkList, parseNetwork } from '../base/netlist.js';

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
  private readonly list = new NetworkList();
  /** The networks never change after construction, so a verdict per address string stays true. */
  private readonly verdicts = new Map<string, boolean>();
  readonly networks: string[];

  /** Networks as `address/prefix` or a bare address; an empty list allows no one. */
  constructor(networks: readonly string[] = DEFAULT_ALLOW) {
    this.networks = [...networks];
    for (const n of networks) {
      const net = parseNetwork(n);
      if ('fault' in net) {
        throw new AclError(net.fault === 'address' ? `"${n}" is not an IP address or network (want e.g. 10.0.0.0/8 or fd00::/8)` : `"${n}": prefix length must be 0 to ${net.max}`);
      }
      this.list.add(net);
    }
  }

  allows(address: string): boolean {
    // BlockList.check builds a SocketAddress per call: remember the verdict per address string.
    const known = this.verdicts.get(address);
    if (known !== undefined) return known;
    const verdict = this.list.contains(address);
    if (this.verdicts.size >= MAX_VERDICTS) this.verdicts.clear();
    this.verdicts.set(address, verdict);
    return verdict;
  }
}

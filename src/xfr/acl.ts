// Who may transfer a zone: client networks and TSIG key names. The default, an empty list, allows no one.

import { NetworkList, parseNetwork } from '../base/netlist.js';
import { nameKey } from '../wire/name.js';
import { XfrError } from './errors.js';

export class TransferAcl {
  private readonly nets = new NetworkList();
  private readonly keys = new Set<string>();
  readonly entries: string[];

  /** Entries: `ADDR`, `ADDR/PREFIX`, or `key:NAME` (a TSIG key name). Throws ERR_XFR_BAD_OPTION. */
  constructor(entries: readonly string[] = []) {
    this.entries = [...entries];
    for (const e of entries) {
      if (e.startsWith('key:')) {
        const name = e.slice(4);
        if (name === '') throw new XfrError('ERR_XFR_BAD_OPTION', `transfer ACL entry "${e}": no key name after key:`);
        this.keys.add(nameKey(name.endsWith('.') ? name : name + '.'));
        continue;
      }
      // Addresses and networks: the shared parser; key:NAME entries are this list's own.
      const net = parseNetwork(e);
      if ('fault' in net) {
        throw new XfrError('ERR_XFR_BAD_OPTION', net.fault === 'address' ? `transfer ACL entry "${e}" is not an address, a network (10.0.0.0/8) or key:NAME` : `transfer ACL entry "${e}": prefix length must be 0 to ${net.max}`);
      }
      this.nets.add(net);
    }
  }

  /** Whether a client at `address`, whose request was signed (and verified) with `keyName` if any, may transfer. */
  allows(address: string, keyName?: string): boolean {
    if (keyName !== undefined && this.keys.has(nameKey(keyName.endsWith('.') ? keyName : keyName + '.'))) return true;
    return this.nets.contains(address);
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }
}

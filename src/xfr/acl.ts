// Who may transfer a zone: client networks and TSIG key names. The default, an empty list, allows no one.

import { BlockList, isIP } from 'node:net';
import { nameKey } from '../wire/name.js';
import { XfrError } from './errors.js';

export class TransferAcl {
  private readonly nets = new BlockList();
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
      const slash = e.indexOf('/');
      const addr = slash < 0 ? e : e.slice(0, slash);
      const family = isIP(addr);
      if (family === 0) throw new XfrError('ERR_XFR_BAD_OPTION', `transfer ACL entry "${e}" is not an address, a network (10.0.0.0/8) or key:NAME`);
      const max = family === 4 ? 32 : 128;
      const bits = slash < 0 ? String(max) : e.slice(slash + 1);
      const prefix = Number(bits);
      if (!/^\d+$/.test(bits) || prefix > max) throw new XfrError('ERR_XFR_BAD_OPTION', `transfer ACL entry "${e}": prefix length must be 0 to ${max}`);
      this.nets.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  /** Whether a client at `address`, whose request was signed (and verified) with `keyName` if any, may transfer. */
  allows(address: string, keyName?: string): boolean {
    if (keyName !== undefined && this.keys.has(nameKey(keyName.endsWith('.') ? keyName : keyName + '.'))) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const addr = mapped ? mapped[1]! : address;
    const family = isIP(addr);
    return family !== 0 && this.nets.check(addr, family === 4 ? 'ipv4' : 'ipv6');
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }
}

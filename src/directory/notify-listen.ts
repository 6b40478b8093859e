// NOTIFY (RFC 1996) for the crawler: a UDP listener that takes a zone's "I changed" from its
// primary (listed as a secondary with `aop serve --notify ADDR:PORT`, or BIND's also-notify),
// acknowledges it, and asks the crawler to check that zone's SOA now instead of at its refresh.
// Only zones the crawler knows are taken; the check itself still waits minRefreshMs after the last,
// so a flood of NOTIFYs costs one SOA query per zone per interval.

import dgram from 'node:dgram';
import net from 'node:net';
import { AopError } from '../base/errors.js';
import { silentLogger, type Logger } from '../base/log.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import { Opcode, Rcode } from '../wire/types.js';
import { notifyReply, readNotify } from '../xfr/notify.js';

export class NotifyListenError extends AopError {
  declare readonly code: 'ERR_DIRECTORY_NOTIFY_LISTEN';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('ERR_DIRECTORY_NOTIFY_LISTEN', message, opts);
  }
}

export interface NotifyListener {
  readonly address: { address: string; port: number };
  /** NOTIFYs taken (acknowledged and passed on). */
  readonly taken: number;
  close(): Promise<void>;
}

/**
 * Listen at `host:port` (port 0: any). `accept(zone)` says whether the zone is one the crawler
 * keeps (then NOERROR and `onNotify`), else the NOTIFY is refused (NOTAUTH).
 */
export async function listenForNotify(host: string, port: number, accept: (zone: string) => boolean, onNotify: (zone: string, serial?: number) => void, log: Logger = silentLogger): Promise<NotifyListener> {
  const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  let taken = 0;
  sock.on('message', (buf, rinfo) => {
    let msg;
    try {
      msg = decodeMessage(buf);
    } catch {
      return; // Not DNS: nothing to answer.
    }
    if (msg.qr || msg.opcode !== Opcode.NOTIFY) return;
    const n = readNotify(msg);
    let rcode: number;
    if ('rcode' in n) rcode = n.rcode;
    else {
      const zone = n.origin.toLowerCase().replace(/\.$/, '');
      rcode = accept(zone) ? Rcode.NOERROR : Rcode.NOTAUTH;
      if (rcode === Rcode.NOERROR) {
        taken++;
        log.info(`directory: NOTIFY for ${zone}${n.serial !== undefined ? ` (serial ${n.serial})` : ''} from ${rinfo.address}`);
        onNotify(zone, n.serial);
      }
    }
    sock.send(encodeMessage(notifyReply(msg, rcode)), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', (err) => reject(new NotifyListenError(`NOTIFY listener cannot listen on ${host}:${port}: ${err.message}`, { cause: err })));
    sock.bind({ address: host, port }, () => resolve());
  });
  sock.on('error', (err) => log.warn(`directory: NOTIFY listener: ${err.message}`));
  const a = sock.address();
  return {
    address: { address: a.address, port: a.port },
    get taken() { return taken; },
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}

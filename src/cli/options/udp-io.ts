// `aop serve --udp-io`: how the DNS listeners read and write UDP (native batches or node:dgram).

import type { Argv } from 'yargs';
import type { DaemonOptions } from '../../server/daemon.js';
import { UDP_IO_CHOICES, type UdpIo } from '../../server/udp-batch.js';

export function udpIoOptions<T>(y: Argv<T>): Argv<T> {
  return y.option('udp-io', {
    type: 'string', choices: UDP_IO_CHOICES as UdpIo[], default: 'auto',
    describe: 'UDP I/O: batched (recvmmsg/sendmmsg, native/udp-batch), dgram (node:dgram), or auto (batched when the module was built at install)',
  });
}

export function udpIoConfig(a: Record<string, unknown>): Pick<DaemonOptions, 'udpIo'> {
  return { udpIo: (a['udp-io'] as UdpIo | undefined) ?? 'auto' };
}

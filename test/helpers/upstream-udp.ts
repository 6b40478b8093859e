// Which socket code the UDP client tests pass as ExchangeOptions.udp: exchange.test.ts runs on
// the default (the native module where it was built); exchange-dgram.test.ts sets `dgram` first
// and runs the same file again, the path of --udp-io dgram and of a machine without the module.

import type { UpstreamUdp } from '../../src/transport/udp.js';

export const upstreamUdp: { mode: UpstreamUdp } = { mode: 'auto' };

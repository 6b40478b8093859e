// The UDP client's behaviours (test/transport/exchange.test.ts) again with upstream queries on
// node:dgram, the path taken with --udp-io dgram or where native/udp-batch was not built; the
// file itself runs them on the native module when it is built.

import { upstreamUdp } from '../helpers/upstream-udp.js';

upstreamUdp.mode = 'dgram';
await import('./exchange.test.js');

// A /24 of loopback addresses of a test's own, chosen at run time, so tests that must use fixed
// ports (53 for a delegation, the port in an agent record) never collide with another test file,
// nor with a second copy of the suite running on the same machine.
//
// The lease is a UDP socket bound to <net>.250:65053 for the life of the lease: whoever holds it
// owns the whole /24. Nets are drawn at random from 127.10.0.0-127.250.255.0, away from 127.0.x
// (where fixed-address tests and the bundled zones live).

import dgram from 'node:dgram';

export const LEASE_PORT = 65053;

export interface NetLease {
  /** `127.A.B.` */
  net: string;
  /** `127.A.B.<n>` */
  host(n: number): string;
  release(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

function tryBind(address: string): Promise<dgram.Socket | undefined> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    s.once('error', (err: NodeJS.ErrnoException) => {
      s.close();
      if (err.code === 'EADDRINUSE') resolve(undefined);
      else reject(err);
    });
    s.bind({ address, port: LEASE_PORT, exclusive: true }, () => {
      s.unref();
      resolve(s);
    });
  });
}

/** Lease a free loopback /24; released at the test's teardown when `t` is given. */
export async function leaseNet(t?: Teardown): Promise<NetLease> {
  for (let i = 0; i < 500; i++) {
    const a = 10 + Math.floor(Math.random() * 241);
    const b = Math.floor(Math.random() * 256);
    const net = `127.${a}.${b}.`;
    const sock = await tryBind(`${net}250`);
    if (sock === undefined) continue;
    let released = false;
    const lease: NetLease = {
      net,
      host: (n: number) => `${net}${n}`,
      release: () => new Promise<void>((resolve) => {
        if (released) return resolve();
        released = true;
        sock.close(() => resolve());
      }),
    };
    t?.teardown(() => lease.release());
    return lease;
  }
  throw new Error('no free loopback /24 found in 500 tries');
}

/** Text with the bundled zones' 127.0.0.X addresses (X = 2..9) moved into the lease's net. */
export function intoNet(text: string, net: string): string {
  return text.replace(/127\.0\.0\.([2-9])\b/g, `${net}$1`);
}

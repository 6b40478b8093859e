// Start the real daemon in-process on a loopback port for a test, and stop it at teardown.

import { Daemon, type DaemonOptions } from '../../src/server/daemon.js';
import { parseListen } from '../../src/server/listen.js';

export interface Teardownable {
  teardown(fn: () => unknown): void;
}

export async function startDaemon(t: Teardownable, opts: Partial<DaemonOptions> & { zonesDir: string }): Promise<{ daemon: Daemon; host: string; port: number }> {
  const daemon = new Daemon({ listen: [parseListen('127.0.0.1:0')], ...opts });
  await daemon.start();
  t.teardown(() => daemon.close());
  const addr = daemon.listeners[0]!.address;
  return { daemon, host: addr.host, port: addr.port };
}

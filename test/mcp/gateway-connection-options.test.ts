// `aop serve --mcp-max-connections-per-source N` and `--mcp-max-connections N` reach the gateway:
// a source over its cap is closed at accept while another source still gets in, and the
// whole-gateway cap closes a connection from a new source; bad values are usage errors.

import t from 'tap';
import net from 'node:net';
import { leaseNet } from '../helpers/loopback-net.js';
import { spawnServe } from '../helpers/aop-serve.js';
import { runAop, repoRoot } from '../helpers/aop-cli.js';

/** A TCP connection to the gateway that is still open once the server has had its turn (a request answered). */
async function held(host: string, port: number, localAddress: string): Promise<net.Socket | 'closed'> {
  const s = net.connect({ host, port, localAddress });
  s.on('error', () => {}); // a connection closed at accept may be reset: 'close' follows
  // A request on it: a connection closed at accept never answers; one held does (404 for /nope).
  s.once('connect', () => s.write(`GET /nope HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`));
  const got = await new Promise<'data' | 'closed'>((resolve) => {
    s.once('data', () => resolve('data'));
    s.once('close', () => resolve('closed'));
  });
  return got === 'closed' ? 'closed' : s;
}

t.test('the per-source and total caps are the ones given', async (t) => {
  const lease = await leaseNet(t);
  const host = lease.host(1);
  const served = await spawnServe(t, ['--zones', `${repoRoot}/zones`, '--listen', `${host}:0`, '--mcp', `${host}:8053`, '--no-demo-agents', '--no-state-file',
    '--mcp-max-connections', '3', '--mcp-max-connections-per-source', '2', '--log-format', 'text'], /MCP gateway: http:/);
  const open: net.Socket[] = [];
  t.teardown(() => { for (const s of open) s.destroy(); });
  const keep = async (from: string): Promise<boolean> => {
    const r = await held(host, 8053, from);
    if (r === 'closed') return false;
    open.push(r);
    return true;
  };
  t.ok(await keep(lease.host(10)), 'first from .10 held');
  t.ok(await keep(lease.host(10)), 'second from .10 held');
  t.notOk(await keep(lease.host(10)), 'a third from .10 is closed (per-source cap 2)');
  t.ok(await keep(lease.host(11)), 'one from .11 still gets in (3 in all)');
  t.notOk(await keep(lease.host(12)), 'a fourth, from .12, is closed (total cap 3)');
  t.notMatch(served.log(), /error/i, 'nothing logged as an error');
});

t.test('bad values are usage errors', async (t) => {
  for (const [args, re] of [
    [['--mcp-max-connections', '0'], /--mcp-max-connections must be a whole number from 1 to 1000000/],
    [['--mcp-max-connections-per-source', '1.5'], /--mcp-max-connections-per-source must be a whole number from 1 to 1000000/],
    [['--mcp-max-connections', '10', '--mcp-max-connections-per-source', '20'], /--mcp-max-connections-per-source cannot be more than --mcp-max-connections/],
  ] as const) {
    const r = await runAop(['serve', '--zones', 'zones', '--listen', '127.0.0.1:0', '--no-state-file', ...args]);
    t.equal(r.code, 1, `${args.join(' ')}: exit 1 (a usage error)`);
    t.match(r.stderr, re);
  }
});

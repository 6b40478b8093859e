// README.md's examples run as written: the newcomer's path from `npm ci && npm start` on
// (test/helpers/doc-examples-run.ts). Its own file: `npm ci` makes it the longest.

import { runExamples } from '../helpers/doc-examples-run.js';

// AOP_DOC=docs/x.md,... runs just those documents, here.
runExamples((file) => process.env.AOP_DOC !== undefined || file === 'README.md');

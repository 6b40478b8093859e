#!/bin/sh
# browser.sh URL: the conformance run's "browser": it opens the authorization URL and follows the
# authorization server's redirect to aop's loopback listener, as a person's browser would.
exec "${AOP_NODE:-node}" -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(10000) }).then((r) => r.text()).catch((e) => { console.error(e.message); process.exit(1); })' "$1"

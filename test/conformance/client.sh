#!/bin/sh
# client.sh URL: the MCP conformance suite's client command for aop. It publishes URL as the agent
# agent.localhost. in a throwaway zone served by `aop serve`, and calls it with `aop call`, so the
# suite drives aop's real lookup and hand-off path. Credentials a scenario needs come from the
# suite's MCP_CONFORMANCE_CONTEXT, written into a credentials file; the authorization code flow
# runs with a loopback redirect, the "browser" (browser.sh) following the suite's redirect to it.
set -eu
url=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
node=${AOP_NODE:-$root/node_modules/.bin/node}
aop="$node $root/bin/aop.js"
work=$(mktemp -d)
serve_pid=
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM

# http://localhost:PORT/PATH
rest=${url#http://localhost:}
port=${rest%%/*}
path=/${rest#*/}
[ "$path" = "/$rest" ] && path=/
# The tool each scenario's server has (the record must name one).
tool=test-tool
args=
command=call
case "${MCP_CONFORMANCE_SCENARIO:-}" in
  tools_call) tool=add_numbers; args='{"a":2,"b":3}' ;;
  sse-retry) tool=test_reconnection ;;
  # The server lists no tools: open a session (initialize, tools/list), as aop login does.
  initialize) command=login ;;
esac
free_port() { "$node" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
dns=$(free_port)

mkdir "$work/zones"
cat > "$work/zones/localhost.zone" <<EOF
\$ORIGIN localhost.
\$TTL 5
@      IN SOA  ns.localhost. hostmaster.localhost. 1 3600 900 604800 5
@      IN NS   ns
ns     IN A    127.0.0.1
@      IN A    127.0.0.1
agent  IN SVCB 1 localhost. ( alpn="mcp" port=$port key65320="$path" key65321="streamable-http" key65322="$tool" key65326="http" )
EOF

# The scenario's context (client ids, secrets, keys) as a credentials file (JSON is YAML).
"$node" -e '
const ctx = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || "{}");
const scenario = process.env.MCP_CONFORMANCE_SCENARIO || "";
const e = { for: "localhost" };
if (ctx.client_id) e.client_id = ctx.client_id;
if (ctx.client_secret) e.client_secret = ctx.client_secret;
if (ctx.private_key_pem) { e.private_key = ctx.private_key_pem; e.algorithm = ctx.signing_algorithm || "ES256"; }
e.grant = scenario.startsWith("auth/client-credentials") ? "client_credentials" : "authorization_code";
const doc = { client_metadata_url: "https://conformance-test.local/client-metadata.json", credentials: e.client_id ? [e] : [] };
require("fs").writeFileSync(process.argv[1], JSON.stringify(doc, null, 2), { mode: 0o600 });
' "$work/credentials"

$aop serve --zones "$work/zones" --listen "127.0.0.1:$dns" --no-mcp --no-demo-agents --no-state-file --log-level warn >"$work/serve.log" 2>&1 &
serve_pid=$!
i=0
until $aop dig @127.0.0.1 -p "$dns" agent.localhost SVCB +short >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -gt 100 ] && { cat "$work/serve.log" >&2; exit 10; }
  sleep 0.1
done

BROWSER="$root/test/conformance/browser.sh" AOP_OAUTH_DIR="$work/oauth" AOP_LOGIN_WAIT_SECONDS=20 \
  $aop $command agent.localhost --server "127.0.0.1:$dns" --allow-loopback-zone localhost \
  --credentials "$work/credentials" --interactive --timeout 25 ${args:+--args-json "$args"}

// The bundled zones' plain-http world: each agent's https endpoint (the record without
// key65326="http", on a 184xx port) taken out, the plain-http ones moved up a priority, and the
// `_agent` TXT pointed at the first of them, as the zones were before the TLS demo world. Tests of
// failover, retries and policy that run their own servers on the 181xx ports use it; the TLS world
// has tests of its own (test/mcp/tls-*.test.ts).

/** One bundled zone file's text in its plain-http form. Throws when the text is not in the bundled layout. */
export function plainHttpZone(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  // The owner column of the record being dropped, to give to the next record of its set.
  let pendingOwner: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = /^(\S+\s*|\s+)IN SVCB\s+(\d+)\s+(\S+)\s+\($/.exec(line);
    if (m === null) {
      out.push(line);
      continue;
    }
    const block = [line];
    while (!lines[i]!.includes(')')) block.push(lines[++i]!);
    const owner = m[1]!.trim() === '' ? undefined : m[1]!;
    const https = !block.some((l) => l.includes('key65326="http"'));
    if (https) {
      if (owner !== undefined) pendingOwner = owner;
      continue;
    }
    const priority = Number(m[2]) - 1;
    let first = block[0]!.replace(/IN SVCB\s+\d+/, `IN SVCB  ${priority}`);
    if (pendingOwner !== undefined) {
      first = pendingOwner + first.slice(pendingOwner.length);
      pendingOwner = undefined;
    }
    out.push(first, ...block.slice(1));
  }
  // u= at the https endpoint -> the plain-http one on the same host (port - 300, as the zones pair them).
  return out.join('\n').replace(/u=https:\/\/([^:;]+):184(\d\d)\//g, 'u=http://$1:181$2/');
}

// The bench's one table: a row per metric and peer, with aop's value, the peer's from the same
// run, and the ratio aop / peer.

function fmt(v, digits) {
  if (v === undefined || v === null || !Number.isFinite(v)) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return '-';
  if (b === 0) return a === 0 ? 'same' : '-';
  return `${(a / b).toFixed(2)}x`;
}

/**
 * Rows for one scenario. `aop` and each peer's `value` are the scenario's result objects;
 * a peer `value` of undefined means the peer is not installed, `{ error }` that it failed.
 * `metrics` are `{ metric, get(result) -> number, digits }`.
 */
export function ratioRows(scenario, aop, peers, metrics) {
  const rows = [];
  for (const m of metrics) {
    const mine = aop && !aop.error ? m.get(aop) : undefined;
    const aopText = aop?.error ? `failed: ${aop.error}` : fmt(mine, m.digits);
    if (peers.length === 0) rows.push({ scenario, metric: m.metric, aop: aopText, peer: '', peerValue: '', ratio: '' });
    for (const p of peers) {
      let peerValue;
      let r = '-';
      if (p.value === undefined) peerValue = 'not installed';
      else if (p.value.error) peerValue = `failed: ${p.value.error}`;
      else {
        const theirs = m.get(p.value);
        peerValue = fmt(theirs, m.digits);
        r = ratio(mine, theirs);
      }
      rows.push({ scenario, metric: m.metric, aop: aopText, peer: p.name, peerValue, ratio: r });
    }
  }
  return rows;
}

const COLUMNS = [
  ['scenario', 'Scenario'],
  ['metric', 'Metric'],
  ['aop', 'aop'],
  ['peer', 'Peer'],
  ['peerValue', 'Peer value'],
  ['ratio', 'aop/peer'],
];

/** A Markdown table (readable as plain text too); repeated scenario names are blanked. */
export function formatTable(rows) {
  const cells = rows.map((r, i) => COLUMNS.map(([k]) => (k === 'scenario' && i > 0 && rows[i - 1].scenario === r.scenario ? '' : String(r[k] ?? ''))));
  const head = COLUMNS.map(([, h]) => h);
  const widths = head.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const numeric = (c) => c >= 2 && c !== 3;
  const line = (row) => `| ${row.map((v, c) => (numeric(c) ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join(' | ')} |`;
  const sep = `|${widths.map((w, c) => (numeric(c) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(head), sep, ...cells.map(line)].join('\n');
}

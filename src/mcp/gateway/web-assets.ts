// The directory page's three files, plain HTML, CSS and a little script: no build step, no inline
// script or style (the page's Content-Security-Policy allows only these, from the gateway itself).
// Everything the DNS said reaches the page as JSON and is put in with textContent, never as HTML.

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>aop agent directory</title>
<link rel="stylesheet" href="/directory.css">
<script src="/directory.js" defer></script>
</head>
<body>
<header><h1>Agent directory</h1><p class="sub">Agents found by DNS name; the same data as the gateway's MCP tools at <code>/mcp</code>.</p></header>
<form id="search" role="search">
  <input id="q" name="q" type="search" placeholder="Search agents: name, description, capability, tool" maxlength="256" aria-label="Search">
  <input id="org" name="organization" placeholder="Organisation (acme.agents)" maxlength="254" aria-label="Organisation">
  <input id="cap" name="capability" placeholder="Capability" maxlength="63" aria-label="Capability">
  <select id="transport" name="transport" aria-label="Transport"><option value="">Any transport</option><option value="streamable-http">streamable-http</option><option value="sse">sse</option></select>
  <label><input id="verified" name="verified_only" type="checkbox"> verified only</label>
  <label><input id="reachable" name="reachable_only" type="checkbox"> reachable only</label>
  <button type="submit">Search</button>
</form>
<p id="status" role="status"></p>
<ul id="results"></ul>
<nav><button id="more" type="button" hidden>More</button></nav>
<section id="agent" hidden></section>
</body>
</html>
`;

export const PAGE_CSS = `body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#222}
h1{margin:.2rem 0}.sub{color:#555;margin-top:0}
form{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:1rem 0}
#q{flex:1 1 100%;font-size:1.1rem;padding:.4rem}
input,select,button{padding:.3rem}
#results{list-style:none;padding:0}
.card{border:1px solid #ccc;border-radius:6px;padding:.6rem .8rem;margin:.5rem 0}
.card h2{font-size:1.05rem;margin:0}.card a{color:#0645ad}
.desc{white-space:pre-wrap;word-break:break-word}
.state{display:inline-block;font-size:.8rem;border-radius:3px;padding:0 .35rem;margin-right:.3rem;background:#eee}
.state.yes{background:#d4f5d4}.state.no{background:#f8d7d7}
.err{color:#a00}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem}dt{font-weight:600}
code{word-break:break-all}
`;

export const PAGE_JS = `'use strict';
// The directory page: reads /api/agents and /api/agent; every value from the DNS goes in as text.
(function () {
  const $ = (id) => document.getElementById(id);
  let next = null;
  let lastQuery = null;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function params() {
    const p = new URLSearchParams();
    const text = (id, key) => { const v = $(id).value.trim(); if (v) p.set(key, v); };
    text('q', 'q');
    text('org', 'organization');
    text('cap', 'capability');
    text('transport', 'transport');
    if ($('verified').checked) p.set('verified_only', 'true');
    if ($('reachable').checked) p.set('reachable_only', 'true');
    return p;
  }

  function state(name, value) {
    const s = el('span', 'state ' + (value === true ? 'yes' : value === false ? 'no' : ''), name + (value === true ? ' \\u2713' : value === false ? ' \\u2717' : ' ?'));
    s.dataset.state = name;
    return s;
  }

  function card(a) {
    const li = el('li', 'card');
    li.dataset.agent = a.name;
    const h = el('h2');
    const link = el('a', null, a.name);
    link.href = '#agent=' + encodeURIComponent(a.name);
    h.appendChild(link);
    li.appendChild(h);
    const st = el('div');
    st.appendChild(state('registered', a.state.registered));
    st.appendChild(state('reachable', a.state.reachable));
    st.appendChild(state('verified', a.state.verified));
    li.appendChild(st);
    li.appendChild(el('p', 'desc', a.description || ''));
    const dl = el('dl');
    const row = (k, v) => { if (v === undefined || v === null || v === '') return; dl.appendChild(el('dt', null, k)); dl.appendChild(el('dd', null, v)); };
    row('organisation', a.organization);
    row('capabilities', (a.capabilities || []).join(', '));
    row('tools', (a.tools || []).join(', '));
    for (const p of a.endpoints || []) row('endpoint', p.url + ' (' + p.transport + ', priority ' + p.priority + ')');
    if (a.error) row('error', a.error.code + ': ' + a.error.message);
    li.appendChild(dl);
    return li;
  }

  async function getJson(url) {
    const r = await fetch(url, { headers: { accept: 'application/json' } });
    const body = await r.json().catch(() => ({ error: { code: 'HTTP ' + r.status, message: 'the gateway answered ' + r.status + ' without JSON' } }));
    if (!r.ok || body.error) throw new Error((body.error && (body.error.code + ': ' + body.error.message)) || ('HTTP ' + r.status));
    return body;
  }

  async function load(more) {
    const p = more ? lastQuery : params();
    if (!more) { lastQuery = p; $('results').replaceChildren(); }
    const q = new URLSearchParams(p);
    if (more && next) q.set('cursor', next);
    $('status').className = '';
    $('status').textContent = 'Loading\\u2026';
    try {
      const body = await getJson('/api/agents?' + q.toString());
      for (const a of body.agents) $('results').appendChild(card(a));
      next = body.nextCursor || null;
      $('more').hidden = next === null;
      const shown = $('results').children.length;
      $('status').textContent = shown + ' of ' + (body.totalAtLeast ? 'at least ' : '') + body.total + ' agent' + (body.total === 1 ? '' : 's');
    } catch (err) {
      $('status').className = 'err';
      $('status').textContent = err.message;
    }
  }

  async function openAgent() {
    const m = /^#agent=(.+)$/.exec(location.hash);
    const box = $('agent');
    if (!m) { box.hidden = true; return; }
    const name = decodeURIComponent(m[1]);
    box.hidden = false;
    box.replaceChildren(el('p', null, 'Loading ' + name + '\\u2026'));
    try {
      const body = await getJson('/api/agent?name=' + encodeURIComponent(name));
      const c = card(body.agent);
      c.id = 'agent-card';
      box.replaceChildren(el('h2', null, 'Agent'), c);
      box.scrollIntoView();
    } catch (err) {
      box.replaceChildren(el('p', 'err', err.message));
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('search').addEventListener('submit', (ev) => { ev.preventDefault(); void load(false); });
    $('more').addEventListener('click', () => { void load(true); });
    window.addEventListener('hashchange', () => { void openAgent(); });
    void load(false);
    void openAgent();
  });
})();
`;

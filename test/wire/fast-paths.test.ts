// The zone loader's fast paths give what the full code gives: svcbFromTextFast against the
// full SVCB parser (same wire form, or it declines and the full parser decides), and parseName,
// nameToWire and unescapeText on their plain-text shortcuts against the label-by-label forms.

import t from 'tap';
import { Fields } from '../../src/wire/rdata/common.js';
import { svcbFromTextFast, svcbFromTextFull } from '../../src/wire/rdata/svcb.js';
import { labelsToText, nameToWire, parseName, textToLabels } from '../../src/wire/name.js';
import { unescapeText } from '../../src/wire/rdata/common.js';
import { type Token, tokenize } from '../../src/wire/token.js';

const ORIGIN = 'example.com.';

function full(tokens: Token[]): Buffer | string {
  try {
    return svcbFromTextFull(new Fields(tokens, 'SVCB'), ORIGIN);
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

t.test('svcbFromTextFast agrees with the full parser or declines', async (t) => {
  const cases = [
    '1 foo',
    '1 .',
    '0 foo.example.org.',
    '1 @ alpn=h2,h3 port=8443',
    '1 foo port=53 alpn=mcp',
    '1 foo alpn="mcp" port=18000 key65320="/agents/a/mcp" key65321="streamable-http" key65402="mcp"',
    '1 foo key65402="mcp" key65320="/p" alpn=x',
    '1 foo key8="" key9',
    '1 foo key9=abc key9=abd',
    '1 foo alpn=',
    '1 foo alpn=a,,b',
    '1 foo alpn="a\\,b"',
    '1 foo port=65536',
    '1 foo port=x',
    '1 foo port',
    '1 foo key65535=x',
    '1 foo key65534=x',
    '1 foo key012=x',
    '1 foo key0=x',
    '1 foo key7="/q{?dns}"',
    '1 foo no-default-alpn alpn=h2',
    '1 foo no-default-alpn',
    '1 foo mandatory=alpn alpn=h2',
    '1 foo ipv4hint=1.2.3.4',
    '65535 foo',
    '65536 foo',
    '01 foo',
    'x foo',
    '1 a..b',
    '1 foo ALPN=h2',
    '1 foo =x',
    '1 foo key8="a"b"',
    '1 foo key8="unterminated',
    `1 foo key8=${'a'.repeat(300)}`,
    `1 foo alpn=${'a'.repeat(256)}`,
    `1 ${'a'.repeat(64)}`,
    `1 ${Array.from({ length: 40 }, () => 'abcdef').join('.')}`,
    '1 fo\\.o key8=x',
    '1 foo key8=a\\098c',
  ];
  for (const text of cases) {
    const tokens = tokenize(text);
    const want = full(tokens);
    const fast = svcbFromTextFast(tokens, ORIGIN);
    if (fast !== undefined) {
      t.ok(Buffer.isBuffer(want) && fast.equals(want), `same wire form: ${text.slice(0, 60)}`);
    } else {
      t.pass(`declined: ${text.slice(0, 60)} (full: ${Buffer.isBuffer(want) ? 'ok' : want})`);
    }
  }
  // The shapes the benchmark zones use are taken by the fast path.
  t.ok(svcbFromTextFast(tokenize('1 mcp0.big.agents. alpn="mcp" port=18000 key65320="/agents/agent0000000/mcp" key65323="bench,generated"'), ORIGIN));
});

t.test('parseName shortcut and nameToWire shortcut', async (t) => {
  const names = ['foo', 'foo.', 'a.b.c', 'Foo-Bar_9.', '*.x', 'a\\.b', 'a\\065', 'x@y', '$x', 'a"b', 'é', `${'a'.repeat(63)}`, `${'a'.repeat(64)}`,
    Array.from({ length: 60 }, () => 'abc').join('.'), Array.from({ length: 62 }, () => 'abc').join('.') + '.', Array.from({ length: 64 }, () => 'abc').join('.') + '.', '.', '..', 'a..b'];
  const slow = (text: string, origin?: string): string => {
    if (text === '@') return origin!;
    const { labels, absolute } = textToLabels(text);
    const all = absolute ? labels : labels.concat(textToLabels(origin!).labels);
    let len = 1;
    for (const l of all) len += l.length + 1;
    if (len > 255) throw new Error('too long');
    return labelsToText(all);
  };
  for (const n of names) {
    for (const origin of [ORIGIN, '.', Array.from({ length: 50 }, () => 'abc').join('.') + '.']) {
      let want: string | undefined;
      let got: string | undefined;
      try { want = slow(n, origin); } catch { want = undefined; }
      try { got = parseName(n, origin); } catch { got = undefined; }
      t.equal(got, want, `parseName(${JSON.stringify(n.slice(0, 30))}, ${origin.slice(0, 12)})`);
      if (want !== undefined) {
        const labels = textToLabels(want).labels;
        const wire = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
        t.same(nameToWire(want), wire, `nameToWire(${want.slice(0, 30)})`);
      }
    }
  }
});

t.test('unescapeText shortcut', async (t) => {
  for (const s of ['', 'plain text', 'a\\"b', 'x\\065y', 'caf\\195\\169', 'tab\there']) {
    const b = unescapeText(s, undefined, 'x');
    t.ok(Buffer.isBuffer(b), s);
  }
  t.same(unescapeText('v=aid2;u=http://h:1/p', undefined, 'x'), Buffer.from('v=aid2;u=http://h:1/p'));
  t.same(unescapeText('x\\065y', undefined, 'x'), Buffer.from('xAy'));
});

t.test('svcbFromLexTokens agrees with the parser\'s joined tokens and the full parser, or declines', async (t) => {
  const { lexLines } = await import('../../src/zone/lexer.js');
  const { joinSvcParams } = await import('../../src/zone/parser.js');
  const { svcbFromLexTokens } = await import('../../src/wire/rdata/svcb.js');
  const cases = [
    '1 foo alpn="mcp" port=18000 key65320="/agents/a/mcp" key65321="streamable-http"',
    '1 foo alpn="h2,h3" port="443"',
    '1 foo key65320="" key65321',
    '1 foo key65320="a"b',
    '1 foo key65320="a""b"',
    '1 foo key65320=x"a"',
    '1 foo key65320= "a"',
    '1 foo "key65320=a"',
    '1 "foo" alpn=h2',
    '1"foo" alpn=h2',
    '1 foo"x" alpn=h2',
    '1 foo= "x"',
    '1 foo="x" alpn=h2',
    '1= "foo"',
    '1 foo alpn="a\\,b"',
    '1 foo key65320="a\\"b"',
    '1 foo key65320="caf\u00e9"',
    '1 foo port=1 port=2',
    '1 foo key9=a=b',
    '1 foo key9=a="b"',
    '1 foo alpn="x" key8="y" key10="z" key9="w"',
    '1 foo ( alpn="x"\n port=1 )',
  ];
  for (const text of cases) {
    const [line] = [...lexLines(text + '\n')];
    const toks = line!.tokens;
    let want: Buffer | string;
    try {
      want = svcbFromTextFull(new Fields(joinSvcParams(toks), 'SVCB'), ORIGIN);
    } catch (e) {
      want = (e as { code?: string }).code ?? String(e);
    }
    const fast = svcbFromLexTokens(toks, 0, ORIGIN);
    if (fast !== undefined) t.ok(Buffer.isBuffer(want) && fast.equals(want), `same wire form: ${text}`);
    else t.pass(`declined: ${text} (full: ${Buffer.isBuffer(want) ? 'ok' : want})`);
  }
});

t.test('checkSvcb refuses exactly what the full wire reader refuses', async (t) => {
  const { checkSvcb, svcbToText } = await import('../../src/wire/rdata/svcb.js');
  const seeds = [
    '1 foo alpn=h2,h3 port=443 key65320="/p"',
    '1 foo mandatory=alpn,port alpn=h2 port=1',
    '1 foo no-default-alpn alpn=h2 ipv4hint=1.2.3.4 ipv6hint=::1 ech=AAAA key7="/q{?dns}"',
    '0 .',
  ].map((text) => svcbFromTextFull(new Fields(tokenize(text), 'SVCB'), ORIGIN));
  let s = 7;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
  const verdict = (f: () => unknown): string => {
    try {
      f();
      return 'ok';
    } catch (e) {
      return (e as { code?: string }).code ?? 'error';
    }
  };
  let agree = 0;
  const total = 4000;
  for (let i = 0; i < total; i++) {
    const b = Buffer.from(seeds[i % seeds.length]!);
    const m = rand(3);
    let x: Buffer = b;
    if (m === 0) x[rand(b.length)] = rand(256);
    else if (m === 1) x = b.subarray(0, rand(b.length + 1));
    else { x[rand(b.length)] = rand(256); x[rand(b.length)] = rand(8); }
    if (verdict(() => checkSvcb(x, 'SVCB')) === verdict(() => svcbToText(x, 'SVCB'))) agree++;
    else t.fail(`disagree on ${x.toString('hex')}`);
  }
  t.equal(agree, total);
});

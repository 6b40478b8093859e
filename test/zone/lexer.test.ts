// The zone-file lexer: tokens, their line/col across parentheses, quotes, escapes, comments, faults.

import t from 'tap';
import { lexZone, type LogicalLine } from '../../src/zone/lexer.js';

/** Tokens as `text@line:col`, quoted ones in double quotes. */
const show = (l: LogicalLine): string[] => l.tokens.map((k) => `${k.quoted ? `"${k.text}"` : k.text}@${k.line}:${k.col}`);

t.test('tokens and positions on simple lines', async (t) => {
  const lines = lexZone('www  IN\tA 192.0.2.1\n\tIN AAAA ::1\n');
  t.equal(lines.length, 2);
  t.same(show(lines[0]!), ['www@1:1', 'IN@1:6', 'A@1:9', '192.0.2.1@1:11'], 'a tab is one column');
  t.equal(lines[0]!.ownerOmitted, false);
  t.same(show(lines[1]!), ['IN@2:2', 'AAAA@2:5', '::1@2:10']);
  t.equal(lines[1]!.ownerOmitted, true, 'a line starting with a tab has no owner');
  t.equal(lexZone(' A 1.2.3.4')[0]!.ownerOmitted, true, 'nor one starting with a space');
});

t.test('parentheses join lines and keep true positions', async (t) => {
  const text = [
    '@ IN SOA ns1 host (',
    '        1   ; serial',
    '   2 3',
    '  4 5 )',
    'next A 1.2.3.4',
  ].join('\n');
  const lines = lexZone(text);
  t.equal(lines.length, 2, 'one logical line for the SOA, one for the A');
  t.same(show(lines[0]!), ['@@1:1', 'IN@1:3', 'SOA@1:6', 'ns1@1:10', 'host@1:14', '1@2:9', '2@3:4', '3@3:6', '4@4:3', '5@4:5']);
  t.equal(lines[0]!.line, 1);
  t.equal(lines[0]!.ownerOmitted, false, 'continuation lines starting with spaces do not make an owner omitted');
  t.same(show(lines[1]!), ['next@5:1', 'A@5:6', '1.2.3.4@5:8']);
  t.same(show(lexZone('a TXT ( x ( y ) z )')[0]!), ['a@1:1', 'TXT@1:3', 'x@1:9', 'y@1:13', 'z@1:17'], 'parentheses nest');
  t.same(lexZone('a(b)c')[0]!.tokens.map((k) => k.text), ['a', 'b', 'c'], 'a parenthesis separates tokens');
  t.same(lexZone('( a\nb )\n  c')[0]!.tokens.map((k) => k.text), ['a', 'b'], 'a line may open with a parenthesis');
});

t.test('comments', async (t) => {
  t.same(lexZone('; only a comment\n\n   ; indented\n'), [], 'comment and blank lines give nothing');
  t.same(lexZone('a TXT x;y')[0]!.tokens.map((k) => k.text), ['a', 'TXT', 'x'], 'a comment may touch a token');
  t.same(lexZone('a TXT ( x ; comment ) not a paren\n y )')[0]!.tokens.map((k) => k.text), ['a', 'TXT', 'x', 'y'], 'comments inside parentheses, parens inside comments ignored');
  t.same(lexZone('a TXT "x ; y"')[0]!.tokens.map((k) => k.text), ['a', 'TXT', 'x ; y'], 'no comment inside quotes');
});

t.test('quoted strings', async (t) => {
  const [l] = lexZone('a TXT "one two" "say \\"hi\\"" "back\\\\slash" "\\065\\066" ""');
  t.same(l!.tokens.map((k) => [k.text, k.quoted, k.col]), [
    ['a', false, 1], ['TXT', false, 3], ['one two', true, 7], ['say \\"hi\\"', true, 17], ['back\\\\slash', true, 30], ['\\065\\066', true, 44], ['', true, 55],
  ], 'quotes removed, escapes left for the codec, col at the opening quote');
  t.same(lexZone('a TXT "(not" "a paren)"')[0]!.tokens.map((k) => k.text), ['a', 'TXT', '(not', 'a paren)'], 'parentheses inside quotes are text');
  const glued = lexZone('a TXT x"b c"d "e"')[0]!.tokens;
  t.same(glued.map((k) => [k.text, k.quoted, k.glued]), [
    ['a', false, false], ['TXT', false, false], ['x', false, false], ['b c', true, true], ['d', false, true], ['e', true, false],
  ], 'a quote starts a new token even inside a word, as in BIND; glued marks the touching ones');
  const esc = lexZone('a TXT "x\\\ny" next')[0]!;
  t.same(esc.tokens.map((k) => `${JSON.stringify(k.text)}@${k.line}:${k.col}`), ['"a"@1:1', '"TXT"@1:3', '"x\\\\\\ny"@1:7', '"next"@2:4'], 'an escaped newline stays in the string and counts as a line');
});

t.test('escapes in unquoted tokens', async (t) => {
  const [l] = lexZone('a\\ b TXT \\;semi \\(p\\) \\"q x\\\\y \\065');
  t.same(l!.tokens.map((k) => k.text), ['a\\ b', 'TXT', '\\;semi', '\\(p\\)', '\\"q', 'x\\\\y', '\\065'], 'escaped specials stay in one token, escapes kept');
});

t.test('line endings and odd input', async (t) => {
  const lf = lexZone('a A 1.2.3.4\n  TXT "x"\nb ( A\n 5.6.7.8 )\n');
  const crlf = lexZone('a A 1.2.3.4\r\n  TXT "x"\r\nb ( A\r\n 5.6.7.8 )\r\n');
  t.same(crlf.map(show), lf.map(show), 'CRLF reads like LF');
  t.same(lexZone('a A 1.2.3.4').map(show), [['a@1:1', 'A@1:3', '1.2.3.4@1:5']], 'no final newline');
  t.same(lexZone('\ufeffa A 1.2.3.4').map(show), [['a@1:1', 'A@1:3', '1.2.3.4@1:5']], 'a byte-order mark is skipped');
  t.equal(lexZone('\ufeff A 1.2.3.4')[0]!.ownerOmitted, true, 'and the first line can still omit its owner');
  t.same(lexZone(''), []);
  t.same(lexZone('\n\n\t\n'), []);
});

t.test('non-ASCII characters become \\DDD escapes of their UTF-8 octets', async (t) => {
  const [l] = lexZone('caf\u00e9 TXT "\u00fc \u2713" x\\\u00e9 "\u{1F600}"');
  t.same(l!.tokens.map((k) => k.text), ['caf\\195\\169', 'TXT', '\\195\\188 \\226\\156\\147', 'x\\195\\169', '\\240\\159\\152\\128']);
  t.same(l!.tokens.map((k) => k.col), [1, 6, 10, 16, 20], 'columns count characters of the source');
});

t.test('faults', async (t) => {
  const close = lexZone('a TXT x )\nb A 1.2.3.4');
  t.same(close[0]!.faults.map((f) => [f.code, f.line, f.col]), [['ERR_ZONE_PARENS', 1, 9]], 'a stray ) at its position');
  t.equal(close[1]!.faults.length, 0, 'the next line is fine');

  const open = lexZone('a A 1.2.3.4\nb TXT ( x\n  y\n');
  t.equal(open.length, 2);
  t.same(open[1]!.faults.map((f) => [f.code, f.line, f.col]), [['ERR_ZONE_PARENS', 2, 7]], 'an unclosed ( points at itself');

  const quote = lexZone('a TXT "abc\nb A 1.2.3.4\n');
  t.same(quote[0]!.faults.map((f) => [f.code, f.line, f.col]), [['ERR_ZONE_QUOTE', 1, 7]], 'an unclosed quote points at itself');
  t.same(show(quote[1]!), ['b@2:1', 'A@2:3', '1.2.3.4@2:5'], 'and does not swallow the next line');

  t.same(lexZone('a TXT ab\\\nb A 1.2.3.4')[0]!.faults.map((f) => [f.code, f.line, f.col]), [['ERR_ZONE_ESCAPE', 1, 9]], 'backslash before a newline');
  t.same(lexZone('a TXT ab\\\r\n')[0]!.faults.map((f) => f.code), ['ERR_ZONE_ESCAPE'], 'backslash before CRLF');
  t.same(lexZone('a TXT ab\\')[0]!.faults.map((f) => f.code), ['ERR_ZONE_ESCAPE'], 'backslash at the end of the file');
  t.same(lexZone(')')[0]!.faults.map((f) => f.code), ['ERR_ZONE_PARENS'], 'a line of just ) is reported, not dropped');
});

// Zone-file lexer (RFC 1035 section 5.1, as BIND reads it): text -> logical lines of tokens,
// each token with its 1-based line and column, parentheses joining physical lines.
//
// What it does, matching BIND's master-file lexer:
// - Whitespace is space, tab and CR (so CRLF files read like LF files); a `;` outside quotes
//   starts a comment to the end of the line, inside parentheses too.
// - `(` and `)` are separators wherever they appear (`a(b)c` is three tokens); newlines between
//   them do not end the record; they may nest.
// - `"` starts a quoted token wherever it appears (`a"b c"d` is `a`, `b c`, `d`); a quoted string
//   ends on its line: an unescaped newline inside it is a fault (BIND: "unbalanced quotes").
// - A backslash takes the next character into the token whatever it is (`a\ b`, `\;`, `\"`);
//   escapes stay in the token text for the RDATA codec, which knows what they mean per field.
// - Characters from U+0080 up are put in the token as the \DDD escapes of their UTF-8 octets,
//   so names and text get exactly the octets BIND stores for a UTF-8 file.
// - A UTF-8 byte-order mark at the start is skipped.
// - A raw NUL byte outside quotes and comments is a fault (BIND: "syntax error" or "unexpected
//   token"); inside a quoted string or a comment it is kept or ignored, as BIND does.

import type { Token } from '../wire/token.js';

/** A token plus whether it touches the token before it (no space, paren or comment between). */
export interface LexToken extends Token {
  glued: boolean;
}

export interface LexFault {
  line: number;
  col: number;
  code: 'ERR_ZONE_PARENS' | 'ERR_ZONE_QUOTE' | 'ERR_ZONE_ESCAPE' | 'ERR_ZONE_NUL';
  message: string;
}

/** One record or directive: a physical line plus the lines its parentheses join to it. */
export interface LogicalLine {
  tokens: LexToken[];
  /** The physical line began with a space or tab: the record's owner is the previous one. */
  ownerOmitted: boolean;
  /** Line where it starts. */
  line: number;
  /** Faults inside this logical line; the parser reports them and skips the line. */
  faults: LexFault[];
}

const SP = 0x20, TAB = 0x09, CR = 0x0d, LF = 0x0a, SEMI = 0x3b, LPAREN = 0x28, RPAREN = 0x29, QUOTE = 0x22, BSLASH = 0x5c;

/** Characters that end an unquoted token (ASCII only; others are never in this table). */
const ENDS_WORD: boolean[] = Array.from({ length: 0x80 }, (_, c) => c === SP || c === TAB || c === CR || c === LF || c === SEMI || c === LPAREN || c === RPAREN || c === QUOTE);

/** UTF-8 octets of the code point at text[i] as \DDD escapes, and how many code units it took. */
function escapeNonAscii(text: string, i: number): { esc: string; width: number } {
  const cp = text.codePointAt(i)!;
  let esc = '';
  for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) esc += '\\' + String(b).padStart(3, '0');
  return { esc, width: cp > 0xffff ? 2 : 1 };
}

export interface LexOptions {
  /** Line number of the text's first line (default 1). */
  line?: number;
  /** Skip a byte-order mark at the start (default true): only the start of a file has one. */
  bom?: boolean;
  /**
   * Set when the text is not the end of the input (it must then end at a line feed): a logical
   * line still open in parentheses at the end is not yielded, and `from` and `line` are set to
   * where it starts, for the caller to lex again with the text that follows (see lexChunks).
   */
  resume?: { from: number; line: number };
}

/**
 * lexLines over text given in pieces, each ending at a line feed (the last one may not): the
 * logical lines are those of the whole text, with its line numbers.
 */
export function lexChunks(chunks: Iterable<string>): IterableIterator<LogicalLine> {
  return new ChunkLexer(chunks[Symbol.iterator]());
}

/** lexChunks as a plain iterator: one generator (lexLines) between the parser and the text. */
class ChunkLexer implements IterableIterator<LogicalLine> {
  private carry = '';
  private line = 1;
  private atStart = true;
  private inner: Generator<LogicalLine, void, undefined> | undefined;
  private resume: { from: number; line: number } | undefined;
  private text = '';
  private pending: IteratorResult<string>;
  private done = false;

  constructor(private readonly chunks: Iterator<string>) {
    this.pending = this.nextChunk();
  }

  [Symbol.iterator](): IterableIterator<LogicalLine> {
    return this;
  }

  private nextChunk(): IteratorResult<string> {
    try {
      return this.chunks.next();
    } catch (e) {
      this.done = true;
      throw e;
    }
  }

  next(): IteratorResult<LogicalLine, undefined> {
    for (;;) {
      if (this.inner !== undefined) {
        const r = this.inner.next();
        if (r.done !== true) return r;
        this.inner = undefined;
        const resume = this.resume;
        if (resume === undefined) return this.finish();
        if (resume.from > 0) this.atStart = false;
        this.carry = this.text.slice(resume.from);
        this.line = resume.line;
      }
      if (this.done) return { done: true, value: undefined };
      const cur = this.pending;
      if (cur.done === true) {
        // Only when there were no chunks at all, or the last one is carried: lex what is left.
        this.done = true;
        if (this.carry.length === 0) return this.finish();
        this.text = this.carry;
        this.carry = '';
        this.resume = undefined;
        this.inner = lexLines(this.text, { line: this.line, bom: this.atStart });
        continue;
      }
      this.pending = this.nextChunk();
      this.text = this.carry.length > 0 ? this.carry + cur.value : cur.value;
      this.carry = '';
      this.resume = this.pending.done === true ? undefined : { from: 0, line: 0 };
      if (this.resume === undefined) this.done = true;
      this.inner = lexLines(this.text, this.resume === undefined ? { line: this.line, bom: this.atStart } : { line: this.line, bom: this.atStart, resume: this.resume });
    }
  }

  private finish(): IteratorResult<LogicalLine, undefined> {
    this.done = true;
    this.text = '';
    return { done: true, value: undefined };
  }

  return(): IteratorResult<LogicalLine, undefined> {
    this.done = true;
    this.inner?.return();
    this.inner = undefined;
    this.chunks.return?.();
    return { done: true, value: undefined };
  }
}

/** Split zone-file text into logical lines. Never throws: problems come back as faults. */
export function lexZone(text: string): LogicalLine[] {
  return [...lexLines(text)];
}

/**
 * lexZone one logical line at a time: the parser takes each line as it comes, so a big zone's
 * tokens never all sit in memory at once.
 */
export function* lexLines(text: string, opts: LexOptions = {}): Generator<LogicalLine, void, undefined> {
  let ready: LogicalLine | undefined;
  const n = text.length;
  let i = opts.bom !== false && text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = opts.line ?? 1;
  let lineStart = i; // index of the first character of the current physical line (after a BOM)
  let depth = 0;
  const openParens: { line: number; col: number }[] = [];
  let cur: LogicalLine | undefined;
  let lastEnd = -1; // index just after the previous token of the current logical line

  const colOf = (idx: number): number => idx - lineStart + 1;
  let curStart = 0; // where the current logical line's first physical line starts
  let curLine = line;
  const current = (): LogicalLine => {
    if (cur === undefined) {
      curStart = lineStart;
      curLine = line;
      const c = text.charCodeAt(lineStart);
      cur = { tokens: [], ownerOmitted: c === SP || c === TAB, line, faults: [] };
    }
    return cur;
  };
  const finish = (): void => {
    if (cur !== undefined && (cur.tokens.length > 0 || cur.faults.length > 0)) ready = cur;
    cur = undefined;
    lastEnd = -1;
  };
  const fault = (code: LexFault['code'], l: number, col: number, message: string): void => {
    current().faults.push({ line: l, col, code, message });
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === LF) {
      i++;
      line++;
      if (depth === 0) {
        finish();
        if (ready !== undefined) {
          const l = ready;
          ready = undefined;
          // Position first: the consumer may stop pulling here.
          lineStart = i;
          yield l;
          continue;
        }
      }
      lineStart = i;
      continue;
    }
    if (c === SP || c === TAB || c === CR) { i++; continue; }
    if (c === SEMI) {
      while (i < n && text.charCodeAt(i) !== LF) i++;
      continue;
    }
    if (c === LPAREN) {
      current();
      depth++;
      openParens.push({ line, col: colOf(i) });
      i++;
      continue;
    }
    if (c === RPAREN) {
      if (depth === 0) fault('ERR_ZONE_PARENS', line, colOf(i), `unbalanced parentheses: ')' without '('`);
      else { depth--; openParens.pop(); }
      i++;
      continue;
    }
    const logical = current();
    const tokLine = line;
    const tokCol = colOf(i);
    const glued = lastEnd === i;
    let s = '';
    if (c === QUOTE) {
      i++;
      let closed = false;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === QUOTE) { closed = true; i++; break; }
        if (d === LF) break;
        if (d === BSLASH && i + 1 < n) {
          // An escaped newline stays in the string, as in BIND.
          const e = text.charCodeAt(i + 1);
          if (e === LF) { s += '\\\n'; i += 2; line++; lineStart = i; continue; }
          if (e >= 0x80) { const { esc, width } = escapeNonAscii(text, i + 1); s += esc; i += 1 + width; continue; }
          s += text[i]! + text[i + 1]!;
          i += 2;
          continue;
        }
        if (d >= 0x80) { const { esc, width } = escapeNonAscii(text, i); s += esc; i += width; continue; }
        // A run of plain characters in one slice: much faster than one at a time on big zones.
        let j = i + 1;
        for (let e = text.charCodeAt(j); j < n && e !== QUOTE && e !== LF && e !== BSLASH && e < 0x80; e = text.charCodeAt(++j));
        s += text.slice(i, j);
        i = j;
      }
      if (!closed) fault('ERR_ZONE_QUOTE', tokLine, tokCol, `unbalanced quotes: the string starting here is not closed on its line`);
      logical.tokens.push({ text: s, quoted: true, line: tokLine, col: tokCol, glued });
      lastEnd = i;
      continue;
    }
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d < 0x80 && ENDS_WORD[d]) break;
      if (d === 0) {
        // Once per logical line: a binary file must not give a fault per byte.
        if (!logical.faults.some((f) => f.code === 'ERR_ZONE_NUL')) {
          fault('ERR_ZONE_NUL', line, colOf(i), `a raw NUL byte (0x00) outside a quoted string: write it as \\000, or check that this is a text file`);
        }
        i++;
        continue;
      }
      if (d === BSLASH) {
        const e = i + 1 < n ? text.charCodeAt(i + 1) : -1;
        if (e === -1 || e === LF || (e === CR && (i + 2 >= n || text.charCodeAt(i + 2) === LF))) {
          fault('ERR_ZONE_ESCAPE', line, colOf(i), `a backslash at the end of a line escapes nothing`);
          s += '\\';
          i++;
          break;
        }
        if (e >= 0x80) { const { esc, width } = escapeNonAscii(text, i + 1); s += esc; i += 1 + width; continue; }
        s += text[i]! + text[i + 1]!;
        i += 2;
        continue;
      }
      if (d >= 0x80) { const { esc, width } = escapeNonAscii(text, i); s += esc; i += width; continue; }
      let j = i + 1;
      for (let e = text.charCodeAt(j); j < n && !ENDS_WORD[e]! && e !== BSLASH && e !== 0 && e < 0x80; e = text.charCodeAt(++j));
      s += text.slice(i, j);
      i = j;
    }
    logical.tokens.push({ text: s, quoted: false, line: tokLine, col: tokCol, glued });
    lastEnd = i;
  }
  const resume = opts.resume;
  if (resume !== undefined) {
    // More text follows: an unfinished logical line is lexed again with it.
    resume.from = n;
    resume.line = line;
    if (cur !== undefined) {
      resume.from = curStart;
      resume.line = curLine;
      return;
    }
  }
  if (depth > 0) {
    const open = openParens[0]!;
    fault('ERR_ZONE_PARENS', open.line, open.col, `unbalanced parentheses: '(' not closed before the end of the file`);
  }
  finish();
  if (ready !== undefined) yield ready;
}

/** The plain Token the RDATA codec takes (it must not see the lexer's extra fields). */
export function plainToken(t: Token): Token {
  return { text: t.text, quoted: t.quoted, line: t.line, col: t.col };
}

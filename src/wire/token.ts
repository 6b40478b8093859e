// A token of presentation-format text (zone files, command lines), with where it came from,
// so an RDATA parse error can point at the exact line and column.

export interface Token {
  /** The token's text with quotes removed; backslash escapes are left in place for the codec. */
  text: string;
  /** Whether the token was written in double quotes. */
  quoted: boolean;
  line: number;
  col: number;
}

/** Tokens from a single line of text, for callers outside zone files (CLI, tests). */
export function tokenize(text: string, line = 1): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    const col = i + 1;
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) { s += text[j]! + text[j + 1]!; j += 2; continue; }
        s += text[j]!;
        j++;
      }
      out.push({ text: s, quoted: true, line, col });
      i = j + 1;
      continue;
    }
    let j = i;
    let s = '';
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t') {
      if (text[j] === '\\' && j + 1 < text.length) { s += text[j]! + text[j + 1]!; j += 2; continue; }
      s += text[j]!;
      j++;
    }
    out.push({ text: s, quoted: false, line, col });
    i = j;
  }
  return out;
}

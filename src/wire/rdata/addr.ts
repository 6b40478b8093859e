// IPv4 and IPv6 addresses in presentation form, parsed and printed exactly as BIND does
// (BIND uses the C library's inet_pton/inet_ntop: strict dotted quads, RFC 4291 text,
// zero-run compression and the ::ffff:a.b.c.d and ::a.b.c.d forms of glibc's inet_ntop).

/** Four decimal octets, no leading zeros, nothing else; undefined if not that. */
export function parseIPv4(text: string): Buffer | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1]!;
    if (part.length > 1 && part[0] === '0') return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 4291 section 2.2 text form, as inet_pton(AF_INET6) accepts it; undefined if invalid. */
export function parseIPv6(text: string): Buffer | undefined {
  const out = Buffer.alloc(16);
  let tp = 0;
  let colonp = -1;
  let i = 0;
  if (text.startsWith(':')) {
    if (!text.startsWith('::')) return undefined;
    i = 1;
  }
  let curtok = i;
  let sawXdigit = false;
  let digits = 0;
  let val = 0;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    const hex = /[0-9a-fA-F]/.test(ch) ? parseInt(ch, 16) : -1;
    if (hex >= 0) {
      val = (val << 4) | hex;
      if (++digits > 4) return undefined;
      sawXdigit = true;
      continue;
    }
    if (ch === ':') {
      curtok = i + 1;
      if (!sawXdigit) {
        if (colonp >= 0) return undefined;
        colonp = tp;
        continue;
      }
      if (i + 1 >= text.length) return undefined;
      if (tp + 2 > 16) return undefined;
      out[tp++] = (val >> 8) & 0xff;
      out[tp++] = val & 0xff;
      sawXdigit = false;
      digits = 0;
      val = 0;
      continue;
    }
    if (ch === '.' && tp + 4 <= 16) {
      // An embedded dotted quad ends the address.
      const v4 = parseIPv4(text.slice(curtok));
      if (v4 === undefined) return undefined;
      v4.copy(out, tp);
      tp += 4;
      sawXdigit = false;
      break;
    }
    return undefined;
  }
  if (sawXdigit) {
    if (tp + 2 > 16) return undefined;
    out[tp++] = (val >> 8) & 0xff;
    out[tp++] = val & 0xff;
  }
  if (colonp >= 0) {
    if (tp === 16) return undefined;
    const n = tp - colonp;
    out.copy(out, 16 - n, colonp, tp);
    out.fill(0, colonp, 16 - n);
    tp = 16;
  }
  if (tp !== 16) return undefined;
  return out;
}

/** glibc inet_ntop(AF_INET6): longest (first on a tie) run of two or more zero words as `::`. */
export function formatIPv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase >= 0) {
      if (bestBase < 0 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && (bestBase < 0 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase >= 0 && bestLen < 2) bestBase = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ':';
      continue;
    }
    if (i !== 0) s += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      s += formatIPv4(b.subarray(12, 16));
      return s;
    }
    s += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) s += ':';
  return s;
}

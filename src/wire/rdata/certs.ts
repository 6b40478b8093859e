// Certificate and key fingerprint RDATA: TLSA (RFC 6698) and SSHFP (RFC 4255), printed as
// BIND 9.18 prints them. Ours rather than dns-packet's: its SSHFP throws on fingerprint types
// other than 1 and 2, and its TLSA codec does no length checks.

import { type Codec, fail, hexWords, parseHexTokens, parseNumber, u8, WireReader } from './common.js';

const SSHFP_DIGEST_LENGTH = new Map([[1, 20], [2, 32]]);

export const TLSA: Codec = {
  fromText(f) {
    const usage = parseNumber(f.next('certificate usage'), 'TLSA certificate usage', 0xff);
    const selector = parseNumber(f.next('selector'), 'TLSA selector', 0xff);
    const matchingType = parseNumber(f.next('matching type'), 'TLSA matching type', 0xff);
    if (f.left === 0) f.next('certificate association data');
    const toks = f.rest();
    const data = parseHexTokens(toks, 'TLSA certificate association data', undefined);
    if (3 + data.length > 0xffff) fail('ERR_RDATA_TOO_LONG', `TLSA RDATA is ${3 + data.length} octets (limit 65535)`, toks[0]);
    return Buffer.concat([u8(usage), u8(selector), u8(matchingType), data]);
  },
  toText(rdata) {
    if (rdata.length < 4) fail('ERR_RDATA_BAD_WIRE', `TLSA RDATA of ${rdata.length} octets is shorter than its fields`);
    const r = new WireReader(rdata, 'TLSA');
    const usage = r.u8('certificate usage');
    const selector = r.u8('selector');
    const matchingType = r.u8('matching type');
    const data = r.rest();
    if (data.length === 0) fail('ERR_RDATA_BAD_WIRE', 'TLSA has no certificate association data');
    return `${usage} ${selector} ${matchingType} ${hexWords(data)}`;
  },
};

export const SSHFP: Codec = {
  fromText(f) {
    const algorithm = parseNumber(f.next('algorithm'), 'SSHFP algorithm', 0xff);
    const type = parseNumber(f.next('fingerprint type'), 'SSHFP fingerprint type', 0xff);
    const toks = f.rest();
    const fp = parseHexTokens(toks, 'SSHFP fingerprint', undefined);
    const want = SSHFP_DIGEST_LENGTH.get(type);
    if (want !== undefined && fp.length !== want) {
      fail('ERR_RDATA_BAD_LENGTH', `SSHFP fingerprint is ${fp.length} octets; type ${type} needs ${want}`, toks[0] ?? f.endAt());
    }
    return Buffer.concat([u8(algorithm), u8(type), fp]);
  },
  toText(rdata) {
    const r = new WireReader(rdata, 'SSHFP');
    const algorithm = r.u8('algorithm');
    const type = r.u8('fingerprint type');
    const fp = r.rest();
    const want = SSHFP_DIGEST_LENGTH.get(type);
    if (want !== undefined && fp.length !== want) fail('ERR_RDATA_BAD_WIRE', `SSHFP fingerprint is ${fp.length} octets; type ${type} needs ${want}`);
    return fp.length === 0 ? `${algorithm} ${type}` : `${algorithm} ${type} ${hexWords(fp)}`;
  },
};

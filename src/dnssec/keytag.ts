// The key tag of a DNSKEY (RFC 4034 appendix B): the ones'-complement-style sum of the RDATA,
// or for algorithm 1 (RSA/MD5) the third and second octets from the end of the modulus.

export function keyTag(dnskeyRdata: Uint8Array): number {
  if (dnskeyRdata[3] === 1) {
    const n = dnskeyRdata.length;
    return n < 4 ? 0 : ((dnskeyRdata[n - 3]! << 8) | dnskeyRdata[n - 2]!) & 0xffff;
  }
  let ac = 0;
  for (let i = 0; i < dnskeyRdata.length; i++) ac += i & 1 ? dnskeyRdata[i]! : dnskeyRdata[i]! << 8;
  ac += (ac >>> 16) & 0xffff;
  return ac & 0xffff;
}

/**
 * IP addresses as four 32-bit words, parsed straight from bytes (no strings on the hot path).
 *
 *   IPv4 a.b.c.d      → [0, 0, 0xffff, a<<24|b<<16|c<<8|d]   (the IPv4-mapped IPv6 form)
 *   IPv6 (RFC 4291)   → its 128 bits, word 0 most significant
 *   ::ffff:a.b.c.d    → the IPv4 form above, so it counts as the same source
 *
 * Results land in the exported `ipWords` scratch array; parse functions return false on
 * anything that is not an address.
 */

export const ipWords = new Uint32Array(4);
const groups = new Uint16Array(8);
/**
 * parseV4's address: a typed-array slot, not the return value, because an address past
 * 127.255.255.255 is no small integer to V8 and was boxed into a heap number per line.
 */
const v4Out = new Uint32Array(1);

/** Dotted quad in bytes[start, end) into v4Out[0]; false if it is not one. */
function parseV4(b: Uint8Array, start: number, end: number): boolean {
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return false;
      acc = acc * 256 + part;
      part = 0;
      digits = 0;
    } else return false;
  }
  if (dots !== 3 || digits === 0) return false;
  v4Out[0] = acc * 256 + part;
  return true;
}

/** Parse an IPv4 or IPv6 address in bytes[start, end). */
export function parseIp(b: Uint8Array, start: number, end: number): boolean {
  if (end - start < 2) return false;
  // Strip brackets ([::1]) some proxies write.
  if (b[start] === 91 && b[end - 1] === 93) {
    start++;
    end--;
  }
  let colon = false;
  for (let i = start; i < end; i++) {
    if (b[i] === 58) {
      colon = true;
      break;
    }
  }
  if (!colon) {
    if (!parseV4(b, start, end)) return false;
    ipWords[0] = 0;
    ipWords[1] = 0;
    ipWords[2] = 0xffff;
    ipWords[3] = v4Out[0]!;
    return true;
  }
  return parseV6(b, start, end);
}

function parseV6(b: Uint8Array, start: number, end: number): boolean {
  // Drop a zone id (fe80::1%eth0).
  for (let i = start; i < end; i++) {
    if (b[i] === 37) {
      end = i;
      break;
    }
  }
  groups.fill(0);
  let n = 0;
  let gap = -1;
  let i = start;
  if (b[i] === 58) {
    if (b[i + 1] !== 58) return false;
    gap = 0;
    i += 2;
    if (i === end) return finishV6(n, gap);
  }
  while (i < end) {
    if (n >= 8) return false;
    // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4).
    let j = i;
    let hasDot = false;
    while (j < end && b[j] !== 58) {
      if (b[j] === 46) hasDot = true;
      j++;
    }
    if (hasDot) {
      if (j !== end || n > 6) return false;
      if (!parseV4(b, i, end)) return false;
      const v4 = v4Out[0]!;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      break;
    }
    if (j - i < 1 || j - i > 4) return false;
    let g = 0;
    for (let k = i; k < j; k++) {
      const c = b[k]! | 32;
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (d < 0) return false;
      g = (g << 4) | d;
    }
    groups[n++] = g;
    i = j;
    if (i < end) {
      // at ':'
      if (b[i + 1] === 58) {
        if (gap >= 0) return false;
        gap = n;
        i += 2;
      } else {
        i++;
        if (i === end) return false;
      }
    }
  }
  return finishV6(n, gap);
}

function finishV6(n: number, gap: number): boolean {
  if (gap < 0 && n !== 8) return false;
  if (gap >= 0) {
    if (n > 7) return false;
    const shift = 8 - n;
    for (let k = n - 1; k >= gap; k--) {
      groups[k + shift] = groups[k]!;
      groups[k] = 0;
    }
  }
  ipWords[0] = ((groups[0]! << 16) | groups[1]!) >>> 0;
  ipWords[1] = ((groups[2]! << 16) | groups[3]!) >>> 0;
  ipWords[2] = ((groups[4]! << 16) | groups[5]!) >>> 0;
  ipWords[3] = ((groups[6]! << 16) | groups[7]!) >>> 0;
  return true;
}

export function isV4(w0: number, w1: number, w2: number): boolean {
  return w0 === 0 && w1 === 0 && w2 === 0xffff;
}

/** Text form for reports: dotted quad for IPv4, RFC 5952 compressed lowercase for IPv6. */
export function formatIp(w0: number, w1: number, w2: number, w3: number): string {
  if (isV4(w0, w1, w2)) return `${w3 >>> 24}.${(w3 >>> 16) & 255}.${(w3 >>> 8) & 255}.${w3 & 255}`;
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  // Longest run of ≥ 2 zero groups becomes '::' (first one on ties).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Parse a text address (for options such as --trusted-proxies); null if invalid. */
export function parseIpString(s: string): Uint32Array | null {
  const b = Buffer.from(s, 'latin1');
  return parseIp(b, 0, b.length) ? ipWords.slice() : null;
}

/** A CIDR block as words + prefix length (IPv4 prefixes are offset by 96 into the mapped form). */
export interface Cidr {
  words: Uint32Array;
  bits: number;
  text: string;
}

export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  const addr = parseIpString(slash < 0 ? s : s.slice(0, slash));
  if (addr === null) return null;
  const v4 = isV4(addr[0]!, addr[1]!, addr[2]!);
  const max = v4 ? 32 : 128;
  const given = slash < 0 ? max : Number(s.slice(slash + 1));
  if (!Number.isInteger(given) || given < 0 || given > max) return null;
  const bits = v4 ? given + 96 : given;
  const words = addr.slice();
  for (let w = 0; w < 4; w++) {
    const keep = Math.max(0, Math.min(32, bits - w * 32));
    words[w] = keep === 0 ? 0 : keep === 32 ? words[w]! : (words[w]! & (0xffffffff << (32 - keep))) >>> 0;
  }
  return { words, bits, text: s };
}

export function cidrContains(c: Cidr, w0: number, w1: number, w2: number, w3: number): boolean {
  // No array per call: the CDN and special-range checks run it over every top source.
  const b = c.bits;
  const cw = c.words;
  return wordIn(w0, cw[0]!, b) && (b <= 32 || (wordIn(w1, cw[1]!, b - 32) && (b <= 64 || (wordIn(w2, cw[2]!, b - 64) && (b <= 96 || wordIn(w3, cw[3]!, b - 96))))));
}

/** Whether the first `keep` bits of one address word are a network word's. */
function wordIn(w: number, net: number, keep: number): boolean {
  if (keep <= 0) return true;
  const mask = keep >= 32 ? 0xffffffff : 0xffffffff << (32 - keep);
  return ((w & mask) >>> 0) === net;
}

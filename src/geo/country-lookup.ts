/**
 * The hot-path country lookup for workers: walk the MMDB binary search tree directly on the
 * address words (MaxMind DB spec, "Binary Search Tree Section"), no strings, no per-address
 * cache. The tree leads to a data pointer; a country database has a few hundred distinct
 * records, so each pointer is decoded once (through the `maxmind` reader, on the first
 * address that reaches it) and its country code cached by pointer.
 *
 *   node n, record size 24: bytes [6n, 6n+6) = left(3) right(3)
 *                       28: bytes [7n, 7n+7) = left(3)+hi nibble, lo nibble+right(3)
 *                       32: bytes [8n, 8n+8) = left(4) right(4)
 *   record <  nodeCount  → next node;  = nodeCount → no data;  > nodeCount → data pointer
 *
 * IPv4 addresses in an IPv6 tree start at the node reached by 96 zero bits (::a.b.c.d); the
 * node their first 16 bits lead to is kept per /16.
 */

export interface MmdbTree {
  buf: Buffer;
  nodeCount: number;
  recordSize: number;
  ipVersion: number;
}

export class CountryLookup {
  private readonly buf: Buffer;
  private readonly nodeCount: number;
  private readonly recordSize: number;
  private readonly ipv4Start: number;
  private readonly v6: boolean;
  private readonly byPointer = new Map<number, number>();
  /**
   * IPv4: the record reached after an address's first 16 bits, by those bits (256 KiB, filled
   * as /16s are met): half of every walk. A spoofed flood's sources are all distinct, so each
   * packet's country was a walk of 32 nodes.
   */
  private readonly v4By16 = new Uint32Array(65536);

  /** `decode(words)` returns the country code of an address the slow way (first visit of a record). */
  constructor(
    tree: MmdbTree,
    private readonly decode: (w0: number, w1: number, w2: number, w3: number) => number,
  ) {
    this.buf = tree.buf;
    this.nodeCount = tree.nodeCount;
    this.recordSize = tree.recordSize;
    this.v6 = tree.ipVersion === 6;
    let node = 0;
    if (this.v6) for (let i = 0; i < 96 && node < this.nodeCount; i++) node = this.record(node, 0);
    this.ipv4Start = node;
  }

  private record(node: number, bit: number): number {
    const b = this.buf;
    switch (this.recordSize) {
      case 24: {
        const o = node * 6 + bit * 3;
        return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
      }
      case 28: {
        const o = node * 7;
        return bit === 0
          ? (((b[o + 3]! & 0xf0) << 20) | (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!) >>> 0
          : (((b[o + 3]! & 0x0f) << 24) | (b[o + 4]! << 16) | (b[o + 5]! << 8) | b[o + 6]!) >>> 0;
      }
      default: {
        const o = node * 8 + bit * 4;
        return b.readUInt32BE(o);
      }
    }
  }

  /** Country code (geo/country-code.ts) of a public address; 0 when the database has none. */
  code(w0: number, w1: number, w2: number, w3: number): number {
    const n = this.nodeCount;
    let node: number;
    if (w0 === 0 && w1 === 0 && w2 === 0xffff) {
      // The node an address's first 16 bits lead to, walked once per /16 (0: not yet).
      const top = w3 >>> 16;
      node = this.v4By16[top]!;
      if (node === 0) {
        node = this.ipv4Start;
        for (let i = 31; i >= 16 && node < n; i--) node = this.record(node, (w3 >>> i) & 1);
        this.v4By16[top] = node;
      }
      for (let i = 15; i >= 0 && node < n; i--) node = this.record(node, (w3 >>> i) & 1);
    } else {
      if (!this.v6) return 0;
      node = 0;
      const words = [w0, w1, w2, w3];
      for (let i = 0; i < 128 && node < n; i++) node = this.record(node, (words[i >> 5]! >>> (31 - (i & 31))) & 1);
    }
    if (node <= n) return 0;
    let c = this.byPointer.get(node);
    if (c === undefined) {
      c = this.decode(w0, w1, w2, w3);
      this.byPointer.set(node, c);
    }
    return c;
  }
}

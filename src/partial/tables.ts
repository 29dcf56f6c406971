import { mixWords } from '../sketches/hash.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { GrowableI32 } from './growable.js';

/**
 * Growable open-addressing tables over typed arrays, for the per-chunk exact aggregation
 * in workers. A chunk holds a bounded number of records (~1 MiB of text), so exact
 * counting inside a chunk is affordable; the tables are cleared and reused for the next
 * chunk, so steady state allocates nothing.
 */

/**
 * Copy the 4-word key of `slot` in `keys` to out[at .. at+3]. Four element copies: a
 * `subarray` per key made a typed-array object each time (~190 MiB of garbage on a 4M-line
 * fold, for the top-source and URL-source lists).
 */
export function copyKey(keys: Uint32Array, slot: number, out: Uint32Array, at: number): void {
  const o = slot * 4;
  out[at] = keys[o]!;
  out[at + 1] = keys[o + 1]!;
  out[at + 2] = keys[o + 2]!;
  out[at + 3] = keys[o + 3]!;
}

/**
 * Serialized HyperLogLogs over interned slots, from each slot's 64-bit hash as the folder
 * keeps it (interleaved [hi, lo] per slot); the halves are gathered into reused scratch.
 * Shared by the log folder (sources, a URL's sources) and the packet folder (a bucket's
 * sources, a victim's or a service's sources).
 */
export class SlotHll {
  private readonly his: GrowableI32;
  private readonly los: GrowableI32;
  constructor(initial: number) {
    this.his = new GrowableI32(initial);
    this.los = new GrowableI32(initial);
  }

  /** HyperLogLog (precision p) of the n slots at slots[0], slots[stride], …. */
  bytes(p: number, hashes: Int32Array, slots: ArrayLike<number>, stride: number, n: number): Uint8Array {
    const his = this.his.ensure(Math.max(n, 1));
    const los = this.los.ensure(Math.max(n, 1));
    for (let k = 0; k < n; k++) {
      const s = slots[k * stride]!;
      his[k] = hashes[s * 2]!;
      los[k] = hashes[s * 2 + 1]!;
    }
    return HyperLogLog.bytesOf(p, his, los, n);
  }
}

/**
 * Interns keys of four 32-bit words to dense slot numbers 0..size-1 (insertion order).
 * Slot-indexed side data (counts, offsets, hashes) is kept by the caller.
 *
 *   index[i] = slot + 1 (0 = empty), linear probing on mixWords(key)
 *   keys[4·slot .. 4·slot+3]
 */
export class KeyTable {
  size = 0;
  /** True when the last intern() created a new slot. */
  fresh = false;
  private index: Int32Array;
  keys: Uint32Array;
  private mask: number;

  constructor(initial = 1024) {
    let cap = 16;
    while (cap < initial * 2) cap <<= 1;
    this.index = new Int32Array(cap);
    this.mask = cap - 1;
    this.keys = new Uint32Array(initial * 4);
  }

  clear(): void {
    if (this.size > 0) this.index.fill(0);
    this.size = 0;
  }

  /** Slot of a key, or -1 (never creates one). */
  find(w0: number, w1: number, w2: number, w3: number): number {
    const keys = this.keys;
    let i = mixWords(w0, w1, w2, w3) & this.mask;
    for (;;) {
      const v = this.index[i]!;
      if (v === 0) return -1;
      const s = (v - 1) << 2;
      if (keys[s] === w0 >>> 0 && keys[s + 1] === w1 >>> 0 && keys[s + 2] === w2 >>> 0 && keys[s + 3] === w3 >>> 0) return v - 1;
      i = (i + 1) & this.mask;
    }
  }

  intern(w0: number, w1: number, w2: number, w3: number): number {
    const keys = this.keys;
    let i = mixWords(w0, w1, w2, w3) & this.mask;
    for (;;) {
      const v = this.index[i]!;
      if (v === 0) break;
      const s = (v - 1) << 2;
      if (keys[s] === w0 >>> 0 && keys[s + 1] === w1 >>> 0 && keys[s + 2] === w2 >>> 0 && keys[s + 3] === w3 >>> 0) {
        this.fresh = false;
        return v - 1;
      }
      i = (i + 1) & this.mask;
    }
    const slot = this.size++;
    if ((slot + 1) << 2 > keys.length) {
      const grown = new Uint32Array(keys.length * 2);
      grown.set(keys);
      this.keys = grown;
    }
    const s = slot << 2;
    this.keys[s] = w0;
    this.keys[s + 1] = w1;
    this.keys[s + 2] = w2;
    this.keys[s + 3] = w3;
    this.index[i] = slot + 1;
    this.fresh = true;
    if (this.size * 2 > this.mask) this.rehash();
    return slot;
  }

  private rehash(): void {
    const cap = (this.mask + 1) * 2;
    this.index = new Int32Array(cap);
    this.mask = cap - 1;
    const k = this.keys;
    for (let slot = 0; slot < this.size; slot++) {
      const s = slot << 2;
      let i = mixWords(k[s]!, k[s + 1]!, k[s + 2]!, k[s + 3]!) & this.mask;
      while (this.index[i] !== 0) i = (i + 1) & this.mask;
      this.index[i] = slot + 1;
    }
  }
}


/**
 * Counts for (rank, slot) pairs with rank < ranks and slot < width, in a dense array
 * indexed rank·width + slot: no hashing per increment. A chunk has a few thousand slots
 * and at most 16 ranks, so the array stays small; touched cells are remembered in
 * first-touched order, which makes `grouped()` deterministic and clearing cheap.
 */
export class PairCounter {
  private counts = new Int32Array(1 << 16);
  /** A second count per pair, of a subset of its adds (`addBoth`), when made `withSecond`. */
  private second: Int32Array | null;
  // Large enough that a 4 MiB chunk's bucket seldom grows it: the growth path, inlined in
  // the detail walk, is code V8 has not seen and would deoptimise the walk for.
  private touched = new Int32Array(1 << 15);
  private nTouched = 0;
  private width = 0;

  constructor(withSecond = false) {
    this.second = withSecond ? new Int32Array(this.counts.length) : null;
  }

  reset(ranks: number, width: number): void {
    const second = this.second;
    for (let i = 0; i < this.nTouched; i++) this.counts[this.touched[i]!] = 0;
    if (second !== null) for (let i = 0; i < this.nTouched; i++) second[this.touched[i]!] = 0;
    this.nTouched = 0;
    this.width = width;
    const need = ranks * width;
    if (need > this.counts.length) {
      this.counts = new Int32Array(Math.max(need, this.counts.length * 2));
      if (second !== null) this.second = new Int32Array(this.counts.length);
    }
  }

  /** Count a pair, and `also` (0 or 1) into its second count (a counter made `withSecond`). */
  addBoth(rank: number, slot: number, also: number): void {
    this.second![rank * this.width + slot]! += also;
    this.add(rank, slot);
  }

  /** Count one into the second count of a pair, if the pair was counted since the reset. */
  addSecondIfCounted(rank: number, slot: number): void {
    const i = rank * this.width + slot;
    if (this.counts[i]! > 0) this.second![i]!++;
  }

  /** The second count of one pair (0 if never added since the reset). */
  secondOf(rank: number, slot: number): number {
    return this.second![rank * this.width + slot]!;
  }

  add(rank: number, slot: number): void {
    const i = rank * this.width + slot;
    if (this.counts[i]!++ === 0) {
      if (this.nTouched === this.touched.length) {
        const g = new Int32Array(this.touched.length * 2);
        g.set(this.touched);
        this.touched = g;
      }
      this.touched[this.nTouched++] = i;
    }
  }

  /**
   * Per rank, a flat [slot, count, slot, count, …] list in first-touched order: views of one
   * exactly sized array (counted first), not arrays grown by push.
   */
  grouped(ranks: number): Int32Array[] {
    const w = this.width;
    const n = this.nTouched;
    const starts = new Int32Array(ranks + 1);
    for (let t = 0; t < n; t++) starts[((this.touched[t]! / w) | 0) + 1]! += 2;
    for (let k = 0; k < ranks; k++) starts[k + 1]! += starts[k]!;
    const flat = new Int32Array(n * 2);
    const at = starts.slice(0, ranks);
    for (let t = 0; t < n; t++) {
      const i = this.touched[t]!;
      const rank = (i / w) | 0;
      const o = at[rank]!;
      flat[o] = i - rank * w;
      flat[o + 1] = this.counts[i]!;
      at[rank] = o + 2;
    }
    const out: Int32Array[] = [];
    for (let k = 0; k < ranks; k++) out.push(flat.subarray(starts[k]!, starts[k + 1]!));
    return out;
  }
}

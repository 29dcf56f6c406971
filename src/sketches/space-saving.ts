/**
 * Space-saving top-k (Metwally, Agrawal, El Abbadi, "Efficient computation of frequent
 * and top-k elements in data streams", 2005), weighted, with the mergeable-summary
 * combine of Agarwal et al. ("Mergeable Summaries", 2012).
 *
 * Guarantee with capacity k over a stream of total weight N: every key whose true count
 * exceeds N / k is present, and every reported count c satisfies
 *     c - error ≤ true ≤ c,   error ≤ N / k.
 *
 * Keys are four 32-bit words: an IP address (IPv4 as ::ffff:a.b.c.d), or a 64-bit
 * string hash in words 0-1 with words 2-3 zero. Storage is typed arrays only:
 *
 *   slot s:  keys[4s .. 4s+3]   counts[s]   errors[s]
 *   heap:    min-heap of slots by count (heap[0] = the slot to evict), heapPos[s] = its place;
 *            made and built at the first eviction (until the summary is full it counts exactly
 *            and needs none: a step's sources seldom fill it, and keeping the heap up to date
 *            was most of add()'s time there)
 *   index:   linear-probing table of (slot + 1), 0 = empty, backward-shift deletion
 *
 * so add() is O(log k), and allocates only when the summary grows or first evicts.
 */
import { SketchError } from './errors.js';
import { mixWords } from './hash.js';

export const SS_FAMILY = 3;
/** Counts byCount packs with a slot into one float (2^33 · 2^20 = 2^53), and the slots. */
const PACK_COUNTS = 2 ** 33;
const SLOTS = 2 ** 20;
/** The heap's arrays until it is built (see heapify). */
const NO_SLOTS = new Int32Array(0);
const SERIAL_VERSION = 1;
const HEADER_BYTES = 24;

export interface TopEntry {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  count: number;
  error: number;
}


/** A summary's entries in top() order, in typed arrays (see SpaceSaving.sorted). */
export class TopList {
  constructor(
    /** Four key words per entry. */
    readonly words: Uint32Array,
    readonly counts: Float64Array,
    readonly errors: Float64Array,
  ) {}

  get length(): number {
    return this.counts.length;
  }

  /** The first `n` entries (views on the same arrays, no copy). */
  head(n: number): TopList {
    return n >= this.length ? this : new TopList(this.words.subarray(0, n * 4), this.counts.subarray(0, n), this.errors.subarray(0, n));
  }

  /** As objects, for the few readers that keep or pass them on. */
  entries(): TopEntry[] {
    const w = this.words;
    const out = new Array<TopEntry>(this.length);
    for (let i = 0; i < out.length; i++) {
      out[i] = { w0: w[i * 4]!, w1: w[i * 4 + 1]!, w2: w[i * 4 + 2]!, w3: w[i * 4 + 3]!, count: this.counts[i]!, error: this.errors[i]! };
    }
    return out;
  }
}

export class SpaceSaving {
  readonly capacity: number;
  private keys: Uint32Array;
  private counts: Float64Array;
  private errors: Float64Array;
  private heap: Int32Array;
  private heapPos: Int32Array;
  private index: Int32Array;
  private mask: number;
  /** Slots allocated so far (grows to `capacity`). */
  private room: number;
  /** The heap is built (see the class comment). */
  private heaped = false;
  private n = 0;
  private weight = 0;

  /**
   * `initial`: slots to allocate at first, grown ×4 up to `capacity` as keys arrive. Nothing is
   * evicted before `capacity` keys, so the summary is the same as one allocated whole; a step
   * bucket of a quiet log (a day at 20 requests/s is 8,640 steps of ~200 sources) no longer
   * allocates and zeroes 60 KiB of arrays a step for 1,280 slots it never uses.
   */
  constructor(capacity: number, initial = capacity) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) {
      throw new SketchError(
        'SS_BAD_CAPACITY',
        `space-saving capacity k must be an integer in [1, 2^20] (keys above N/k are guaranteed); got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.room = Math.max(1, Math.min(capacity, Math.floor(initial)));
    this.keys = new Uint32Array(this.room * 4);
    this.counts = new Float64Array(this.room);
    this.errors = new Float64Array(this.room);
    this.heap = NO_SLOTS;
    this.heapPos = NO_SLOTS;
    this.index = new Int32Array(SpaceSaving.indexSize(this.room));
    this.mask = this.index.length - 1;
  }

  private static indexSize(slots: number): number {
    let size = 4;
    while (size < slots * 2) size <<= 1;
    return size;
  }

  /**
   * Room for `more` keys beyond those held, in one step (up to the capacity): a caller about to
   * add a list of keys grows the arrays and rebuilds the index once, not at every ×4 on the way
   * (a step's first chunk of 4,000 sources went 64 → 256 → 1,024 → 4,096, rehashing each time).
   */
  reserve(more: number): void {
    const want = Math.min(this.capacity, this.n + more);
    if (want <= this.room) return;
    let room = this.room;
    while (room < want) room *= 4;
    this.grow(Math.min(this.capacity, room));
  }

  /** More slots (all n in use): arrays copied, the index rebuilt for its new size. */
  private grow(to = this.room * 4): void {
    const room = Math.min(this.capacity, to);
    const widen = <T extends Uint32Array | Float64Array>(a: T, length: number): T => {
      const b = new (a.constructor as new (n: number) => T)(length);
      b.set(a as never);
      return b;
    };
    this.keys = widen(this.keys, room * 4);
    this.counts = widen(this.counts, room);
    this.errors = widen(this.errors, room);
    this.index = new Int32Array(SpaceSaving.indexSize(room));
    this.mask = this.index.length - 1;
    for (let s = 0; s < this.n; s++) this.indexInsert(s);
    this.room = room;
  }

  get size(): number {
    return this.n;
  }

  /** Total weight added (N). */
  get total(): number {
    return this.weight;
  }

  /** The count an absent key could at most have: the smallest counter once full, else 0. */
  get minCount(): number {
    if (this.n < this.capacity) return 0;
    if (!this.heaped) this.heapify();
    return this.counts[this.heap[0]!]!;
  }

  /** Build the heap over every slot (Floyd: siftDown from the last parent up); its arrays are made here. */
  private heapify(): void {
    if (this.heap.length < this.n) {
      this.heap = new Int32Array(this.capacity);
      this.heapPos = new Int32Array(this.capacity);
    }
    for (let s = 0; s < this.n; s++) {
      this.heap[s] = s;
      this.heapPos[s] = s;
    }
    for (let pos = (this.n >> 1) - 1; pos >= 0; pos--) this.siftDown(pos);
    this.heaped = true;
  }

  /** The key's slot, or -(p + 1) for the empty place p of the index where it would go. */
  private probe(w0: number, w1: number, w2: number, w3: number): number {
    const k = this.keys;
    let i = mixWords(w0, w1, w2, w3) & this.mask;
    for (;;) {
      const v = this.index[i]!;
      if (v === 0) return -(i + 1);
      const s = (v - 1) * 4;
      if (k[s] === w0 >>> 0 && k[s + 1] === w1 >>> 0 && k[s + 2] === w2 >>> 0 && k[s + 3] === w3 >>> 0) return v - 1;
      i = (i + 1) & this.mask;
    }
  }

  private find(w0: number, w1: number, w2: number, w3: number): number {
    const p = this.probe(w0, w1, w2, w3);
    return p >= 0 ? p : -1;
  }

  private indexInsert(slot: number): void {
    const k = this.keys;
    const s = slot * 4;
    let i = mixWords(k[s]!, k[s + 1]!, k[s + 2]!, k[s + 3]!) & this.mask;
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = slot + 1;
  }

  /** Remove a slot from the index with backward-shift deletion (no tombstones). */
  private indexRemove(slot: number): void {
    const k = this.keys;
    const s = slot * 4;
    const mask = this.mask;
    let i = mixWords(k[s]!, k[s + 1]!, k[s + 2]!, k[s + 3]!) & mask;
    while (this.index[i] !== slot + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = this.index[j]!;
      if (v === 0) break;
      const t = (v - 1) * 4;
      const home = mixWords(k[t]!, k[t + 1]!, k[t + 2]!, k[t + 3]!) & mask;
      // Move v back to i if its home is not cyclically within (i, j].
      if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
        this.index[i] = v;
        i = j;
      }
    }
    this.index[i] = 0;
  }

  private siftDown(pos: number): void {
    const h = this.heap;
    const c = this.counts;
    const n = this.n;
    const slot = h[pos]!;
    const v = c[slot]!;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && c[h[child + 1]!]! < c[h[child]!]!) child++;
      if (c[h[child]!]! >= v) break;
      h[pos] = h[child]!;
      this.heapPos[h[pos]!] = pos;
      pos = child;
    }
    h[pos] = slot;
    this.heapPos[slot] = pos;
  }

  /** Add `count` for a key (and carry `error` if the weight itself came from a summary). */
  add(w0: number, w1: number, w2: number, w3: number, count = 1, error = 0): void {
    this.weight += count;
    // One probe finds the key or the empty place a new key goes to (find + indexInsert
    // hashed and probed twice for every new key: most of a step's sources are new).
    const found = this.probe(w0, w1, w2, w3);
    if (found >= 0) {
      this.counts[found]! += count;
      this.errors[found]! += error;
      if (this.heaped) this.siftDown(this.heapPos[found]!);
      return;
    }
    let slot: number;
    if (this.n < this.capacity) {
      slot = this.n;
      if (slot === this.room) {
        this.grow();
        this.n++;
        this.writeKey(slot, w0, w1, w2, w3);
        this.indexInsert(slot);
      } else {
        this.n++;
        this.writeKey(slot, w0, w1, w2, w3);
        this.index[-found - 1] = slot + 1;
      }
      this.counts[slot] = count;
      this.errors[slot] = error;
      return;
    }
    // Evict the minimum: the newcomer inherits its count as possible overestimate.
    if (!this.heaped) this.heapify();
    slot = this.heap[0]!;
    const min = this.counts[slot]!;
    this.indexRemove(slot);
    this.writeKey(slot, w0, w1, w2, w3);
    this.indexInsert(slot);
    this.counts[slot] = min + count;
    this.errors[slot] = min + error;
    this.siftDown(0);
  }

  /** Add every entry of a sorted list (another summary's, see sorted), in its order, with its error. */
  addTop(list: TopList): void {
    const w = list.words;
    for (let i = 0; i < list.length; i++) this.add(w[i * 4]!, w[i * 4 + 1]!, w[i * 4 + 2]!, w[i * 4 + 3]!, list.counts[i]!, list.errors[i]!);
  }

  private writeKey(slot: number, w0: number, w1: number, w2: number, w3: number): void {
    const s = slot * 4;
    this.keys[s] = w0;
    this.keys[s + 1] = w1;
    this.keys[s + 2] = w2;
    this.keys[s + 3] = w3;
  }

  /** Upper-bound count of a key (0 if absent and the summary is not full). */
  estimate(w0: number, w1: number, w2: number, w3: number): number {
    const s = this.find(w0, w1, w2, w3);
    return s >= 0 ? this.counts[s]! : this.minCount;
  }

  /** Count of a key if it is tracked, else 0 (a lower bound; `estimate` is the upper one). */
  countOf(w0: number, w1: number, w2: number, w3: number): number {
    const s = this.find(w0, w1, w2, w3);
    return s >= 0 ? this.counts[s]! : 0;
  }

  /**
   * Combine another summary into this one (Agarwal et al. 2012): a key missing from a
   * full side is charged that side's minimum, counts add, the top k survive. The result
   * keeps error ≤ (N1 + N2) / k.
   */
  merge(other: SpaceSaving): void {
    if (other === this) throw new SketchError('SS_SELF_MERGE', 'cannot merge a space-saving summary with itself');
    if (other.capacity !== this.capacity) {
      throw new SketchError('SS_CAPACITY_MISMATCH', `cannot merge space-saving k=${other.capacity} into k=${this.capacity}`);
    }
    const mA = this.minCount;
    const mB = other.minCount;
    const cand: TopEntry[] = [];
    for (let s = 0; s < this.n; s++) {
      const k = s * 4;
      const o = other.find(this.keys[k]!, this.keys[k + 1]!, this.keys[k + 2]!, this.keys[k + 3]!);
      cand.push({
        w0: this.keys[k]!,
        w1: this.keys[k + 1]!,
        w2: this.keys[k + 2]!,
        w3: this.keys[k + 3]!,
        count: this.counts[s]! + (o >= 0 ? other.counts[o]! : mB),
        error: this.errors[s]! + (o >= 0 ? other.errors[o]! : mB),
      });
    }
    for (let s = 0; s < other.n; s++) {
      const k = s * 4;
      if (this.find(other.keys[k]!, other.keys[k + 1]!, other.keys[k + 2]!, other.keys[k + 3]!) >= 0) continue;
      cand.push({
        w0: other.keys[k]!,
        w1: other.keys[k + 1]!,
        w2: other.keys[k + 2]!,
        w3: other.keys[k + 3]!,
        count: other.counts[s]! + mA,
        error: other.errors[s]! + mA,
      });
    }
    cand.sort(compareEntries);
    const weight = this.weight + other.weight;
    this.reset();
    const keep = Math.min(cand.length, this.capacity);
    for (let i = 0; i < keep; i++) {
      const e = cand[i]!;
      this.add(e.w0, e.w1, e.w2, e.w3, e.count, e.error);
    }
    this.weight = weight;
  }

  private reset(): void {
    this.n = 0;
    this.heaped = false;
    this.weight = 0;
    this.index.fill(0);
  }

  clear(): void {
    this.reset();
  }

  /** Entries sorted by count descending, ties by key (deterministic). */
  top(limit = this.capacity): TopEntry[] {
    return this.sorted(limit).entries();
  }

  /**
   * The same entries in the same order as top(), in typed arrays: no object per entry. The
   * main thread sorts every step bucket's sources once and reads them several times over the
   * window (detectors, totals, history); as objects they were ~60 KiB of short-lived heap a
   * step that lived just long enough to be copied by every scavenge.
   */
  sorted(limit = this.capacity): TopList {
    const n = this.n;
    const order = new Array<number>(n);
    for (let s = 0; s < n; s++) order[s] = s;
    const c = this.counts;
    const k = this.keys;
    // compareEntries' order, on slots.
    order.sort((a, b) => c[b]! - c[a]! || k[a * 4]! - k[b * 4]! || k[a * 4 + 1]! - k[b * 4 + 1]! || k[a * 4 + 2]! - k[b * 4 + 2]! || k[a * 4 + 3]! - k[b * 4 + 3]!);
    return this.listOf(order, Math.min(n, limit));
  }

  /**
   * The entries by count, largest first, ties in slot order (the order the summary took the
   * keys in: the same for the same adds in the same order) — not top()'s order, for readers
   * that never show ties. Sorted natively, with no comparator, when every count is a whole
   * number under 2^33: each entry one number, (limit - 1 - count) · slots + slot. A step's
   * thousands of sources sorted by a comparator were the main thread's largest cost on a
   * busy log, and as floats still ~0.5 s of it over 6M lines.
   */
  byCount(): TopList {
    const n = this.n;
    const c = this.counts;
    // Whole counts are sorted natively as one number per entry: in a uint32 when the slot and
    // the count fit (a step's sources: 14 bits of slot, counts under 2^18; V8 sorts those ~6×
    // faster than floats), else in a float.
    let whole = true;
    let max = 0;
    for (let s = 0; s < n && whole; s++) {
      const v = c[s]!;
      whole = v >= 0 && v < PACK_COUNTS && Number.isInteger(v);
      if (v > max) max = v;
    }
    let order: ArrayLike<number>;
    if (whole) {
      const slotBits = n <= 1 ? 1 : 32 - Math.clz32(n - 1);
      const countLimit = 2 ** (32 - slotBits);
      const o = new Int32Array(n);
      if (max < countLimit) {
        const packed = new Uint32Array(n);
        const slots = 2 ** slotBits;
        for (let s = 0; s < n; s++) packed[s] = (countLimit - 1 - c[s]!) * slots + s;
        packed.sort();
        for (let i = 0; i < n; i++) o[i] = packed[i]! & (slots - 1);
      } else {
        const packed = new Float64Array(n);
        for (let s = 0; s < n; s++) packed[s] = (PACK_COUNTS - 1 - c[s]!) * SLOTS + s;
        packed.sort();
        for (let i = 0; i < n; i++) o[i] = packed[i]! % SLOTS;
      }
      order = o;
    } else {
      const o = new Array<number>(n);
      for (let s = 0; s < n; s++) o[s] = s;
      order = o.sort((a, b) => c[b]! - c[a]! || a - b);
    }
    return this.listOf(order, n);
  }

  /** The first `m` slots of `order` as a TopList. */
  private listOf(order: ArrayLike<number>, m: number): TopList {
    const k = this.keys;
    const c = this.counts;
    const words = new Uint32Array(m * 4);
    const counts = new Float64Array(m);
    const errors = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const s = order[i]!;
      words[i * 4] = k[s * 4]!;
      words[i * 4 + 1] = k[s * 4 + 1]!;
      words[i * 4 + 2] = k[s * 4 + 2]!;
      words[i * 4 + 3] = k[s * 4 + 3]!;
      counts[i] = c[s]!;
      errors[i] = this.errors[s]!;
    }
    return new TopList(words, counts, errors);
  }

  /**
   * Serialized layout (little endian), version 1: byte 0 family = 3, byte 1 version,
   * bytes 2-3 reserved, 4-7 capacity, 8-11 size, 12-15 reserved, 16-23 N (f64), then per
   * entry 4 × u32 key words, f64 count, f64 error (32 bytes), in top() order.
   */
  toBytes(): Uint8Array {
    const entries = this.top();
    const out = new Uint8Array(HEADER_BYTES + entries.length * 32);
    const dv = new DataView(out.buffer);
    out[0] = SS_FAMILY;
    out[1] = SERIAL_VERSION;
    dv.setUint32(4, this.capacity, true);
    dv.setUint32(8, entries.length, true);
    dv.setFloat64(16, this.weight, true);
    let o = HEADER_BYTES;
    for (const e of entries) {
      dv.setUint32(o, e.w0, true);
      dv.setUint32(o + 4, e.w1, true);
      dv.setUint32(o + 8, e.w2, true);
      dv.setUint32(o + 12, e.w3, true);
      dv.setFloat64(o + 16, e.count, true);
      dv.setFloat64(o + 24, e.error, true);
      o += 32;
    }
    return out;
  }

  static fromBytes(bytes: Uint8Array): SpaceSaving {
    if (bytes.length < HEADER_BYTES) throw new SketchError('SS_SHORT', `space-saving bytes too short (${bytes.length})`);
    if (bytes[0] !== SS_FAMILY) throw new SketchError('SS_FAMILY', `not a space-saving summary (family ${bytes[0]})`);
    if (bytes[1] !== SERIAL_VERSION) throw new SketchError('SS_VERSION', `unsupported space-saving serial version ${bytes[1]}`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const ss = new SpaceSaving(dv.getUint32(4, true));
    const n = dv.getUint32(8, true);
    if (n > ss.capacity || bytes.length !== HEADER_BYTES + n * 32) throw new SketchError('SS_CORRUPT', 'space-saving payload length mismatch');
    let o = HEADER_BYTES;
    for (let i = 0; i < n; i++) {
      ss.add(dv.getUint32(o, true), dv.getUint32(o + 4, true), dv.getUint32(o + 8, true), dv.getUint32(o + 12, true), dv.getFloat64(o + 16, true), dv.getFloat64(o + 24, true));
      o += 32;
    }
    ss.weight = dv.getFloat64(16, true);
    return ss;
  }
}

export function compareEntries(a: TopEntry, b: TopEntry): number {
  return b.count - a.count || a.w0 - b.w0 || a.w1 - b.w1 || a.w2 - b.w2 || a.w3 - b.w3;
}

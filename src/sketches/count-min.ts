/**
 * Count-min sketch (Cormode & Muthukrishnan, "An improved data stream summary: the
 * count-min sketch and its applications", 2005).
 *
 * Sized from error targets: width w = ceil(e / ε), depth d = ceil(ln(1 / δ)). Then for
 * every key, with probability at least 1 - δ:
 *     true(x) ≤ estimate(x) ≤ true(x) + ε·N        (N = total weight added)
 * Conservative update (Estan & Varghese 2002) only raises the counters that hold the
 * current minimum; it keeps the guarantee and tightens estimates in practice.
 *
 * Counters are Float64 so a sketch can be scaled (`scale(0.9)`): floodscope keeps its
 * per-URL baselines as an exponentially decayed count-min, which answers "what was this
 * URL's normal rate" for any URL in bounded memory.
 *
 * Row positions use double hashing on the 64-bit key (Kirsch & Mitzenmacher 2006):
 * pos_i = (hi + i·lo) mod w, so one key hash serves every row.
 *
 * Serialized layout (little endian), version 1:
 *   byte 0 family = 2, byte 1 version = 1, byte 2 flags (bit 0 conservative), byte 3 0,
 *   bytes 4-5 seed hash, 6-7 reserved, bytes 8-11 width, 12-15 depth, 16-23 N (f64),
 *   then width × depth f64 counters, row-major.
 */
import { SketchError } from './errors.js';
import { DEFAULT_SEED } from './hyperloglog.js';
import { hash32, seedHash } from './hash.js';

export const CMS_FAMILY = 2;
const SERIAL_VERSION = 1;
const HEADER_BYTES = 24;

export class CountMin {
  readonly width: number;
  readonly depth: number;
  readonly seed: number;
  readonly conservative: boolean;
  private readonly table: Float64Array;
  /** Scratch positions for one update, reused (DataSketches allocates one per update; we do not). */
  private readonly pos: Int32Array;
  private n = 0;

  constructor(width: number, depth: number, opts: { seed?: number; conservative?: boolean } = {}) {
    if (!Number.isInteger(width) || width < 2 || width > 1 << 24) {
      throw new SketchError('CMS_BAD_WIDTH', `count-min width must be an integer in [2, 2^24] (w = e/ε); got ${width}`);
    }
    if (!Number.isInteger(depth) || depth < 1 || depth > 32) {
      throw new SketchError('CMS_BAD_DEPTH', `count-min depth must be an integer in [1, 32] (d = ln(1/δ)); got ${depth}`);
    }
    this.width = width;
    this.depth = depth;
    this.seed = opts.seed ?? DEFAULT_SEED;
    this.conservative = opts.conservative ?? false;
    this.table = new Float64Array(width * depth);
    this.pos = new Int32Array(depth);
  }

  /** A sketch whose estimates are within ε·N with probability ≥ 1 - δ. */
  static forError(epsilon: number, delta: number, opts: { seed?: number; conservative?: boolean } = {}): CountMin {
    if (!(epsilon > 0 && epsilon < 1)) throw new SketchError('CMS_BAD_EPSILON', `ε must be in (0, 1); got ${epsilon}`);
    if (!(delta > 0 && delta < 1)) throw new SketchError('CMS_BAD_DELTA', `δ must be in (0, 1); got ${delta}`);
    return new CountMin(Math.ceil(Math.E / epsilon), Math.ceil(Math.log(1 / delta)), opts);
  }

  /** The additive error bound ε = e / w this sketch guarantees, as a fraction of N. */
  get epsilon(): number {
    return Math.E / this.width;
  }

  get delta(): number {
    return Math.exp(-this.depth);
  }

  get total(): number {
    return this.n;
  }

  private positions(hi: number, lo: number): void {
    const w = this.width;
    const a = hash32(hi, this.seed);
    const b = hash32(lo, this.seed) | 1;
    for (let i = 0; i < this.depth; i++) this.pos[i] = i * w + ((a + Math.imul(i, b)) >>> 0) % w;
  }

  add(hi: number, lo: number, count = 1): void {
    this.positions(hi, lo);
    const t = this.table;
    const pos = this.pos;
    this.n += count;
    if (!this.conservative) {
      for (let i = 0; i < this.depth; i++) t[pos[i]!]! += count;
      return;
    }
    let min = Infinity;
    for (let i = 0; i < this.depth; i++) min = Math.min(min, t[pos[i]!]!);
    const target = min + count;
    for (let i = 0; i < this.depth; i++) if (t[pos[i]!]! < target) t[pos[i]!] = target;
  }

  estimate(hi: number, lo: number): number {
    this.positions(hi, lo);
    let min = Infinity;
    for (let i = 0; i < this.depth; i++) min = Math.min(min, this.table[this.pos[i]!]!);
    return min;
  }

  /** Multiply every counter (and N) by f: exponential decay for baselines. */
  scale(f: number): void {
    // N first: code after the loop is reached with no type feedback when V8 compiles the loop
    // on the stack (OSR), and deoptimized there — 34 times over the 2M-line bench log.
    this.n *= f;
    const t = this.table;
    for (let i = 0; i < t.length; i++) t[i]! *= f;
  }

  merge(other: CountMin): void {
    if (other === this) throw new SketchError('CMS_SELF_MERGE', 'cannot merge a count-min sketch with itself');
    if (other.width !== this.width || other.depth !== this.depth) {
      throw new SketchError(
        'CMS_SHAPE_MISMATCH',
        `cannot merge count-min ${other.width}×${other.depth} into ${this.width}×${this.depth}`,
      );
    }
    if (other.seed !== this.seed) throw new SketchError('CMS_SEED_MISMATCH', 'cannot merge count-min sketches with different seeds');
    const a = this.table;
    const b = other.table;
    for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
    this.n += other.n;
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(HEADER_BYTES + this.table.length * 8);
    const dv = new DataView(out.buffer);
    out[0] = CMS_FAMILY;
    out[1] = SERIAL_VERSION;
    out[2] = this.conservative ? 1 : 0;
    dv.setUint16(4, seedHash(this.seed), true);
    dv.setUint32(8, this.width, true);
    dv.setUint32(12, this.depth, true);
    dv.setFloat64(16, this.n, true);
    for (let i = 0; i < this.table.length; i++) dv.setFloat64(HEADER_BYTES + i * 8, this.table[i]!, true);
    return out;
  }

  static fromBytes(bytes: Uint8Array, seed = DEFAULT_SEED): CountMin {
    if (bytes.length < HEADER_BYTES) throw new SketchError('CMS_SHORT', `count-min bytes too short (${bytes.length})`);
    if (bytes[0] !== CMS_FAMILY) throw new SketchError('CMS_FAMILY', `not a count-min sketch (family ${bytes[0]})`);
    if (bytes[1] !== SERIAL_VERSION) throw new SketchError('CMS_VERSION', `unsupported count-min serial version ${bytes[1]}`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dv.getUint16(4, true) !== seedHash(seed)) throw new SketchError('CMS_SEED_MISMATCH', 'count-min bytes were written with another seed');
    const c = new CountMin(dv.getUint32(8, true), dv.getUint32(12, true), { seed, conservative: (bytes[2]! & 1) === 1 });
    if (bytes.length !== HEADER_BYTES + c.table.length * 8) throw new SketchError('CMS_CORRUPT', 'count-min payload length mismatch');
    c.n = dv.getFloat64(16, true);
    for (let i = 0; i < c.table.length; i++) c.table[i] = dv.getFloat64(HEADER_BYTES + i * 8, true);
    return c;
  }
}

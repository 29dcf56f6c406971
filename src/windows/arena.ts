/**
 * The typed arrays one step keeps (its hot URLs' and sources' per-second counts, the source
 * lists and sketches it holds until asked), carved from a few shared blocks instead of one
 * ArrayBuffer each. A quiet log's step has a few dozen hot subjects of a few requests each,
 * so the main thread made thousands of small buffers a chunk: each a calloc, a buffer object
 * and an extension the garbage collector tracks and sweeps, for ~100 bytes of counts. Views
 * keep their block alive, and a step's blocks go with the step. Arrays over 1 KiB get their own
 * buffer, as before.
 */
type Ctor<T> = new (b: ArrayBuffer, offset: number, length: number) => T;

/** The first block; each later one is twice the last, up to MAX_BLOCK. */
const FIRST_BLOCK = 4096;
const MAX_BLOCK = 65536;
/** Arrays up to this size share blocks. */
const MAX_SHARED = 1024;
/** Up to this size, an array is copied by `slice`: V8 keeps such small arrays on its heap. */
const ON_HEAP = 64;

export class Arena {
  private block: ArrayBuffer | null = null;
  private used = 0;
  private nextSize = FIRST_BLOCK;

  /** A zeroed array of n elements. */
  f64(n: number): Float64Array {
    return this.take(Float64Array, n, 8);
  }

  /** A copy of `a`, kept with the step. */
  copy<T extends Float64Array | Uint32Array | Uint8Array>(a: T): T {
    if (a.byteLength <= ON_HEAP) return a.slice() as T;
    const out = this.take(a.constructor as Ctor<T>, a.length, a.BYTES_PER_ELEMENT);
    out.set(a as never);
    return out;
  }

  private take<T>(ctor: Ctor<T>, n: number, size: number): T {
    const bytes = n * size;
    // Larger ones get a buffer of their own: a flood's source lists, whose buffers are few and
    // large (a block would save nothing and keep them for the step's life).
    if (bytes > MAX_SHARED) return new ctor(new ArrayBuffer(bytes), 0, n);
    let at = (this.used + 7) & ~7;
    if (this.block === null || at + bytes > this.block.byteLength) {
      this.block = new ArrayBuffer(this.nextSize);
      this.nextSize = Math.min(MAX_BLOCK, this.nextSize * 2);
      at = 0;
    }
    this.used = at + bytes;
    return new ctor(this.block, at, n);
  }
}

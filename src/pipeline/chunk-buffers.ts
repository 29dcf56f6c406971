/**
 * Chunk buffers in shared memory, handed to the workers and filled again once a worker has
 * answered for the chunk. Shared, because nothing crosses threads by transfer (a transfer
 * detaches the sender's buffer, which costs its thread's optimized code for good: see
 * partial/pack.ts); reused, because a buffer posted as is lives until the garbage collector of
 * every thread that saw it finds it dead — a new one per chunk raised the bench capture's peak
 * RSS by ~10 MiB — and a fresh 4 MiB buffer cost ~1.5 ms of page faults and zeroing (reuse ~0.1).
 */
export class ChunkBuffers {
  private readonly spare: SharedArrayBuffer[] = [];

  /** `keep`: buffers kept for reuse at most (those in flight, and one or two being filled). */
  constructor(private readonly keep: number) {}

  /** `n` bytes, in a buffer of at least `capacity` bytes (so that the next chunks fit it too). */
  take(n: number, capacity = n): Uint8Array {
    const b = this.spare.pop();
    return new Uint8Array(b !== undefined && b.byteLength >= n ? b : new SharedArrayBuffer(Math.max(n, capacity)), 0, n);
  }

  /** Buffers whose chunk was cut into pieces, each folded by its own task: pieces not yet given back. */
  private readonly pieces = new Map<ArrayBufferLike, number>();

  /** The buffer holds `n` pieces, each given back on its own. */
  share(b: ArrayBufferLike, n: number): void {
    this.pieces.set(b, n);
  }

  /** A buffer (or one piece of it) its worker is done with. */
  give(b: ArrayBufferLike): void {
    const n = this.pieces.get(b);
    if (n !== undefined) {
      if (n > 1) {
        this.pieces.set(b, n - 1);
        return;
      }
      this.pieces.delete(b);
    }
    if (b instanceof SharedArrayBuffer && this.spare.length < this.keep) this.spare.push(b);
  }
}

/**
 * Cut a byte stream into chunks that end on a newline, each in a buffer of its own (from
 * `alloc`: shared memory in the pipeline) that a worker reads in place.
 *
 * Chunk k holds the lines whose first byte lies in [k·chunkSize, (k+1)·chunkSize) of the
 * stream: exactly the lines a worker reading that byte range of a plain file owns
 * (src/sources/file-range.ts). So a log gives the same chunks — and the same report —
 * whether it is read as a plain file, through gzip or from stdin.
 *
 * Pull-based: the framer hands the source the free tail of the buffer to fill. A line
 * longer than `maxLine` that crosses a chunk end is skipped (its bytes dropped up to the
 * next newline) and counted in the next chunk's `skippedLong`, so line numbers stay
 * right; shorter overlong lines inside a chunk are caught by the worker. The last line
 * needs no final newline.
 */
export interface LineChunk {
  bytes: Uint8Array;
  /** Lines over maxLine skipped just before this chunk's first line. */
  skippedLong: number;
  /** Live input went quiet: the chunk holds the complete lines so far (maybe none). */
  idle?: boolean;
  /**
   * Not for idle chunks: the stream offset of bytes[0], and the byte range [lo, hi) whose lines
   * the chunk holds — the range a plain file's worker would read (see time-cut.ts).
   */
  at?: number;
  lo?: number;
  hi?: number;
}

/**
 * Fill target[offset, offset + length) with the next bytes; resolve to the count, 0 at the
 * end, or -1 when live input stayed quiet for `idleMs` (see frameFrom).
 */
/**
 * Default chunk size for logs: 4 MiB (~19,000 typical lines). Measured on the 2M-line bench
 * log at 2 threads: 1 MiB 0.63 M lines/s, 2 MiB 0.68 M, 4 MiB 0.74 M (1.03 M on 10M lines):
 * per-chunk and per-step costs (top lists, HyperLogLogs, detail, their merge on the main
 * thread) are paid for fewer, fuller pieces. In flight: 2 per thread.
 */
export const LOG_CHUNK_BYTES = 4 << 20;

export type ReadInto = (target: Uint8Array, offset: number, length: number, idleMs?: number) => Promise<number>;

/**
 * With `idleMs` (live input), a read that stays quiet that long hands out the complete lines
 * gathered so far as an `idle` chunk (possibly empty), so slow traffic is not held back; and
 * so is steady traffic too slow to fill a chunk: lines wait at most `idleMs` after the first
 * byte of their chunk arrived.
 */
export async function* frameFrom(
  read: ReadInto,
  chunkSize = LOG_CHUNK_BYTES,
  maxLine = 65536,
  idleMs = 0,
  /** Buffers of `n` bytes for the chunks (a pool of ones handed back by the workers). */
  alloc: (n: number) => Uint8Array = (n) => new Uint8Array(n),
): AsyncGenerator<LineChunk> {
  const cap = chunkSize + maxLine + 2;
  let cur = alloc(cap);
  let fill = 0;
  /** Stream offset of cur[0]. */
  let base = 0;
  /** Absolute offset of the next chunk boundary: the chunk ends with the line holding byte boundary-1. */
  let boundary = chunkSize;
  /** Dropping bytes up to the next newline (an overlong line). */
  let skipping = false;
  let skipped = 0;
  let eof = false;
  /** Live input: when the first byte still waiting in `cur` arrived. */
  let waitingSince = 0;

  for (;;) {
    if (!eof && fill < cap) {
      const n = await read(cur, fill, cap - fill, idleMs > 0 ? idleMs : undefined);
      if (n === -1) {
        const last = skipping || fill === 0 ? -1 : cur.lastIndexOf(10, fill - 1);
        if (last >= 0) {
          yield* emit(last + 1, true);
          // Live chunks end where the input paused; the next boundary counts from here.
          boundary = base + chunkSize;
        } else yield { bytes: new Uint8Array(0), skippedLong: 0, idle: true };
        continue;
      }
      if (n === 0) eof = true;
      else {
        fill += n;
        if (idleMs > 0) {
          const now = Date.now();
          if (fill === n) waitingSince = now; // the first bytes of a new chunk
          else if (now - waitingSince >= idleMs && !skipping) {
            const last = cur.lastIndexOf(10, fill - 1);
            if (last >= 0) {
              // Steady live input: hand out what has waited long enough.
              yield* emit(last + 1, true);
              boundary = base + chunkSize;
              continue;
            }
          }
        }
      }
    }
    if (skipping) {
      const nl = cur.subarray(0, fill).indexOf(10);
      if (nl < 0) {
        base += fill;
        fill = 0;
        if (eof) break;
        continue;
      }
      skipping = false;
      skipped++;
      cur.copyWithin(0, nl + 1, fill);
      base += nl + 1;
      fill -= nl + 1;
    }
    while (boundary <= base) boundary += chunkSize;
    const rel = boundary - 1 - base;
    if (rel < fill) {
      // The byte before the boundary is here: end the chunk at the first newline from it.
      // Searched in the same window a range reader has: maxLine + 2 bytes from there.
      const q = cur.subarray(0, Math.min(fill, rel + maxLine + 2)).indexOf(10, rel);
      if (q >= 0) {
        yield* emit(q + 1);
        continue;
      }
      // Same window as a range reader: maxLine + 2 bytes from the byte before the boundary.
      if (fill - rel > maxLine + 1) {
        // That line is over the limit: the chunk keeps the lines before it, the rest is skipped.
        const lastNl = rel > 0 ? cur.subarray(0, rel).lastIndexOf(10) : -1;
        if (lastNl >= 0) yield* emit(lastNl + 1);
        skipping = true;
        continue;
      }
    }
    if (eof) break;
    if (fill === cap) {
      // The boundary is further than the buffer: only possible inside one huge line.
      skipping = true;
    }
  }
  if (skipping) skipped++; // the input ended inside an overlong line
  if (fill > 0 || skipped > 0) yield { bytes: cur.subarray(0, fill), skippedLong: skipped, at: base, lo: boundary - chunkSize, hi: Math.min(boundary, base + fill) };

  function* emit(end: number, idle = false): Generator<LineChunk> {
    const next = alloc(cap);
    next.set(cur.subarray(end, fill));
    const out: LineChunk = idle ? { bytes: cur.subarray(0, end), skippedLong: skipped, idle } : { bytes: cur.subarray(0, end), skippedLong: skipped, at: base, lo: boundary - chunkSize, hi: boundary };
    skipped = 0;
    base += end;
    fill -= end;
    cur = next;
    boundary += chunkSize;
    // What is left has waited from now on (only live input keeps time).
    if (idleMs > 0) waitingSince = Date.now();
    yield out;
  }
}

/** Adapt an async iterable of byte pieces to a ReadInto (copies each piece once). */
export function readFromIterable(src: AsyncIterable<Uint8Array>): ReadInto {
  const it = src[Symbol.asyncIterator]();
  let piece: Uint8Array | null = null;
  let off = 0;
  return async (target, offset, length) => {
    while (piece === null || off >= piece.length) {
      const r = await it.next();
      if (r.done) return 0;
      piece = r.value;
      off = 0;
    }
    const n = Math.min(length, piece.length - off);
    target.set(piece.subarray(off, off + n), offset);
    off += n;
    return n;
  };
}

export function frameLines(src: AsyncIterable<Uint8Array>, chunkSize = LOG_CHUNK_BYTES, maxLine = 65536): AsyncGenerator<LineChunk> {
  return frameFrom(readFromIterable(src), chunkSize, maxLine);
}

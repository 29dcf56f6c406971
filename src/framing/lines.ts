/**
 * Cut a byte stream into chunks of about `chunkSize` bytes that end on a newline, each in
 * its own ArrayBuffer so it can be transferred to a worker.
 *
 * Pull-based: the framer hands the source the free tail of the chunk buffer to fill
 * (`read(target, offset, length)`), so a plain file is read by the kernel straight into
 * the buffer that goes to the worker — no stream buffers, no copy. Only the partial last
 * line of a chunk is copied, into the next chunk.
 *
 * A line longer than `maxLine` that reaches the end of a chunk is skipped here (its bytes
 * are dropped up to the next newline) and counted in the next chunk's `skippedLong`, so
 * line numbers stay right; shorter overlong lines inside a chunk are caught by the worker.
 * The last line needs no final newline.
 */
export interface LineChunk {
  bytes: Uint8Array;
  /** Lines over maxLine skipped just before this chunk's first line. */
  skippedLong: number;
}

/** Fill target[offset, offset + length) with the next bytes; resolve to the count, 0 at the end. */
export type ReadInto = (target: Uint8Array, offset: number, length: number) => Promise<number>;

export async function* frameFrom(read: ReadInto, chunkSize = 1 << 20, maxLine = 65536): AsyncGenerator<LineChunk> {
  const cap = Math.max(chunkSize, maxLine + 1);
  let cur = new Uint8Array(cap);
  let fill = 0;
  let skipping = false;
  let skipped = 0;
  for (;;) {
    const n = await read(cur, fill, cap - fill);
    if (n === 0) break;
    if (skipping) {
      // Drop bytes up to the end of the overlong line.
      const nl = cur.subarray(fill, fill + n).indexOf(10);
      if (nl < 0) continue; // fill stays: the next read overwrites these bytes
      skipping = false;
      skipped++;
      cur.copyWithin(0, fill + nl + 1, fill + n);
      fill = fill + n - (fill + nl + 1);
    } else {
      fill += n;
    }
    if (fill < cap) continue;
    const last = cur.lastIndexOf(10, fill - 1);
    if (last < 0) {
      // A whole chunk without a newline: one line longer than the chunk. Skip it.
      skipping = true;
      fill = 0;
      continue;
    }
    const next = new Uint8Array(cap);
    const tail = fill - (last + 1);
    if (tail > maxLine) skipping = true;
    else next.set(cur.subarray(last + 1, fill));
    yield { bytes: cur.subarray(0, last + 1), skippedLong: skipped };
    skipped = 0;
    cur = next;
    fill = skipping ? 0 : tail;
  }
  if (skipping) skipped++; // the input ended inside an overlong line
  if (fill > 0 || skipped > 0) yield { bytes: cur.subarray(0, fill), skippedLong: skipped };
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

export function frameLines(src: AsyncIterable<Uint8Array>, chunkSize = 1 << 20, maxLine = 65536): AsyncGenerator<LineChunk> {
  return frameFrom(readFromIterable(src), chunkSize, maxLine);
}

/**
 * Cut a byte stream into chunks of about `chunkSize` bytes that end on a newline, each in
 * its own ArrayBuffer so it can be transferred to a worker. Bytes are copied once.
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

export async function* frameLines(src: AsyncIterable<Uint8Array>, chunkSize = 1 << 20, maxLine = 65536): AsyncGenerator<LineChunk> {
  const cap = Math.max(chunkSize, maxLine + 1);
  let cur = new Uint8Array(cap);
  let fill = 0;
  let skipping = false;
  let skipped = 0;
  for await (const data of src) {
    let off = 0;
    while (off < data.length) {
      if (skipping) {
        const nl = data.indexOf(10, off);
        if (nl < 0) {
          off = data.length;
          break;
        }
        skipping = false;
        skipped++;
        off = nl + 1;
        continue;
      }
      const n = Math.min(cap - fill, data.length - off);
      cur.set(data.subarray(off, off + n), fill);
      fill += n;
      off += n;
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
  }
  if (skipping) {
    // The input ended inside an overlong line.
    skipped++;
  }
  if (fill > 0 || skipped > 0) yield { bytes: cur.subarray(0, fill), skippedLong: skipped };
}

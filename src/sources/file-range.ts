/**
 * Parallel reading of a plain file without a reader thread: the file is cut into fixed
 * byte ranges, and a line belongs to the range that holds its first byte. A worker reads
 * its range with pread (plus up to maxLine bytes past its end, to finish its last line)
 * through the main thread's descriptor of the file (threads share descriptors), so file
 * bytes are never read, copied or transferred by the main thread, and a file removed while
 * it is read (logrotate) is read to its end.
 *
 *        start-1  start                                   end          end+maxLine
 *   ...───┬──────┬─────────────────────────────────────────┬──────────────┬───
 *         │ \n?  │ first owned line … … … last owned line──┼──→ its \n    │
 *
 * If the byte before `start` is a newline, the range begins with a line; otherwise its
 * first line starts after the first newline at or after `start`. A range inside one
 * line longer than itself owns no line. A last line whose newline is not within maxLine
 * bytes is over the limit: it is reported as one overlong line, and its bytes belong to
 * no one (the next ranges skip to their first newline).
 */
import { readSync } from 'node:fs';

export interface OwnedLines {
  /** The owned lines, a view into the scratch buffer. */
  bytes: Uint8Array;
  /** 1 when the range's last line was longer than maxLine and was skipped. */
  overlongTail: number;
}

/**
 * The lines owned by [start, end) of the file open as `fd`, `size` bytes long when the run
 * started. A file that has shrunk since (truncated in place: logrotate's copytruncate) is an
 * error saying so: what is there now is not what the ranges were cut from.
 */
export function readOwnedLines(fd: number, start: number, end: number, size: number, scratch: Buffer, maxLine: number): OwnedLines {
  const from = start === 0 ? 0 : start - 1;
  const to = Math.min(size, end + maxLine + 1);
  const want = to - from;
  if (want > scratch.length) throw new Error(`range of ${want} bytes does not fit the ${scratch.length}-byte buffer`);
  let got = 0;
  while (got < want) {
    const n = readSync(fd, scratch, got, want - got, from + got);
    if (n === 0) {
      throw new Error(`it ends at byte ${from + got} now, and had ${size} bytes when the run started (truncated while being read: logrotate's copytruncate?)`);
    }
    got += n;
  }
  const empty = { bytes: scratch.subarray(0, 0), overlongTail: 0 };
  const rangeEnd = Math.min(end, from + got) - from; // relative end of the range
  let s = 0;
  if (start > 0) {
    const nl = scratch.indexOf(10, 0);
    if (nl < 0 || nl >= got) return empty;
    s = nl + 1;
  }
  if (s >= rangeEnd) return empty;
  // The last owned line is the one holding byte end-1; it ends at the first newline from there.
  const q = scratch.indexOf(10, rangeEnd - 1);
  if (q >= 0 && q < got) return { bytes: scratch.subarray(s, q + 1), overlongTail: 0 };
  if (from + got >= size) return { bytes: scratch.subarray(s, got), overlongTail: 0 };
  // No newline within maxLine: that last line is over the limit.
  const lastNl = scratch.lastIndexOf(10, rangeEnd - 1);
  if (lastNl < s) return { bytes: scratch.subarray(0, 0), overlongTail: 1 };
  return { bytes: scratch.subarray(s, lastNl + 1), overlongTail: 1 };
}

/** Prefix of a worker's error message when its byte range could not be read. */
export const READ_FAILED = 'floodscope: range read failed: ';

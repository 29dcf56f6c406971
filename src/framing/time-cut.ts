/**
 * Cutting a log chunk by event time, the same way whatever reads it.
 *
 * A chunk of a busy log holds a step or two of log time; a chunk of a quiet one holds
 * hundreds (a 4 MiB chunk of a log at 10 requests/s: ~2,000 s), and each step of a chunk is
 * a bucket of summaries built in the worker, sent and merged: a quiet log's chunks were its
 * peak memory (a day at 10 requests/s: 313 MiB). So a byte range [a, b) whose first and last
 * lines are more than `span` seconds apart is halved, and the halves likewise, down to
 * `minBytes`: a quiet log's chunks hold ~`span` seconds, a busy log's are not cut.
 *
 * The cuts are a function of the bytes only — the times of the lines found near fixed
 * offsets — so a plain file read in ranges by the workers (the probes read with pread) and
 * the same log framed on the main thread (gzip, stdin: probed in memory) give the same
 * pieces, hence the same report. A piece [m, n) owns the lines whose first byte lies in it,
 * as a range does (src/sources/file-range.ts).
 *
 * The probes, for an offset x:
 *   after(x):  the first line starting in [x, x + PROBE_BYTES) that is at most PROBE_LINE
 *              bytes long (newline included) and parses;
 *   before(x): the last such line starting in [x - PROBE_BYTES, x).
 * A line starts at byte 0 or after a newline. A range is cut only when both probes of its
 * two ends found a time; a log without times in those places is read as it was.
 */
/** A piece holds about this many steps of log time at most (unless it is minBytes). */
export const CUT_STEPS = 20;
export const PROBE_BYTES = 8192;
export const PROBE_LINE = 8192;
/** Pieces are not cut below this size (the busy log's per-chunk costs stay what they were). */
export const MIN_CUT_BYTES = 64 * 1024;

export interface TimeProbe {
  after(x: number): number | null;
  before(x: number): number | null;
}

/**
 * The offsets, strictly between a and b and ascending, where [a, b) is cut so that each
 * piece's first and last lines are at most `span` seconds apart (or the piece is minBytes).
 */
export function timeCuts(a: number, b: number, span: number, probe: TimeProbe, minBytes = MIN_CUT_BYTES): number[] {
  const cuts: number[] = [];
  const split = (lo: number, hi: number, tLo: number | null): void => {
    if (hi - lo < 2 * minBytes || tLo === null) return;
    const tHi = probe.before(hi);
    if (tHi === null || tHi - tLo <= span) return;
    const mid = lo + Math.floor((hi - lo) / 2);
    split(lo, mid, tLo);
    cuts.push(mid);
    split(mid, hi, probe.after(mid));
  };
  split(a, b, probe.after(a));
  return cuts;
}

/** Time of the line [s, e) (newline excluded), or null when it does not parse. */
export type LineTime = (bytes: Uint8Array, s: number, e: number) => number | null;

/**
 * Probes over bytes in memory: `bytes[0]` is stream offset `at` and starts a line (the framer
 * hands out whole lines), and the bytes run to the end of the line holding the range's last
 * byte. A piece's probes never reach before `at` (they lie ≥ 2·minBytes − PROBE_BYTES into it).
 */
export function memoryProbe(bytes: Uint8Array, at: number, lineTime: LineTime): TimeProbe {
  return {
    after: (x) => firstTime(bytes, Math.max(0, x - at), Math.min(bytes.length, x - at + PROBE_BYTES), true, lineTime),
    before: (x) => lastTime(bytes, Math.max(0, x - at - PROBE_BYTES), Math.min(bytes.length, x - at), true, lineTime),
  };
}

/**
 * Probes over a file read with pread (`read` fills `into` from file offset `from` and returns
 * the count, short at the end of the file) into `scratch`.
 */
export function fileProbe(read: (into: Uint8Array, from: number) => number, lineTime: LineTime): TimeProbe {
  const scratch = new Uint8Array(PROBE_BYTES + PROBE_LINE + 1);
  return {
    after: (x) => {
      const from = Math.max(0, x - 1);
      const n = read(scratch, from);
      return firstTime(scratch.subarray(0, n), x - from, Math.min(n, x - from + PROBE_BYTES), x === 0, lineTime);
    },
    before: (x) => {
      const from = Math.max(0, x - PROBE_BYTES - 1);
      const n = read(scratch, from);
      return lastTime(scratch.subarray(0, n), Math.max(0, x - PROBE_BYTES - from), Math.min(n, x - from), from === 0, lineTime);
    },
  };
}

/**
 * Time of the line starting at s, if it is whole in b within PROBE_LINE bytes (newline
 * included) and parses. A line longer than that, or cut off by the end of the bytes at hand,
 * finds nothing: the same for a file read in probes and a stream in memory.
 */
function timeAt(b: Uint8Array, s: number, lineTime: LineTime): number | null | undefined {
  const e = b.subarray(0, Math.min(b.length, s + PROBE_LINE)).indexOf(10, s);
  if (e < 0) return undefined;
  return lineTime(b, s, e > s && b[e - 1] === 13 ? e - 1 : e);
}

/**
 * The first line starting in [lo, hi) of b that has a time (see timeAt). `startsLine`: b[0]
 * starts a line (the start of the stream, or of the framer's bytes); elsewhere a line starts
 * after a newline.
 */
function firstTime(b: Uint8Array, lo: number, hi: number, startsLine: boolean, lineTime: LineTime): number | null {
  let s: number;
  if ((lo === 0 && startsLine) || (lo > 0 && b[lo - 1] === 10)) s = lo;
  else {
    const nl = b.indexOf(10, lo);
    if (nl < 0) return null;
    s = nl + 1;
  }
  while (s < hi) {
    const t = timeAt(b, s, lineTime);
    // Too long (the next line starts past hi, as PROBE_LINE ≥ PROBE_BYTES) or cut off.
    if (t === undefined) return null;
    if (t !== null) return t;
    s = b.indexOf(10, s) + 1;
  }
  return null;
}

/** The last line starting in [lo, hi) of b that has a time (see firstTime). */
function lastTime(b: Uint8Array, lo: number, hi: number, startsLine: boolean, lineTime: LineTime): number | null {
  let p = hi - 2; // a line starting before hi has its newline before it at ≤ hi - 2
  for (;;) {
    const nl = p >= 0 ? b.lastIndexOf(10, p) : -1;
    const s = nl + 1;
    if (s < lo || (s === 0 && !startsLine)) return null;
    const t = timeAt(b, s, lineTime);
    if (t !== null && t !== undefined) return t;
    if (s === 0) return null;
    p = s - 2;
  }
}

/**
 * One buffer for all of a Partial's typed arrays (logs and captures alike): it crosses to the
 * main thread as one transferred buffer instead of thousands of small ones. A chunk of a quiet
 * log or capture spans ~35 steps, each with its bucket's and its hot targets' and sources'
 * arrays: ~4,300 small buffers a chunk of a log at 20 requests/s, each transferred, allocated
 * and tracked by the garbage collector on both threads — a day's 1.7M-line log took 19 s of CPU
 * where the busy bench log's rate would take ~4 (session 14). The copy is a few hundred KiB a chunk.
 */
import type { CountryHist } from '../geo/country-code.js';

export type PackedArray = Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array;

/** Visits every typed array of one Partial, each replaced by what `f` returns for it. */
export type ArrayMapper = (f: <T extends PackedArray>(a: T) => T) => void;

/** A country histogram (or none) with both its arrays replaced by what `f` returns, for an ArrayMapper. */
export function mapHist(h: CountryHist | null, f: <T extends PackedArray>(a: T) => T): CountryHist | null {
  return h ? { codes: f(h.codes), counts: f(h.counts) } : h;
}

/** Copy every array `visit` reaches into one new buffer, each field becoming a view on it. */
export function packArrays(visit: ArrayMapper): ArrayBuffer {
  let bytes = 0;
  visit((a) => {
    bytes += (a.byteLength + 7) & ~7;
    return a;
  });
  const buf = new ArrayBuffer(bytes);
  let off = 0;
  visit(<T extends PackedArray>(a: T): T => {
    const view = new (a.constructor as new (b: ArrayBuffer, o: number, n: number) => T)(buf, off, a.length);
    view.set(a as never);
    off += (a.byteLength + 7) & ~7;
    return view;
  });
  return buf;
}

/** Every ArrayBuffer `visit` reaches (each once), and `extra`: a transfer list. */
export function transferList(visit: ArrayMapper, extra?: ArrayBuffer): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  if (extra !== undefined) out.add(extra);
  visit((a) => {
    if (a.buffer.byteLength > 0) out.add(a.buffer as ArrayBuffer);
    return a;
  });
  return [...out];
}

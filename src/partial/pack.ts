/**
 * One buffer for all of a Partial's typed arrays (logs and captures alike): it crosses to the
 * main thread as one shared buffer instead of thousands of small ones. A chunk of a quiet
 * log or capture spans ~35 steps, each with its bucket's and its hot targets' and sources'
 * arrays: ~4,300 small buffers a chunk of a log at 20 requests/s, each transferred, allocated
 * and tracked by the garbage collector on both threads — a day's 1.7M-line log took 19 s of CPU
 * where the busy bench log's rate would take ~4 (session 14). The copy is a few hundred KiB a chunk.
 */
import type { CountryHist } from '../geo/country-code.js';

export type PackedArray = Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array;

/**
 * Maps every typed array of one Partial through `f` into a new Partial: new objects all the way
 * down, the input left as it was (see packArrays).
 */
export type ArrayMapper<P> = (f: <T extends PackedArray>(a: T) => T) => P;

/** A country histogram (or none) with both its arrays replaced by what `f` returns, for an ArrayMapper. */
export function mapHist(h: CountryHist | null, f: <T extends PackedArray>(a: T) => T): CountryHist | null {
  return h ? { codes: f(h.codes), counts: f(h.counts) } : h;
}

/**
 * A copy of the Partial `visit` maps, with every typed array copied into one new buffer and
 * each field a view on it.
 *
 * The buffer is a SharedArrayBuffer, posted as is: nothing crosses threads by transfer. A
 * transfer detaches the sender's ArrayBuffer, and the first detach in an isolate invalidates
 * V8's ArrayBufferDetaching protector for good: every optimized function that reads a typed
 * array is thrown away, and is compiled again with a detach check on each access. A worker
 * that transferred its first Partial spent its second chunk in the interpreter (fold 90 → 190
 * ms) and every chunk after ~15 % slower (see the README's performance notes).
 *
 * The copy's objects are new (young), and the Partial the worker built is not changed: with
 * no transfer, the shared buffer lives until the worker's garbage collector finds its last
 * view dead, and views set into the worker's own objects — old by the end of a chunk, and
 * collected only by the rare full GC — kept every chunk's buffer (~0.5 MiB) alive in the
 * worker until then: +50 MiB RSS over a 2M-line log at one thread.
 */
export function packArrays<P>(visit: ArrayMapper<P>): P {
  let bytes = 0;
  visit((a) => {
    bytes += (a.byteLength + 7) & ~7;
    return a;
  });
  const buf = new SharedArrayBuffer(bytes);
  let off = 0;
  return visit(<T extends PackedArray>(a: T): T => {
    const view = new (a.constructor as new (b: SharedArrayBuffer, o: number, n: number) => T)(buf, off, a.length);
    view.set(a as never);
    off += (a.byteLength + 7) & ~7;
    return view;
  });
}

/**
 * Hashing for the hot path: MurmurHash3 (Austin Appleby, public domain) on 32-bit lanes,
 * built from Math.imul so it never leaves int32 arithmetic and never allocates.
 *
 * Keys in floodscope are either byte ranges inside a chunk (URLs, user agents, referrers)
 * or up to four 32-bit words (an IP address). Both produce a 64-bit identity as two
 * independent 32-bit halves, written into the `hash64` scratch array ([0] high, [1] low)
 * instead of a returned object, so a caller in a loop allocates nothing. A typed array,
 * not two module-level `let`s: half of all uint32 values lie outside V8's small-integer
 * range, and each store of one into a module variable allocated a 16-byte heap number —
 * two per hash, most of what the workers' young-generation GC collected.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * One DataView per underlying buffer, cached: a little-endian 32-bit read is one load
 * instead of four byte loads and shifts (the chunk buffer is the same for thousands of
 * calls in a row). Offsets passed in are relative to `bytes`, so the view is made over
 * exactly bytes' range.
 */
let lastBytes: Uint8Array | null = null;
let lastView: DataView = new DataView(new ArrayBuffer(0));
function viewOf(bytes: Uint8Array): DataView {
  if (bytes !== lastBytes) hashingOver(bytes);
  return lastView;
}

/**
 * Make the view for `bytes` now: a loop that hashes ranges of one buffer calls this before it
 * starts. The view is made once per buffer, and if the first hash of a new chunk made it, the
 * branch that does so ran only then — once a chunk, never while V8 gathered type feedback in
 * the compiled loop — and threw the whole inlined loop back to the interpreter at the start
 * of the second chunk (the worker's fold, see LogFolder.scan).
 */
export function hashingOver(bytes: Uint8Array): void {
  lastBytes = bytes;
  lastView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The two 32-bit halves of the last 64-bit hash computed ([0] high, [1] low); read right after the call. */
export const hash64 = new Uint32Array(2);

/**
 * Murmur's finalizer. Returns the 32 bits as an int32 (not `>>> 0`): an int32 is always a
 * small integer to V8, while a uint32 past 2^31 becomes a heap number whenever it is
 * returned from a call that was not inlined. Every user takes the bits (stores them in a
 * Uint32Array, compares keys with `>>> 0`, or reduces with `& mask` / `>>> 0`).
 */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH(h: number, k: number): number {
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * 64-bit hash of bytes[start, end): two MurmurHash3_x86_32 lanes with different seeds,
 * computed in one pass over the input (one read, two mixes per 4-byte block).
 */
export function hashBytes(bytes: Uint8Array, start: number, end: number, seed: number): void {
  let h1 = seed | 0;
  let h2 = (seed ^ 0x9e3779b9) | 0;
  const len = end - start;
  const blocksEnd = start + (len & ~3);
  const dv = viewOf(bytes);
  let i = start;
  for (; i < blocksEnd; i += 4) {
    const k = mixK(dv.getInt32(i, true));
    h1 = mixH(h1, k);
    h2 = mixH(h2 ^ 0x5bd1e995, k);
  }
  const rem = len & 3;
  if (rem !== 0) {
    let tail = bytes[i]!;
    if (rem > 1) tail |= bytes[i + 1]! << 8;
    if (rem > 2) tail |= bytes[i + 2]! << 16;
    tail = mixK(tail);
    h1 ^= tail;
    h2 ^= tail;
  }
  const hi = fmix32(h1 ^ len);
  hash64[0] = hi;
  hash64[1] = fmix32(h2 ^ len ^ hi);
}

/**
 * 32-bit MurmurHash3_x86_32 of bytes[start, end): one lane, half the work of hashBytes.
 * For keys that only need to be told apart inside one chunk (user agents, referrers),
 * where a rare collision merges two entries of a top list and costs nothing else.
 */
export function hashBytes32(bytes: Uint8Array, start: number, end: number, seed: number): number {
  let h = seed | 0;
  const len = end - start;
  const blocksEnd = start + (len & ~3);
  const dv = viewOf(bytes);
  let i = start;
  for (; i < blocksEnd; i += 4) {
    h = mixH(h, mixK(dv.getInt32(i, true)));
  }
  const rem = len & 3;
  if (rem !== 0) {
    let tail = bytes[i]!;
    if (rem > 1) tail |= bytes[i + 1]! << 8;
    if (rem > 2) tail |= bytes[i + 2]! << 16;
    h ^= mixK(tail);
  }
  return fmix32(h ^ len);
}

/** 64-bit hash of four 32-bit words (an IP address as stored by the parsers). */
export function hashWords(w0: number, w1: number, w2: number, w3: number, seed: number): void {
  let h1 = seed | 0;
  let h2 = (seed ^ 0x9e3779b9) | 0;
  let k = mixK(w0);
  h1 = mixH(h1, k);
  h2 = mixH(h2 ^ 0x5bd1e995, k);
  k = mixK(w1);
  h1 = mixH(h1, k);
  h2 = mixH(h2 ^ 0x5bd1e995, k);
  k = mixK(w2);
  h1 = mixH(h1, k);
  h2 = mixH(h2 ^ 0x5bd1e995, k);
  k = mixK(w3);
  h1 = mixH(h1, k);
  h2 = mixH(h2 ^ 0x5bd1e995, k);
  const hi = fmix32(h1 ^ 16);
  hash64[0] = hi;
  hash64[1] = fmix32(h2 ^ 16 ^ hi);
}

/** 32-bit hash of one 32-bit value: for deriving row hashes from a 64-bit identity. */
export function hash32(x: number, seed: number): number {
  return fmix32(mixH(seed | 0, mixK(x)) ^ 4);
}

/** Stable 32-bit fingerprint of a seed, written into serialized sketches (DataSketches' "seed hash"). */
export function seedHash(seed: number): number {
  return hash32(seed, 0x2f1b3c4d) & 0xffff;
}

/** Cheap 32-bit mix of four words for hash-table probing (not for sketches' estimates). */
export function mixWords(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ w1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ w2, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16) ^ w3, 0x165667b1);
  // int32, not uint32 (see fmix32): every caller masks it.
  return h ^ (h >>> 15);
}

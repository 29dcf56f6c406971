/**
 * Top-k selection over the folds' per-chunk counts (shared by the log and packet folders):
 * a quickselect threshold first, so only the candidates are sorted.
 */

/**
 * The `limit` slots with the largest counts, largest first; ties by slot (first seen).
 * Full sort only when few; otherwise a threshold from quickselect keeps the sort small.
 */
export function topSlots(slots: Int32Array, n: number, counts: Float64Array, limit: number): number[] {
  const cand = candidates(n);
  let m = 0;
  if (n <= limit * 2) {
    for (let k = 0; k < n; k++) cand[m++] = slots[k]!;
  } else {
    const vals = scratch(n);
    for (let k = 0; k < n; k++) vals[k] = counts[slots[k]!]!;
    const cut = kthLargest(vals, limit, n);
    for (let k = 0; k < n; k++) if (counts[slots[k]!]! >= cut) cand[m++] = slots[k]!;
  }
  if (m <= SMALL) {
    // Insertion sort: a bucket's few hot subjects, sorted by Array#sort, allocated its work
    // arrays each time (a quarter of all a worker allocated on a quiet log).
    for (let i = 1; i < m; i++) {
      const x = cand[i]!;
      const cx = counts[x]!;
      let j = i - 1;
      while (j >= 0 && (counts[cand[j]!]! < cx || (counts[cand[j]!]! === cx && cand[j]! > x))) {
        cand[j + 1] = cand[j]!;
        j--;
      }
      cand[j + 1] = x;
    }
    const out = new Array<number>(Math.min(m, limit));
    for (let i = 0; i < out.length; i++) out[i] = cand[i]!;
    return out;
  }
  const arr = listOf(cand, m);
  arr.sort((a, b) => counts[b]! - counts[a]! || a - b);
  return arr.length > limit ? arr.slice(0, limit) : arr;
}

/** The first m of `a` as an array. */
function listOf(a: Int32Array, m: number): number[] {
  const out = new Array<number>(m);
  for (let i = 0; i < m; i++) out[i] = a[i]!;
  return out;
}

/** Up to this many candidates are sorted in place by insertion. */
const SMALL = 32;

/** Candidate slots or places, reused. */
let candidateSlots = new Int32Array(1024);
function candidates(n: number): Int32Array {
  if (candidateSlots.length < n) candidateSlots = new Int32Array(Math.max(n, candidateSlots.length * 2));
  return candidateSlots;
}

/** Counts to select from, reused (a fresh array each call was an allocation per bucket and subject). */
let scratchVals = new Float64Array(1024);
function scratch(n: number): Float64Array {
  if (scratchVals.length < n) scratchVals = new Float64Array(Math.max(n, scratchVals.length * 2));
  return scratchVals;
}

/** The k-th largest value (1-based) of vals[0, n), which are reordered (Hoare quickselect). */
function kthLargest(vals: Float64Array, k: number, n: number): number {
  let lo = 0;
  let hi = n - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = vals[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (vals[i]! > pivot) i++;
      while (vals[j]! < pivot) j--;
      if (i <= j) {
        const t = vals[i]!;
        vals[i] = vals[j]!;
        vals[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return vals[target]!;
}

/** Top `limit` of a flat [slot, count, …] list, largest count first; ties by slot. */
export function topPairs(pairs: ArrayLike<number>, limit: number): number[] {
  const n = pairs.length / 2;
  const idx = candidates(n);
  let m = 0;
  if (n <= limit * 2) {
    for (let k = 0; k < n; k++) idx[m++] = k;
  } else {
    const vals = scratch(n);
    for (let k = 0; k < n; k++) vals[k] = pairs[k * 2 + 1]!;
    const cut = kthLargest(vals, limit, n);
    for (let k = 0; k < n; k++) if (pairs[k * 2 + 1]! >= cut) idx[m++] = k;
  }
  let order: ArrayLike<number> = idx;
  if (m <= SMALL) {
    for (let i = 1; i < m; i++) {
      const x = idx[i]!;
      const cx = pairs[x * 2 + 1]!;
      const sx = pairs[x * 2]!;
      let j = i - 1;
      while (j >= 0 && (pairs[idx[j]! * 2 + 1]! < cx || (pairs[idx[j]! * 2 + 1]! === cx && pairs[idx[j]! * 2]! > sx))) {
        idx[j + 1] = idx[j]!;
        j--;
      }
      idx[j + 1] = x;
    }
  } else {
    order = listOf(idx, m).sort((a, b) => pairs[b * 2 + 1]! - pairs[a * 2 + 1]! || pairs[a * 2]! - pairs[b * 2]!);
  }
  const out = new Array<number>(Math.min(m, limit) * 2);
  for (let i = 0; i < out.length / 2; i++) {
    const k = order[i]!;
    out[i * 2] = pairs[k * 2]!;
    out[i * 2 + 1] = pairs[k * 2 + 1]!;
  }
  return out;
}

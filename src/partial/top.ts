/**
 * Top-k selection over the folds' per-chunk counts (shared by the log and packet folders):
 * a quickselect threshold first, so only the candidates are sorted.
 */

/**
 * The `limit` slots with the largest counts, largest first; ties by slot (first seen).
 * Full sort only when few; otherwise a threshold from quickselect keeps the sort small.
 */
export function topSlots(slots: Int32Array, n: number, counts: Float64Array, limit: number): number[] {
  const arr: number[] = [];
  if (n <= limit * 2) {
    for (let k = 0; k < n; k++) arr.push(slots[k]!);
  } else {
    const vals = scratch(n);
    for (let k = 0; k < n; k++) vals[k] = counts[slots[k]!]!;
    const cut = kthLargest(vals, limit, n);
    for (let k = 0; k < n; k++) if (counts[slots[k]!]! >= cut) arr.push(slots[k]!);
  }
  arr.sort((a, b) => counts[b]! - counts[a]! || a - b);
  return arr.length > limit ? arr.slice(0, limit) : arr;
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
  let idx: number[] = [];
  if (n <= limit * 2) {
    for (let k = 0; k < n; k++) idx.push(k);
  } else {
    const vals = scratch(n);
    for (let k = 0; k < n; k++) vals[k] = pairs[k * 2 + 1]!;
    const cut = kthLargest(vals, limit, n);
    for (let k = 0; k < n; k++) if (pairs[k * 2 + 1]! >= cut) idx.push(k);
  }
  idx.sort((a, b) => pairs[b * 2 + 1]! - pairs[a * 2 + 1]! || pairs[a * 2]! - pairs[b * 2]!);
  if (idx.length > limit) idx = idx.slice(0, limit);
  const out: number[] = [];
  for (const k of idx) out.push(pairs[k * 2]!, pairs[k * 2 + 1]!);
  return out;
}

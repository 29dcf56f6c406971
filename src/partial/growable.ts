/**
 * Typed arrays that grow (doubling) and keep their contents: scratch columns of the
 * worker folds, sized once per chunk and reused for every chunk after.
 */
export class GrowableI32 {
  a: Int32Array;
  /** Value of cells never written (-1 for rank and mark arrays). */
  private readonly fillValue: number;
  constructor(n: number, fillValue = 0) {
    this.a = new Int32Array(n);
    this.fillValue = fillValue;
    if (fillValue !== 0) this.a.fill(fillValue);
  }
  ensure(n: number): Int32Array {
    if (n > this.a.length) {
      const g = new Int32Array(Math.max(n, this.a.length * 2));
      if (this.fillValue !== 0) g.fill(this.fillValue, this.a.length);
      g.set(this.a);
      this.a = g;
    }
    return this.a;
  }
}

export class GrowableF64 {
  a: Float64Array;
  constructor(n = 4096) {
    this.a = new Float64Array(n);
  }
  ensure(n: number): Float64Array {
    if (n > this.a.length) {
      const g = new Float64Array(Math.max(n, this.a.length * 2));
      g.set(this.a);
      this.a = g;
    }
    return this.a;
  }
}

/**
 * Group record numbers 0..n-1 by their bucket (counting sort into `order`); returns
 * `starts`, so bucket k's records are order[starts[k] .. starts[k+1]). Identity when
 * there is one bucket (the common case: a chunk within one step).
 */
export function groupByBucket(n: number, bucketOf: Int32Array, perBucket: readonly number[], order: Int32Array): Int32Array {
  const nb = perBucket.length;
  const starts = new Int32Array(nb + 1);
  if (nb === 1) {
    for (let i = 0; i < n; i++) order[i] = i;
    starts[1] = n;
  } else if (nb > 1) {
    for (let k = 0; k < nb; k++) starts[k + 1] = starts[k]! + perBucket[k]!;
    const fill = starts.slice(0, nb);
    for (let i = 0; i < n; i++) order[fill[bucketOf[i]!]!++] = i;
  }
  return starts;
}

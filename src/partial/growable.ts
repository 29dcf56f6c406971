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

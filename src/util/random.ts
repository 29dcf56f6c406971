/**
 * Small seeded PRNG (SplitMix32 → Mulberry32 style) for generators and tests: the same
 * seed gives the same stream on every platform, which is what fixtures and ground truth need.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Zipf-like rank in [0, n): rank r has weight 1 / (r + 1)^s, by inverse transform on a precomputed CDF. */
  static zipfCdf(n: number, s: number): Float64Array {
    const cdf = new Float64Array(n);
    let sum = 0;
    for (let r = 0; r < n; r++) {
      sum += 1 / Math.pow(r + 1, s);
      cdf[r] = sum;
    }
    for (let r = 0; r < n; r++) cdf[r]! /= sum;
    return cdf;
  }

  fromCdf(cdf: Float64Array): number {
    const x = this.next();
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Exponential inter-arrival with the given rate (events per unit). */
  exp(rate: number): number {
    return -Math.log(1 - this.next()) / rate;
  }
}

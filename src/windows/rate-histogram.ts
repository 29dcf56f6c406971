/**
 * The distribution of per-source request rates in normal traffic, for limits that stop a
 * flood's sources and not the legitimate ones ("--suggest-limits").
 *
 * One observation per (source, step) of a bucket that left the window while no alert was
 * open: its requests in that step divided by the step. Heavy sources come from the
 * bucket's top list with their counts; the rest of the bucket's distinct sources (HLL) are
 * all below the list's smallest count and are counted in the lowest bin that holds it.
 * Bins are 0.05 req/s wide up to 500 req/s (10,000 Float64 cells).
 */
const BIN = 0.05;
const BINS = 10_000;

export class RateHistogram {
  private readonly bins = new Float64Array(BINS);
  total = 0;

  add(rate: number, weight = 1): void {
    const i = Math.min(BINS - 1, Math.floor(rate / BIN));
    this.bins[i]! += weight;
    this.total += weight;
  }

  /** The rate below which a fraction q of observations lie (upper edge of its bin). */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const want = q * this.total;
    let acc = 0;
    for (let i = 0; i < BINS; i++) {
      acc += this.bins[i]!;
      if (acc >= want) return (i + 1) * BIN;
    }
    return BINS * BIN;
  }

  /** Observations above a rate. */
  above(rate: number): number {
    let n = 0;
    for (let i = Math.min(BINS, Math.ceil(rate / BIN)); i < BINS; i++) n += this.bins[i]!;
    return n;
  }
}

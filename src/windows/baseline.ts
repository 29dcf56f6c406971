/**
 * What "normal" looks like, learned from the same input: per-URL request counts per
 * step as an exponentially weighted moving average, kept in a decayed count-min sketch so
 * any URL's baseline can be asked for in bounded memory. Also the EWMA of total requests.
 *
 * The baseline learns a bucket only once it has left the detection window, and never
 * learns a URL while an alert on it is open, so an attack does not become its own normal.
 */
import { CountMin } from '../sketches/count-min.js';
import type { StepBucket } from './bucket.js';

const EMPTY_SALT = 0x5a17e3b1;

export class Baseline {
  private readonly cms = CountMin.forError(0.002, 0.02, { conservative: false });
  private readonly alpha: number;
  private readonly step: number;
  /** Number of buckets learned; 0 = no history yet. */
  learned = 0;
  totalPerStep = 0;

  constructor(alpha: number, step: number) {
    this.alpha = alpha;
    this.step = step;
  }

  /** Decay for `n` steps with no traffic (gaps in the log). */
  decay(n: number): void {
    if (n <= 0) return;
    const f = Math.pow(1 - this.alpha, n);
    this.cms.scale(f);
    this.totalPerStep *= f;
  }

  /** `learnTotal` false: keep the total where it was (a site-wide surge is open). */
  learn(b: StepBucket, excludeUrls: ReadonlySet<string>, learnTotal = true): void {
    const a = this.alpha;
    const total = this.totalPerStep;
    this.decay(1);
    this.totalPerStep = learnTotal ? this.totalPerStep + a * b.requests : total;
    for (const [key, u] of b.urls) {
      if (excludeUrls.has(key)) continue;
      this.cms.add(u.w0, u.w1, a * u.count);
      this.cms.add((u.w0 ^ EMPTY_SALT) >>> 0, u.w1, a * u.emptyRef);
    }
    this.learned++;
  }

  /** Baseline request rate of a URL, req/s (an upper bound, count-min style). */
  urlRate(w0: number, w1: number): number {
    return this.cms.estimate(w0, w1) / this.step;
  }

  emptyRefRate(w0: number, w1: number): number {
    return this.cms.estimate((w0 ^ EMPTY_SALT) >>> 0, w1) / this.step;
  }

  totalRate(): number {
    return this.totalPerStep / this.step;
  }
}

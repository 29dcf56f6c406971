/**
 * A read-only view of one sliding window: the consecutive step buckets it covers, with
 * per-URL, per-source and per-prefix totals summed across them. Built once per step and
 * handed to every detector; distinct-source counts are computed lazily (an HLL union
 * per URL) because detectors only need them for the few URLs that pass the rate tests.
 */
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { ipKey, type StepBucket, type UrlAgg } from './bucket.js';

export interface UrlWindow {
  key: string;
  w0: number;
  w1: number;
  text: string;
  count: number;
  emptyRef: number;
  referred: number;
  parts: UrlAgg[];
}

export interface CountedKey {
  key: string;
  words: [number, number, number, number];
  count: number;
}

export class WindowView {
  /** Inclusive first and exclusive last epoch second. */
  readonly start: number;
  readonly end: number;
  readonly seconds: number;
  readonly buckets: readonly StepBucket[];
  readonly requests: number;
  readonly urls = new Map<string, UrlWindow>();
  readonly sources = new Map<string, CountedKey>();
  readonly prefixes = new Map<string, CountedKey>();
  /** The step index the window ends with. */
  readonly lastStep: number;

  constructor(buckets: readonly StepBucket[], lastStep: number, step: number, width: number) {
    this.buckets = buckets;
    this.lastStep = lastStep;
    this.end = (lastStep + 1) * step;
    this.start = this.end - width;
    this.seconds = width;
    let req = 0;
    for (const b of buckets) {
      req += b.requests;
      for (const [key, u] of b.urls) {
        let w = this.urls.get(key);
        if (w === undefined) {
          w = { key, w0: u.w0, w1: u.w1, text: u.text, count: 0, emptyRef: 0, referred: 0, parts: [] };
          this.urls.set(key, w);
        }
        w.count += u.count;
        w.emptyRef += u.emptyRef;
        w.referred += u.referred;
        w.parts.push(u);
      }
      sumTop(this.sources, b.topSources());
      sumTop(this.prefixes, b.topPrefixes());
    }
    this.requests = req;
  }

  /** Estimated distinct sources of a URL over the window. */
  urlDistinct(u: UrlWindow): number {
    if (u.parts.length === 1) return u.parts[0]!.hll.estimate();
    const h = new HyperLogLog(12);
    for (const p of u.parts) h.merge(p.hll);
    return h.estimate();
  }
}

function sumTop(into: Map<string, CountedKey>, top: readonly { w0: number; w1: number; w2: number; w3: number; count: number }[]): void {
  for (const e of top) {
    const key = ipKey(e.w0, e.w1, e.w2, e.w3);
    const c = into.get(key);
    if (c === undefined) into.set(key, { key, words: [e.w0, e.w1, e.w2, e.w3], count: e.count });
    else c.count += e.count;
  }
}

/**
 * A read-only view of one sliding window: the consecutive step buckets it covers, with
 * per-URL totals summed across them. Built once per step and handed to every detector.
 * Heavy sources and prefixes, and distinct-source counts, are computed on demand, only
 * for what can pass a detector's threshold.
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

type Summary = 'sources' | 'prefixes';

export class WindowView {
  /** Inclusive first and exclusive last epoch second (of the part the input covers: see the constructor). */
  readonly start: number;
  readonly end: number;
  readonly seconds: number;
  readonly buckets: readonly StepBucket[];
  readonly requests: number;
  readonly urls = new Map<string, UrlWindow>();
  /** The step index the window ends with. */
  readonly lastStep: number;

  /**
   * `inputStart`: the input's first second. A window the input began in is measured over the
   * part it covers (at least one step), not its whole width: `tail -n 1000 access_log` taken
   * during a flood holds a second or two of it, whose rates averaged over a minute passed
   * no threshold ("no attack found").
   */
  constructor(buckets: readonly StepBucket[], lastStep: number, step: number, width: number, inputStart = -Infinity) {
    this.buckets = buckets;
    this.lastStep = lastStep;
    this.end = (lastStep + 1) * step;
    this.seconds = Math.min(width, Math.max(step, this.end - Math.floor(inputStart)));
    this.start = this.end - this.seconds;
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
    }
    this.requests = req;
  }

  /**
   * Every source (or prefix) with at least `min` requests over the window, with its
   * window count. Pigeonhole: a key that reaches `min` over n buckets has at least min/n
   * in one of them, so only the head of each bucket's sorted top list is read, and the
   * candidates' counts are then summed by lookup. No per-key work for the long tail.
   */
  heavy(which: Summary, min: number): CountedKey[] {
    const n = this.buckets.length;
    if (n === 0) return [];
    const floor = min / n;
    const cand = new Map<string, [number, number, number, number]>();
    for (const b of this.buckets) {
      const top = which === 'sources' ? b.sortedSources() : b.sortedPrefixes();
      const w = top.words;
      for (let i = 0; i < top.length && top.counts[i]! >= floor; i++) {
        const key = ipKey(w[i * 4]!, w[i * 4 + 1]!, w[i * 4 + 2]!, w[i * 4 + 3]!);
        if (!cand.has(key)) cand.set(key, [w[i * 4]!, w[i * 4 + 1]!, w[i * 4 + 2]!, w[i * 4 + 3]!]);
      }
    }
    const out: CountedKey[] = [];
    for (const [key, words] of cand) {
      let count = 0;
      for (const b of this.buckets) count += (which === 'sources' ? b.sources : b.prefixes).countOf(words[0], words[1], words[2], words[3]);
      if (count >= min) out.push({ key, words, count });
    }
    return out;
  }

  /** Estimated distinct sources of a URL over the window. */
  urlDistinct(u: UrlWindow): number {
    const h = new HyperLogLog(12);
    for (const p of u.parts) p.mergeHllInto(h);
    return h.estimate();
  }
}


/**
 * An alert is a finding followed through time: opened by the first window that fires,
 * updated while windows keep firing, closed after `quiet` steps that do not. While open it
 * absorbs the target's detail from every step bucket in which the target was active
 * (at least `level` requests in some second), so its start, end, peak, totals and top
 * lists describe the attack itself and not the background before and after it.
 */
import { hash64, hashWords } from '../sketches/hash.js';
import { AlertBase } from './alert-base.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { SOURCE_SEED } from '../partial/log-folder.js';
import { addMapInto, addText, boundTexts, Queries, type StepBucket } from '../windows/bucket.js';
import type { Finding, Signature, TargetKind } from './finding.js';


/** Source summary size by target: a URL can have any number of sources, a source has one. */
const SOURCE_CAPACITY: Record<TargetKind, number> = { url: 4096, site: 4096, prefix: 1024, source: 1 };

export class Alert extends AlertBase<StepBucket> {
  declare signature: Signature;
  readonly kind: TargetKind;
  requests = 0;
  /** Of them, those that carried a referrer (URL alerts). */
  referredRequests = 0;
  /** Of them, those answered 5xx (URL alerts). */
  errorRequests = 0;
  readonly uas = new Map<string, number>();
  readonly urls = new Map<string, number>();
  readonly refs = new Map<string, number>();
  /** URL alerts: the query strings on its requests (the URL is keyed without them). */
  readonly queries = new Queries();
  readonly openedStep: number;

  constructor(id: number, f: Finding, step: number) {
    // A site-wide alert takes the buckets' own sketches (p = 14).
    super(id, f, SOURCE_CAPACITY[f.kind], f.kind === 'site' ? 14 : 12);
    this.kind = f.kind;
    this.openedStep = step;
  }

  /** Fold the target's detail from one sealed bucket (each bucket at most once). */
  absorb(b: StepBucket): void {
    if (this.absorbed.has(b.index)) return;
    this.absorbed.add(b.index);
    const [w0, w1, w2, w3] = this.words;
    if (this.kind === 'url') {
      const u = b.urls.get(this.key);
      if (u === undefined || !this.activeSeconds(b.start, u.perSecond)) return;
      this.requests += u.count;
      this.referredRequests += u.referred;
      this.errorRequests += u.errors;
      this.queries.merge(u.queries);
      const step = new HyperLogLog(12);
      u.mergeHllInto(step);
      this.noteSources(b.start, Math.round(step.estimate()), b.step);
      u.mergeHllInto(this.hll);
      u.addSourcesTo(this.sources.summary, this.sources.legitSummary);
      u.addTextsTo(this.uas, this.refs);
      for (const [c, n] of u.countries) this.countries.set(c, (this.countries.get(c) ?? 0) + n);
      return;
    }
    if (this.kind === 'site') {
      // Everything: the bucket's totals, its top sources, URLs and the texts of its hot
      // URLs and sources (each map kept bounded: a random-path flood has a URL per request).
      if (!this.activeSeconds(b.start, b.perSecond)) return;
      this.requests += b.requests;
      this.noteSources(b.start, Math.round(b.hll.estimate()), b.step);
      this.hll.merge(b.hll);
      this.sources.summary.addTop(b.sortedSources().head(this.sources.summary.capacity));
      for (const u of b.urls.values()) addText(this.urls, u.text, u.count);
      boundTexts(this.urls);
      for (const u of b.urls.values()) u.addTextsTo(this.uas, this.refs);
      for (const d of b.sourceDetail.values()) {
        addMapInto(this.uas, d.uas);
        addMapInto(this.refs, d.refs);
      }
      for (const [c, n] of b.countries) this.countries.set(c, (this.countries.get(c) ?? 0) + n);
      return;
    }
    if (this.kind === 'source') {
      const d = b.sourceDetail.get(this.key);
      if (d !== undefined) {
        // The detail holds what the chunks that detailed this source sent: a step split between
        // chunks, the source among the heaviest of some only, had part of its requests. The
        // step's source summary counts every request exactly while it has evicted none.
        const exact = b.sources.size < b.sources.capacity ? b.sources.countOf(w0, w1, w2, w3) : 0;
        const count = Math.max(d.count, exact);
        if (!this.activeSeconds(b.start, d.perSecond)) {
          // No detailed second at the level, but the detail may be a sliver of the step (one
          // chunk's last second or two): the step's exact count decides, as for a source not
          // detailed.
          if (count === d.count || count / b.step < this.level) return;
          this.bucketSpan(b, count);
        } else if (count > d.count) this.bucketSpan(b, count - d.count); // seconds of the rest not known: the step's span
        this.requests += count;
        this.sources.summary.add(w0, w1, w2, w3, count);
        addMapInto(this.urls, d.urls);
        addMapInto(this.uas, d.uas);
        addMapInto(this.refs, d.refs);
        for (const [c, n] of d.countries) this.countries.set(c, (this.countries.get(c) ?? 0) + n);
      } else {
        // Not among a chunk's detailed sources: bucket resolution from the top-k count.
        const c = b.sources.estimate(w0, w1, w2, w3);
        if (c / b.step < this.level) return;
        this.bucketSpan(b, c);
        this.requests += c;
        this.sources.summary.add(w0, w1, w2, w3, c);
      }
      hashWords(w0, w1, w2, w3, SOURCE_SEED);
      this.hll.add(hash64[0]!, hash64[1]!);
      return;
    }
    // Prefix: bucket resolution; members from the bucket's sources.
    const c = b.prefixes.estimate(w0, w1, w2, w3);
    if (c / b.step < this.level) return;
    this.bucketSpan(b, c);
    this.requests += c;
    const top = b.sortedSources();
    const w = top.words;
    for (const i of b.prefixMembers(w0, w1, w2, w3)) {
      const s0 = w[i * 4]!;
      const s1 = w[i * 4 + 1]!;
      const s2 = w[i * 4 + 2]!;
      const s3 = w[i * 4 + 3]!;
      this.sources.summary.add(s0, s1, s2, s3, top.counts[i]!, top.errors[i]!);
      hashWords(s0, s1, s2, s3, SOURCE_SEED);
      this.hll.add(hash64[0]!, hash64[1]!);
    }
  }

  private bucketSpan(b: StepBucket, count: number): void {
    let first = -1;
    let last = -1;
    for (let i = 0; i < b.step; i++) {
      if (b.perSecond[i]! > 0) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first < 0) return;
    this.start = Math.min(this.start, b.start + first);
    this.end = Math.max(this.end, b.start + last);
    const rate = count / (last - first + 1);
    if (rate > this.peakRate) {
      this.peakRate = rate;
      this.peakAt = b.start + first;
    }
  }

  get distinctSources(): number {
    return Math.round(this.hll.estimate());
  }

}

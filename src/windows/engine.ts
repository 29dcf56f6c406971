/**
 * The single writer on the main thread for logs: folds Partials (in chunk order) into
 * step buckets and, each time the watermark passes the end of a step (WindowedEngine),
 * runs the HTTP detectors over the window ending there and lets the baseline learn the
 * bucket that just left the window. Records for an already sealed step are "late":
 * counted in totals, not in detection.
 */
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { SpaceSaving } from '../sketches/space-saving.js';
import { C, N_COUNTERS, type BucketPartial, type Partial } from '../partial/partial.js';
import { Alert } from '../detectors/alert.js';
import type { DetectConfig } from '../detectors/config.js';
import { round, type Finding } from '../detectors/finding.js';
import { detectHttp } from '../detectors/index.js';
import { Baseline } from './baseline.js';
import { StepBucket, urlKey } from './bucket.js';
import { WindowView } from './window.js';
import { WindowedEngine, type AlertEvent } from './windowed-engine.js';
import { RateHistogram } from './rate-histogram.js';
import { firstAttack, REGULAR_MIN_COUNT, RegularSources, TrafficHistory, type RegularSource } from '../detectors/regular.js';
import { cdnInFront } from '../geo/cdn.js';

export type { AlertEvent };

/**
 * A run of seconds in which nothing at all was logged, improbable at the rate just before it:
 * the server down or restarting, its logging stopped, or a rotated file missing between two
 * given. `start` and `end`: its first and last silent second; `rateBefore`: requests per
 * second over the ten minutes before it.
 */
export interface Silence {
  start: number;
  end: number;
  rateBefore: number;
}

/**
 * A silence lasts a window (a minute) or more, where the rate before it would have logged this
 * many requests (none by chance, nor by a quiet night),
 */
const SILENCE_MIN_EXPECTED = 200;
/** and that rate was measured on this many requests at least, over the ten minutes before it. */
const SILENCE_MIN_BEFORE = 30;
const SILENCE_LOOKBACK = 600;
/** Silences kept (a log of bursts could have many); the count of the others is kept. */
const MAX_SILENCES = 100;

export interface EngineHooks {
  onAlert?: (type: AlertEvent, alert: Alert) => void;
  onWindow?: (view: WindowView, open: readonly Alert[]) => void;
  /**
   * Live: the log has been silent long enough to be a Silence (`resumed` false: it goes on, `end`
   * is now by the wall clock; said once), or a Silence ended with the records after it (true).
   */
  onSilence?: (silence: Silence, resumed: boolean) => void;
}

/** A step's heaviest sources that count towards the input's top sources (its light tail would churn the summary for nothing). */
const STEP_TOP_SOURCES = 256;

export class Engine extends WindowedEngine<StepBucket, Finding, Alert> {
  readonly cfg: DetectConfig;
  private readonly hooks: EngineHooks;
  readonly baseline: Baseline;
  private view: WindowView | null = null;

  // Totals over the whole input.
  readonly totals = new Float64Array(N_COUNTERS);
  lateRequests = 0;
  /** Requests per minute (epoch minute → count). */
  readonly perMinute = new Map<number, number>();
  /** Server errors (5xx) per minute: a step's, spread over its seconds by their requests. */
  readonly perMinuteErrors = new Map<number, number>();
  readonly allSources = new HyperLogLog(14);
  /**
   * The input's sources by requests, from each step's 256 heaviest: exact for a site of up to
   * 16,384 addresses (a summary of 256 showed a day at 10 requests/s from 5,000 addresses as
   * "2–3,376" each), heavy hitters exact past that.
   */
  readonly topSources = new SpaceSaving(16384, 256);
  /**
   * The input's URLs by requests, from each chunk's own counts (Partial.urlTotals): exact while
   * the input has at most 4,096 distinct URLs (of a step's hot URLs only, a site of 200 pages
   * at 10 requests/s showed half its pages' requests, and counts that moved with the chunks).
   */
  readonly topUrls = new SpaceSaving(4096, 256);
  readonly urlText = new Map<string, string>();
  /** Buckets that have left the window: "before" for alerts opened later. */
  private readonly history = new TrafficHistory();
  /** Per-source rates in steps without any open alert (legitimate traffic). */
  readonly normalRates = new RateHistogram();
  peakSecondRate = 0;
  peakSecondAt = 0;
  private readonly regular = new RegularSources();
  /** Silences in time order (at most MAX_SILENCES), and how many more there were. */
  readonly silences: Silence[] = [];
  silencesNotKept = 0;
  /** The last second with a record, of the steps sealed so far. */
  private lastRecord = -Infinity;
  /** Live: the first second of the silence said to be going on (see idle). */
  private silentFrom = -Infinity;

  constructor(cfg: DetectConfig, hooks: EngineHooks = {}) {
    super(cfg);
    this.cfg = cfg;
    this.hooks = hooks;
    this.baseline = new Baseline(cfg.baselineAlpha, cfg.step);
  }

  /** A Partial's URL counts (Partial.urlTotals), into the input's top URLs. */
  addUrlTotals(t: Partial['urlTotals']): void {
    const w = t.words;
    this.topUrls.reserve(t.counts.length);
    for (let k = 0; k < t.counts.length; k++) {
      const w0 = w[k * 2]!;
      const w1 = w[k * 2 + 1]!;
      this.topUrls.add(w0, w1, 0, 0, t.counts[k]!);
      const key = urlKey(w0, w1);
      if (!this.urlText.has(key)) this.urlText.set(key, t.texts[k]!);
    }
    if (this.urlText.size > 2 * this.topUrls.capacity) {
      // Keep texts only for URLs still in the top summary.
      const keep = new Set(this.topUrls.top().map((e) => urlKey(e.w0, e.w1)));
      for (const k of this.urlText.keys()) if (!keep.has(k)) this.urlText.delete(k);
    }
  }

  /** Merge one bucket of a Partial. Call `advance` after a Partial's buckets are in. */
  add(bp: BucketPartial): void {
    const step = this.cfg.step;
    for (let i = 0; i < N_COUNTERS; i++) this.totals[i]! += bp.counters[i]!;
    const base = bp.index * step;
    const late = this.isSealed(bp.index);
    const errorsPerRequest = bp.counters[C.REQUESTS]! > 0 ? bp.counters[C.S5XX]! / bp.counters[C.REQUESTS]! : 0;
    for (let i = 0; i < step; i++) {
      const c = bp.perSecond[i]!;
      if (c === 0) continue;
      const t = base + i;
      this.note(t, c, late);
      const m = Math.floor(t / 60);
      this.perMinute.set(m, (this.perMinute.get(m) ?? 0) + c);
      if (errorsPerRequest > 0) this.perMinuteErrors.set(m, (this.perMinuteErrors.get(m) ?? 0) + c * errorsPerRequest);
    }
    if (late) {
      this.lateRequests += bp.counters[C.REQUESTS]!;
      this.allSources.mergeBytes(bp.hll);
      return;
    }
    let b = this.buckets.get(bp.index);
    if (b === undefined) {
      b = new StepBucket(bp.index, step);
      this.buckets.set(bp.index, b);
    }
    b.add(bp);
  }

  protected detect(inWindow: StepBucket[], s: number): Finding[] {
    const view = new WindowView(inWindow, s, this.cfg.step, this.cfg.window, this.span()?.start);
    this.view = view;
    return view.requests > 0 ? detectHttp(view, this.baseline, this.cfg, (key) => this.urlHistory(key)) : [];
  }

  /** Requests per distinct source of the open URL alert on `key` (see UrlHistory). */
  private urlHistory(key: string): number | null {
    let most: number | null = null;
    for (const sig of ['http.repeated-url', 'http.flash-crowd']) {
      const a = this.open.get(`${sig}|${key}`);
      if (a !== undefined && a.requests > 0) most = Math.max(most ?? 0, a.requests / Math.max(1, a.distinctSources));
    }
    return most;
  }

  /** A flash crowd whose sources kept coming back is the repeated-url flood it turned out to be. */
  protected override continues(f: Finding): string | undefined {
    return f.signature === 'http.repeated-url' ? `http.flash-crowd|${f.key}` : undefined;
  }

  protected newAlert(f: Finding, s: number, inWindow: StepBucket[]): Alert {
    const a = new Alert(this.nextId++, f, s);
    this.history.stamp(a);
    for (const b of inWindow) a.absorb(b);
    // A window can fire before any single second reaches the activity level (a steady
    // rate below it): then the alert spans the window.
    if (a.start === Infinity) {
      const view = this.view!;
      a.start = Math.max(view.start, Math.floor(this.span()?.start ?? view.start));
      a.end = view.end - 1;
      a.peakRate = f.rate;
      a.peakAt = view.end - 1;
    }
    return a;
  }

  /** The site's regular sources so far (see detectors/regular.ts). */
  regularSources(): RegularSource[] {
    return this.regular.of(this.alerts);
  }

  /**
   * Share of the requests that came through a proxy (an address in X-Forwarded-For), before the
   * first attack (a flood that forges the header would make itself a "proxy" otherwise), or of
   * all of them so far when little came before.
   */
  forwardedShare(): number {
    const first = this.judgedBefore();
    const [f, n] = first !== undefined ? [first.beforeForwarded, first.beforeRequests] : [this.totals[C.XFF]!, this.totals[C.REQUESTS]!];
    return n > 0 ? round(f / n, 3) : 0;
  }

  /** The first attack alert, when enough traffic came before it to judge the site's own by. */
  private judgedBefore(): Alert | undefined {
    const first = firstAttack(this.alerts);
    return first !== undefined && first.beforeRequests >= REGULAR_MIN_COUNT ? first : undefined;
  }

  private cdnFixed: { name: string; share: number } | null | undefined;

  /**
   * The CDN the site is behind (geo/cdn.ts), by the traffic before the first attack (a flood
   * sent from a CDN's serverless functions to a site not behind it comes from its ranges too;
   * fixed from then on), or by all of it so far when little came before.
   */
  cdn(): { name: string; share: number } | null {
    if (this.cdnFixed !== undefined) return this.cdnFixed;
    const first = this.judgedBefore();
    if (first !== undefined) return (this.cdnFixed = cdnInFront(first.before, first.beforeRequests));
    // Asked for every live alert event: judged again only when requests came in since.
    const n = this.totals[C.REQUESTS]!;
    if (this.cdnSoFar === undefined || this.cdnSoFar.at !== n) this.cdnSoFar = { at: n, cdn: cdnInFront(this.topSources.top(STEP_TOP_SOURCES), n) };
    return this.cdnSoFar.cdn;
  }

  private cdnSoFar: { at: number; cdn: { name: string; share: number } | null } | undefined;

  protected emit(type: AlertEvent, a: Alert): void {
    this.hooks.onAlert?.(type, a);
  }

  protected afterWindow(): void {
    if (this.view !== null) this.hooks.onWindow?.(this.view, this.openAlerts());
  }

  protected onGap(steps: number): void {
    this.baseline.decay(steps);
  }

  /** The bucket leaving the window becomes history (never a URL under an open alert). */
  protected retire(b: StepBucket): void {
    const exclude = new Set<string>();
    let site = false;
    for (const a of this.open.values()) {
      if (a.kind === 'url') exclude.add(a.key);
      else if (a.kind === 'site') site = true;
    }
    this.baseline.learn(b, exclude, !site);
    const top = b.sortedSources();
    this.history.sources.addTop(top.head(this.history.sources.capacity));
    this.history.requests += b.requests;
    this.history.forwarded += b.counters[C.XFF]!;
    this.history.addCountries(b.countries);
    this.history.endStep();
    if (this.open.size === 0 && top.length > 0) {
      for (let i = 0; i < top.length; i++) this.normalRates.add(top.counts[i]! / b.step);
      // Sources below the top list: fewer requests than its smallest entry.
      const rest = Math.max(0, Math.round(b.hll.estimate()) - top.length);
      if (rest > 0) this.normalRates.add(top.counts[top.length - 1]! / b.step, rest);
    }
  }

  protected onSeal(b: StepBucket): void {
    this.foldTotals(b);
    const ps = b.perSecond;
    let first = 0;
    while (first < ps.length && ps[first] === 0) first++;
    if (first === ps.length) return;
    let last = ps.length - 1;
    while (ps[last] === 0) last--;
    const x = this.lastRecord > -Infinity ? this.silence(this.lastRecord + 1, b.start + first - 1) : null;
    this.lastRecord = b.start + last;
    if (x === null) return;
    if (this.silences.length < MAX_SILENCES) this.silences.push(x);
    else this.silencesNotKept++;
    this.hooks.onSilence?.(x, true);
  }

  /**
   * Live input with no new records: wall time moves event time on (WindowedEngine.idle), and a
   * log silent long enough, after a rate that makes it improbable, is said while it lasts.
   */
  override idle(seconds: number): void {
    super.idle(seconds);
    if (this.hooks.onSilence === undefined || this.maxTime === -Infinity) return;
    const from = this.maxTime + 1;
    if (from === this.silentFrom) return;
    const x = this.silence(from, this.now);
    if (x === null) return;
    this.silentFrom = from;
    this.hooks.onSilence(x, false);
  }

  /** Seconds `from`..`to` had no record: a Silence if improbable at the rate before, else null. */
  private silence(from: number, to: number): Silence | null {
    const seconds = to - from + 1;
    if (seconds < this.cfg.window) return null;
    // Requests per minute before it, back to the lookback or the input's start: up to the minute
    // it begins in, which holds only records before it unless those after it fall in it too (a
    // silence shorter than a minute, with a --window under one): then up to the minute before.
    const shared = Math.floor((to + 1) / 60) === Math.floor((from - 1) / 60);
    const last = Math.floor((from - 1) / 60) - (shared ? 1 : 0);
    const until = shared ? (last + 1) * 60 : from;
    const lo = Math.max(Math.floor((until - SILENCE_LOOKBACK) / 60) * 60, this.span()?.start ?? until);
    let n = 0;
    for (let m = Math.floor(lo / 60); m <= last; m++) n += this.perMinute.get(m) ?? 0;
    const rate = n / Math.max(60, until - lo);
    if (n < SILENCE_MIN_BEFORE || rate * seconds < SILENCE_MIN_EXPECTED) return null;
    return { start: from, end: to, rateBefore: round(rate) };
  }

  private foldTotals(b: StepBucket): void {
    this.allSources.merge(b.hll);
    // A step's heaviest only: its light tail would churn the input's top list (each new key
    // evicts one) for nothing.
    this.topSources.addTop(b.sortedSources().head(STEP_TOP_SOURCES));
    for (let i = 0; i < b.step; i++) {
      if (b.perSecond[i]! > this.peakSecondRate) {
        this.peakSecondRate = b.perSecond[i]!;
        this.peakSecondAt = b.start + i;
      }
    }
  }
}

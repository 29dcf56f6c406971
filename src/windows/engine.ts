/**
 * The single writer on the main thread: folds Partials (in chunk order) into step
 * buckets, keeps the event-time watermark, and each time it passes the end of a step,
 * seals that step: runs the detectors over the window ending there, moves alerts through
 * their lifecycle, and lets the baseline learn the bucket that just left the window.
 *
 *   watermark = max event time seen − lateness
 *   step s is sealed once its last second (s+1)·step − 1 ≤ watermark
 *   records for an already sealed step are "late": counted in totals, not in detection
 *
 * Long gaps with no traffic are skipped in one jump (baseline decayed, alerts closed), so
 * a log spanning months costs no more than its busy steps.
 */
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { SpaceSaving } from '../sketches/space-saving.js';
import { C, N_COUNTERS, type BucketPartial } from '../partial/partial.js';
import { Alert } from '../detectors/alert.js';
import type { DetectConfig } from '../detectors/config.js';
import { detectHttp } from '../detectors/index.js';
import { Baseline } from './baseline.js';
import { StepBucket, urlKey } from './bucket.js';
import { WindowView } from './window.js';

export type AlertEvent = 'alert.open' | 'alert.update' | 'alert.close';

export interface EngineHooks {
  onAlert?: (type: AlertEvent, alert: Alert) => void;
  onWindow?: (view: WindowView, open: readonly Alert[]) => void;
}

export class Engine {
  readonly cfg: DetectConfig;
  private readonly hooks: EngineHooks;
  private readonly k: number;
  private readonly buckets = new Map<number, StepBucket>();
  private sealedThrough = -Infinity;
  maxTime = -Infinity;
  minTime = Infinity;
  readonly baseline: Baseline;
  readonly alerts: Alert[] = [];
  private readonly open = new Map<string, Alert>();
  /** Alerts closed less than one window ago: a new finding on the same target reopens them. */
  private readonly recentlyClosed = new Map<string, Alert>();
  private nextId = 1;

  // Totals over the whole input.
  readonly totals = new Float64Array(N_COUNTERS);
  lateRequests = 0;
  /** Requests per minute (epoch minute → count). */
  readonly perMinute = new Map<number, number>();
  readonly allSources = new HyperLogLog(14);
  readonly topSources = new SpaceSaving(256);
  readonly topUrls = new SpaceSaving(256);
  readonly urlText = new Map<string, string>();
  peakSecondRate = 0;
  peakSecondAt = 0;
  steps = 0;

  constructor(cfg: DetectConfig, hooks: EngineHooks = {}) {
    this.cfg = cfg;
    this.hooks = hooks;
    this.k = cfg.window / cfg.step;
    this.baseline = new Baseline(cfg.baselineAlpha, cfg.step);
  }

  /** Merge one bucket of a Partial. Call `advance` after a Partial's buckets are in. */
  add(bp: BucketPartial): void {
    const step = this.cfg.step;
    for (let i = 0; i < N_COUNTERS; i++) this.totals[i]! += bp.counters[i]!;
    const base = bp.index * step;
    for (let i = 0; i < step; i++) {
      const c = bp.perSecond[i]!;
      if (c === 0) continue;
      const t = base + i;
      if (t < this.minTime) this.minTime = t;
      if (t > this.maxTime) this.maxTime = t;
      const m = Math.floor(t / 60);
      this.perMinute.set(m, (this.perMinute.get(m) ?? 0) + c);
    }
    if (bp.index <= this.sealedThrough) {
      this.lateRequests += bp.counters[C.REQUESTS]!;
      this.allSources.merge(HyperLogLog.fromBytes(bp.hll));
      return;
    }
    let b = this.buckets.get(bp.index);
    if (b === undefined) {
      b = new StepBucket(bp.index, step);
      this.buckets.set(bp.index, b);
    }
    b.add(bp);
  }

  /** Seal every step the watermark has passed. */
  advance(): void {
    const wm = this.maxTime - this.cfg.lateness;
    const target = Math.floor((wm + 1) / this.cfg.step) - 1;
    this.sealThrough(target);
  }

  /** End of input: seal everything and close open alerts. */
  finish(): void {
    if (this.maxTime > -Infinity) this.sealThrough(Math.floor(this.maxTime / this.cfg.step) + this.k);
    for (const a of [...this.open.values()]) this.close(a);
  }

  openAlerts(): Alert[] {
    return [...this.open.values()];
  }

  private sealThrough(target: number): void {
    if (this.sealedThrough === -Infinity) {
      if (this.buckets.size === 0) return;
      this.sealedThrough = Math.min(...this.buckets.keys()) - 1;
    }
    let s = this.sealedThrough + 1;
    while (s <= target) {
      if (this.open.size === 0 && !this.windowHasData(s)) {
        // Nothing in the window and nothing open: jump to just before the next bucket.
        let next = Infinity;
        for (const i of this.buckets.keys()) if (i >= s && i < next) next = i;
        const jumpTo = Math.min(next - 1, target);
        if (jumpTo >= s) {
          this.baseline.decay(jumpTo - s + 1);
          this.sealedThrough = jumpTo;
          s = jumpTo + 1;
          continue;
        }
      }
      this.seal(s);
      s++;
    }
  }

  private windowHasData(s: number): boolean {
    for (let i = s - this.k + 1; i <= s; i++) if (this.buckets.has(i)) return true;
    return false;
  }

  private seal(s: number): void {
    const cur = this.buckets.get(s);
    if (cur !== undefined) this.foldTotals(cur);
    const inWindow: StepBucket[] = [];
    for (let i = s - this.k + 1; i <= s; i++) {
      const b = this.buckets.get(i);
      if (b !== undefined) inWindow.push(b);
    }
    const view = new WindowView(inWindow, s, this.cfg.step, this.cfg.window);
    this.steps++;
    const findings = view.requests > 0 ? detectHttp(view, this.baseline, this.cfg) : [];
    const fired = new Set<string>();
    for (const f of findings) {
      const id = `${f.signature}|${f.key}`;
      fired.add(id);
      let a = this.open.get(id);
      const reopen = a === undefined ? this.recentlyClosed.get(id) : undefined;
      if (reopen !== undefined) {
        // A rate hovering around its limit would otherwise flap open/closed every few steps.
        this.recentlyClosed.delete(id);
        reopen.state = 'open';
        reopen.thaw();
        reopen.update(f, s);
        for (const b of inWindow) reopen.absorb(b);
        this.open.set(id, reopen);
        this.hooks.onAlert?.('alert.open', reopen);
      } else if (a === undefined) {
        a = new Alert(this.nextId++, f, s);
        for (const b of inWindow) a.absorb(b);
        // A window can fire before any single second reaches the activity level (a
        // steady rate below it): then the alert spans the window.
        if (a.start === Infinity) {
          a.start = view.start;
          a.end = view.end - 1;
          a.peakRate = f.rate;
          a.peakAt = view.end - 1;
        }
        this.open.set(id, a);
        this.alerts.push(a);
        this.hooks.onAlert?.('alert.open', a);
      } else {
        a.update(f, s);
        if (cur !== undefined) a.absorb(cur);
        this.hooks.onAlert?.('alert.update', a);
      }
    }
    for (const [id, a] of this.open) {
      if (fired.has(id)) continue;
      if (cur !== undefined) a.absorb(cur);
      a.quietSteps++;
      if (a.quietSteps >= this.cfg.quiet) this.close(a);
    }
    this.hooks.onWindow?.(view, [...this.open.values()]);
    for (const [id, a] of this.recentlyClosed) if (s - a.closedStep >= this.k) this.recentlyClosed.delete(id);

    // The bucket leaving the window becomes history.
    const leaving = this.buckets.get(s - this.k + 1);
    if (leaving !== undefined) {
      const exclude = new Set<string>();
      for (const a of this.open.values()) if (a.kind === 'url') exclude.add(a.key);
      this.baseline.learn(leaving, exclude);
      this.buckets.delete(leaving.index);
    }
    this.sealedThrough = s;
  }

  private close(a: Alert): void {
    a.state = 'closed';
    a.freeze();
    a.closedStep = this.sealedThrough + 1;
    const id = `${a.signature}|${a.key}`;
    this.open.delete(id);
    this.recentlyClosed.set(id, a);
    this.hooks.onAlert?.('alert.close', a);
  }

  private foldTotals(b: StepBucket): void {
    this.allSources.merge(b.hll);
    for (const e of b.topSources()) this.topSources.add(e.w0, e.w1, e.w2, e.w3, e.count);
    for (const [key, u] of b.urls) {
      this.topUrls.add(u.w0, u.w1, 0, 0, u.count);
      if (!this.urlText.has(key)) this.urlText.set(key, u.text);
    }
    for (let i = 0; i < b.step; i++) {
      if (b.perSecond[i]! > this.peakSecondRate) {
        this.peakSecondRate = b.perSecond[i]!;
        this.peakSecondAt = b.start + i;
      }
    }
    if (this.urlText.size > 4096) {
      // Keep texts only for URLs still in the top summary.
      const keep = new Set(this.topUrls.top().map((e) => urlKey(e.w0, e.w1)));
      for (const k of this.urlText.keys()) if (!keep.has(k)) this.urlText.delete(k);
    }
  }
}

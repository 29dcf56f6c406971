/**
 * What every alert has, whatever it watches (a URL, an address, a service): identity,
 * the lifecycle fields the WindowedEngine drives, the one-second start/end/peak kept from
 * the target's per-second activity, the strongest window's evidence, and its sources.
 */
import { formatIp } from '../parsers/ip.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';
import type { TopEntry } from '../sketches/space-saving.js';
import { AlertSources } from './alert-sources.js';
import type { EarlyTraffic } from './regular.js';
import { SEVERITY_RANK, type Severity } from './finding.js';

export interface BaseFinding {
  signature: string;
  severity: Severity;
  key: string;
  target: string;
  words: [number, number, number, number];
  level: number;
  rate: number;
  evidence: Record<string, number | string>;
}

/** Most points an alert's sourcesOverTime holds (two hours of 10 s steps). */
export const MAX_SOURCE_POINTS = 720;

export abstract class AlertBase<B> {
  readonly id: number;
  signature: string;
  /** The signature it opened as, when it turned out to be another (see retitle). */
  formerly: string | null = null;
  readonly key: string;
  readonly target: string;
  readonly words: [number, number, number, number];
  /** A second counts as part of the attack when the target gets at least this much in it. */
  readonly level: number;
  severity: Severity;
  state: 'open' | 'closed' = 'open';
  start = Infinity;
  end = -Infinity;
  peakRate = 0;
  peakAt = 0;
  /** Highest window rate seen, and the evidence of that window. */
  maxWindowRate: number;
  evidence: Record<string, number | string>;
  quietSteps = 0;
  /** Step at which the alert last closed (for reopening within one window). */
  closedStep = -Infinity;
  readonly hll: HyperLogLog;
  /** Sources of the traffic before the alert opened (the baseline it is compared with). */
  before: TopEntry[] = [];
  /** Requests (or packets) of that traffic, all sources. */
  beforeRequests = 0;
  /** Of them, those with an X-Forwarded-For address (logs). */
  beforeForwarded = 0;
  /** The same of its first quarter to half (null with one step of it): see detectors/regular.ts. */
  beforeEarly: EarlyTraffic | null = null;
  /**
   * Distinct sources on the target over the attack: [start (epoch s), estimate], a point per
   * absorbed step, or per `sourcesResolution` seconds once a long attack would pass
   * MAX_SOURCE_POINTS (see noteSources).
   */
  readonly sourcesOverTime: [number, number][] = [];
  /** Seconds each point of sourcesOverTime covers: the step, 2×, 4×… (0 before the first). */
  sourcesResolution = 0;
  /** Requests/packets by country code, of the attack and of the traffic before it (from the workers). */
  readonly countries = new Map<number, number>();
  beforeCountries = new Map<number, number>();
  protected readonly sources: AlertSources;
  /** Buckets already folded in (each at most once). */
  protected readonly absorbed = new Set<number>();

  constructor(id: number, f: BaseFinding, sourceCapacity: number, hllP: number) {
    this.id = id;
    this.signature = f.signature;
    this.key = f.key;
    this.target = f.target;
    this.words = f.words;
    this.level = f.level;
    this.severity = f.severity;
    this.maxWindowRate = f.rate;
    this.evidence = f.evidence;
    this.sources = new AlertSources(sourceCapacity);
    this.hll = new HyperLogLog(hllP);
  }

  abstract absorb(b: B): void;

  get isAttack(): boolean {
    return this.severity !== 'info';
  }

  /** A later window fired again for this target. */
  update(f: BaseFinding, _step: number): void {
    this.quietSteps = 0;
    if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[this.severity]) this.severity = f.severity;
    if (f.rate > this.maxWindowRate) {
      this.maxWindowRate = f.rate;
      this.evidence = f.evidence;
    }
  }

  /** The same traffic, recognised as another signature: its evidence and severity are f's. */
  retitle(f: BaseFinding): void {
    this.formerly ??= this.signature;
    this.signature = f.signature;
    this.severity = f.severity;
    this.maxWindowRate = f.rate;
    this.evidence = f.evidence;
  }

  freeze(): void {
    this.sources.freeze();
  }

  thaw(): void {
    this.sources.thaw();
  }

  /**
   * It can no longer reopen: what it kept to absorb each bucket only once goes (a step index
   * per absorbed step: a day-long attack's 8,640 in a Set, kept by every alert a live run
   * closed).
   */
  settle(): void {
    this.absorbed.clear();
  }

  topSources(n: number): TopEntry[] {
    return this.sources.top(n);
  }

  /**
   * Those of `entries` (its top sources) whose traffic was mostly what a legitimate client's
   * would be (see AlertSources.legitSummary), as addresses. Judged against the count the
   * summary guarantees (count − error): in a flood of many sources sending a request or two
   * each, a source that came late holds the evicted minimum as its count (a visitor who loaded
   * the page once showed 18 requests where its referred one was its only one).
   */
  legitSources(entries: readonly TopEntry[]): string[] {
    return entries
      .filter((e) => {
        const legit = this.sources.legit(e);
        return legit > 0 && legit * 2 >= e.count - e.error;
      })
      .map((e) => formatIp(e.w0, e.w1, e.w2, e.w3));
  }

  /**
   * The distinct sources of one absorbed step (starting at `start`, `step` seconds long). A day
   * of attack is 8,640 steps, and every live alert.update carries the list: past
   * MAX_SOURCE_POINTS, neighbouring points merge (each then covers twice the steps and holds
   * the larger estimate, a lower bound of their union), so the list stays bounded.
   */
  protected noteSources(start: number, distinct: number, step: number): void {
    const pts = this.sourcesOverTime;
    if (this.sourcesResolution === 0) this.sourcesResolution = step;
    const last = pts[pts.length - 1];
    if (last !== undefined && start >= last[0] && start < last[0] + this.sourcesResolution) {
      last[1] = Math.max(last[1], distinct);
      return;
    }
    pts.push([start, distinct]);
    while (pts.length > MAX_SOURCE_POINTS) {
      this.sourcesResolution *= 2;
      const span = this.sourcesResolution;
      let n = 0;
      for (const p of pts) {
        const l = n > 0 ? pts[n - 1]! : undefined;
        if (l !== undefined && p[0] >= l[0] && p[0] < l[0] + span) l[1] = Math.max(l[1], p[1]);
        else pts[n++] = p;
      }
      pts.length = n;
    }
  }

  /** Seconds of a step at or above `level` extend start/end and the peak; true if any. */
  protected activeSeconds(start: number, perSecond: Float64Array, level = this.level): boolean {
    let any = false;
    for (let i = 0; i < perSecond.length; i++) {
      const c = perSecond[i]!;
      if (c < level) continue;
      any = true;
      const t = start + i;
      if (t < this.start) this.start = t;
      if (t > this.end) this.end = t;
      if (c > this.peakRate) {
        this.peakRate = c;
        this.peakAt = t;
      }
    }
    return any;
  }
}

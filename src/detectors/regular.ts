/**
 * The site's regular sources: addresses that carried a large share of the traffic before the
 * first attack alert opened (the buckets that had left the window by then). They are the
 * server's own infrastructure or its heaviest legitimate users — a reverse proxy, load
 * balancer or CDN whose address the log or capture holds, a NAT, a crawler — and a block list
 * of them takes the site down.
 *
 * A regular source was there from the start: it also carried REGULAR_MIN_EARLY_SHARE of the
 * traffic's early part (its first quarter to half). An attacker that ran below every rate for
 * a while before it flooded — ramping up, or probing the page it then hammers — came late, and
 * stays blockable (without this, the only attacker of a log at 3 req/s for ten minutes before
 * its flood was "regular" and the block list empty).
 *
 * Only the first attack counts: later alerts' "before" holds earlier attacks (a source that
 * flooded alone first would be "regular" by the time a URL flood began). So an address whose
 * own alert came first is never regular: a busy CDN address over the per-source rate from the
 * first window, or a load balancer holding its hundred connections from the capture's first
 * second, is not recognised (the logs report warns when a few addresses carry most requests).
 */
import { formatIp } from '../parsers/ip.js';
import { SpaceSaving, type TopEntry } from '../sketches/space-saving.js';
import { ipKey } from '../windows/bucket.js';
import type { AlertBase } from './alert-base.js';
import { round } from './finding.js';

/** A regular source carried at least this share of the requests (packets) before the attack … */
export const REGULAR_MIN_SHARE = 0.1;
/** … of at least this many … */
export const REGULAR_MIN_COUNT = 200;
/** … and at least this share of the early part of them. */
export const REGULAR_MIN_EARLY_SHARE = 0.05;

/** Sources of the first steps of an engine's history, and all their requests (packets). */
export interface EarlyTraffic {
  sources: TopEntry[];
  requests: number;
}

/**
 * Sources of the steps that have left the window (the traffic alerts opened later compare
 * with), and of its early part: copies taken when 1, 2, 4, 8 … steps had left, of which an
 * alert gets the one before the latest (a quarter to a half of its history).
 */
export class TrafficHistory {
  readonly sources = new SpaceSaving(1024);
  requests = 0;
  /** Of them, those that came through a proxy (an X-Forwarded-For address: logs). */
  forwarded = 0;
  /** Requests (packets) by country code. */
  readonly countries = new Map<number, number>();
  private steps = 0;
  private latest: EarlyTraffic | null = null;
  private early: EarlyTraffic | null = null;

  /** A copy of `countries` for the alerts stamped until it changes (they only read it). */
  private countriesCopy: Map<number, number> | null = null;

  addCountries(countries: ReadonlyMap<number, number>): void {
    for (const [c, n] of countries) this.countries.set(c, (this.countries.get(c) ?? 0) + n);
    this.countriesCopy = null;
  }

  /** Call after each step's sources, requests and countries are in. */
  endStep(): void {
    this.steps++;
    if ((this.steps & (this.steps - 1)) === 0) {
      this.early = this.latest;
      this.latest = { sources: this.sources.top(), requests: this.requests };
    }
  }

  /** Alerts given their "before" sources while none of them was an attack yet (see stamp). */
  private undecided: AlertBase<unknown>[] = [];
  private firstAttackStamped = false;

  /**
   * Give an alert that opens now its "before". Its sources (a top list of up to 1,024) are
   * read only from the first attack alert (firstAttack: regular sources, the CDN in front):
   * once an alert stamped earlier is an attack — it stays one (severity only rises; a flash
   * crowd may turn into a flood, never back) and has the lower id — a later one is never the
   * first, and gets none. Each closed alert kept them before, ~100 KiB of JS heap a finding:
   * a live run's RSS grew with its findings (session 14: 214 → 240 MiB over a 10M-line pipe).
   */
  stamp(a: AlertBase<unknown>): void {
    if (!this.firstAttackStamped && this.undecided.some((x) => x.isAttack)) {
      this.firstAttackStamped = true;
      this.undecided = [];
    }
    if (this.firstAttackStamped) a.before = [];
    else {
      a.before = this.sources.top();
      this.undecided.push(a);
    }
    a.beforeRequests = this.requests;
    a.beforeForwarded = this.forwarded;
    // One copy for every alert a step opens (a botnet's 5,000 addresses open theirs at once).
    a.beforeCountries = this.countriesCopy ??= new Map(this.countries);
    a.beforeEarly = this.early;
  }
}

export interface RegularSource {
  ip: string;
  count: number;
  /** Of the requests (packets) before the attack. */
  share: number;
}

/** The first attack alert an engine opened (the lowest id), or undefined. */
export function firstAttack<A extends AlertBase<unknown>>(alerts: readonly A[]): A | undefined {
  let first: A | undefined;
  for (const a of alerts) if (a.isAttack && (first === undefined || a.id < first.id)) first = a;
  return first;
}

/**
 * The regular sources by an engine's alerts so far. Fixed once an attack alert has opened
 * (its "before" does not change), and kept from then on.
 */
export class RegularSources {
  private fixed: RegularSource[] | null = null;

  of<A extends AlertBase<unknown>>(alerts: readonly A[]): RegularSource[] {
    if (this.fixed !== null) return this.fixed;
    const first = firstAttack(alerts);
    if (first === undefined) return [];
    const total = first.beforeRequests;
    const early = first.beforeEarly;
    if (total < REGULAR_MIN_COUNT || early === null || early.requests === 0) return (this.fixed = []);
    const earlyCount = new Map(early.sources.map((e) => [ipKey(e.w0, e.w1, e.w2, e.w3), e.count]));
    this.fixed = first.before
      .filter((e) => e.count >= REGULAR_MIN_SHARE * total && (earlyCount.get(ipKey(e.w0, e.w1, e.w2, e.w3)) ?? 0) >= REGULAR_MIN_EARLY_SHARE * early.requests)
      .map((e) => ({ ip: formatIp(e.w0, e.w1, e.w2, e.w3), count: e.count, share: round(e.count / total, 3) }));
    return this.fixed;
  }
}

/**
 * Detection settings. Rates are requests per second averaged over the window, so they
 * read like the limits operators already write (nginx `limit_req rate=5r/s`, iptables
 * `hashlimit --hashlimit-above 5/sec`).
 */
export interface DetectConfig {
  /** Window width, seconds (a multiple of step). */
  window: number;
  /** Window slide and bucket width, seconds. */
  step: number;
  /** Event-time lateness allowed before a step is sealed, seconds. */
  lateness: number;
  /** Steps without firing before an alert closes. */
  quiet: number;
  /** http.repeated-url: minimum rate on the URL, req/s. */
  urlMinRate: number;
  /** … and minimum share of all requests in the window. */
  urlMinShare: number;
  /** … and minimum factor above the URL's baseline rate. */
  urlFactor: number;
  /** … and minimum distinct sources. */
  urlMinSources: number;
  /** Baseline rates below this (req/s) count as this, so a new URL is not "infinitely" above normal. */
  baselineFloor: number;
  /** http.empty-referrer: minimum share of the URL's requests with an empty "-" referrer. */
  emptyRefMinShare: number;
  /** http.flash-crowd: minimum share of requests carrying a referrer … */
  flashMinReferred: number;
  /** … and at most this many requests per source on average. */
  flashMaxPerSource: number;
  /** http.source-rate: one source above this rate, req/s. */
  sourceRate: number;
  /** http.prefix-rate: one /24 or /64 above this rate, req/s … */
  prefixRate: number;
  /** … with at least this many member sources in the window. */
  prefixMinSources: number;
  /** Baseline EWMA weight per step. */
  baselineAlpha: number;
  /**
   * The log format records a referrer. Without one (Apache `common`) every request would look
   * like "-": http.empty-referrer is off, and a URL surge is told a crowd or a flood by its
   * requests per source alone (set from the format, not an option).
   */
  referrers: boolean;
}

export const DEFAULT_DETECT: DetectConfig = {
  window: 60,
  step: 10,
  lateness: 5,
  quiet: 3,
  urlMinRate: 10,
  urlMinShare: 0.2,
  urlFactor: 5,
  urlMinSources: 10,
  baselineFloor: 1,
  emptyRefMinShare: 0.8,
  flashMinReferred: 0.5,
  flashMaxPerSource: 5,
  sourceRate: 5,
  prefixRate: 10,
  prefixMinSources: 3,
  baselineAlpha: 0.05,
  referrers: true,
};

export function validateDetect(c: DetectConfig): string | null {
  if (!Number.isInteger(c.step) || c.step < 1 || c.step > 3600) return `--step must be a whole number of seconds in [1, 3600]; got ${c.step}`;
  if (!Number.isInteger(c.window) || c.window < c.step || c.window % c.step !== 0) {
    return `--window must be a multiple of --step (${c.step}s); got ${c.window}s`;
  }
  if (c.window / c.step > 360) return `--window may hold at most 360 steps; got ${c.window / c.step}`;
  if (!(c.lateness >= 0)) return `--lateness must be ≥ 0; got ${c.lateness}`;
  if (!Number.isInteger(c.quiet) || c.quiet < 1) return `--quiet must be a whole number of steps ≥ 1; got ${c.quiet}`;
  for (const k of ['urlMinRate', 'urlMinShare', 'urlFactor', 'urlMinSources', 'sourceRate', 'prefixRate'] as const) {
    if (!(c[k] > 0)) return `${k} must be > 0; got ${c[k]}`;
  }
  return null;
}

/**
 * The shared first test of the URL signatures: which URLs surged in this window — a rate
 * above the minimum, a large share of all requests, far above the URL's own baseline.
 * http.repeated-url, http.empty-referrer and http.flash-crowd then tell the surges apart.
 */
import type { Baseline } from '../windows/baseline.js';
import type { UrlWindow, WindowView } from '../windows/window.js';
import type { DetectConfig } from './config.js';

export interface UrlSurge {
  url: UrlWindow;
  rate: number;
  share: number;
  baselineRate: number;
  /** The rate that makes this URL fire: max(minimum, factor × baseline). */
  trigger: number;
  distinct: number;
}

/**
 * Share a URL needs before the baseline has one window of history: with nothing learned
 * yet every busy URL is "far above baseline", so only a URL taking most of the traffic
 * counts (a flood already under way when the log starts still does).
 */
export const COLD_START_SHARE = 0.5;

export function urlSurges(view: WindowView, baseline: Baseline, cfg: DetectConfig): UrlSurge[] {
  const out: UrlSurge[] = [];
  if (view.requests === 0) return out;
  const minShare = baseline.learned < cfg.window / cfg.step ? Math.max(cfg.urlMinShare, COLD_START_SHARE) : cfg.urlMinShare;
  for (const u of view.urls.values()) {
    const rate = u.count / view.seconds;
    if (rate < cfg.urlMinRate) continue;
    const share = u.count / view.requests;
    if (share < minShare) continue;
    const baselineRate = baseline.urlRate(u.w0, u.w1);
    const trigger = Math.max(cfg.urlMinRate, cfg.urlFactor * Math.max(baselineRate, cfg.baselineFloor));
    if (rate < trigger) continue;
    out.push({ url: u, rate, share, baselineRate, trigger, distinct: view.urlDistinct(u) });
  }
  // Deterministic order for everything downstream.
  out.sort((a, b) => b.url.count - a.url.count || (a.url.key < b.url.key ? -1 : 1));
  return out;
}

/**
 * Requests per distinct source on a URL over the surge so far — its open URL alert's, from
 * the alert's first step — or null when no alert on it is open.
 */
export type UrlHistory = (key: string) => number | null;

/**
 * Whether a surge looks like people following a link: mostly referred (when the log records
 * referrers), few requests each in the window and, over the surge so far, few requests each
 * too (`overall`, when that alone says no: bots that forge a referrer at a few requests a
 * minute each look like a crowd in any one window, but keep coming back; people following a
 * link load the page once or twice).
 */
export function flashVerdict(s: UrlSurge, cfg: DetectConfig, history?: UrlHistory): { flash: boolean; overall: number | null } {
  // Without referrers in the log, the per-source counts alone decide.
  const referredShare = cfg.referrers ? s.url.referred / s.url.count : 1;
  const perSource = s.url.count / Math.max(1, s.distinct);
  if (referredShare < cfg.flashMinReferred || perSource > cfg.flashMaxPerSource) return { flash: false, overall: null };
  const overall = history?.(s.url.key) ?? null;
  return overall !== null && overall > cfg.flashMaxPerSource ? { flash: false, overall } : { flash: true, overall: null };
}

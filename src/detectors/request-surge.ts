/**
 * http.request-surge: the whole site's request rate far above its baseline, when no surging
 * URL and no heavy source accounts for most of it — a flood spread over many URLs (random
 * paths, each asked once: the 404 flood that per-URL signatures cannot see) from many
 * sources each under the per-source rate. An attack when its requests mostly carry no
 * referrer (in a log that records referrers) or mostly fail (4xx/5xx); a surge of referred,
 * successful requests (a link to several pages, a newsletter) is reported at info level, like
 * a flash crowd.
 */
import { C } from '../partial/partial.js';
import type { Baseline } from '../windows/baseline.js';
import type { CountedKey, WindowView } from '../windows/window.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';
import type { DetectConfig } from './config.js';
import { round, severityFor, type Finding } from './finding.js';
import type { UrlSurge } from './url-surge.js';

/** The target of a site-wide finding (its alert key too). */
export const SITE_TARGET = '*';

/** Share of the window's requests failing (4xx/5xx) that makes a surge an attack. */
export const SURGE_ERROR_SHARE = 0.5;

/** `heavy`: the window's sources over cfg.sourceRate (WindowView.heavy). */
export function requestSurge(view: WindowView, baseline: Baseline, surges: readonly UrlSurge[], heavy: readonly CountedKey[], cfg: DetectConfig): Finding[] {
  // Until a window of history is learned every rate is "far above" nothing.
  if (baseline.learned < cfg.window / cfg.step || view.requests === 0) return [];
  const rate = view.requests / view.seconds;
  const base = baseline.totalRate();
  const trigger = Math.max(cfg.urlMinRate, cfg.urlFactor * Math.max(base, cfg.baselineFloor));
  if (rate < trigger) return [];
  // Explained by the URL and per-source signatures: leave it to them.
  let explained = 0;
  for (const s of surges) explained += s.url.count;
  for (const s of heavy) explained += s.count;
  if (explained >= 0.5 * view.requests) return [];
  let empty = 0;
  let errors = 0;
  let topUrl = 0;
  const h = new HyperLogLog(14);
  for (const b of view.buckets) {
    empty += b.counters[C.EMPTY_REF]!;
    errors += b.counters[C.S4XX]! + b.counters[C.S5XX]!;
    h.merge(b.hll);
  }
  for (const u of view.urls.values()) if (u.count > topUrl) topUrl = u.count;
  const emptyShare = empty / view.requests;
  const errorShare = errors / view.requests;
  const attack = (cfg.referrers && emptyShare >= cfg.emptyRefMinShare) || errorShare >= SURGE_ERROR_SHARE;
  return [
    {
      signature: 'http.request-surge',
      severity: attack ? severityFor(rate, trigger) : 'info',
      kind: 'site',
      key: SITE_TARGET,
      words: [0, 0, 0, 0],
      target: SITE_TARGET,
      rate,
      level: Math.max(1, trigger / 2),
      evidence: {
        windowRate: round(rate),
        baselineRate: round(base),
        ...(cfg.referrers ? { emptyReferrerShare: round(emptyShare, 3) } : {}),
        errorShare: round(errorShare, 3),
        topUrlShare: round(topUrl / view.requests, 3),
        distinctSources: Math.round(h.estimate()),
      },
    },
  ];
}

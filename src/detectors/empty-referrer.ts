/**
 * http.empty-referrer: a surge of requests with an empty "-" referrer on one URL. Browsers
 * following links send a referrer; flood tools rarely do. Fires on a surging URL whose
 * empty-referrer requests alone exceed the trigger and make up most of its traffic, and
 * whose empty-referrer rate is far above that URL's own empty-referrer baseline.
 */
import type { Baseline } from '../windows/baseline.js';
import type { DetectConfig } from './config.js';
import { round, severityFor, type Finding } from './finding.js';
import type { UrlSurge } from './url-surge.js';

export function emptyReferrer(surges: readonly UrlSurge[], baseline: Baseline, seconds: number, cfg: DetectConfig): Finding[] {
  const out: Finding[] = [];
  if (!cfg.referrers) return out; // a log without referrers has only "-"
  for (const s of surges) {
    const u = s.url;
    const rate = u.emptyRef / seconds;
    const share = u.emptyRef / u.count;
    if (share < cfg.emptyRefMinShare) continue;
    const base = baseline.emptyRefRate(u.w0, u.w1);
    const trigger = Math.max(cfg.urlMinRate, cfg.urlFactor * Math.max(base, cfg.baselineFloor));
    if (rate < trigger) continue;
    out.push({
      signature: 'http.empty-referrer',
      severity: severityFor(rate, trigger),
      kind: 'url',
      key: u.key,
      words: [u.w0, u.w1, 0, 0],
      target: u.text,
      rate,
      level: Math.max(1, trigger / 2),
      evidence: {
        emptyReferrerRate: round(rate),
        emptyReferrerShare: round(share, 3),
        baselineEmptyReferrerRate: round(base),
        distinctSources: Math.round(s.distinct),
      },
    });
  }
  return out;
}

/**
 * http.flash-crowd (info): a URL surge whose requests carry a real referrer and come from
 * many sources with a few requests each — people following a link, not an attack.
 * Reported so the operator sees the surge was looked at, and never blocked.
 */
import type { DetectConfig } from './config.js';
import { round, type Finding } from './finding.js';
import { flashVerdict, type UrlHistory, type UrlSurge } from './url-surge.js';

export function flashCrowd(surges: readonly UrlSurge[], cfg: DetectConfig, history?: UrlHistory): Finding[] {
  const out: Finding[] = [];
  for (const s of surges) {
    if (!flashVerdict(s, cfg, history).flash) continue;
    out.push({
      signature: 'http.flash-crowd',
      severity: 'info',
      kind: 'url',
      key: s.url.key,
      words: [s.url.w0, s.url.w1, 0, 0],
      target: s.url.text,
      rate: s.rate,
      level: Math.max(1, s.trigger / 2),
      evidence: {
        windowRate: round(s.rate),
        baselineRate: round(s.baselineRate),
        ...(cfg.referrers ? { referredShare: round(s.url.referred / s.url.count, 3) } : {}),
        distinctSources: Math.round(s.distinct),
        requestsPerSource: round(s.url.count / Math.max(1, s.distinct)),
      },
    });
  }
  return out;
}

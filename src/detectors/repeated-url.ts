/**
 * http.repeated-url: one URL takes a large share of requests, at a rate far above its
 * baseline, from many distinct sources — the "one URL hammered from many IPs" an operator
 * greps for. A surge that looks like a flash crowd is left to http.flash-crowd.
 */
import type { DetectConfig } from './config.js';
import { round, severityFor, type Finding } from './finding.js';
import { flashVerdict, type UrlHistory, type UrlSurge } from './url-surge.js';

export function repeatedUrl(surges: readonly UrlSurge[], cfg: DetectConfig, history?: UrlHistory): Finding[] {
  const out: Finding[] = [];
  for (const s of surges) {
    if (s.distinct < cfg.urlMinSources) continue;
    const v = flashVerdict(s, cfg, history);
    if (v.flash) continue;
    out.push({
      signature: 'http.repeated-url',
      severity: severityFor(s.rate, s.trigger),
      kind: 'url',
      key: s.url.key,
      words: [s.url.w0, s.url.w1, 0, 0],
      target: s.url.text,
      rate: s.rate,
      level: Math.max(1, s.trigger / 2),
      evidence: {
        windowRate: round(s.rate),
        baselineRate: round(s.baselineRate),
        share: round(s.share, 3),
        distinctSources: Math.round(s.distinct),
        ...(cfg.referrers ? { emptyReferrerShare: round(s.url.emptyRef / s.url.count, 3) } : {}),
        requestsPerSource: round(s.url.count / Math.max(1, s.distinct)),
        // A crowd in this window, but over the surge so far each source came back this often.
        ...(v.overall !== null ? { requestsPerSourceOverall: round(v.overall) } : {}),
      },
    });
  }
  return out;
}

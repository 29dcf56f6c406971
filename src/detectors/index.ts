/** Every HTTP signature, run over one window in a fixed order. */
import type { Baseline } from '../windows/baseline.js';
import type { WindowView } from '../windows/window.js';
import type { DetectConfig } from './config.js';
import { emptyReferrer } from './empty-referrer.js';
import type { Finding } from './finding.js';
import { flashCrowd } from './flash-crowd.js';
import { prefixRate } from './prefix-rate.js';
import { repeatedUrl } from './repeated-url.js';
import { requestSurge } from './request-surge.js';
import { sourceRate } from './source-rate.js';
import { urlSurges, type UrlHistory } from './url-surge.js';

export function detectHttp(view: WindowView, baseline: Baseline, cfg: DetectConfig, history?: UrlHistory): Finding[] {
  const surges = urlSurges(view, baseline, cfg);
  // Sources over the per-source rate: findings of their own, and what explains a site-wide surge.
  const heavy = view.heavy('sources', cfg.sourceRate * view.seconds);
  return [
    ...repeatedUrl(surges, cfg, history),
    ...emptyReferrer(surges, baseline, view.seconds, cfg),
    ...flashCrowd(surges, cfg, history),
    ...requestSurge(view, baseline, surges, heavy, cfg),
    ...sourceRate(view, heavy, cfg),
    ...prefixRate(view, cfg),
  ];
}

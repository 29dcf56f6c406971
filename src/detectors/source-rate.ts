/**
 * http.source-rate: one source above a request rate over the window — the per-source
 * limit operators set with iptables hashlimit or nginx limit_req.
 */
import { formatIp } from '../parsers/ip.js';
import type { CountedKey, WindowView } from '../windows/window.js';
import type { DetectConfig } from './config.js';
import { round, severityFor, type Finding } from './finding.js';

/** `heavy`: the window's sources over cfg.sourceRate (WindowView.heavy). */
export function sourceRate(view: WindowView, heavy: readonly CountedKey[], cfg: DetectConfig): Finding[] {
  const out: Finding[] = [];
  for (const s of heavy) {
    const rate = s.count / view.seconds;
    out.push({
      signature: 'http.source-rate',
      severity: severityFor(rate, cfg.sourceRate),
      kind: 'source',
      key: s.key,
      words: s.words,
      target: formatIp(...s.words),
      rate,
      level: Math.max(1, cfg.sourceRate / 2),
      evidence: { windowRate: round(rate), limit: cfg.sourceRate, windowRequests: s.count },
    });
  }
  out.sort((a, b) => b.rate - a.rate || (a.key < b.key ? -1 : 1));
  return out;
}

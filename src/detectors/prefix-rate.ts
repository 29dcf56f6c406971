/**
 * http.prefix-rate: one /24 (IPv4) or /64 (IPv6) above a rate, spread over several of its
 * addresses — what a single-address limit misses when an attacker rotates through a
 * subnet. A prefix whose traffic is one address is left to http.source-rate.
 */
import { formatIp, isV4 } from '../parsers/ip.js';
import type { WindowView } from '../windows/window.js';
import type { DetectConfig } from './config.js';
import { round, severityFor, type Finding } from './finding.js';

export function prefixOf(words: readonly number[]): [number, number, number, number] {
  const [w0, w1, w2, w3] = words as [number, number, number, number];
  return isV4(w0, w1, w2) ? [0, 0, 0xffff, (w3 & 0xffffff00) >>> 0] : [w0, w1, 0, 0];
}

export function prefixText(words: readonly number[]): string {
  const [w0, w1, w2, w3] = words as [number, number, number, number];
  return `${formatIp(w0, w1, w2, w3)}/${isV4(w0, w1, w2) ? 24 : 64}`;
}

export function prefixRate(view: WindowView, cfg: DetectConfig): Finding[] {
  const out: Finding[] = [];
  const min = cfg.prefixRate * view.seconds;
  let members: Map<string, { n: number; max: number }> | null = null;
  for (const p of view.prefixes.values()) {
    if (p.count < min) continue;
    if (members === null) {
      members = new Map();
      for (const s of view.sources.values()) {
        const k = prefixOf(s.words).join(':');
        const m = members.get(k) ?? { n: 0, max: 0 };
        m.n++;
        m.max = Math.max(m.max, s.count);
        members.set(k, m);
      }
    }
    const m = members.get(p.words.map((w) => w >>> 0).join(':'));
    if (m === undefined || m.n < cfg.prefixMinSources || m.max > 0.9 * p.count) continue;
    const rate = p.count / view.seconds;
    out.push({
      signature: 'http.prefix-rate',
      severity: severityFor(rate, cfg.prefixRate),
      kind: 'prefix',
      key: p.key,
      words: p.words,
      target: prefixText(p.words),
      rate,
      level: Math.max(1, cfg.prefixRate / 2),
      evidence: { windowRate: round(rate), limit: cfg.prefixRate, memberSources: m.n, windowRequests: p.count },
    });
  }
  out.sort((a, b) => b.rate - a.rate || (a.key < b.key ? -1 : 1));
  return out;
}

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
  const heavy = view.heavy('prefixes', cfg.prefixRate * view.seconds);
  if (heavy.length === 0) return out;
  // Member sources of the heavy prefixes, from every bucket's sources (StepBucket.prefixMembers),
  // each counted under a key of its own (an IPv4 member by its address as a number: a string
  // per member and bucket was most of this detector's time on a long log).
  const members = new Map<string, Map<number | string, number>>();
  for (const p of heavy) {
    const m = new Map<number | string, number>();
    members.set(p.key, m);
    const [p0, p1, p2, p3] = p.words;
    const v4 = isV4(p0, p1, p2);
    for (const b of view.buckets) {
      const top = b.sortedSources();
      const w = top.words;
      for (const i of b.prefixMembers(p0, p1, p2, p3)) {
        const sk = v4 ? w[i * 4 + 3]! : `${w[i * 4]!}:${w[i * 4 + 1]!}:${w[i * 4 + 2]!}:${w[i * 4 + 3]!}`;
        m.set(sk, (m.get(sk) ?? 0) + top.counts[i]!);
      }
    }
  }
  for (const p of heavy) {
    const m = members.get(p.key)!;
    const largest = Math.max(0, ...m.values());
    if (m.size < cfg.prefixMinSources || largest > 0.9 * p.count) continue;
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
      evidence: { windowRate: round(rate), limit: cfg.prefixRate, memberSources: m.size, windowRequests: p.count },
    });
  }
  out.sort((a, b) => b.rate - a.rate || (a.key < b.key ? -1 : 1));
  return out;
}

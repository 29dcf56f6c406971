/**
 * http.prefix-rate: one /24 (IPv4) or /64 (IPv6) above a rate, spread over several of its
 * addresses — what a single-address limit misses when an attacker rotates through a
 * subnet. A prefix whose traffic is one address is left to http.source-rate.
 */
import { formatIp, isV4 } from '../parsers/ip.js';
import type { WindowView } from '../windows/window.js';
import type { DetectConfig } from './config.js';
import { round, severityFor, type Finding } from './finding.js';

export function prefixText(words: readonly number[]): string {
  const [w0, w1, w2, w3] = words as [number, number, number, number];
  return `${formatIp(w0, w1, w2, w3)}/${isV4(w0, w1, w2) ? 24 : 64}`;
}

/** prefixRate's sums of an IPv4 /24's members, by last byte. */
const V4_MEMBERS = new Float64Array(256);

export function prefixRate(view: WindowView, cfg: DetectConfig): Finding[] {
  const out: Finding[] = [];
  const heavy = view.heavy('prefixes', cfg.prefixRate * view.seconds);
  if (heavy.length === 0) return out;
  // Member sources of each heavy prefix, summed over the window's buckets
  // (StepBucket.prefixMembers): an IPv4 /24's by their last byte in a reused array, an IPv6
  // /64's in a map (a map per prefix and window was most of this detector's allocation).
  for (const p of heavy) {
    const [p0, p1, p2, p3] = p.words;
    let distinct = 0;
    let largest = 0;
    if (isV4(p0, p1, p2)) {
      const acc = V4_MEMBERS.fill(0);
      for (const b of view.buckets) {
        const top = b.sortedSources();
        for (const i of b.prefixMembers(p0, p1, p2, p3)) acc[top.words[i * 4 + 3]! & 0xff]! += top.counts[i]!;
      }
      for (let k = 0; k < 256; k++) {
        if (acc[k]! > 0) distinct++;
        if (acc[k]! > largest) largest = acc[k]!;
      }
    } else {
      const m = new Map<string, number>();
      for (const b of view.buckets) {
        const top = b.sortedSources();
        const w = top.words;
        for (const i of b.prefixMembers(p0, p1, p2, p3)) {
          const sk = `${w[i * 4 + 2]!}:${w[i * 4 + 3]!}`;
          m.set(sk, (m.get(sk) ?? 0) + top.counts[i]!);
        }
      }
      distinct = m.size;
      for (const v of m.values()) if (v > largest) largest = v;
    }
    if (distinct < cfg.prefixMinSources || largest > 0.9 * p.count) continue;
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
      evidence: { windowRate: round(rate), limit: cfg.prefixRate, memberSources: distinct, windowRequests: p.count },
    });
  }
  out.sort((a, b) => b.rate - a.rate || (a.key < b.key ? -1 : 1));
  return out;
}

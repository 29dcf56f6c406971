/**
 * Rate-limit suggestions derived from the traffic itself: the 99.9th percentile of the
 * per-source request rate in normal steps (no alert open), times a margin, as iptables
 * hashlimit and nginx limit_req settings — with how many attack sources each would have
 * stopped and how many normal observations it would have hit.
 */
import type { Report } from './report.js';
import type { PacketReport } from './packet-report.js';
import type { RateHistogram } from '../windows/rate-histogram.js';

export interface LimitSuggestion {
  /** Requests per second per source. */
  rate: number;
  burst: number;
  basis: string;
  /** Attack sources whose average rate during their attack exceeds the limit / all listed. */
  attackSourcesStopped: number;
  attackSources: number;
  /** Normal (source, step) observations above the limit / all. */
  normalHit: number;
  normalObservations: number;
  iptables: string;
  nginx: string[];
  /**
   * The largest attack finding with more than one source: its requests per source per second,
   * on average (requests / distinct sources / duration). Its listed sources' counts undercount
   * them when it had more addresses than the summaries hold (see suggestLimits); this does not.
   */
  attackAverage: { signature: string; target: string; sources: number; rate: number } | null;
  /** Set when the limit would stop fewer than half the attack's listed sources. */
  caveat: string | null;
}

export const LIMIT_QUANTILE = 0.999;
export const LIMIT_MARGIN = 2;

export function suggestLimits(report: Report, normal: RateHistogram): LimitSuggestion | null {
  if (normal.total === 0) return null;
  const p = normal.quantile(LIMIT_QUANTILE);
  const rate = Math.max(1, Math.ceil(p * LIMIT_MARGIN));
  const burst = rate * 4;
  // Each attacking address once, at the highest average rate it had in any attack.
  const fastest = new Map<string, number>();
  for (const a of report.attacks) {
    if (!a.attack) continue;
    for (const s of a.topSources) fastest.set(s.ip, Math.max(fastest.get(s.ip) ?? 0, s.count / Math.max(1, a.durationSeconds)));
  }
  const listed = fastest.size;
  let stopped = 0;
  for (const r of fastest.values()) if (r > rate) stopped++;
  // A botnet of more addresses than a step counts exactly (STEP_SOURCES, 16,384), all alike,
  // gets listed counts that are a fraction of their own (with 1,024 a step, 5,000 addresses at
  // 10 req/s each were listed at 0.2–0.6 req/s, and "a per-source limit cannot stop this
  // attack" was said of a limit of 1). The average per source of the largest finding is not
  // subject to that.
  const largest = report.attacks.filter((a) => a.attack && a.distinctSources > 1 && a.durationSeconds > 0).reduce<Report['attacks'][number] | null>((m, a) => (m === null || a.requests > m.requests ? a : m), null);
  const attackAverage =
    largest === null
      ? null
      : { signature: largest.signature, target: largest.target, sources: largest.distinctSources, rate: Math.round((largest.requests / largest.distinctSources / largest.durationSeconds) * 100) / 100 };
  const few = listed > 0 && stopped * 2 < listed;
  return {
    rate,
    burst,
    basis: `${Math.round(LIMIT_QUANTILE * 1000) / 10}th percentile of per-source rates in ${Math.round(normal.total)} normal (source, step) observations: ${Math.round(p * 100) / 100} req/s, × ${LIMIT_MARGIN}`,
    attackSourcesStopped: stopped,
    attackSources: listed,
    normalHit: Math.round(normal.above(rate)),
    normalObservations: Math.round(normal.total),
    iptables: `iptables -A INPUT -p tcp -m multiport --dports 80,443 -m conntrack --ctstate NEW -m hashlimit --hashlimit-name floodscope --hashlimit-mode srcip --hashlimit-above ${rate}/sec --hashlimit-burst ${burst} -j DROP`,
    nginx: [`limit_req_zone $binary_remote_addr zone=floodscope:10m rate=${rate}r/s;`, `limit_req zone=floodscope burst=${burst} nodelay;`],
    attackAverage,
    caveat: !few
      ? null
      : attackAverage !== null && attackAverage.rate > rate
        ? `the listed counts may undercount its sources (when it had more addresses than the summaries hold), but the ~${attackAverage.sources.toLocaleString('en-US')} sources of ${attackAverage.signature} on ${attackAverage.target} sent ${attackAverage.rate} req/s each on average, over this limit: it would throttle most of that traffic`
        : 'most attack sources stay under normal per-source rates: a per-source limit cannot stop this attack; block its sources and prefixes (--blocklist) or limit the attacked URL',
  };
}

export interface ConnLimitSuggestion {
  connections: number;
  basis: string;
  /** Sources of tcp.conn-flood findings it would have stopped / all such. */
  attackSourcesStopped: number;
  attackSources: number;
  normalHit: number;
  normalObservations: number;
  iptables: string;
}

/**
 * connlimit from a capture: the 99.9th percentile of the most concurrent connections one
 * source held to one service per chunk, in normal steps, × 2 (at least 10).
 */
export function suggestConnLimit(report: PacketReport, normal: RateHistogram): ConnLimitSuggestion | null {
  if (normal.total === 0) return null;
  const p = normal.quantile(LIMIT_QUANTILE);
  const connections = Math.max(10, Math.ceil(p * LIMIT_MARGIN));
  const floods = report.attacks.filter((a) => a.signature === 'tcp.conn-flood');
  const stopped = floods.filter((a) => Number(a.evidence.concurrentConnections) > connections).length;
  const ports = [...new Set(report.attacks.filter((a) => a.targetKind === 'service' || a.signature === 'tcp.conn-flood').map((a) => String(a.target).split(':').pop()))].filter((x) => /^\d+$/.test(x ?? ''));
  const dports = ports.length > 0 ? ` -m multiport --dports ${ports.join(',')}` : '';
  return {
    connections,
    basis: `${Math.round(LIMIT_QUANTILE * 1000) / 10}th percentile of the most concurrent connections per source and service in ${Math.round(normal.total)} normal observations: ${Math.round(p * 100) / 100}, × ${LIMIT_MARGIN} (at least 10)`,
    attackSourcesStopped: stopped,
    attackSources: floods.length,
    normalHit: Math.round(normal.above(connections)),
    normalObservations: Math.round(normal.total),
    iptables: `iptables -A INPUT -p tcp --syn${dports} -m connlimit --connlimit-above ${connections} --connlimit-mask 32 -j REJECT --reject-with tcp-reset`,
  };
}

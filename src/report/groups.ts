/**
 * Findings that belong together, so a reader sees one thing once:
 *
 * - **Episodes.** A rate hovering around its limit opens, closes and opens again: a source at
 *   4–6 req/s against a limit of 5 made eleven `http.source-rate` findings in an hour, each a
 *   full block of the report. Findings of one signature on one target are one group; the first
 *   lists them all (`episodes`), the others point back to it (`episodeOf`).
 * - **The same traffic.** `http.repeated-url` and `http.empty-referrer` on one URL over the same
 *   minutes describe the same requests, as do `http.source-rate` on an address and a URL finding
 *   whose one source it is: the later finding points to the earlier (`sameTrafficAs`), and
 *   readers show its sources, countries and texts once.
 * - **Part of it.** An address over its rate limit while it is one of a URL flood's heaviest
 *   sources is not another attack: it says so (`partOf`), and how much of the flood's traffic it
 *   sent. (Prefix findings are not linked: a flood's source list holds its top thousand, too few
 *   to say how much of a prefix's traffic went to it; the URL finding lists its prefixes.)
 *
 * - **Many addresses, each over its limit.** A botnet whose every address is over the
 *   per-address rate makes a finding per address: 3,000 bots at 30 req/s made 2,664
 *   `http.source-rate` findings, 22,000 lines of text report. Per signature on single addresses,
 *   the SHOWN_ADDRESS_FINDINGS most severe and heaviest are shown in full; the rest are marked
 *   `inBrief`, and the reports list them one line each after the findings.
 *
 * Every finding stays in `attacks[]` with its own detail; this only links them. Logs and
 * captures alike (a count is requests or packets).
 */
import { SEVERITY_RANK, type Severity } from '../detectors/finding.js';

export interface Episode {
  id: number;
  start: string;
  end: string;
  durationSeconds: number;
  severity: Severity;
  /** Requests (logs) or packets (captures). */
  count: number;
}

/** What linkFindings adds to a finding of the report. */
export interface FindingLinks {
  /** The first of several findings of its signature on its target: all of them, in time order (itself first). */
  episodes?: Episode[];
  /** A later finding of its signature on its target: the id of the first (which lists it in `episodes`). */
  episodeOf?: number;
  /** The first finding of another signature on the same target over overlapping time: the same traffic. */
  sameTrafficAs?: number;
  /**
   * A source finding whose requests (packets) were mostly part of a URL's (a service's) finding
   * over the same time: its id, and how many of that finding's requests (packets) came from here.
   */
  partOf?: { id: number; count: number };
  /**
   * One of more than SHOWN_ADDRESS_FINDINGS findings of its signature on single addresses, not
   * among the most severe and heaviest: reports list it in one line (its detail is here).
   */
  inBrief?: true;
}

/** Findings of one signature on single addresses shown in full by the reports (see inBrief). */
export const SHOWN_ADDRESS_FINDINGS = 10;

export interface Linked extends FindingLinks {
  id: number;
  signature: string;
  target: string;
  targetKind?: string;
  start: string;
  end: string;
  durationSeconds: number;
  severity: Severity;
  attack: boolean;
  distinctSources: number;
  topSources: readonly { ip: string; count: number }[];
  /** Source findings of logs: the URLs it asked for. */
  topUrls?: readonly { value: string; count: number }[];
}

const targetOf = (a: Linked) => `${a.targetKind ?? ''}|${a.target}`;

/**
 * Link `attacks` (in report order: by start) in place; `count` gives a finding's requests or
 * packets. Indexed by target and address, not pair by pair: a botnet's sources can each make a
 * finding, thousands of them.
 */
export function linkFindings<T extends Linked>(attacks: T[], count: (a: T) => number): void {
  const order = new Map(attacks.map((a, i) => [a, i]));
  const groups = new Map<string, T[]>();
  for (const a of attacks) push(groups, `${a.signature}|${targetOf(a)}`, a);
  // Each group's first (in report order), with the span of all its episodes.
  const heads: Head<T>[] = [];
  for (const g of groups.values()) {
    const head = g[0]!;
    if (g.length > 1) {
      head.episodes = g.map((a) => ({ id: a.id, start: a.start, end: a.end, durationSeconds: a.durationSeconds, severity: a.severity, count: count(a) }));
      for (const a of g.slice(1)) a.episodeOf = head.id;
    }
    heads.push({ head, order: order.get(head)!, from: Date.parse(head.start), to: g.reduce((m, a) => Math.max(m, Date.parse(a.end)), -Infinity) });
  }
  heads.sort((x, y) => x.order - y.order);
  const overlap = (x: Head<T>, y: Head<T>) => x.from <= y.to && y.from <= x.to;

  // The same traffic: an earlier head on the same target, or (one way or the other) a source
  // finding and a finding whose one source it is.
  const byTarget = new Map<string, Head<T>[]>();
  const bySource = new Map<string, Head<T>[]>();
  const byOnlySource = new Map<string, Head<T>[]>();
  const only = (a: T) => (a.targetKind !== 'source' && a.distinctSources === 1 && a.topSources.length === 1 ? a.topSources[0]!.ip : undefined);
  for (const h of heads) {
    push(byTarget, targetOf(h.head), h);
    if (h.head.targetKind === 'source') push(bySource, h.head.target, h);
    const ip = only(h.head);
    if (ip !== undefined) push(byOnlySource, ip, h);
  }
  for (const h of heads) {
    const a = h.head;
    const ip = only(a);
    const pool = [...(byTarget.get(targetOf(a)) ?? []), ...(a.targetKind === 'source' ? (byOnlySource.get(a.target) ?? []) : []), ...(ip !== undefined ? (bySource.get(ip) ?? []) : [])];
    let first: Head<T> | undefined;
    for (const e of pool) if (e.order < h.order && e.head.sameTrafficAs === undefined && overlap(e, h) && (first === undefined || e.order < first.order)) first = e;
    if (first !== undefined) a.sameTrafficAs = first.head.id;
  }

  // Part of it: an address that sent most of its traffic to a URL (a service) found meanwhile —
  // its requests to it (its own top URLs), or its count among that finding's top sources.
  const byUrl = new Map<string, Head<T>[]>();
  const byMember = new Map<string, Head<T>[]>();
  for (const u of heads) {
    if (u.head.sameTrafficAs !== undefined || u.head.targetKind === 'source' || u.head.targetKind === 'prefix') continue;
    push(byUrl, u.head.target, u);
    for (const x of u.head.topSources) push(byMember, x.ip, u);
  }
  for (const h of heads) {
    const a = h.head;
    if (a.sameTrafficAs !== undefined || a.targetKind !== 'source') continue;
    const pool = new Set([...(byMember.get(a.target) ?? []), ...(a.topUrls ?? []).flatMap((x) => byUrl.get(x.value) ?? [])]);
    let best: { head: Head<T>; count: number } | undefined;
    for (const u of pool) {
      if (!overlap(u, h)) continue;
      const asked = a.topUrls?.find((x) => x.value === u.head.target)?.count ?? 0;
      const n = Math.max(asked, u.head.topSources.find((x) => x.ip === a.target)?.count ?? 0);
      if (n * 2 >= count(a) && (best === undefined || n > best.count || (n === best.count && u.order < best.head.order))) best = { head: u, count: n };
    }
    if (best !== undefined) a.partOf = { id: best.head.head.id, count: best.count };
  }

  // Many addresses of one signature: the most severe and heaviest in full, the rest in brief.
  const total = (a: T) => groupCount(a, count);
  const addresses = new Map<string, T[]>();
  for (const a of attacks) if (a.targetKind === 'source' && a.episodeOf === undefined) push(addresses, a.signature, a);
  for (const list of addresses.values()) {
    if (list.length <= SHOWN_ADDRESS_FINDINGS) continue;
    for (const a of briefOrder(list, total).slice(SHOWN_ADDRESS_FINDINGS)) a.inBrief = true;
  }
}

/** A finding's requests (packets: `count`), all its episodes' when it has several. */
export function groupCount<T extends Linked>(a: T, count: (a: T) => number): number {
  return a.episodes?.reduce((n, e) => n + e.count, 0) ?? count(a);
}

/** Findings most severe first, then heaviest (`total`), then in report order (the list's). */
export function briefOrder<T extends Linked>(list: readonly T[], total: (a: T) => number): T[] {
  const at = new Map(list.map((a, i) => [a, i]));
  return [...list].sort((x, y) => SEVERITY_RANK[groupSeverity(y)] - SEVERITY_RANK[groupSeverity(x)] || total(y) - total(x) || at.get(x)! - at.get(y)!);
}

interface Head<T> {
  head: T;
  order: number;
  from: number;
  to: number;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, [v]);
  else l.push(v);
}

/** The strongest severity of a finding's episodes (its own without any). */
export function groupSeverity(a: Linked): Severity {
  let s = a.severity;
  for (const e of a.episodes ?? []) if (SEVERITY_RANK[e.severity] > SEVERITY_RANK[s]) s = e.severity;
  return s;
}

/** Attack findings and the distinct targets they are on. */
export function attackTargets(attacks: readonly Linked[]): number {
  return new Set(attacks.filter((a) => a.attack).map(targetOf)).size;
}

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
}

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

/** Link `attacks` (in report order: by start) in place; `count` gives a finding's requests or packets. */
export function linkFindings<T extends Linked>(attacks: T[], count: (a: T) => number): void {
  const groups = new Map<string, T[]>();
  for (const a of attacks) {
    const k = `${a.signature}|${targetOf(a)}`;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [a]);
    else g.push(a);
  }
  const heads: { head: T; from: number; to: number }[] = [];
  for (const g of groups.values()) {
    const head = g[0]!;
    if (g.length > 1) {
      head.episodes = g.map((a) => ({ id: a.id, start: a.start, end: a.end, durationSeconds: a.durationSeconds, severity: a.severity, count: count(a) }));
      for (const a of g.slice(1)) a.episodeOf = head.id;
    }
    heads.push({ head, from: Date.parse(head.start), to: Math.max(...g.map((a) => Date.parse(a.end))) });
  }
  // Heads in report order; a later one on an earlier one's target over overlapping time is its traffic.
  heads.sort((x, y) => attacks.indexOf(x.head) - attacks.indexOf(y.head));
  heads.forEach((h, i) => {
    const first = heads.slice(0, i).find((e) => e.head.sameTrafficAs === undefined && e.from <= h.to && h.from <= e.to && (targetOf(e.head) === targetOf(h.head) || oneSource(e.head, h.head) || oneSource(h.head, e.head)));
    if (first !== undefined) h.head.sameTrafficAs = first.head.id;
  });
  // An address that sent most of its traffic as one of a URL's (a service's) sources meanwhile.
  for (const h of heads) {
    if (h.head.sameTrafficAs !== undefined || h.head.targetKind !== 'source') continue;
    let best: { id: number; count: number } | undefined;
    for (const u of heads) {
      if (u === h || u.head.sameTrafficAs !== undefined || u.head.targetKind === 'source' || u.head.targetKind === 'prefix' || u.from > h.to || h.from > u.to) continue;
      // Its requests to the URL (its own top URLs), or its count among the URL's top sources.
      const asked = h.head.topUrls?.find((x) => x.value === u.head.target)?.count ?? 0;
      const n = Math.max(asked, u.head.topSources.find((x) => x.ip === h.head.target)?.count ?? 0);
      if (n * 2 >= count(h.head) && n > (best?.count ?? 0)) best = { id: u.head.id, count: n };
    }
    if (best !== undefined) h.head.partOf = best;
  }
}

/** `of` is on one address (a source finding) and `b`'s traffic all came from it (one poller hammering a URL). */
function oneSource(of: Linked, b: Linked): boolean {
  return of.targetKind === 'source' && b.targetKind !== 'source' && b.distinctSources === 1 && b.topSources.length === 1 && b.topSources[0]!.ip === of.target;
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

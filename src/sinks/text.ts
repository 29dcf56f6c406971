/**
 * The terminal report: what an operator reads first — input summary, a request-rate
 * timeline, then every finding with its time span, peak, sources and evidence.
 */
import type { AttackSilence, QueryStrings, Report, SourceCount } from '../report/report.js';
import { describeExclusion, type BlockExclusion } from '../geo/blocklist.js';
import { printable } from '../report/printable.js';
import { briefOrder, groupCount, groupSeverity, SHOWN_ADDRESS_FINDINGS, type Linked } from '../report/groups.js';
import type { Severity } from '../detectors/finding.js';

export interface TextOptions {
  color: boolean;
  /** Top sources listed per finding. */
  topSources?: number;
}

const BAR = '█';

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

export function duration(s: number): string {
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h ${m}m ${sec}s` : `${m}m ${sec}s`;
}

/**
 * A line saying an attack was under way when the input began (so it began then or earlier)
 * or still when it ended, or null.
 */
export function underWayLine(a: { start: string; underWay?: { atStart: boolean; atEnd: boolean } }, input: string): string | null {
  const u = a.underWay;
  if (u === undefined) return null;
  if (u.atStart && u.atEnd) return `  under way for the whole ${input}: it began at ${when(a.start).slice(11)} or earlier, and may go on past its end`;
  if (u.atStart) return `  under way when the ${input} begins: it began at ${when(a.start).slice(11)} or earlier`;
  return `  still under way when the ${input} ends: it may go on`;
}

/** A rate before a silence: "82 req/s", "0.19 req/s". */
export function rateBefore(x: { rateBefore: number }): string {
  return `${x.rateBefore >= 10 ? fmt(x.rateBefore) : x.rateBefore} req/s`;
}

/** Silences listed one per line; more are summed up in one. */
const SHOWN_SILENCES = 3;

/** The end of a time range: its time of day, or date and time when on another day than `start`. */
function span(start: string, end: string): string {
  return start.slice(0, 10) === end.slice(0, 10) ? when(end).slice(11) : when(end);
}

/** A line on a silence of the log during an attack or at its edges (see AttackSilence). */
function silenceLine(x: AttackSilence): string {
  const d = duration(x.seconds);
  if (x.where === 'after') return `  the log falls silent at ${when(x.start).slice(11)} for ${d}: not seen to end`;
  if (x.where === 'before') return `  under way when the log resumes after ${d} of silence (${when(x.start).slice(11)} → ${span(x.start, x.end)}): it began then or earlier`;
  return `  the log is silent ${when(x.start).slice(11)} → ${span(x.start, x.end)} (${d}) during it: nothing logged, the attack's requests included`;
}

/** What the reports know of a finding's edges: under way as the input began or ended, the log silent at them. */
export interface Edges {
  start: string;
  underWay?: { atStart: boolean; atEnd: boolean };
  silences?: AttackSilence[];
}

/** A finding's lines on its edges (see Edges). */
export function edgeLines(a: Edges, input: 'log' | 'capture'): string[] {
  const uw = underWayLine(a, input);
  return [...(uw === null ? [] : [uw]), ...(a.silences ?? []).map(silenceLine)];
}

/** "2025-03-14T09:15:00+02:00" → "2025-03-14 09:15:00". */
export function when(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

/** A finding's severity as the reports' column: "HIGH  ", "MEDIUM", coloured by `c`. */
export function severityTag(x: Severity, c: (code: string, s: string) => string): string {
  return x === 'high' ? c('1;31', 'HIGH  ') : x === 'medium' ? c('1;33', 'MEDIUM') : x === 'low' ? c('33', 'LOW   ') : c('36', 'INFO  ');
}

export function clip(s: string, n: number): string {
  // Never let log bytes move the cursor or recolour the terminal.
  const clean = printable(s);
  return clean.length > n ? `${clean.slice(0, n - 1)}…` : clean;
}

export function renderText(r: Report, o: TextOptions): string {
  const c = (code: string, s: string) => (o.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const bold = (s: string) => c('1', s);
  const dim = (s: string) => c('2', s);
  const out: string[] = [];
  const i = r.input;
  out.push(bold(`floodscope ${r.tool.version}`) + dim(' — access-log analysis'));
  for (const f of i.files) {
    out.push(
      `Input    ${printable(f.name)}${f.compressed ? ' (gzip)' : ''}: ${bytes(f.bytes)}, ${fmt(f.lines)} lines, ${fmt(f.parsed)} parsed, ${fmt(f.malformed)} malformed` +
        (f.blank ? `, ${fmt(f.blank)} blank` : '') +
        (f.damage ? c('31', `  [${f.damage}]`) : ''),
    );
  }
  out.push(`Format   ${i.format} (${i.formatSource})`);
  if (i.start && i.end) out.push(`Span     ${when(i.start)} → ${when(i.end)} ${i.timeZone} (${duration(i.durationSeconds)})`);
  const s = r.summary;
  out.push(
    `Traffic  ${fmt(s.requests)} requests from ~${fmt(s.distinctSources)} sources, avg ${s.averageRate} req/s` +
      (s.peakAt ? `, peak ${fmt(s.peakRate)} req/s at ${when(s.peakAt).slice(11)}` : '') +
      (i.late ? `, ${fmt(i.late)} late` : ''),
  );
  if (i.silences.length <= SHOWN_SILENCES) {
    for (const x of i.silences) {
      const rate = rateBefore(x);
      const why = x.between
        ? `nothing logged between the end of ${printable(x.between[0])} and the start of ${printable(x.between[1])}, after ${rate} — a rotated file missing, or the server down?`
        : `nothing logged after ${rate} — the server down or restarting, or its logging stopped?`;
      out.push(c('33', `Silent   ${when(x.start)} → ${span(x.start, x.end)} ${i.timeZone} (${duration(x.seconds)}): ${why}`));
    }
  } else {
    // Many: a log with gaps by nature (sampled, filtered), or a server often down — one line.
    const all = i.silences.reduce((a, x) => a + x.seconds, 0);
    const longest = i.silences.reduce((a, x) => (x.seconds > a.seconds ? x : a));
    const share = i.durationSeconds > 0 ? ` (${pct(all / i.durationSeconds)} of the span)` : '';
    out.push(c('33', `Silent   ${fmt(i.silences.length)} times, ${duration(all)} in all${share}, the longest ${duration(longest.seconds)} from ${when(longest.start)}: a log with gaps (sampled or filtered?), or a server often down; each in --format json`));
  }
  if (i.malformed > 0) {
    const reasons = Object.entries(i.malformedByReason)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ');
    out.push(`Malformed ${fmt(i.malformed)} lines (${reasons}); first ${i.malformedSamples.length}:`);
    for (const m of i.malformedSamples) out.push(dim(`  ${printable(m.file)}:${m.line}: ${m.reason}`));
  }
  for (const w of i.warnings) out.push(c('33', `Warning  ${printable(w)}`));
  for (const e of i.errors) out.push(c('31', `Error    ${printable(e)}`));

  // Timeline: per minute, or per N minutes so it fits in about 60 rows.
  const counts = r.timeline.counts;
  if (counts.length > 0 && r.timeline.start) {
    const { per, max, rows } = timelineRows(counts, r.timeline.resolution, r.timeline.start, r.timeline.serverErrors);
    out.push('');
    out.push(bold(`Requests per ${per === 1 ? 'minute' : `${per} minutes`} (${i.timeZone})${rows.some((x) => failing(x.e, x.n)) ? ', with the share the server answered 5xx' : ''}`));
    const attackMinutes = r.attacks.filter((a) => a.attack).map((a) => [Date.parse(a.start), Date.parse(a.end)] as const);
    for (const { t0, label, n, e } of rows) {
      const width = max > 0 ? Math.round((n / max) * 50) : 0;
      const hit = attackMinutes.some(([a, b]) => a < t0 + per * 60000 && b >= t0);
      const bar = BAR.repeat(width) || (n > 0 ? '▏' : '');
      out.push(`${label}  ${hit ? c('31', bar) : bar} ${dim(fmt(n))}${failing(e, n) ? `  ${c('31', `5xx ${pct(e / n)}`)}` : ''}`);
    }
  }

  out.push('');
  out.push(bold(`Verdict: ${printable(s.verdict)}`));
  const shown = o.topSources ?? 10;
  // Findings by id, for the links between them (report/groups.ts).
  const byId = new Map(r.attacks.map((a) => [a.id, a]));
  r.attacks.forEach((a) => {
    if (a.episodeOf !== undefined || a.inBrief) return;
    out.push('');
    out.push(`${severityTag(groupSeverity(a), c)} ${bold(a.signature)}  ${clip(a.target || '""', 100)}${a.attack ? '' : dim('  (not an attack)')}`);
    out.push(...episodeLines(a, byId, i.timeZone, 'log', dim));
    out.push(`  ${when(a.start)} → ${when(a.end).slice(11)} ${i.timeZone}  (${duration(a.durationSeconds)})`);
    out.push(...edgeLines(a, 'log'));
    out.push(`  peak ${fmt(a.peakRate)} req/s at ${when(a.peakAt).slice(11)}, window rate ${a.windowRate} req/s, ${fmt(a.requests)} requests from ${a.distinctSources === 1 ? '1 source' : `~${fmt(a.distinctSources)} sources`}`);
    const ev = Object.entries(a.evidence)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    out.push(dim(`  evidence: ${ev}`));
    // On the same traffic as a finding above: its sources and texts are there, not listed again.
    const same = sameTrafficLine(a, byId);
    if (same !== null) out.push(same);
    const part = partOfLine(a, byId, 'requests');
    if (part !== null) out.push(part);
    if (a.note !== undefined) out.push(`  note: ${a.note}`);
    const se = a.serverErrors;
    if (se !== undefined && (se.share >= SHOWN_ERROR_SHARE || (se.before ?? 0) >= SHOWN_ERROR_SHARE)) {
      const split = se.target != null && se.rest != null ? ` (${pct(se.target)} of its own, ${pct(se.rest)} of the rest of the site's)` : '';
      out.push(`  server errors (5xx): ${pct(se.share)} of all requests meanwhile${split}${se.before !== null ? `, ${pct(se.before)} in the hour before` : ''}`);
    }
    if (same === null) out.push(...geoLines(a));
    if (same === null && a.topSources.length > 0) {
      out.push(`  top sources:`);
      out.push(...sourceLines(a.topSources, shown, dim));
      const v = a.visitorSources.length;
      if (v > 0) out.push(`    ${fmt(v)} of them ${v === 1 ? 'is a visitor' : 'are visitors'} caught in the flood (requested it with a referrer; the flood sends none): not blocked`);
    }
    if (a.queries !== undefined) out.push(queryLine(a.queries));
    if (same !== null) return;
    if (a.topUrls.length > 0) out.push(`  top URLs: ${a.topUrls.slice(0, 5).map((u) => `${clip(u.value, 60)} (${fmt(u.count)})`).join(', ')}`);
    if (a.topUserAgents.length > 0) {
      out.push(`  top user agents:`);
      for (const u of a.topUserAgents.slice(0, 3)) out.push(`    ${fmt(u.count).padStart(9)}  ${clip(u.value, 100)}`);
    }
    const emptyShare = typeof a.evidence.emptyReferrerShare === 'number' ? a.evidence.emptyReferrerShare : null;
    if (a.topReferrers.length > 0 || emptyShare !== null) {
      out.push(`  top referrers:${emptyShare !== null ? ` ("-" on ${Math.round(emptyShare * 100)}% of requests)` : ''}`);
      for (const u of a.topReferrers.slice(0, 3)) out.push(`    ${fmt(u.count).padStart(9)}  ${clip(u.value, 100)}`);
    }
  });
  out.push(...briefLines(r.attacks, byId, (a) => a.requests, 'requests', i.timeZone, c));
  out.push('');
  out.push(...footerLines(r));
  return endLine(out.join('\n'));
}

/**
 * An alert's top sources, one line each: address, place, count (a range "min–max" when the
 * count came from a summary that had to evict: see SourceCount.minCount), then how many more
 * the JSON report lists.
 */
export function sourceLines(list: readonly SourceCount[], shown: number, dim: (s: string) => string): string[] {
  const out: string[] = [];
  const ranged = list.slice(0, shown).some((t) => t.minCount !== undefined);
  for (const t of list.slice(0, shown)) {
    out.push(`    ${t.ip.padEnd(39)} ${clip(`${t.country ?? ''}${t.city ? ` ${t.city}` : ''}`, 24).padEnd(24)} ${countText(t).padStart(ranged ? 15 : 9)}${t.asn !== undefined ? `  AS${t.asn} ${clip(t.asOrg ?? '', 40)}` : ''}`);
  }
  if (list.length > shown) out.push(dim(`    … ${fmt(list.length - shown)} more listed in --format json`));
  if (ranged) out.push(dim('    (a–b: more sources than the summary holds, so a count is known only as at least a, at most b)'));
  return out;
}

/** Episodes listed under a finding; more are counted in one line. */
const SHOWN_EPISODES = 12;

/**
 * Under the first of several findings of one signature on one target (see report/groups.ts):
 * each, one line, and that the detail below is the first's. Nothing for a finding alone.
 */
export function episodeLines<T extends Linked & Edges>(a: T, byId: ReadonlyMap<number, T>, zone: string, input: 'log' | 'capture', dim: (s: string) => string): string[] {
  const eps = a.episodes;
  if (eps === undefined) return [];
  const last = eps.reduce((m, e) => (e.end > m ? e.end : m), eps[0]!.end);
  const total = eps.reduce((n, e) => n + e.count, 0);
  const out = [`  ${eps.length} episodes, ${when(a.start)} → ${span(a.start, last)} ${zone}, ${fmt(total)} ${input === 'log' ? 'requests' : 'packets'} in all:`];
  const mixed = eps.some((e) => e.severity !== eps[0]!.severity);
  eps.slice(0, SHOWN_EPISODES).forEach((e, k) => {
    // Times of day; a date where an episode is on another day than the first's start.
    out.push(`    ${span(a.start, e.start)} → ${span(e.start, e.end).padEnd(8)} ${`(${duration(e.durationSeconds)})`.padEnd(12)} ${fmt(e.count).padStart(9)}${mixed ? `  ${e.severity}` : ''}`);
    // What is known of its edges (the log silent before or after it): the first's are in its detail.
    const x = k > 0 ? byId.get(e.id) : undefined;
    if (x !== undefined) out.push(...edgeLines(x, input).map((l) => `    ${l}`));
  });
  if (eps.length > SHOWN_EPISODES) out.push(dim(`    … ${fmt(eps.length - SHOWN_EPISODES)} more listed in --format json`));
  out.push(dim('  the first in detail (each in --format json):'));
  return out;
}

/**
 * A finding on the same traffic as an earlier one (see report/groups.ts): the line that points
 * there instead of listing its sources and texts again; null for any other.
 */
export function sameTrafficLine(a: Linked, byId: ReadonlyMap<number, Linked>): string | null {
  if (a.sameTrafficAs === undefined) return null;
  const first = byId.get(a.sameTrafficAs);
  if (first === undefined) return null;
  return `  the same traffic as ${first.signature} on ${clip(first.target, 60)} above: its sources, countries and texts are listed there`;
}

/** A source finding that was part of a URL's (a service's) finding (see report/groups.ts): the line saying so; null for any other. */
export function partOfLine(a: Linked, byId: ReadonlyMap<number, Linked & { requests?: number; packets?: number }>, unit: 'requests' | 'packets'): string | null {
  const p = a.partOf;
  const of = p === undefined ? undefined : byId.get(p.id);
  if (p === undefined || of === undefined) return null;
  const total = of[unit];
  return `  part of ${of.signature} on ${clip(of.target, 60)}: ${fmt(p.count)}${total !== undefined ? ` of its ${fmt(total)}` : ''} ${unit} came from this address`;
}

/** Rows of a signature's findings in brief (see briefLines); more are counted. */
const LISTED_BRIEF = 30;

/**
 * After the findings: per signature, its findings on single addresses beyond the ones shown in
 * full (report/groups.ts `inBrief`), one line each — address, time, peak, count, what it was part of.
 */
export function briefLines<T extends Linked & { peakRate: number }>(
  attacks: readonly T[],
  byId: ReadonlyMap<number, Linked>,
  count: (a: T) => number,
  unit: 'requests' | 'packets',
  zone: string,
  c: (code: string, s: string) => string,
): string[] {
  const bySig = new Map<string, T[]>();
  for (const a of attacks) {
    if (a.inBrief !== true) continue;
    const l = bySig.get(a.signature);
    if (l === undefined) bySig.set(a.signature, [a]);
    else l.push(a);
  }
  const out: string[] = [];
  const total = (a: T) => groupCount(a, count);
  for (const [sig, list] of bySig) {
    const ranked = briefOrder(list, total);
    const sev = groupSeverity(ranked[0]!);
    out.push('');
    const info = list.every((a) => !a.attack) ? c('2', '  (not attacks)') : '';
    out.push(`${severityTag(sev, c)} ${c('1', sig)}  ${fmt(list.length)} more addresses, one line each (${zone}): the ${SHOWN_ADDRESS_FINDINGS} most severe and heaviest are above, every detail in --format json${info}`);
    for (const a of ranked.slice(0, LISTED_BRIEF)) {
      const eps = a.episodes !== undefined ? `, ${a.episodes.length} episodes` : '';
      const part = a.partOf !== undefined ? byId.get(a.partOf.id) : undefined;
      out.push(
        `    ${a.target.padEnd(39)} ${when(a.start)} → ${span(a.start, a.end)}${eps}  peak ${fmt(a.peakRate)}/s  ${fmt(total(a)).padStart(9)} ${unit}` +
          (part !== undefined ? `  part of ${part.signature} on ${clip(part.target, 40)}` : ''),
      );
    }
    if (ranked.length > LISTED_BRIEF) out.push(c('2', `    … ${fmt(ranked.length - LISTED_BRIEF)} more listed in --format json`));
  }
  return out;
}

/** A source's count, "min–max" when the summary had to evict (see SourceCount.minCount). */
export function countText(t: SourceCount): string {
  return t.minCount !== undefined ? `${fmt(t.minCount)}–${fmt(t.count)}` : fmt(t.count);
}

/** The query strings of a URL alert's requests (the URL is keyed without them). */
export function queryLine(q: QueryStrings): string {
  const what = q.cacheBusting
    ? `: a different one on nearly every request — cache-busting, each misses any cache and reaches the server`
    : '';
  const eg = q.examples.length > 0 ? `; e.g. ${q.examples.map((e) => `?${clip(e, 40)}`).join(', ')}` : '';
  return `  query strings: on ${pct(q.share)} of its requests, ${q.distinct === 1 ? '1 distinct' : `~${fmt(q.distinct)} distinct`}${what}${eg}`;
}

/** Server-error shares below this are not printed (a few 5xx are any site's background). */
const SHOWN_ERROR_SHARE = 0.01;
const failing = (errors: number, requests: number) => errors > 0 && errors >= requests * SHOWN_ERROR_SHARE;

/** 0.123 → "12 %"; below 10 % one decimal: "1.5 %". */
function pct(x: number): string {
  const p = x * 100;
  return `${p >= 10 ? Math.round(p) : Math.round(p * 10) / 10} %`;
}

/** A report ends with a newline, as a line of text does (the shell's prompt starts on its own line). */
export function endLine(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** Lines shared by both terminal reports: where an attack came from, and the block list. */
export function geoLines(a: { countries?: { country: string; share: number; sources: number; before?: number }[]; asns?: { asn: number; org: string; share: number }[]; prefixes?: { prefix: string; members: number; share: number }[]; widePrefixes?: { prefix: string; members: number; share: number }[] }): string[] {
  const out: string[] = [];
  if (a.countries && a.countries.length > 0) {
    out.push(
      `  countries: ${a.countries
        .slice(0, 6)
        .map((c) => `${c.country} ${Math.round(c.share * 100)}% (${c.sources})${c.before !== undefined ? ` vs ${Math.round(c.before * 100)}% before` : ''}`)
        .join(', ')}`,
    );
  }
  if (a.asns && a.asns.length > 0) out.push(`  networks: ${a.asns.slice(0, 4).map((x) => `AS${x.asn} ${clip(x.org, 30)} ${Math.round(x.share * 100)}%`).join(', ')}`);
  if (a.prefixes && a.prefixes.length > 0) {
    out.push(`  prefixes: ${a.prefixes.slice(0, 5).map((p) => `${p.prefix} ${p.members} sources, ${Math.round(p.share * 100)}%`).join('; ')}`);
  }
  if (a.widePrefixes && a.widePrefixes.length > 0) {
    out.push(`  dense: ${a.widePrefixes.slice(0, 3).map((p) => `${p.prefix} ${p.members} sources, ${Math.round(p.share * 100)}%`).join('; ')}`);
  }
  return out;
}

export function footerLines(r: {
  geo?: { attribution: string } | null;
  blocklist?: { entries: unknown[]; excluded: BlockExclusion[] } | null;
  limits?: import('../report/limits.js').LimitSuggestion | null;
  connLimits?: import('../report/limits.js').ConnLimitSuggestion | null;
}): string[] {
  const out: string[] = [];
  if (r.connLimits) {
    const l = r.connLimits;
    out.push(`Suggested connection limit: ${l.connections} per source (${l.basis})`);
    out.push(`  would have stopped ${l.attackSourcesStopped} of ${l.attackSources} connection floods, and hit ${l.normalHit} of ${l.normalObservations} normal observations`);
    out.push(`  ${l.iptables}`);
  } else if (r.connLimits === null) out.push('Suggested connection limit: no normal TCP connections (steps without an alert) to derive it from');
  if (r.limits) {
    const l = r.limits;
    out.push(`Suggested per-source limit: ${l.rate} req/s, burst ${l.burst} (${l.basis})`);
    out.push(`  would have stopped ${l.attackSourcesStopped} of ${l.attackSources} listed attack sources, and hit ${l.normalHit} of ${l.normalObservations} normal observations`);
    if (l.caveat !== null) out.push(`  note: ${l.caveat}`);
    out.push(`  ${l.iptables}`);
    for (const n of l.nginx) out.push(`  nginx: ${n}`);
  } else if (r.limits === null) out.push('Suggested limits: no normal traffic (steps without an alert) to derive them from');
  if (r.blocklist) {
    const ex = r.blocklist.excluded;
    const more = ex.length > 5 ? `; and ${ex.length - 5} more (in --format json)` : '';
    out.push(`Block list: ${r.blocklist.entries.length} entries; left out: ${ex.length === 0 ? 'nothing' : ex.slice(0, 5).map((e) => printable(describeExclusion(e))).join('; ')}${more}`);
  }
  if (r.geo) out.push(r.geo.attribution);
  return out;
}

/**
 * A timeline (counts of `resolution` seconds each, from `start`) in about 60 rows: the minutes
 * a row covers, the largest row, and each row's start (epoch ms), label and sum. Shared by the
 * log and the capture text reports.
 */
export function timelineRows(
  counts: readonly number[],
  resolution: number,
  start: string,
  errors: readonly number[] = [],
): { per: number; max: number; rows: { t0: number; label: string; n: number; e: number }[] } {
  const res = resolution / 60;
  const step = Math.max(1, Math.ceil(counts.length / 60));
  const per = step * res;
  const startMs = Date.parse(start);
  const zoneShift = Date.parse(`${start.slice(0, 19)}Z`) - startMs;
  const rows: { t0: number; label: string; n: number; e: number }[] = [];
  const sum = (xs: readonly number[], k: number) => xs.slice(k, k + step).reduce((a, b) => a + b, 0);
  for (let k = 0; k < counts.length; k += step) {
    const t0 = startMs + (k / step) * per * 60000;
    rows.push({ t0, label: timelineStamp(new Date(t0 + zoneShift).toISOString(), per, counts.length * res), n: sum(counts, k), e: sum(errors, k) });
  }
  return { per, max: Math.max(...rows.map((r) => r.n)), rows };
}

/** A timeline row's label from its ISO time: HH:MM within a day, with the date over days, the date alone over a year. */
function timelineStamp(iso: string, perMinutes: number, spanMinutes: number): string {
  if (spanMinutes > 525_600) return iso.slice(0, 10);
  return perMinutes >= 1440 || spanMinutes > 1440 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

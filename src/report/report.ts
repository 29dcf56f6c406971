/**
 * The materialized report: one plain object every sink reads (text, JSON, later NDJSON,
 * HTML, block lists). Its JSON form is the documented `--format json` schema
 * (README "JSON report"). Nothing in it depends on thread count or wall-clock time, so
 * the same input gives the same report.
 */
import { formatIp } from '../parsers/ip.js';
import { isoWithOffset, zoneLabel } from '../parsers/timestamp.js';
import type { Alert } from '../detectors/alert.js';
import type { AlertBase } from '../detectors/alert-base.js';
import { round, type Severity, type Signature, type TargetKind } from '../detectors/finding.js';
import type { DetectConfig } from '../detectors/config.js';
import { C } from '../partial/partial.js';
import { decodeCountry } from '../geo/country-code.js';
import type { Engine, Silence } from '../windows/engine.js';
import { REGULAR_MIN_COUNT, type RegularSource } from '../detectors/regular.js';
import type { Outliers } from '../windows/windowed-engine.js';
import type { TopEntry } from '../sketches/space-saving.js';
import { urlKey, type Queries } from '../windows/bucket.js';
import { cdnOf } from '../geo/cdn.js';
import { attackTargets, linkFindings, type FindingLinks } from './groups.js';

export const REPORT_SCHEMA = 'floodscope.report/v1';
export const TOP_SOURCES_JSON = 1000;

export interface SourceCount {
  ip: string;
  /** Requests (packets) from it: exact, or, with minCount, the summary's upper bound. */
  count: number;
  /**
   * Present when the count came from a summary that had to evict (many more sources than it
   * holds: a flood of sources sending a request or two each): the source sent at least this
   * many and at most `count`.
   */
  minCount?: number;
  /** With geolocation: ISO country code or a label (private, loopback, …). */
  country?: string;
  city?: string;
  latitude?: number;
  longitude?: number;
  asn?: number;
  asOrg?: string;
}

/** Share of an attack's listed sources (weighted by requests or packets). */
export interface CountryShare {
  country: string;
  count: number;
  share: number;
  sources: number;
  /** Share of this country in the traffic before the attack (when known). */
  before?: number;
}

export interface AsnShare {
  asn: number;
  org: string;
  count: number;
  share: number;
  sources: number;
}

export interface PrefixShare {
  prefix: string;
  members: number;
  count: number;
  share: number;
}

/** Added by enrichment (src/report/enrich.ts). */
export interface ShedReport {
  chunks: number;
  lines: number;
  /** Lines analyzed / lines read. */
  ratio: number;
}

export interface AttackGeo {
  /** Distinct sources on the target per step (or per sourcesResolution seconds) while the attack was active. */
  sourcesOverTime?: { start: string; distinct: number }[];
  /** Seconds each point of sourcesOverTime covers: the step, or a multiple of it for a long attack (at most 720 points). */
  sourcesResolution?: number;
  countries?: CountryShare[];
  /** With an ASN database. */
  asns?: AsnShare[];
  /** Sources of the traffic before the attack (for the "before" shares), not part of the JSON. */
  before?: SourceCount[];
  /** Requests/packets by country from the workers, of the attack and before it; not part of the JSON. */
  countryCounts?: [string, number][];
  countryBefore?: [string, number][];
  /** /24 (IPv4) or /64 (IPv6) prefixes with at least 2 member sources. */
  prefixes?: PrefixShare[];
  /** /16 or /48 prefixes with at least 8 member sources. */
  widePrefixes?: PrefixShare[];
}

export interface ReportGeo {
  /** --suggest-limits: logs (requests per source). */
  limits?: import('./limits.js').LimitSuggestion | null;
  /** --suggest-limits: captures (concurrent connections per source). */
  connLimits?: import('./limits.js').ConnLimitSuggestion | null;
  geo?: { attribution: string; countryDb: string; asnDb: string | null } | null;
  blocklist?: import('../geo/blocklist.js').BlockPlan | null;
}

export interface ValueCount {
  value: string;
  count: number;
}

export interface AttackReport extends AttackGeo, FindingLinks {
  id: number;
  signature: Signature;
  severity: Severity;
  /** false for info-level findings (a flash crowd): reported, not an attack. */
  attack: boolean;
  target: string;
  targetKind: TargetKind;
  start: string;
  end: string;
  durationSeconds: number;
  /** Highest requests per second on the target (per-second resolution). */
  peakRate: number;
  peakAt: string;
  /** Highest window-average rate, req/s. */
  windowRate: number;
  requests: number;
  distinctSources: number;
  topSources: SourceCount[];
  /**
   * Those of topSources that are the site's regular sources (summary.regularSources) or edge
   * servers of the CDN it is behind (summary.cdn): not to be blocked.
   */
  regularSources: string[];
  /**
   * URL alerts whose requests mostly carry no referrer (a flood): those of topSources whose
   * requests to the URL mostly did — the site's visitors who loaded it during the flood. Not blocked.
   */
  visitorSources: string[];
  /** What the finding means when its target does not say it (see NO_REQUEST_NOTE). */
  note?: string;
  /**
   * The whole site's requests answered 5xx (the server failing), as a share of all its requests
   * in the minutes of the attack and in the hour before it (null: no requests then). Report only,
   * not in live events.
   */
  serverErrors?: {
    share: number;
    before: number | null;
    /** URL alerts: of its own requests, those answered 5xx; and of the rest of the site's meanwhile (null: none). */
    target?: number | null;
    rest?: number | null;
  };
  /** Report only: under way when the input began or still when it ended (see UnderWay). */
  underWay?: UnderWay;
  /** Report only: the log's silences during the attack or at its edges (see SilenceReport). */
  silences?: AttackSilence[];
  topUserAgents: ValueCount[];
  topReferrers: ValueCount[];
  topUrls: ValueCount[];
  /**
   * URL alerts whose requests carried query strings (the URL is keyed without them): the share
   * of its requests with one, the distinct ones (estimated), whether nearly every request had
   * its own (cache-busting: each misses any cache and reaches the server) and the first few.
   */
  queries?: QueryStrings;
  evidence: Record<string, number | string>;
}

export interface QueryStrings {
  share: number;
  distinct: number;
  cacheBusting: boolean;
  examples: string[];
}

/**
 * The query strings of an alert's requests, or null with none. Cache-busting: most requests
 * carry one and at least half of those are distinct (the sketch's error is ~3 %; a page's own
 * parameters give a handful, a link with a per-click id one per visitor, not per request).
 */
export function queryStrings(q: Queries, requests: number): QueryStrings | null {
  const s = share(q.requests, requests);
  if (q.requests === 0 || s === null) return null;
  const distinct = q.distinct;
  return { share: s, distinct, cacheBusting: s >= 0.5 && distinct >= 0.5 * q.requests, examples: [...q.examples] };
}

export interface FileReport {
  name: string;
  compressed: boolean;
  bytes: number;
  lines: number;
  parsed: number;
  malformed: number;
  blank: number;
  overlong: number;
  /** Requests stamped within time already analyzed when they were read (see overlapWarning): counted, not in detection. */
  late: number;
  /** Set when the input ended badly (truncated gzip …). */
  damage: string | null;
}

/**
 * An input whose records came for time already analyzed: they are late — counted, but not in
 * detection, which then saw part of that time's traffic. Inputs are read side by side in time
 * order (see pipeline/analyze.ts), so this takes records far out of order (a first record far
 * from the rest). Said per input past a few records at a boundary (null otherwise).
 */
export function overlapWarning(name: string, late: number, total: number, unit: 'requests' | 'packets', index: number): string | null {
  if (index === 0 || late < 10 || late < total * 0.01) return null;
  return `${name}: ${late} of its ${total} ${unit} (${((late / total) * 100).toFixed(1)} %) came for time already analyzed and are counted but left out of detection, which saw part of the traffic of that time: its ${unit === 'packets' ? 'packets' : 'records'} are far out of time order against the other inputs (a first ${unit === 'packets' ? 'packet' : 'line'} far from the rest?)`;
}

/**
 * A log written out of order (each minute's lines shuffled: merged from several servers or
 * buffered writers) whose lines came more than the lateness after lines stamped later: late,
 * counted, not in detection. `disorder`: the most seconds its lines ran backwards. A batch run
 * follows the disorder up to a window (WindowedEngine.noteDisorder), live mode keeps --lateness
 * (its alert latency): said past a few records and 0.1 % (null otherwise).
 */
export function disorderWarning(name: string, late: number, total: number, disorder: number): string | null {
  if (late < 10 || late < total * 0.001) return null;
  const s = Math.ceil(disorder);
  const head = `${name}: ${late} of its ${total} requests (${((late / total) * 100).toFixed(1)} %) came more than the lateness allowed after lines stamped later and are counted but left out of detection, which saw part of the traffic of their time: `;
  // Hours back is no shuffle but pieces of a log in the wrong order, which no lateness should hold.
  if (s > MAX_LATENESS_HINT) return `${head}the log goes back in time by up to ${(s / 3600).toFixed(1)} h at places (rotated logs joined newest first, as \`cat access.log access.log.1\` does?): give the files by name, which are read oldest first, or in time order`;
  return `${head}the log runs up to ${s}s out of time order (merged from several servers or buffered writers?); --lateness ${s}s takes them in`;
}

/** Seconds of disorder past which the warning suggests no --lateness (see disorderWarning). */
const MAX_LATENESS_HINT = 3600;

export interface MalformedSample {
  file: string;
  line: number;
  reason: string;
}

export interface Report extends ReportGeo {
  schema: typeof REPORT_SCHEMA;
  kind: 'logs';
  tool: { name: 'floodscope'; version: string };
  input: {
    files: FileReport[];
    format: string;
    formatSource: 'given' | 'detected';
    lines: number;
    parsed: number;
    malformed: number;
    blank: number;
    overlong: number;
    late: number;
    start: string | null;
    end: string | null;
    durationSeconds: number;
    timeZone: string;
    malformedSamples: MalformedSample[];
    malformedByReason: Record<string, number>;
    warnings: string[];
    errors: string[];
    /** Runs of a window (a minute) or more in which nothing was logged, improbable at the rate before (see Silence). */
    silences: SilenceReport[];
    /** Live `--shed`: chunks and lines skipped under overload, and the share analyzed. */
    shed?: ShedReport;
  };
  settings: DetectConfig & { clientIp: 'remote' | 'xff' };
  summary: {
    requests: number;
    bytes: number;
    distinctSources: number;
    peakRate: number;
    peakAt: string | null;
    averageRate: number;
    status: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'other', number>;
    /** null when the log format records no referrer. */
    emptyReferrerShare: number | null;
    topUrls: ValueCount[];
    topSources: SourceCount[];
    /** The site's regular sources (detectors/regular.ts), left out of block lists. */
    regularSources: RegularSource[];
    /**
     * The CDN this site is behind (geo/cdn.ts): most of its requests, before the first attack,
     * came from that CDN's edge servers; they are left out of block lists. Else null.
     */
    cdn: { name: string; share: number } | null;
    /**
     * Share of the requests (before the first attack, see Engine.forwardedShare) that carried an
     * X-Forwarded-For address: came through a proxy. null when the format logs no such field.
     */
    forwardedShare: number | null;
    attacks: number;
    infoFindings: number;
    verdict: string;
  };
  /**
   * Requests per minute from the first to the last minute of the input's span; `resolution`
   * is the seconds a count covers: 60, or whole minutes so that there are ≤ MAX_TIMELINE_POINTS.
   */
  /** counts: requests per point; serverErrors: of them, answered 5xx (the server failing). */
  timeline: { resolution: number; start: string | null; counts: number[]; serverErrors: number[] };
  attacks: AttackReport[];
}

export interface InputStats {
  files: FileReport[];
  /** Each input's oldest and newest record time (inputs with records), to tell a silence between two. */
  spans: { name: string; first: number; last: number }[];
  format: string;
  formatSource: 'given' | 'detected';
  /** The format has an X-Forwarded-For field. */
  forwardedField: boolean;
  samples: MalformedSample[];
  reasons: Record<string, number>;
  warnings: string[];
  errors: string[];
}

function sortedTexts(m: Map<string, number>, n: number): ValueCount[] {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([value, count]) => ({ value, count }));
}

/** What the log and the packet alert report both take from an alert. */
type ReportedAlert = AlertBase<unknown> & { readonly kind: string };

/**
 * An attack under way when the input began (its start is the input's first second: it began
 * then or earlier — a log rotated, or a capture started, during the attack) or still when it
 * ended (it may go on).
 */
export interface UnderWay {
  atStart: boolean;
  atEnd: boolean;
}

/**
 * A time the log is silent (windows/engine.ts Silence): its first and last silent second,
 * and requests per second over the ten minutes before it.
 */
export interface SilenceReport {
  start: string;
  end: string;
  seconds: number;
  rateBefore: number;
  /** The inputs it falls between: the last line of one, the first of the next (a rotated file missing?). */
  between?: [string, string];
}

/**
 * A silence seen from an attack: `during` it, right `after` its last second (the log fell
 * silent while it went on: not seen to end), or right `before` its first (it was under way
 * when the log resumed: it began then or earlier). "Right": within a step.
 */
export interface AttackSilence extends SilenceReport {
  where: 'during' | 'after' | 'before';
}

/** The silences touching an attack (see AttackSilence), or undefined when none does. */
export function attackSilences(a: { start: number; end: number }, silences: readonly Silence[], step: number, zone: number, spans: InputStats['spans']): AttackSilence[] | undefined {
  const out: AttackSilence[] = [];
  for (const x of silences) {
    const where = x.start > a.start && x.end < a.end ? 'during' : x.start > a.end && x.start <= a.end + 1 + step ? 'after' : x.end < a.start && x.end >= a.start - 1 - step ? 'before' : null;
    if (where !== null) out.push({ ...silenceReport(x, zone, spans), where });
  }
  return out.length > 0 ? out : undefined;
}

export function silenceReport(x: Silence, zone: number, spans: InputStats['spans'] = []): SilenceReport {
  const r: SilenceReport = { start: isoWithOffset(x.start, zone), end: isoWithOffset(x.end, zone), seconds: x.end - x.start + 1, rateBefore: x.rateBefore };
  const before = spans.find((f) => f.last === x.start - 1);
  const after = spans.find((f) => f.first === x.end + 1);
  if (before !== undefined && after !== undefined && before !== after) r.between = [before.name, after.name];
  return r;
}

/** The attack's UnderWay, given the input's span, or undefined when it was neither. */
export function underWay(a: { start: number; end: number }, span: { start: number; end: number } | null): UnderWay | undefined {
  if (span === null) return undefined;
  const atStart = a.start <= span.start + 1;
  const atEnd = a.end >= span.end - 1;
  return atStart || atEnd ? { atStart, atEnd } : undefined;
}

/** For a verdict: " (under way when the input began …)", or "". */
function underWaySuffix(u: UnderWay | undefined): string {
  if (u === undefined) return '';
  return u.atStart && u.atEnd ? ' (under way for the whole input)' : u.atStart ? ' (under way when the input began: it began then or earlier)' : ' (still under way when the input ended)';
}

/**
 * A verdict naming `n` attack findings, the `targets` they are on when fewer (a source over its
 * limit again and again, a URL flood found by two signatures), and the largest, `top` (logs and
 * captures alike).
 */
export function attacksVerdict(n: number, top: { signature: string; target: string; start: string; end: string; underWay?: UnderWay }, targets = n): string {
  const f = (x: number) => x.toLocaleString('en-US');
  return `${f(n)} attack finding${n === 1 ? '' : 's'}${targets < n ? ` on ${f(targets)} target${targets === 1 ? '' : 's'}` : ''}; largest: ${top.signature} on ${top.target} from ${top.start} to ${top.end}${underWaySuffix(top.underWay)}`;
}

/** The fields every attack report starts with (the JSON keeps this order). */
export function alertHead(a: ReportedAlert, zone: number) {
  const start = Number.isFinite(a.start) ? a.start : 0;
  const end = Number.isFinite(a.end) ? a.end : start;
  return {
    id: a.id,
    signature: a.signature,
    severity: a.severity,
    attack: a.isAttack,
    target: a.target,
    targetKind: a.kind,
    start: isoWithOffset(start, zone),
    end: isoWithOffset(end, zone),
    durationSeconds: end - start + 1,
    peakRate: Math.round(a.peakRate * 100) / 100,
    // peakAt is set with the first active second (or the window, for a steady rate); start otherwise.
    peakAt: isoWithOffset(a.peakAt || start, zone),
  };
}

/**
 * How a live event's alert differs from the report's: its top sources carry their country
 * (the report's get theirs, and more, from the enrichment at the end), and the fields only
 * the enrichment reads (the sources and countries before the attack) are left out.
 */
export interface EventAlertOptions {
  /** Country code or label of an address, or null without geolocation. */
  country: ((w0: number, w1: number, w2: number, w3: number) => string) | null;
}

/** The alert's top sources as the JSON has them. */
export function reportedSources(entries: readonly TopEntry[], ev?: EventAlertOptions): SourceCount[] {
  const country = ev?.country ?? null;
  return entries.map((e) => {
    const s: SourceCount = { ip: formatIp(e.w0, e.w1, e.w2, e.w3), count: e.count };
    if (e.error > 0) s.minCount = e.count - e.error;
    if (country !== null) s.country = country(e.w0, e.w1, e.w2, e.w3);
    return s;
  });
}

/** The fields every attack report ends with: evidence, and what the geo enrichment works from. */
export function alertTail(a: ReportedAlert, zone: number, ev?: EventAlertOptions) {
  const common = {
    evidence: a.evidence,
    sourcesOverTime: a.sourcesOverTime.map(([t, n]) => ({ start: isoWithOffset(t, zone), distinct: n })),
    sourcesResolution: a.sourcesResolution,
  };
  if (ev !== undefined) return common;
  return {
    ...common,
    before: a.before.map((e) => ({ ip: formatIp(e.w0, e.w1, e.w2, e.w3), count: e.count })),
    countryCounts: [...a.countries].map(([c, n]): [string, number] => [decodeCountry(c), n]),
    countryBefore: [...a.beforeCountries].map(([c, n]): [string, number] => [decodeCountry(c), n]),
  };
}

/** A URL alert's requests are a flood without referrers when at most this share carry one … */
export const FLOOD_MAX_REFERRED = 0.2;

/**
 * … and then a source of it whose requests to the URL mostly carried one is a visitor who
 * loaded the page during the flood: a browser that followed a link, unlike the flood's bots.
 */
function visitorSources(a: Alert, entries: readonly TopEntry[]): string[] {
  if (a.kind !== 'url' || a.requests === 0 || a.referredRequests > FLOOD_MAX_REFERRED * a.requests) return [];
  return a.legitSources(entries);
}

/**
 * The request line a server logs for a connection that sent no complete request: "-" (Apache,
 * nginx) or "" (nginx). A flood of them is no URL flood: connections held open until the
 * server's timeout (408) or closed without a request (400).
 */
const NO_REQUEST = new Set(['-', '']);
export const NO_REQUEST_NOTE =
  'no request line ("-"): connections that sent no complete request before the server timed them out (408) or closed them (400) — a slow-request (Slowloris) attack or a connection flood holding the server\'s workers. Besides blocking the sources: limit connections per source (iptables connlimit) and the time a client has to send its headers (Apache mod_reqtimeout, nginx client_header_timeout)';

/**
 * What the finding means when its target or signature alone does not say it: NO_REQUEST_NOTE
 * when its target is that request line or most of its requests are; how a flood that opened as
 * a flash crowd was told from one.
 */
function noteOf(a: Alert, urls: readonly ValueCount[]): string | undefined {
  const notes: string[] = [];
  const top = urls[0];
  if (a.kind === 'url' ? NO_REQUEST.has(a.target) : top !== undefined && NO_REQUEST.has(top.value) && top.count * 2 >= a.requests) notes.push(NO_REQUEST_NOTE);
  const each = Math.round((a.requests / Math.max(1, a.distinctSources)) * 10) / 10;
  // A URL alert with no referred request at all: the log records none (a flash crowd needs them).
  const noReferrers = a.kind === 'url' && a.referredRequests === 0;
  // (Without referrers every flood opens so while its first window holds a few seconds of it.)
  if (a.formerly === 'http.flash-crowd' && !noReferrers) {
    notes.push(`opened as http.flash-crowd (its requests carry a referrer, from few requests per source in any one window), but its sources kept coming back, ~${each} requests each: not people following a link, who load a page once or twice, but bots sending a forged referrer`);
  }
  if (a.signature === 'http.flash-crowd' && noReferrers) {
    notes.push(`the log records no referrer: judged a crowd by its few requests per source alone (~${each} each), as people following a link load a page once or twice; a botnet spreading its requests as thin would look the same`);
  }
  return notes.length > 0 ? notes.join('; ') : undefined;
}

/** Sources an alert names that are the site's own traffic: its `regularSources`, not to block. */
export interface OwnTraffic {
  /** The site's regular sources. */
  regular: readonly RegularSource[];
  /** The CDN it is behind (Engine.cdn): its edge servers. */
  cdn: string | null;
  /** Nearly every request came through a proxy (PROXIED_MIN_SHARE) and the log's client is the proxy: every source. */
  proxied: boolean;
}

/**
 * The site's own traffic by an engine's judgements so far: for the report at the end and for
 * every live alert event (`forwardedField`: the format logs X-Forwarded-For).
 */
export function ownTrafficOf(engine: Engine, forwardedField: boolean, clientIp: 'remote' | 'xff'): OwnTraffic {
  return { regular: engine.regularSources(), cdn: engine.cdn()?.name ?? null, proxied: logsProxies(forwardedField ? engine.forwardedShare() : null, clientIp) };
}

/** The alert as the JSON report has it, or (with `ev`) as a live event carries it. */
export function alertReport(a: Alert, zone: number, own: OwnTraffic, ev?: EventAlertOptions): AttackReport {
  const ranked = a.topSources(TOP_SOURCES_JSON);
  // A flood's visitors (not to block) after its other sources of the same count: in a flood of
  // more sources than the summary holds, many share the evicted minimum as their count, and
  // which of them come first was the order the chunks brought them in.
  const visitors = new Set(visitorSources(a, ranked));
  const isVisitor = (e: TopEntry): number => (visitors.has(formatIp(e.w0, e.w1, e.w2, e.w3)) ? 1 : 0);
  const entries = visitors.size === 0 ? ranked : [...ranked].sort((x, y) => y.count - x.count || isVisitor(x) - isVisitor(y));
  const topSources = reportedSources(entries, ev);
  const isRegular = new Set(own.regular.map((r) => r.ip));
  for (const e of entries) if (own.proxied || (own.cdn !== null && cdnOf(e.w0, e.w1, e.w2, e.w3) === own.cdn)) isRegular.add(formatIp(e.w0, e.w1, e.w2, e.w3));
  const topUrls = sortedTexts(a.urls, 10);
  const note = noteOf(a, topUrls);
  const queries = a.kind === 'url' ? queryStrings(a.queries, a.requests) : null;
  return {
    ...alertHead(a, zone),
    // The log alert's narrower types (the keys keep their place from the head).
    signature: a.signature,
    severity: a.severity,
    targetKind: a.kind,
    windowRate: Math.round(a.maxWindowRate * 100) / 100,
    requests: a.requests,
    distinctSources: a.distinctSources,
    topSources,
    regularSources: topSources.filter((x) => isRegular.has(x.ip)).map((x) => x.ip),
    visitorSources: [...visitors],
    ...(note !== undefined ? { note } : {}),
    topUserAgents: sortedTexts(a.uas, 10),
    topReferrers: sortedTexts(a.refs, 10),
    topUrls,
    ...(queries !== null ? { queries } : {}),
    ...alertTail(a, zone, ev),
  };
}

/**
 * Sums of `all` and of `part` (per-minute counts) over minutes from..to; prefix sums over
 * first..last, so each call is O(1).
 */
function minuteSums(all: ReadonlyMap<number, number>, part: ReadonlyMap<number, number>, first: number, last: number): (from: number, to: number) => [number, number] {
  const n = Math.max(0, last - first + 1);
  const a = new Float64Array(n + 1);
  const p = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    a[i + 1] = a[i]! + (all.get(first + i) ?? 0);
    p[i + 1] = p[i]! + (part.get(first + i) ?? 0);
  }
  return (from, to) => {
    const lo = Math.max(0, from - first);
    const hi = Math.min(n, to - first + 1);
    return hi <= lo ? [0, 0] : [a[hi]! - a[lo]!, p[hi]! - p[lo]!];
  };
}

/** part / all rounded to 0.001, or null when all is 0. */
function share(part: number, all: number): number | null {
  return all > 0 ? round(Math.max(0, part) / all, 3) : null;
}

/**
 * The site's requests answered 5xx during an alert's minutes and in the hour before; for a URL
 * alert also its own requests' share and the rest of the site's (is the flood failing alone, or
 * the whole server with it?).
 */
function serverErrorsOf(a: Alert, sums: (from: number, to: number) => [number, number]): AttackReport['serverErrors'] {
  const from = Math.floor(a.start / 60);
  const to = Math.floor(a.end / 60);
  const [n, e] = sums(from, to);
  const all = share(e, n);
  if (all === null) return undefined;
  const [bn, be] = sums(from - 60, from - 1);
  const out: NonNullable<AttackReport['serverErrors']> = { share: all, before: share(be, bn) };
  if (a.kind === 'url' && a.requests > 0) {
    out.target = share(a.errorRequests, a.requests);
    out.rest = share(e - a.errorRequests, n - a.requests);
  }
  return out;
}

/** Most counts a report's timeline holds: a week of minutes; longer spans count whole minutes more. */
export const MAX_TIMELINE_POINTS = 10_080;

/**
 * The timeline's minutes for an input's time span (null: none): its first and last epoch
 * minute, and the minutes per count (1, or more so that there are ≤ MAX_TIMELINE_POINTS).
 */
export function timelineFrame(span: { start: number; end: number } | null): { first: number; last: number; per: number } {
  const first = span !== null ? Math.floor(span.start / 60) : 0;
  const last = span !== null ? Math.floor(span.end / 60) : -1;
  return { first, last, per: Math.max(1, Math.ceil((last - first + 1) / MAX_TIMELINE_POINTS)) };
}

/**
 * Records stamped far ahead of the input around them, which then went on at the earlier time
 * (see WindowedEngine): said once, with when, since they are left out of the span.
 */
export function outlierWarning(o: Outliers, unit: string, zone: number, window: number): string {
  const n = `${o.records} ${unit}${o.records === 1 ? '' : 's'}`;
  const when = o.first === o.last ? `at ${isoWithOffset(o.first, zone)}` : `between ${isoWithOffset(o.first, zone)} and ${isoWithOffset(o.last, zone)}`;
  return `${n} stamped ${when}, more than ${window}s ahead of the ${unit}s around them, which went on at the earlier time: a clock glitch or a stray line? Left out of the time span and the timeline and not used to move event time on (so they do not make later ${unit}s late); still counted and analyzed`;
}

/**
 * Timestamps in more than one zone offset: the report shows every time in one (the first
 * line's), which an analyst matching its times against the log's lines must know.
 */
export function zoneWarning(zone: number, others: ReadonlyMap<number, number>): string {
  const seen = [...others].sort((a, b) => a[1] - b[1]).map(([m, at]) => `${zoneLabel(m)} from ${isoWithOffset(at, m)}`);
  return `timestamps change zone offset (a daylight-saving change, or servers in other zones?): ${seen.join(', ')}; every time in this report is shown in ${zoneLabel(zone)}, the first line's (--tz UTC or --tz ±HH:MM to choose)`;
}

/** Addresses above this share of all requests are named in the few-addresses warning. */
const FEW_MIN_SHARE = 0.05;

/**
 * A few addresses carrying most requests: the log of a server behind a reverse proxy, load
 * balancer or CDN that logs the proxy's address. Said, since blocking the proxy blocks every
 * visitor. Addresses that are an attack's sources and not regular ones (they came with it: one
 * source flooding a small site) are not counted: the findings name them.
 */
function fewAddressesWarning(top: readonly TopEntry[], requests: number, attackers: ReadonlySet<string>): string | null {
  if (requests < REGULAR_MIN_COUNT) return null;
  const heavy = top.slice(0, 5).filter((e) => e.count >= FEW_MIN_SHARE * requests && !attackers.has(formatIp(e.w0, e.w1, e.w2, e.w3)));
  const sum = heavy.reduce((a, e) => a + e.count, 0);
  if (sum < 0.5 * requests) return null;
  const pct = (n: number) => `${Math.round((n * 100) / requests)} %`;
  const list = heavy.map((e) => `${formatIp(e.w0, e.w1, e.w2, e.w3)} ${pct(e.count)}`).join(', ');
  const one = heavy.length === 1;
  return `${heavy.length} address${one ? '' : 'es'} carried ${pct(sum)} of all requests (${list}): if ${one ? 'it is' : 'they are'} a reverse proxy, load balancer or CDN in front of this server, the clients' addresses are not in this log (log them: X-Forwarded-For with --client-ip xff, Apache mod_remoteip, nginx real_ip) and blocking ${one ? 'it' : 'them'} blocks every visitor`;
}

/** With this share of requests carrying an X-Forwarded-For address, the site is behind proxies. */
export const PROXIED_MIN_SHARE = 0.9;

/**
 * The log's client addresses are proxies: the client is taken from the connection and nearly
 * every request carried an X-Forwarded-For address (`forwardedShare`: Engine.forwardedShare, or
 * null when the format logs no such field).
 */
export function logsProxies(forwardedShare: number | null, clientIp: 'remote' | 'xff'): boolean {
  return clientIp === 'remote' && forwardedShare !== null && forwardedShare >= PROXIED_MIN_SHARE;
}

function proxiedWarning(share: number): string {
  return `${Math.round(share * 100)} % of the requests carried an X-Forwarded-For address: they came through a proxy, load balancer or CDN, and the addresses in this report are its, not the clients' — blocking them blocks every visitor, so the block list leaves them out. Run again with --client-ip xff (and --trusted-proxies for proxies of your own in the chain) to see and block the clients`;
}

function cdnWarning(cdn: { name: string; share: number }): string {
  return `${Math.round(cdn.share * 100)} % of the requests came from ${cdn.name}'s addresses: this site is behind ${cdn.name}, and the addresses in this log are its edge servers, not the clients — every request, the attack's and every visitor's, came through them. They are left out of block lists (blocking them blocks every visitor). Log the client's address (${cdn.name === 'Cloudflare' ? 'CF-Connecting-IP or ' : ''}X-Forwarded-For: Apache mod_remoteip, nginx real_ip) and run again with --client-ip xff; meanwhile ${cdn.name}'s own rate limiting stops the attack at its edge`;
}

export function buildReport(engine: Engine, stats: InputStats, settings: Report['settings'], version: string, zone: number): Report {
  const files = stats.files;
  const sum = (k: keyof FileReport) => files.reduce((acc, f) => acc + (f[k] as number), 0);
  const t = engine.totals;
  const requests = t[C.REQUESTS]!;
  const span = engine.span();
  const has = span !== null;
  const { first: firstMinute, last: lastMinute, per } = timelineFrame(span);
  const counts: number[] = [];
  const serverErrors: number[] = [];
  for (let m = firstMinute; m <= lastMinute; m += per) {
    let c = 0;
    let e = 0;
    for (let q = m; q < m + per && q <= lastMinute; q++) {
      c += engine.perMinute.get(q) ?? 0;
      e += engine.perMinuteErrors.get(q) ?? 0;
    }
    counts.push(c);
    serverErrors.push(Math.round(e));
  }
  const duration = has ? span.end - span.start + 1 : 0;
  const outliers = engine.outliers();
  const warnings = outliers === null ? [...stats.warnings] : [...stats.warnings, outlierWarning(outliers, 'request', zone, engine.timing.window)];
  // Silences within the span (a stray line stamped far ahead or back makes none).
  const silences = has ? engine.silences.filter((x) => x.start > span.start && x.end < span.end) : [];
  if (engine.silencesNotKept > 0) warnings.push(`the log is silent ${engine.silencesNotKept} more times than the ${silences.length} listed (a window or more each, improbable at the rate before)`);
  const cdn = engine.cdn();
  const forwarded = stats.forwardedField ? engine.forwardedShare() : null;
  const own = ownTrafficOf(engine, stats.forwardedField, settings.clientIp);
  const errorSums = minuteSums(engine.perMinute, engine.perMinuteErrors, firstMinute, lastMinute);
  const attacks = [...engine.alerts]
    .sort((a, b) => a.start - b.start || a.id - b.id)
    .map((a) => {
      const r = alertReport(a, zone, own);
      const se = serverErrorsOf(a, errorSums);
      if (se !== undefined) r.serverErrors = se;
      const u = underWay(a, span);
      if (u !== undefined) r.underWay = u;
      const quiet = attackSilences(a, silences, settings.step, zone, stats.spans);
      if (quiet !== undefined) r.silences = quiet;
      return r;
    });
  linkFindings(attacks, (a) => a.requests);
  // Addresses that came with an attack are its sources, which the findings name.
  const attackers = new Set(attacks.filter((a) => a.attack).flatMap((a) => a.topSources.filter((s) => !a.regularSources.includes(s.ip)).map((s) => s.ip)));
  const few = fewAddressesWarning(engine.topSources.top(5), requests, attackers);
  if (cdn !== null) warnings.push(cdnWarning(cdn));
  else if (own.proxied) warnings.push(proxiedWarning(forwarded!));
  else if (few !== null) warnings.push(few);
  const nAttacks = attacks.filter((a) => a.attack).length;
  const top = attacks.filter((a) => a.attack).sort((a, b) => b.requests - a.requests)[0];
  const lines = sum('lines');
  const parsed = sum('parsed');
  const malformed = sum('malformed');
  // "No attack" when a tenth or more of the lines were not analyzed says so: they may hold one.
  const unread = malformed * 10 >= lines && malformed > 0 ? ` in the ${parsed} of ${lines} lines that parsed (${Math.round((malformed * 100) / lines)} % malformed, not analyzed)` : '';
  const verdict =
    nAttacks === 0
      ? requests === 0
        ? 'no requests parsed'
        : `no attack found${unread}`
      : attacksVerdict(nAttacks, top!, attackTargets(attacks));
  return {
    schema: REPORT_SCHEMA,
    kind: 'logs',
    tool: { name: 'floodscope', version },
    input: {
      files,
      format: stats.format,
      formatSource: stats.formatSource,
      lines,
      parsed,
      malformed,
      blank: sum('blank'),
      overlong: sum('overlong'),
      late: engine.lateRequests,
      start: has ? isoWithOffset(span.start, zone) : null,
      end: has ? isoWithOffset(span.end, zone) : null,
      durationSeconds: duration,
      timeZone: zoneLabel(zone),
      malformedSamples: stats.samples,
      malformedByReason: stats.reasons,
      warnings,
      errors: stats.errors,
      silences: silences.map((x) => silenceReport(x, zone, stats.spans)),
    },
    settings,
    summary: {
      requests,
      bytes: t[C.BYTES]!,
      distinctSources: Math.round(engine.allSources.estimate()),
      peakRate: engine.peakSecondRate,
      peakAt: has && engine.peakSecondRate > 0 ? isoWithOffset(engine.peakSecondAt, zone) : null,
      averageRate: duration > 0 ? Math.round((requests / duration) * 100) / 100 : 0,
      status: { '1xx': t[C.S1XX]!, '2xx': t[C.S2XX]!, '3xx': t[C.S3XX]!, '4xx': t[C.S4XX]!, '5xx': t[C.S5XX]!, other: t[C.SOTHER]! },
      emptyReferrerShare: !settings.referrers ? null : (share(t[C.EMPTY_REF]!, requests) ?? 0),
      topUrls: engine.topUrls.top(10).map((e) => ({ value: engine.urlText.get(urlKey(e.w0, e.w1)) ?? '?', count: e.count })),
      topSources: reportedSources(engine.topSources.top(10)),
      regularSources: engine.regularSources(),
      cdn,
      forwardedShare: forwarded,
      attacks: nAttacks,
      infoFindings: attacks.length - nAttacks,
      verdict,
    },
    timeline: { resolution: per * 60, start: has ? isoWithOffset(firstMinute * 60, zone) : null, counts, serverErrors },
    attacks,
  };
}

/**
 * One step of event time (default 10 s) as merged on the main thread from every chunk's
 * BucketPartial for that step. Windows are made of consecutive buckets; detectors read
 * them, alerts absorb them, the baseline learns from them once they leave the window.
 *
 * Memory per bucket is bounded whatever the traffic: a HyperLogLog (p = 14, ≤ 16 KiB),
 * space-saving summaries of sources (k = STEP_SOURCES) and prefixes (k = 256), and detail for
 * at most MAX_URLS hot URLs and MAX_SOURCES hot sources.
 */
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { SpaceSaving, type TopList } from '../sketches/space-saving.js';
import { N_COUNTERS, type BucketPartial, type SubjectDetail } from '../partial/partial.js';
import { addHist } from '../geo/country-code.js';
import { QUERY_EXAMPLES, QUERY_HLL_P } from '../partial/log-folder.js';
import { isV4 } from '../parsers/ip.js';
import { Arena } from './arena.js';

/**
 * Sources a step counts (its summary's k): exactly, up to this many distinct, each address of a
 * botnet spread thin (5,000 at 10 req/s each were listed at a fraction of their rate with
 * 1,024: a step's summary of equals keeps the last seen). Grown as needed (≤ 768 KiB).
 */
export const STEP_SOURCES = 16384;
const MAX_URLS = 48;
const MAX_SOURCES = 32;
/** Sources a folded LazySources summary holds. */
const SOURCES_FOLDED = 1024;
const PENDING_PARTS = 8;
const MAX_TEXTS = 32;

export function urlKey(w0: number, w1: number): string {
  return `${w0 >>> 0}:${w1 >>> 0}`;
}

export function ipKey(w0: number, w1: number, w2: number, w3: number): string {
  return `${w0 >>> 0}:${w1 >>> 0}:${w2 >>> 0}:${w3 >>> 0}`;
}

/** Add one count to a text's (then boundTexts the map once done adding). */
export function addText(into: Map<string, number>, text: string, count: number): void {
  into.set(text, (into.get(text) ?? 0) + count);
}

/** Keep a text map bounded: past twice the limit, keep the `limit` largest (ties by text). */
export function boundTexts(into: Map<string, number>, limit = MAX_TEXTS): void {
  if (into.size > limit * 2) {
    const keep = [...into.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
    into.clear();
    for (const [k, v] of keep) into.set(k, v);
  }
}

/** What of a detail names its texts (see SubjectDetail.textPairs). */
type Texts = Pick<SubjectDetail, 'texts' | 'textPairs' | 'uaAt' | 'refAt'>;

/** Add a detail's text pairs [from, to) (see SubjectDetail.textPairs) into a map, kept bounded. */
function addPairs(into: Map<string, number>, d: Texts, from: number, to: number): void {
  const p = d.textPairs;
  for (let k = from * 2; k < to * 2; k += 2) addText(into, d.texts[p[k]!]!, p[k + 1]!);
  boundTexts(into);
}

/** A source subject's URLs, user agents, referrers into a map. */
export const addUrls = (into: Map<string, number>, d: Texts): void => addPairs(into, d, 0, d.uaAt);
export const addUas = (into: Map<string, number>, d: Texts): void => addPairs(into, d, d.uaAt, d.refAt);
export const addRefs = (into: Map<string, number>, d: Texts): void => addPairs(into, d, d.refAt, d.textPairs.length / 2);

export function addMapInto(into: Map<string, number>, from: Map<string, number>, limit = MAX_TEXTS): void {
  for (const [text, count] of from) addText(into, text, count);
  boundTexts(into, limit);
}

/** A copy of `x` to keep past the merge of its Partial: in `arena`, or (null) a buffer of its own. */
function keep<T extends Float64Array | Uint32Array | Uint8Array>(arena: Arena | null, x: T): T {
  return arena === null ? (x.slice() as T) : arena.copy(x);
}

/** An HLL sketch a worker did not send (no sources of that kind in the chunk). */
export const NO_HLL = new Uint8Array(0);

/**
 * Source lists and their sketches from the chunks of one step, kept as the workers sent
 * them and folded only when asked (an alert, a distinct count), or past PENDING_PARTS
 * chunks, so the main thread does no per-source work for targets nobody looks at. With
 * each list may come a second count per source: the part of its traffic a legitimate
 * client's would be (requests with a referrer, completed handshakes).
 */
export class LazySources {
  private pending: { words: Uint32Array; counts: Float64Array; hll: Uint8Array; legit: Float64Array | null }[] = [];
  private folded: SpaceSaving | null = null;
  private foldedLegit: SpaceSaving | null = null;
  private foldedHll: HyperLogLog | null = null;

  /** `hllP`: the precision of the workers' sketches (and of the folded one); `arena`: where the lists kept are copied. */
  constructor(
    private readonly hllP: number,
    private readonly arena: Arena,
  ) {}

  /** `legit`: of each source's count, the part a legitimate client's would be. */
  push(words: Uint32Array, counts: Float64Array, hll: Uint8Array, legit: Float64Array | null = null): void {
    // Into the step's arena until the first fold (most lists never reach one); after it, each
    // copy is a buffer of its own, so what later folds drop is freed (a victim of a capture
    // is sent by every chunk of its step, ~25 on the bench capture).
    const a = this.folded === null ? this.arena : null;
    this.pending.push({ words: keep(a, words), counts: keep(a, counts), hll: keep(a, hll), legit: legit === null ? null : keep(a, legit) });
    if (this.pending.length > PENDING_PARTS) this.fold();
  }

  private fold(): void {
    this.folded ??= new SpaceSaving(SOURCES_FOLDED);
    this.foldedHll ??= new HyperLogLog(this.hllP);
    for (const p of this.pending) {
      addList(this.folded, p.words, p.counts);
      if (p.legit !== null) addList((this.foldedLegit ??= new SpaceSaving(SOURCES_FOLDED)), p.words, p.legit);
      if (p.hll.length > 0) this.foldedHll.mergeBytes(p.hll);
    }
    this.pending = [];
  }

  /** Add the sources and their counts into a summary, and (with `legit`) that part of them into another. */
  addSourcesTo(into: SpaceSaving, legit?: SpaceSaving): void {
    if (this.folded !== null) into.addTop(this.folded.sorted());
    if (legit !== undefined && this.foldedLegit !== null) legit.addTop(this.foldedLegit.sorted());
    for (const p of this.pending) {
      addList(into, p.words, p.counts);
      if (legit !== undefined && p.legit !== null) addList(legit, p.words, p.legit);
    }
  }

  /** Union the sources into `into` (an HLL of the same precision). */
  mergeHllInto(into: HyperLogLog): void {
    if (this.foldedHll !== null) into.merge(this.foldedHll);
    for (const p of this.pending) if (p.hll.length > 0) into.mergeBytes(p.hll);
  }
}

/**
 * One hot URL within one step. Counts are summed as chunks arrive; the heavier detail
 * (its sources, their HyperLogLog, user agents, referrers) is kept as the workers' lists
 * and folded only when asked — by an alert on this URL or a surge test — because most
 * URLs in most steps are never asked about. Past PENDING_PARTS chunks the lists are
 * folded into fixed-size summaries, so memory stays bounded at any request rate.
 */
export class UrlAgg {
  readonly w0: number;
  readonly w1: number;
  readonly text: string;
  count = 0;
  emptyRef = 0;
  referred = 0;
  /** Requests answered 5xx. */
  errors = 0;
  /** Requests with a query string, and the distinct query strings (see Queries). */
  readonly queries = new Queries();
  readonly perSecond: Float64Array;
  /** Its sources; with each, its requests that carried a referrer. */
  private readonly sources: LazySources;
  /** User agents and referrers, folded as lazily as the sources. */
  private pending: Texts[] = [];
  /** Made at the first fold (most URLs of most steps never have more than PENDING_PARTS parts). */
  private foldedUas: Map<string, number> | null = null;
  private foldedRefs: Map<string, number> | null = null;
  /** Requests by country code (geolocated in the workers). */
  readonly countries = new Map<number, number>();

  /** `arena`: the step's (see Arena). */
  constructor(
    d: SubjectDetail,
    step: number,
    private readonly arena: Arena,
  ) {
    this.w0 = d.w0;
    this.w1 = d.w1;
    this.text = d.text;
    this.perSecond = arena.f64(step);
    this.sources = new LazySources(12, arena);
  }

  add(d: SubjectDetail): void {
    this.count += d.count;
    this.emptyRef += d.emptyRef;
    this.referred += d.referred;
    this.errors += d.errors;
    for (let i = 0; i < this.perSecond.length; i++) this.perSecond[i]! += d.perSecond[i]!;
    if (d.countries) addHist(this.countries, d.countries);
    this.queries.add(d.queried, d.queryHll, d.queries);
    this.sources.push(d.srcWords, d.srcCounts, d.hll ?? NO_HLL, d.srcReferred ?? null);
    this.pending.push({ texts: d.texts, textPairs: this.arena.copy(d.textPairs), uaAt: d.uaAt, refAt: d.refAt });
    if (this.pending.length > PENDING_PARTS) this.fold();
  }

  private fold(): void {
    for (const d of this.pending) {
      addUas((this.foldedUas ??= new Map()), d);
      addRefs((this.foldedRefs ??= new Map()), d);
    }
    this.pending = [];
  }

  /** Union this URL's sources into `into` (an HLL with p = 12). */
  mergeHllInto(into: HyperLogLog): void {
    this.sources.mergeHllInto(into);
  }

  /** Add this URL's sources and their counts into a summary, and their requests with a referrer into another. */
  addSourcesTo(into: SpaceSaving, referred: SpaceSaving): void {
    this.sources.addSourcesTo(into, referred);
  }

  addTextsTo(uas: Map<string, number>, refs: Map<string, number>): void {
    if (this.foldedUas !== null) addMapInto(uas, this.foldedUas);
    if (this.foldedRefs !== null) addMapInto(refs, this.foldedRefs);
    for (const d of this.pending) {
      addUas(uas, d);
      addRefs(refs, d);
    }
  }
}

/**
 * The query strings on one URL (URLs are keyed without them): how many requests carried one,
 * how many distinct (a HyperLogLog, p = QUERY_HLL_P), and the first few distinct as examples.
 * A distinct one on nearly every request is a cache-busting flood.
 */
export class Queries {
  requests = 0;
  private hll: HyperLogLog | null = null;
  readonly examples: string[] = [];

  /** A worker's counts for the URL (its sketch serialized). */
  add(requests: number, hll: Uint8Array | null, examples: readonly string[]): void {
    this.requests += requests;
    if (hll !== null) (this.hll ??= new HyperLogLog(QUERY_HLL_P)).mergeBytes(hll);
    this.keep(examples);
  }

  merge(o: Queries): void {
    this.requests += o.requests;
    if (o.hll !== null) (this.hll ??= new HyperLogLog(QUERY_HLL_P)).merge(o.hll);
    this.keep(o.examples);
  }

  private keep(examples: readonly string[]): void {
    for (const e of examples) if (this.examples.length < QUERY_EXAMPLES && !this.examples.includes(e)) this.examples.push(e);
  }

  /** Estimated distinct query strings (never more than the requests that carried one). */
  get distinct(): number {
    return this.hll === null ? 0 : Math.min(this.requests, Math.round(this.hll.estimate()));
  }
}

/** Add a worker's source list (4 words each) with its counts into a summary: those with a count. */
export function addList(into: SpaceSaving, w: Uint32Array, counts: Float64Array): void {
  for (let k = 0; k < counts.length; k++) if (counts[k]! > 0) into.add(w[k * 4]!, w[k * 4 + 1]!, w[k * 4 + 2]!, w[k * 4 + 3]!, counts[k]!);
}

export class SourceAgg {
  readonly words: [number, number, number, number];
  count = 0;
  referred = 0;
  readonly perSecond: Float64Array;
  readonly urls = new Map<string, number>();
  readonly uas = new Map<string, number>();
  readonly refs = new Map<string, number>();
  readonly countries = new Map<number, number>();

  constructor(d: SubjectDetail, step: number, arena: Arena) {
    this.words = [d.w0, d.w1, d.w2, d.w3];
    this.perSecond = arena.f64(step);
  }

  add(d: SubjectDetail): void {
    this.count += d.count;
    this.referred += d.referred;
    for (let i = 0; i < this.perSecond.length; i++) this.perSecond[i]! += d.perSecond[i]!;
    addUrls(this.urls, d);
    addUas(this.uas, d);
    addRefs(this.refs, d);
    if (d.countries) addHist(this.countries, d.countries);
  }
}

export class StepBucket {
  readonly index: number;
  readonly step: number;
  readonly perSecond: Float64Array;
  readonly counters = new Float64Array(N_COUNTERS);
  readonly hll = new HyperLogLog(14);
  readonly sources = new SpaceSaving(STEP_SOURCES, 64);
  readonly prefixes = new SpaceSaving(256, 64);
  readonly urls = new Map<string, UrlAgg>();
  readonly sourceDetail = new Map<string, SourceAgg>();
  /** What the step's hot URLs and sources keep (see Arena). */
  private readonly arena = new Arena();
  /** Requests by country code (geolocated in the workers). */
  readonly countries = new Map<number, number>();
  private sortedSrc: TopList | null = null;
  private sortedPfx: TopList | null = null;
  /** See prefixMembers. */
  private members: Map<number | string, number[]> | null = null;

  constructor(index: number, step: number) {
    this.index = index;
    this.step = step;
    this.perSecond = new Float64Array(step);
  }

  get start(): number {
    return this.index * this.step;
  }

  get requests(): number {
    return this.counters[0]!;
  }

  add(p: BucketPartial): void {
    this.sortedSrc = null;
    this.sortedPfx = null;
    this.members = null;
    for (let i = 0; i < N_COUNTERS; i++) this.counters[i]! += p.counters[i]!;
    for (let i = 0; i < this.step; i++) this.perSecond[i]! += p.perSecond[i]!;
    this.hll.mergeBytes(p.hll);
    if (p.countries) addHist(this.countries, p.countries);
    const w = p.srcWords;
    this.sources.reserve(p.srcCounts.length);
    for (let k = 0; k < p.srcCounts.length; k++) this.sources.add(w[k * 4]!, w[k * 4 + 1]!, w[k * 4 + 2]!, w[k * 4 + 3]!, p.srcCounts[k]!);
    const pw = p.pfxWords;
    for (let k = 0; k < p.pfxCounts.length; k++) this.prefixes.add(pw[k * 4]!, pw[k * 4 + 1]!, pw[k * 4 + 2]!, pw[k * 4 + 3]!, p.pfxCounts[k]!);
    for (const d of p.urls) {
      const key = urlKey(d.w0, d.w1);
      let u = this.urls.get(key);
      if (u === undefined) {
        u = new UrlAgg(d, this.step, this.arena);
        this.urls.set(key, u);
      }
      u.add(d);
    }
    if (this.urls.size > MAX_URLS * 2) prune(this.urls, MAX_URLS);
    for (const d of p.sources) {
      const key = ipKey(d.w0, d.w1, d.w2, d.w3);
      let s = this.sourceDetail.get(key);
      if (s === undefined) {
        s = new SourceAgg(d, this.step, this.arena);
        this.sourceDetail.set(key, s);
      }
      s.add(d);
    }
    if (this.sourceDetail.size > MAX_SOURCES * 2) prune(this.sourceDetail, MAX_SOURCES);
  }

  /** Sources by count (SpaceSaving.byCount), sorted once per change (buckets are read many times once sealed). */
  sortedSources(): TopList {
    this.sortedSrc ??= this.sources.byCount();
    return this.sortedSrc;
  }

  /**
   * The entries of sortedSources() in one prefix (prefix-rate's key words: an IPv4 /24 by its
   * first address, an IPv6 /64 by its first two words), as their places in that list: IPv4
   * members in address order, IPv6 ones in list order. Found by one walk of the list the first
   * time a prefix is asked for, then kept with the bucket: the prefix detector and prefix alerts
   * read the members of the few heavy prefixes from every bucket of the window. (A step of
   * thousands of sources read whole for each ask was too slow; sorting every bucket's sources
   * by address once, ~0.45 s of the main thread over 6M lines, was slower than these walks.)
   */
  prefixMembers(w0: number, w1: number, w2: number, w3: number): number[] {
    const top = this.sortedSources();
    const v4 = isV4(w0, w1, w2);
    const first = (w3 & 0xffffff00) >>> 0;
    const key = v4 ? first : `${w0 >>> 0}:${w1 >>> 0}`;
    this.members ??= new Map();
    let out = this.members.get(key);
    if (out !== undefined) return out;
    out = [];
    const w = top.words;
    const n = top.length;
    if (v4) {
      for (let i = 0; i < n; i++) if ((w[i * 4 + 3]! & 0xffffff00) >>> 0 === first && isV4(w[i * 4]!, w[i * 4 + 1]!, w[i * 4 + 2]!)) out.push(i);
      // Addresses are distinct in the list.
      out.sort((a, b) => w[a * 4 + 3]! - w[b * 4 + 3]!);
    } else {
      const h0 = w0 >>> 0;
      const h1 = w1 >>> 0;
      for (let i = 0; i < n; i++) if (w[i * 4] === h0 && w[i * 4 + 1] === h1 && !isV4(h0, h1, w[i * 4 + 2]!)) out.push(i);
    }
    this.members.set(key, out);
    return out;
  }

  sortedPrefixes(): TopList {
    this.sortedPfx ??= this.prefixes.sorted();
    return this.sortedPfx;
  }
}

/** Keep the `keep` largest entries by count; ties by key for determinism. */
function prune<T extends { count: number }>(m: Map<string, T>, keep: number): void {
  const sorted = [...m.entries()].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
  m.clear();
  for (const [k, v] of sorted.slice(0, keep)) m.set(k, v);
}

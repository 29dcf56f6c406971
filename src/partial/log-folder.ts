/**
 * Worker-side fold of one chunk of access-log text into a Partial.
 *
 * Two passes, both allocation-free per record:
 *
 *  1. parse: each line → LogRecord (offsets into the chunk) → interned slots
 *     (source, URL, user agent, referrer) + its bucket and second, stored in
 *     per-record typed arrays; counters go straight into the bucket.
 *  2. per bucket: exact counts per slot, then the top URLs and sources get their detail
 *     (pair counts such as URL×source) from one more walk over that bucket's records.
 *
 * Exact counting is affordable inside a chunk (~5,000 lines per MiB); what leaves the
 * worker is bounded (top lists, sketches), whatever the traffic.
 */
import { describeError, E, isEmptyReferrer, LogRecord, parseLine } from '../parsers/access-log.js';
import { compileLogFormat, PRESETS, type Plan } from '../parsers/log-format.js';
import { cidrContains, ipWords, isV4, parseCidr, parseIp, type Cidr } from '../parsers/ip.js';
import { hash32, hash64, hashBytes, hashBytes32, hashingOver, hashWords } from '../sketches/hash.js';
import { C, N_COUNTERS, type BucketPartial, type Partial, type SubjectDetail } from './partial.js';
import { GrowableF64, GrowableI32, groupByBucket } from './growable.js';
import type { CountryHist } from '../geo/country-code.js';
import { SlotCountries } from './slot-countries.js';
import { copyKey, KeyTable, PairCounter, SlotHll } from './tables.js';
import { topPairs, topSlots } from './top.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';

export interface FoldConfig {
  /** A preset name or an Apache LogFormat string. */
  format: string;
  /** Step length in seconds (bucket width). */
  step: number;
  clientIp: 'remote' | 'xff';
  trustedProxies: string[];
  maxSamples: number;
  maxLineBytes: number;
  /** Geolocate sources in the worker: the country database (undefined: the bundled one), or null for none. */
  geo: { countryDb?: string } | null;
}

/** Bounds on what one chunk-bucket sends back. */
export const LIMITS = {
  /**
   * Sources sent with their counts: all of a chunk-bucket's in practice (a 4 MiB chunk holds
   * ~19,000 lines). A botnet spread thin (5,000 addresses at 10 req/s each, 50k req/s: four
   * requests per address in a chunk of 0.4 s) is counted address by address only if every
   * chunk sends every address: the heaviest 256 of equals were an arbitrary 5 % of them.
   */
  topSources: 8192,
  topPrefixes: 64,
  detailUrls: 16,
  urlSources: 1024,
  detailSources: 8,
  /**
   * URLs of the whole chunk sent with their counts for the input's top URLs (Partial.urlTotals):
   * every URL of a chunk in practice, so those counts do not depend on where chunks end.
   */
  chunkUrls: 1024,
  topTexts: 8,
  srcHllP: 14,
  urlHllP: 12,
} as const;

/** Placeholders until setTextPairs fills a detail's own. */
const NO_TEXT_PAIRS = new Float64Array(0);
const NO_PAIRS: readonly number[] = [];

export const SOURCE_SEED = 0x51ce;
const URL_SEED = 0x0e1;
const TEXT_SEED = 0x7e7;
const QUERY_SEED = 0x9e5;
/** rFlags bits: the record carried no referrer; it was answered 5xx. */
const FLAG_EMPTY_REF = 1;
const FLAG_5XX = 2;
/** Precision of a hot URL's sketch of distinct query strings (3.3 %: one per request or a few is what it tells). */
export const QUERY_HLL_P = 10;
/** Query strings a hot URL's detail (and its summaries on the main thread) carry as examples. */
export const QUERY_EXAMPLES = 3;

/**
 * Records a chunk usually holds at most (a 4 MiB chunk of ~200-byte lines has ~20,000): the
 * per-record columns start this large, so they seldom grow (growing is a path the compiled
 * loop has not seen, and sends it back to the interpreter once).
 */
const RECORDS_HINT = 1 << 15;
const SOURCES_HINT = 1 << 14;

/** What scanning one chunk found: line counts, the buckets it touched, the record count. */
class ChunkTally {
  lines = 0;
  parsed = 0;
  malformed = 0;
  blank = 0;
  overlong = 0;
  noZone = 0;
  zoneMinutes: number | null = null;
  zoneAt = 0;
  zoneOther: number | null = null;
  zoneOtherAt = 0;
  minTime = Infinity;
  maxTime = -Infinity;
  disorder = 0;
  records = 0;
  readonly reasons = new Float64Array(16);
  readonly samples: Partial['samples'] = [];
  readonly bucketIndex: number[] = [];
  readonly bucketPerSec: Float64Array[] = [];
  readonly bucketCounters: Float64Array[] = [];
  readonly bucketRecs: number[] = [];
  private readonly localOf = new Map<number, number>();

  /** Local number of step bi in this chunk, created on first use. */
  bucketOf(bi: number, step: number): number {
    const found = this.localOf.get(bi);
    if (found !== undefined) return found;
    const local = this.bucketIndex.length;
    this.localOf.set(bi, local);
    this.bucketIndex.push(bi);
    this.bucketPerSec.push(new Float64Array(step));
    this.bucketCounters.push(new Float64Array(N_COUNTERS));
    this.bucketRecs.push(0);
    return local;
  }
}

/**
 * The query strings on a bucket's ranked URLs: how many of its requests had one, a sketch of
 * the distinct ones and the first few distinct as examples — one per request is a cache-busting
 * flood (each request past any cache), a few is a page's own parameters.
 */
class QueryTally {
  readonly queried: Float64Array;
  readonly hll: (HyperLogLog | null)[];
  /** Per URL rank, up to QUERY_EXAMPLES × (start, end, hash). */
  private readonly ex: Int32Array;
  private readonly exN: Int32Array;

  constructor(n: number) {
    this.queried = new Float64Array(n);
    this.hll = new Array<HyperLogLog | null>(n).fill(null);
    this.ex = new Int32Array(n * QUERY_EXAMPLES * 3);
    this.exN = new Int32Array(n);
  }

  add(ur: number, b: Uint8Array, s: number, e: number): void {
    this.queried[ur]!++;
    const h = hashBytes32(b, s, e, QUERY_SEED);
    (this.hll[ur] ??= new HyperLogLog(QUERY_HLL_P)).add(h, hash32(h, QUERY_SEED));
    const k = this.exN[ur]!;
    if (k === QUERY_EXAMPLES) return;
    const o = ur * QUERY_EXAMPLES * 3;
    for (let j = 0; j < k; j++) if (this.ex[o + j * 3 + 2] === (h | 0)) return;
    this.ex[o + k * 3] = s;
    this.ex[o + k * 3 + 1] = e;
    this.ex[o + k * 3 + 2] = h;
    this.exN[ur] = k + 1;
  }

  examples(ur: number, buf: Buffer): string[] {
    const out: string[] = [];
    const o = ur * QUERY_EXAMPLES * 3;
    for (let j = 0; j < this.exN[ur]!; j++) out.push(buf.toString('utf8', this.ex[o + j * 3]!, this.ex[o + j * 3 + 1]!));
    return out;
  }
}

/**
 * One X-Forwarded-For hop into ipWords: an address, or one with a port as some balancers write
 * them (Azure Application Gateway: `198.51.100.7:51234`; `[2001:db8::7]:443`, `[2001:db8::7]`).
 * Read as unparsable, such a hop was passed over and the walk went on to the addresses the
 * client itself sent, which it can forge.
 */
function parseHop(b: Uint8Array, s: number, e: number): boolean {
  if (parseIp(b, s, e)) return true;
  if (b[s] === 91) {
    let close = s + 1;
    while (close < e && b[close] !== 93) close++;
    if (close === e || (close + 1 < e && b[close + 1] !== 58)) return false;
    return parseIp(b, s + 1, close);
  }
  let colon = -1;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 58) {
      if (colon >= 0) return false;
      colon = i;
    } else if (colon >= 0 && (c < 48 || c > 57)) return false;
  }
  return colon > s && colon + 1 < e && parseIp(b, s, colon);
}

export class LogFolder {
  readonly plan: Plan;
  private readonly cfg: FoldConfig;
  private readonly trusted: Cidr[];
  private readonly rec = new LogRecord();

  // Interned keys for the current chunk, and their side data: sized for a 4 MiB chunk (up
  // to SOURCES_HINT sources), so they seldom grow (see RECORDS_HINT).
  private readonly srcT = new KeyTable(SOURCES_HINT);
  private readonly urlT = new KeyTable(4096);
  private readonly uaT = new KeyTable(1024);
  private readonly refT = new KeyTable(1024);
  private readonly pfxT = new KeyTable(4096);
  private readonly srcHash = new GrowableI32(SOURCES_HINT * 2); // hi, lo interleaved
  private readonly urlOff = new GrowableI32(4096 * 4); // pathS, pathE, vhostS, vhostE
  private readonly uaOff = new GrowableI32(1024 * 2);
  private readonly refOff = new GrowableI32(1024 * 2);
  /**
   * The chunk's distinct texts (see SubjectDetail.texts), and where each interned URL, user
   * agent and referrer is in them (-1: not decoded yet).
   */
  private texts: string[] = [];
  private readonly urlTextAt = new GrowableI32(4096);
  private readonly uaTextAt = new GrowableI32(1024);
  private readonly refTextAt = new GrowableI32(1024);
  // Per-record columns (all the same length).
  private readonly rBucket = new GrowableI32(RECORDS_HINT);
  private readonly rSec = new GrowableI32(RECORDS_HINT);
  private readonly rSrc = new GrowableI32(RECORDS_HINT);
  private readonly rUrl = new GrowableI32(RECORDS_HINT);
  private readonly rUa = new GrowableI32(RECORDS_HINT);
  private readonly rRef = new GrowableI32(RECORDS_HINT);
  private readonly rFlags = new GrowableI32(RECORDS_HINT);
  /** The record's query string (after "?"): start (-1 without one) and end. */
  private readonly rQs = new GrowableI32(RECORDS_HINT);
  private readonly rQe = new GrowableI32(RECORDS_HINT);
  private readonly order = new GrowableI32(RECORDS_HINT);
  private readonly hll = new SlotHll(SOURCES_HINT);
  // Per-bucket scratch.
  private readonly srcCnt = new GrowableF64(SOURCES_HINT);
  private readonly pairScratch = new GrowableF64(SOURCES_HINT * 2);
  private readonly urlCnt = new GrowableF64(4096);
  private readonly urlEmpty = new GrowableF64(4096);
  private readonly urlRef = new GrowableF64(4096);
  private readonly urlErr = new GrowableF64(4096);
  private readonly pfxCnt = new GrowableF64(SOURCES_HINT);
  private readonly pfxSrc = new GrowableF64(SOURCES_HINT);
  private readonly urlRank = new GrowableI32(4096, -1);
  /** The chunk's requests per URL slot, and the slots 0…n-1 (see urlTotals). */
  private readonly urlTot = new GrowableF64(4096);
  private readonly urlSlots = new GrowableI32(4096);
  private readonly srcRank = new GrowableI32(SOURCES_HINT, -1);
  private readonly touchedSrc = new GrowableI32(RECORDS_HINT);
  private readonly touchedUrl = new GrowableI32(RECORDS_HINT);
  private readonly touchedPfx = new GrowableI32(SOURCES_HINT);
  /** Sources and URLs counted by the last countBucket. */
  private nSrc = 0;
  private nUrl = 0;
  /** URL × source; second count: the requests that carried a referrer. */
  private readonly pairUS = new PairCounter(true);
  private readonly pairUA = new PairCounter();
  private readonly pairUR = new PairCounter();
  private readonly pairSU = new PairCounter();
  private readonly pairSA = new PairCounter();
  private readonly pairSR = new PairCounter();

  /** Countries of the interned addresses; null without geolocation. */
  private readonly countries: SlotCountries | null;

  /** `countryBytes`: the country database, shared by the pool (else read from disk). */
  constructor(cfg: FoldConfig, countryBytes?: Uint8Array) {
    this.cfg = cfg;
    this.countries = cfg.geo === null ? null : new SlotCountries(this.srcT, cfg.geo, countryBytes);
    const preset = (PRESETS as Record<string, string>)[cfg.format];
    this.plan = compileLogFormat(preset ?? cfg.format);
    this.trusted = cfg.trustedProxies.map((t) => {
      const c = parseCidr(t);
      if (c === null) throw new Error(`--trusted-proxies: not an address or CIDR: ${t}`);
      return c;
    });
  }

  /** Pick the client from X-Forwarded-For: the right-most address not in a trusted proxy range. */
  private clientFromXff(b: Uint8Array, s: number, e: number): boolean {
    let end = e;
    let leftmostOk = false;
    let lw0 = 0;
    let lw1 = 0;
    let lw2 = 0;
    let lw3 = 0;
    while (end > s) {
      let start = end - 1;
      while (start >= s && b[start] !== 44) start--;
      let ps = start + 1;
      let pe = end;
      while (ps < pe && b[ps] === 32) ps++;
      while (pe > ps && b[pe - 1] === 32) pe--;
      if (parseHop(b, ps, pe)) {
        const w0 = ipWords[0]!;
        const w1 = ipWords[1]!;
        const w2 = ipWords[2]!;
        const w3 = ipWords[3]!;
        let trusted = false;
        for (const c of this.trusted) {
          if (cidrContains(c, w0, w1, w2, w3)) {
            trusted = true;
            break;
          }
        }
        if (!trusted) {
          this.setClient(w0, w1, w2, w3);
          return true;
        }
        leftmostOk = true;
        lw0 = w0;
        lw1 = w1;
        lw2 = w2;
        lw3 = w3;
      }
      end = start;
    }
    if (leftmostOk) {
      // Every hop is a trusted proxy: the left-most is the best we know.
      this.setClient(lw0, lw1, lw2, lw3);
      return true;
    }
    return false;
  }

  private setClient(w0: number, w1: number, w2: number, w3: number): void {
    const r = this.rec;
    r.w0 = w0;
    r.w1 = w1;
    r.w2 = w2;
    r.w3 = w3;
    r.hasClient = true;
  }

  fold(chunk: Uint8Array, seq: number): Partial {
    const b = chunk;
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.countries?.reset();
    this.srcT.clear();
    this.urlT.clear();
    this.uaT.clear();
    this.refT.clear();

    // The per-line loop is its own method: V8 compiles it (on-stack, mid-loop, on the first
    // chunk) without the code after it, which would otherwise be compiled blind and throw
    // the whole fold back to the interpreter the first time it ran.
    const t = new ChunkTally();
    this.scan(b, buf, t);
    this.texts = [];
    this.urlTextAt.ensure(this.urlT.size).fill(-1, 0, this.urlT.size);
    this.uaTextAt.ensure(this.uaT.size).fill(-1, 0, this.uaT.size);
    this.refTextAt.ensure(this.refT.size).fill(-1, 0, this.refT.size);

    const n = t.records;
    const starts = groupByBucket(n, this.rBucket.a, t.bucketRecs, this.order.ensure(n));
    const buckets: BucketPartial[] = [];
    for (let k = 0; k < t.bucketIndex.length; k++) {
      buckets.push(this.foldBucket(buf, this.cfg.step, t.bucketIndex[k]!, t.bucketPerSec[k]!, t.bucketCounters[k]!, starts[k]!, starts[k + 1]!));
    }
    // Deterministic order: by time.
    buckets.sort((x, y) => x.index - y.index);
    const urlTotals = this.urlTotals(buf, n);

    return {
      seq,
      lines: t.lines,
      parsed: t.parsed,
      malformed: t.malformed,
      blank: t.blank,
      overlong: t.overlong,
      noZone: t.noZone,
      zoneMinutes: t.zoneMinutes,
      zoneAt: t.zoneAt,
      zoneOther: t.zoneOther,
      zoneOtherAt: t.zoneOtherAt,
      minTime: t.parsed > 0 ? t.minTime : 0,
      maxTime: t.parsed > 0 ? t.maxTime : 0,
      disorder: t.disorder,
      urlTotals,
      reasons: t.reasons,
      samples: t.samples,
      buckets,
    };
  }

  /** Parse every line of the chunk into the per-record columns and the tally's buckets. */
  private scan(b: Uint8Array, buf: Buffer, t: ChunkTally): void {
    const cfg = this.cfg;
    const step = cfg.step;
    const plan = this.plan;
    const r = this.rec;
    const len = b.length;
    const xff = cfg.clientIp === 'xff';
    const reasons = t.reasons;
    let lines = 0;
    let parsed = 0;
    let malformed = 0;
    let blank = 0;
    let overlong = 0;
    let noZone = 0;
    let zoneMinutes: number | null = null;
    let zoneAt = 0;
    let zoneOther: number | null = null;
    let zoneOtherAt = 0;
    let minTime = Infinity;
    let maxTime = -Infinity;
    let disorder = 0;
    let lastBucket = NaN;
    let lastLocal = -1;
    let perSec: Float64Array = new Float64Array(0);
    let ctr: Float64Array = new Float64Array(0);

    // Per-record columns grow with the records actually parsed (sizing them for the
    // shortest possible lines would hold ~2 MB a column for a 4 MiB chunk).
    let rBucket = this.rBucket.a;
    let cap = rBucket.length;
    let rSec = this.rSec.a;
    let rSrc = this.rSrc.a;
    let rUrl = this.rUrl.a;
    let rUa = this.rUa.a;
    let rRef = this.rRef.a;
    let rFlags = this.rFlags.a;
    let rQs = this.rQs.a;
    let rQe = this.rQe.a;
    let n = 0;
    let pos = 0;
    hashingOver(buf);
    while (pos < len) {
      let nl = buf.indexOf(10, pos);
      if (nl < 0) nl = len;
      const ls = pos;
      let le = nl;
      pos = nl + 1;
      lines++;
      if (le > ls && b[le - 1] === 13) le--;
      if (le === ls) {
        blank++;
        continue;
      }
      let ok: boolean;
      if (le - ls > cfg.maxLineBytes) {
        r.error = E.LONG;
        ok = false;
        overlong++;
      } else {
        ok = parseLine(plan, b, ls, le, r);
        if (ok && xff && r.xffE > r.xffS) {
          const had = r.hasClient;
          if (!this.clientFromXff(b, r.xffS, r.xffE) && !had) ok = false;
        }
        if (ok && !r.hasClient) {
          r.error = r.hostE > r.hostS ? E.HOSTNAME : E.NO_CLIENT;
          ok = false;
        }
        if (!ok && r.error !== E.NO_CLIENT && r.error !== E.HOSTNAME) {
          const nul = buf.indexOf(0, ls);
          if (nul >= 0 && nul < le) r.error = E.BINARY;
          else if (b[ls] === 35) r.error = E.COMMENT;
        }
      }
      if (!ok) {
        malformed++;
        reasons[r.error]!++;
        if (t.samples.length < cfg.maxSamples) t.samples.push({ line: lines, reason: describeError(plan, r, b, ls, le) });
        continue;
      }
      parsed++;
      const time = r.time;
      if (time < minTime) minTime = time;
      if (time > maxTime) maxTime = time;
      else if (maxTime - time > disorder) disorder = maxTime - time;
      if (!r.hasZone) noZone++;
      else if (zoneMinutes === null) {
        zoneMinutes = r.zoneMinutes;
        zoneAt = time;
      } else if (r.zoneMinutes !== zoneMinutes && zoneOther === null) {
        zoneOther = r.zoneMinutes;
        zoneOtherAt = time;
      }

      if (n === cap) {
        cap = n * 2;
        rBucket = this.rBucket.ensure(cap);
        rSec = this.rSec.ensure(cap);
        rSrc = this.rSrc.ensure(cap);
        rUrl = this.rUrl.ensure(cap);
        rUa = this.rUa.ensure(cap);
        rRef = this.rRef.ensure(cap);
        rFlags = this.rFlags.ensure(cap);
        rQs = this.rQs.ensure(cap);
        rQe = this.rQe.ensure(cap);
      }
      // Bucket of this record (records are nearly sorted: cache the last one).
      const bi = Math.floor(time / step);
      if (bi !== lastBucket) {
        lastLocal = t.bucketOf(bi, step);
        lastBucket = bi;
        perSec = t.bucketPerSec[lastLocal]!;
        ctr = t.bucketCounters[lastLocal]!;
      }
      const local = lastLocal;
      const sec = time - bi * step;
      perSec[sec]!++;
      ctr[C.REQUESTS]!++;
      ctr[C.BYTES]! += r.bytes;
      const sc = (r.status / 100) | 0;
      ctr[sc >= 1 && sc <= 5 ? C.S1XX + sc - 1 : C.SOTHER]!++;
      const emptyRef = isEmptyReferrer(b, r);
      ctr[emptyRef ? C.EMPTY_REF : C.REFERRED]!++;
      const xn = r.xffE - r.xffS;
      if (xn > 1 || (xn === 1 && b[r.xffS] !== 45)) ctr[C.XFF]!++;
      t.bucketRecs[local]!++;

      // Intern source.
      // Words and hash halves go into calls as int32 (`| 0`, same bits): a uint32 past 2^31
      // passed to a call V8 did not inline is boxed into a heap number each time.
      const src = this.srcT.intern(r.w0 | 0, r.w1 | 0, r.w2 | 0, r.w3 | 0);
      if (this.srcT.fresh) {
        hashWords(r.w0, r.w1, r.w2, r.w3, SOURCE_SEED);
        const sh = this.srcHash.ensure((src + 1) * 2);
        sh[src * 2] = hash64[0]!;
        sh[src * 2 + 1] = hash64[1]!;
      }
      // Intern URL (path, qualified by the virtual host when logged).
      hashBytes(buf, r.pathS, r.pathE, URL_SEED);
      let uh = hash64[0]! | 0;
      let ul = hash64[1]! | 0;
      if (r.vhostE > r.vhostS) {
        hashBytes(buf, r.vhostS, r.vhostE, URL_SEED + 1);
        uh ^= hash32(hash64[0]!, 1);
        ul ^= hash32(hash64[1]!, 2);
      }
      // Where a text is in the chunk: written on every record, with its own offsets when it is
      // new and its first ones again when not. A branch taken only by a chunk's first records
      // (a chunk's first user agents and referrers are all new: the tables are cleared) is one
      // V8 compiles blind, and it threw the compiled loop back to the interpreter at the start
      // of the next chunk.
      const url = this.urlT.intern(uh, ul, 0, 0);
      const urlNew = this.urlT.fresh;
      const uo = this.urlOff.ensure((url + 1) * 4);
      const { pathS, pathE, vhostS, vhostE } = r;
      uo[url * 4] = urlNew ? pathS : uo[url * 4]!;
      uo[url * 4 + 1] = urlNew ? pathE : uo[url * 4 + 1]!;
      uo[url * 4 + 2] = urlNew ? vhostS : uo[url * 4 + 2]!;
      uo[url * 4 + 3] = urlNew ? vhostE : uo[url * 4 + 3]!;
      const { uaS, uaE } = r;
      const ua = this.uaT.intern(hashBytes32(buf, uaS, uaE, TEXT_SEED), uaE - uaS, 0, 0);
      const uaNew = this.uaT.fresh;
      const ao = this.uaOff.ensure((ua + 1) * 2);
      ao[ua * 2] = uaNew ? uaS : ao[ua * 2]!;
      ao[ua * 2 + 1] = uaNew ? uaE : ao[ua * 2 + 1]!;
      let ref = -1;
      if (!emptyRef) {
        const { refS, refE } = r;
        ref = this.refT.intern(hashBytes32(buf, refS, refE, TEXT_SEED), refE - refS, 0, 0);
        const refNew = this.refT.fresh;
        const ro = this.refOff.ensure((ref + 1) * 2);
        ro[ref * 2] = refNew ? refS : ro[ref * 2]!;
        ro[ref * 2 + 1] = refNew ? refE : ro[ref * 2 + 1]!;
      }
      rBucket[n] = local;
      rSec[n] = sec;
      rSrc[n] = src;
      rUrl[n] = url;
      rUa[n] = ua;
      rRef[n] = ref;
      rFlags[n] = (emptyRef ? FLAG_EMPTY_REF : 0) | (sc === 5 ? FLAG_5XX : 0);
      // Its query string (after "?"), kept apart from the URL: cache-busting floods vary it.
      let qs = -1;
      if (r.queryE > r.queryS) {
        qs = b[r.queryS] === 63 ? r.queryS + 1 : r.queryS;
        if (qs === r.queryE) qs = -1;
      }
      rQs[n] = qs;
      rQe[n] = r.queryE;
      n++;
    }

    t.lines = lines;
    t.parsed = parsed;
    t.malformed = malformed;
    t.blank = blank;
    t.overlong = overlong;
    t.noZone = noZone;
    t.zoneMinutes = zoneMinutes;
    t.zoneAt = zoneAt;
    t.zoneOther = zoneOther;
    t.zoneOtherAt = zoneOtherAt;
    t.minTime = minTime;
    t.maxTime = maxTime;
    t.disorder = disorder;
    t.records = n;
  }

  /** Sources and URLs touched in the bucket's records, with their counts (one walk). */
  private countBucket(from: number, to: number): void {
    const order = this.order.a;
    const rSrc = this.rSrc.a;
    const rUrl = this.rUrl.a;
    const rFlags = this.rFlags.a;
    const rRef = this.rRef.a;
    const srcCnt = this.srcCnt.ensure(this.srcT.size);
    const urlCnt = this.urlCnt.ensure(this.urlT.size);
    const urlEmpty = this.urlEmpty.ensure(this.urlT.size);
    const urlRef = this.urlRef.ensure(this.urlT.size);
    const urlErr = this.urlErr.ensure(this.urlT.size);
    const touchedSrc = this.touchedSrc.ensure(to - from);
    const touchedUrl = this.touchedUrl.ensure(to - from);
    let nSrc = 0;
    let nUrl = 0;
    for (let j = from; j < to; j++) {
      const i = order[j]!;
      const s = rSrc[i]!;
      if (srcCnt[s] === 0) touchedSrc[nSrc++] = s;
      srcCnt[s]!++;
      const u = rUrl[i]!;
      if (urlCnt[u] === 0) touchedUrl[nUrl++] = u;
      urlCnt[u]!++;
      const f = rFlags[i]!;
      if ((f & FLAG_EMPTY_REF) !== 0) urlEmpty[u]!++;
      else if (rRef[i]! >= 0) urlRef[u]!++;
      if ((f & FLAG_5XX) !== 0) urlErr[u]!++;
    }
    this.nSrc = nSrc;
    this.nUrl = nUrl;
  }

  /** Top /24 (IPv4) and /64 (IPv6) prefixes over every source of the bucket. */
  private prefixSummary(nSrc: number): { pfxWords: Uint32Array; pfxCounts: Float64Array; pfxSources: Float64Array } {
    const touchedSrc = this.touchedSrc.a;
    const srcCnt = this.srcCnt.a;
    const srcKeys = this.srcT.keys;
    this.pfxT.clear();
    const pfxCnt = this.pfxCnt.ensure(nSrc);
    const pfxSrc = this.pfxSrc.ensure(nSrc);
    const touchedPfx = this.touchedPfx.ensure(nSrc);
    let nPfx = 0;
    for (let k = 0; k < nSrc; k++) {
      const s = touchedSrc[k]!;
      const o = s * 4;
      const w0 = srcKeys[o]!;
      const w1 = srcKeys[o + 1]!;
      const w2 = srcKeys[o + 2]!;
      const w3 = srcKeys[o + 3]!;
      const p = isV4(w0, w1, w2) ? this.pfxT.intern(0, 0, 0xffff, (w3 & 0xffffff00) >>> 0) : this.pfxT.intern(w0, w1, 0, 0);
      if (this.pfxT.fresh) {
        pfxCnt[p] = 0;
        pfxSrc[p] = 0;
        touchedPfx[nPfx++] = p;
      }
      pfxCnt[p]! += srcCnt[s]!;
      pfxSrc[p]!++;
    }
    const pfxOrder = topSlots(touchedPfx, nPfx, pfxCnt, LIMITS.topPrefixes);
    const pfxWords = new Uint32Array(pfxOrder.length * 4);
    const pfxCounts = new Float64Array(pfxOrder.length);
    const pfxSources = new Float64Array(pfxOrder.length);
    pfxOrder.forEach((p, k) => {
      copyKey(this.pfxT.keys, p, pfxWords, k * 4);
      pfxCounts[k] = pfxCnt[p]!;
      pfxSources[k] = pfxSrc[p]!;
    });

    return { pfxWords, pfxCounts, pfxSources };
  }

  /** Pair counts and per-second counts of the ranked URLs and sources (one more walk). */
  private detailWalk(from: number, to: number, step: number, urlSec: Float64Array, srcSec: Float64Array, b: Uint8Array, qt: QueryTally): void {
    const order = this.order.a;
    const rSrc = this.rSrc.a;
    const rUrl = this.rUrl.a;
    const rRef = this.rRef.a;
    const urlRank = this.urlRank.a;
    const srcRank = this.srcRank.a;
    const { pairUS, pairUA, pairUR, pairSU, pairSA, pairSR } = this;
    const rUa = this.rUa.a;
    const rSec = this.rSec.a;
    const rQs = this.rQs.a;
    const rQe = this.rQe.a;
    for (let j = from; j < to; j++) {
      const i = order[j]!;
      const u = rUrl[i]!;
      const s = rSrc[i]!;
      const ur = urlRank[u]!;
      if (ur >= 0) {
        const ref = rRef[i]!;
        pairUS.addBoth(ur, s, ref >= 0 ? 1 : 0);
        pairUA.add(ur, rUa[i]!);
        if (ref >= 0) pairUR.add(ur, ref);
        urlSec[ur * step + rSec[i]!]!++;
        const qs = rQs[i]!;
        if (qs >= 0) qt.add(ur, b, qs, rQe[i]!);
      }
      const sr = srcRank[s]!;
      if (sr >= 0) {
        pairSU.add(sr, u);
        pairSA.add(sr, rUa[i]!);
        if (rRef[i]! >= 0) pairSR.add(sr, rRef[i]!);
        srcSec[sr * step + rSec[i]!]!++;
      }
    }

  }

  /** Requests by country over the bucket's nSrc counted sources. */
  private bucketCountries(countries: SlotCountries, nSrc: number): CountryHist {
    const touchedSrc = this.touchedSrc.a;
    const srcCnt = this.srcCnt.a;
    const all = this.pairScratch.ensure(nSrc * 2);
    for (let k = 0; k < nSrc; k++) {
      all[k * 2] = touchedSrc[k]!;
      all[k * 2 + 1] = srcCnt[touchedSrc[k]!]!;
    }
    return countries.histogram(all, nSrc * 2);
  }

  private foldBucket(
    buf: Buffer,
    step: number,
    index: number,
    perSecond: Float64Array,
    counters: Float64Array,
    from: number,
    to: number,
  ): BucketPartial {
    this.countBucket(from, to);
    const { nSrc, nUrl } = this;
    const srcCnt = this.srcCnt.a;
    const urlCnt = this.urlCnt.a;
    const urlEmpty = this.urlEmpty.a;
    const urlRef = this.urlRef.a;
    const urlErr = this.urlErr.a;
    const touchedSrc = this.touchedSrc.a;
    const touchedUrl = this.touchedUrl.a;

    // All sources → HLL; and every source with its count, in first-seen order (the receiver's
    // summary needs them all, not sorted: see LIMITS.topSources), or the heaviest when more.
    const hllBytes = this.hll.bytes(LIMITS.srcHllP, this.srcHash.a, touchedSrc, 1, nSrc);
    // (Read from the slots directly when all fit: a list of them was ~30 % of what a worker
    // allocated on its heap, 600 KiB a chunk of the bench log.)
    const srcTop = nSrc <= LIMITS.topSources ? null : topSlots(touchedSrc, nSrc, srcCnt, LIMITS.topSources);
    const nOut = srcTop === null ? nSrc : srcTop.length;
    const srcKeys = this.srcT.keys;
    const srcWords = new Uint32Array(nOut * 4);
    const srcCounts = new Float64Array(nOut);
    for (let k = 0; k < nOut; k++) {
      const s = srcTop === null ? touchedSrc[k]! : srcTop[k]!;
      copyKey(srcKeys, s, srcWords, k * 4);
      srcCounts[k] = srcCnt[s]!;
    }

    const countries = this.countries !== null ? this.bucketCountries(this.countries, nSrc) : null;
    const { pfxWords, pfxCounts, pfxSources } = this.prefixSummary(nSrc);

    // Hot subjects get detail from one more walk over the bucket's records.
    const urlOrder = topSlots(touchedUrl, nUrl, urlCnt, LIMITS.detailUrls);
    const detailSrc = topSlots(touchedSrc, nSrc, srcCnt, LIMITS.detailSources);
    const urlRank = this.urlRank.ensure(this.urlT.size);
    const srcRank = this.srcRank.ensure(this.srcT.size);
    urlOrder.forEach((u, k) => (urlRank[u] = k));
    detailSrc.forEach((s, k) => (srcRank[s] = k));
    const urlSec = new Float64Array(urlOrder.length * step);
    const srcSec = new Float64Array(detailSrc.length * step);
    const { pairUS, pairUA, pairUR, pairSU, pairSA, pairSR } = this;
    const nu = urlOrder.length;
    const ns = detailSrc.length;
    pairUS.reset(nu, this.srcT.size);
    pairUA.reset(nu, this.uaT.size);
    pairUR.reset(nu, this.refT.size);
    pairSU.reset(ns, this.urlT.size);
    pairSA.reset(ns, this.uaT.size);
    pairSR.reset(ns, this.refT.size);
    const qt = new QueryTally(nu);
    this.detailWalk(from, to, step, urlSec, srcSec, buf, qt);

    const urlUS = pairUS.grouped(nu);
    const urlUA = pairUA.grouped(nu);
    const urlUR = pairUR.grouped(nu);
    const urls: SubjectDetail[] = urlOrder.map((u, k) => {
      const pairs = urlUS[k]!;
      const np = pairs.length / 2;
      const hll = this.hll.bytes(LIMITS.urlHllP, this.srcHash.a, pairs, 2, np);
      // All of the URL's sources when they fit (in first-seen order: the receiver's
      // summary does not need them sorted), else the heaviest.
      const top = np <= LIMITS.urlSources ? pairs : topPairs(pairs, LIMITS.urlSources);
      const words = new Uint32Array(top.length * 2);
      // Counts, then the requests of each that carried a referrer: one array (one transfer).
      const both = new Float64Array(top.length);
      const counts = both.subarray(0, top.length / 2);
      const referred = both.subarray(top.length / 2);
      for (let q = 0; q < top.length; q += 2) {
        const s = top[q]!;
        copyKey(srcKeys, s, words, q * 2);
        counts[q / 2] = top[q + 1]!;
        referred[q / 2] = pairUS.secondOf(k, s);
      }
      const urlKeys = this.urlT.keys;
      const d: SubjectDetail = {
        w0: urlKeys[u * 4]!,
        w1: urlKeys[u * 4 + 1]!,
        w2: 0,
        w3: 0,
        text: this.urlText(buf, u),
        count: urlCnt[u]!,
        emptyRef: urlEmpty[u]!,
        referred: urlRef[u]!,
        errors: urlErr[u]!,
        // A view: the Partial's arrays are copied into one buffer before they cross threads.
        perSecond: urlSec.subarray(k * step, (k + 1) * step),
        srcWords: words,
        srcCounts: counts,
        srcReferred: referred,
        hll,
        queried: qt.queried[k]!,
        queryHll: qt.hll[k]?.toBytes() ?? null,
        queries: qt.examples(k, buf),
        texts: this.texts,
        textPairs: NO_TEXT_PAIRS,
        uaAt: 0,
        refAt: 0,
        countries: this.countries?.histogram(pairs) ?? null,
      };
      return this.setTextPairs(d, buf, null, urlUA[k]!, urlUR[k]!);
    });

    const srcSU = pairSU.grouped(ns);
    const srcSA = pairSA.grouped(ns);
    const srcSR = pairSR.grouped(ns);
    const sources: SubjectDetail[] = detailSrc.map((s, k) => {
      let referred = 0;
      const sr = srcSR[k]!;
      for (let q = 1; q < sr.length; q += 2) referred += sr[q]!;
      const empty = srcCnt[s]! - referred;
      const d: SubjectDetail = {
        w0: srcKeys[s * 4]!,
        w1: srcKeys[s * 4 + 1]!,
        w2: srcKeys[s * 4 + 2]!,
        w3: srcKeys[s * 4 + 3]!,
        text: '',
        count: srcCnt[s]!,
        emptyRef: empty,
        referred,
        errors: 0,
        perSecond: srcSec.subarray(k * step, (k + 1) * step),
        srcWords: new Uint32Array(0),
        srcCounts: new Float64Array(0),
        hll: null,
        queried: 0,
        queryHll: null,
        queries: [],
        texts: this.texts,
        textPairs: NO_TEXT_PAIRS,
        uaAt: 0,
        refAt: 0,
        countries: this.countries?.histogram([s, srcCnt[s]!]) ?? null,
      };
      return this.setTextPairs(d, buf, srcSU[k]!, srcSA[k]!, sr);
    });

    // Reset scratch for the next bucket.
    for (let k = 0; k < nSrc; k++) srcCnt[touchedSrc[k]!] = 0;
    for (let k = 0; k < nUrl; k++) {
      const u = touchedUrl[k]!;
      urlCnt[u] = 0;
      urlEmpty[u] = 0;
      urlRef[u] = 0;
      urlErr[u] = 0;
    }
    for (const u of urlOrder) urlRank[u] = -1;
    for (const s of detailSrc) srcRank[s] = -1;

    return { index, perSecond, counters, hll: hllBytes, srcWords, srcCounts, pfxWords, pfxCounts, pfxSources, urls, sources, countries };
  }

  /** Count one more line, over the length limit and skipped, after the chunk's lines. */
  static appendOverlong(p: Partial, maxSamples: number): void {
    p.lines++;
    p.malformed++;
    p.overlong++;
    p.reasons[E.LONG]!++;
    if (p.samples.length < maxSamples) p.samples.push({ line: p.lines, reason: 'line over 64 KiB, skipped' });
  }

  private urlText(buf: Buffer, u: number): string {
    const o = this.urlOff.a;
    const path = buf.toString('utf8', o[u * 4]!, o[u * 4 + 1]!);
    const vs = o[u * 4 + 2]!;
    const ve = o[u * 4 + 3]!;
    return ve > vs ? `${buf.toString('utf8', vs, ve)} ${path}` : path;
  }

  /** The chunk's URLs with their requests, the most requested first (at most LIMITS.chunkUrls). */
  private urlTotals(buf: Buffer, n: number): Partial['urlTotals'] {
    const size = this.urlT.size;
    const cnt = this.urlTot.ensure(size);
    cnt.fill(0, 0, size);
    const rUrl = this.rUrl.a;
    for (let i = 0; i < n; i++) cnt[rUrl[i]!]!++;
    const slots = this.urlSlots.ensure(size);
    for (let u = 0; u < size; u++) slots[u] = u;
    const top = topSlots(slots, size, cnt, LIMITS.chunkUrls);
    const keys = this.urlT.keys;
    const words = new Uint32Array(top.length * 2);
    const counts = new Float64Array(top.length);
    const texts = new Array<string>(top.length);
    for (let k = 0; k < top.length; k++) {
      const u = top[k]!;
      words[k * 2] = keys[u * 4]!;
      words[k * 2 + 1] = keys[u * 4 + 1]!;
      counts[k] = cnt[u]!;
      texts[k] = this.urlText(buf, u);
    }
    return { words, counts, texts };
  }

  /** Where an interned URL (kind 0), user agent (1) or referrer (2) is in the chunk's texts (decoded at its first use). */
  private textAt(buf: Buffer, kind: 0 | 1 | 2, i: number): number {
    const at = kind === 0 ? this.urlTextAt.a : kind === 1 ? this.uaTextAt.a : this.refTextAt.a;
    let k = at[i]!;
    if (k < 0) {
      k = this.texts.length;
      const off = kind === 1 ? this.uaOff.a : this.refOff.a;
      this.texts.push(kind === 0 ? this.urlText(buf, i) : buf.toString('utf8', off[i * 2]!, off[i * 2 + 1]!));
      at[i] = k;
    }
    return k;
  }

  /**
   * A subject's ranked texts (see SubjectDetail.textPairs) from its (slot, count) pairs, put
   * in the detail: the URLs it requested (null for a URL subject), its user agents and its
   * referrers.
   */
  private setTextPairs(d: SubjectDetail, buf: Buffer, urls: ArrayLike<number> | null, uas: ArrayLike<number>, refs: ArrayLike<number>): SubjectDetail {
    const u = urls === null ? NO_PAIRS : topPairs(urls, LIMITS.topTexts);
    const a = topPairs(uas, LIMITS.topTexts);
    const r = topPairs(refs, LIMITS.topTexts);
    const out = new Float64Array(u.length + a.length + r.length);
    this.putTexts(buf, 0, u, out, 0);
    this.putTexts(buf, 1, a, out, u.length);
    this.putTexts(buf, 2, r, out, u.length + a.length);
    d.textPairs = out;
    d.uaAt = u.length / 2;
    d.refAt = (u.length + a.length) / 2;
    return d;
  }

  /** [slot, count, …] of one kind of text into `out` from `o` as [text index, count, …]. */
  private putTexts(buf: Buffer, kind: 0 | 1 | 2, top: readonly number[], out: Float64Array, o: number): void {
    for (let q = 0; q < top.length; q += 2) {
      out[o + q] = this.textAt(buf, kind, top[q]!);
      out[o + q + 1] = top[q + 1]!;
    }
  }
}

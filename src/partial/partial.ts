/**
 * A Partial is what a worker sends back for one chunk: the chunk's records folded into
 * per-step buckets of mergeable summaries. It crosses threads packed into one shared buffer
 * (see pack.ts) and is folded by the merger in chunk order.
 *
 * Time resolution: per-second counts (requests per second, per hot URL and per hot
 * source) and, at step resolution (default 10 s), the summaries: a HyperLogLog of
 * sources, the top sources and /24 or /64 prefixes with counts, and the top URLs and
 * sources with their own detail (sources, user agents, referrers, per-second counts).
 * Windows only ever slide by a whole step, so step is the finest resolution detectors
 * can use; keeping sketches per second would multiply memory and merge work by `step`
 * for nothing.
 */

/** Indices into BucketPartial.counters. */
export const C = {
  REQUESTS: 0,
  BYTES: 1,
  S1XX: 2,
  S2XX: 3,
  S3XX: 4,
  S4XX: 5,
  S5XX: 6,
  SOTHER: 7,
  EMPTY_REF: 8,
  REFERRED: 9,
  /** Requests whose X-Forwarded-For field (when the format has one) held an address: proxied. */
  XFF: 10,
} as const;
export const N_COUNTERS = 11;

import type { CountryHist } from '../geo/country-code.js';
import { mapHist, packArrays, type PackedArray } from './pack.js';

/** Detail of one hot subject (a URL, or a source) inside one bucket of one chunk. */
export interface SubjectDetail {
  /** URL: 64-bit hash in w0, w1 (w2 = w3 = 0). Source: the IP words. */
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  /** URL text ('' for a source subject). */
  text: string;
  count: number;
  emptyRef: number;
  referred: number;
  /** URL subjects: its requests answered 5xx (0 for a source subject). */
  errors: number;
  perSecond: Float64Array;
  /** URL subjects: its sources (4 words each) and their counts, the largest first. */
  srcWords: Uint32Array;
  srcCounts: Float64Array;
  /**
   * URL subjects: of each source's requests, those that carried a referrer (a view of the same
   * buffer as srcCounts, packed once).
   */
  srcReferred?: Float64Array;
  /** URL subjects: serialized HyperLogLog of all its sources in this chunk-bucket. */
  hll: Uint8Array | null;
  /** URL subjects: its requests with a query string, a serialized HyperLogLog (p = QUERY_HLL_P) of the distinct ones (null: none), and the first few distinct. */
  queried: number;
  queryHll: Uint8Array | null;
  queries: string[];
  /**
   * The chunk's distinct texts (URLs, user agents, referrers): one array, shared by every
   * detail of the Partial, so a text crosses threads once a chunk, not once per detail
   * (~40 distinct of ~1,000 a chunk of the bench log), and no object per text and count.
   */
  texts: string[];
  /**
   * The subject's ranked texts as (index in `texts`, count) pairs, largest first in each part:
   * the URLs it requested (source subjects), then its user agents from pair `uaAt`, then its
   * referrers from pair `refAt`.
   */
  textPairs: Float64Array;
  uaAt: number;
  refAt: number;
  /** Requests by country (geolocated in the worker), when geolocation is on. */
  countries: CountryHist | null;
}

export interface BucketPartial {
  /** Step index: floor(epochSeconds / step). */
  index: number;
  /** Requests in each second of the step. */
  perSecond: Float64Array;
  counters: Float64Array;
  /** Serialized HyperLogLog (p = 14) of every source in this chunk-bucket. */
  hll: Uint8Array;
  /** Top sources (4 words each) and counts. */
  srcWords: Uint32Array;
  srcCounts: Float64Array;
  /** Top /24 (IPv4) or /64 (IPv6) prefixes: network words, requests, distinct sources. */
  pfxWords: Uint32Array;
  pfxCounts: Float64Array;
  pfxSources: Float64Array;
  urls: SubjectDetail[];
  sources: SubjectDetail[];
  /** Requests by country, when geolocation is on. */
  countries: CountryHist | null;
}

export interface MalformedSample {
  /** 1-based line number within the chunk. */
  line: number;
  reason: string;
}

export interface Partial {
  seq: number;
  /** Lines seen (including blank and malformed). */
  lines: number;
  parsed: number;
  malformed: number;
  blank: number;
  /** Lines over the length limit (also counted in malformed). */
  overlong: number;
  /** Parsed lines whose timestamp had no zone. */
  noZone: number;
  /** Zone offset (minutes) of the first parsed line, or null; zoneAt: that line's time. */
  zoneMinutes: number | null;
  zoneAt: number;
  /** The first other zone offset in the chunk (a daylight-saving change), or null; zoneOtherAt: when. */
  zoneOther: number | null;
  zoneOtherAt: number;
  minTime: number;
  maxTime: number;
  /**
   * How far the chunk's lines run backwards in time: the most seconds a line came after one
   * stamped later (0 for a log in time order). See WindowedEngine.noteDisorder.
   */
  disorder: number;
  /**
   * The chunk's URLs (64-bit hash as two words each) with their requests and texts, the most
   * requested first: what the input's top URLs are counted from (every URL of a chunk in
   * practice; the step buckets' hot URLs are only the few heaviest of each step).
   */
  urlTotals: { words: Uint32Array; counts: Float64Array; texts: string[] };
  /** Malformed counts by reason code (see parsers/access-log E). */
  reasons: Float64Array;
  samples: MalformedSample[];
  buckets: BucketPartial[];
}

/** A new Partial with every typed array replaced by what `f` returns for it (see pack.ts). */
function mapArrays(p: Partial, f: <T extends PackedArray>(a: T) => T): Partial {
  const detail = (d: SubjectDetail): SubjectDetail => {
    const out: SubjectDetail = {
      ...d,
      countries: mapHist(d.countries, f),
      perSecond: f(d.perSecond),
      srcWords: f(d.srcWords),
      srcCounts: f(d.srcCounts),
      hll: d.hll === null ? null : f(d.hll),
      queryHll: d.queryHll === null ? null : f(d.queryHll),
      textPairs: f(d.textPairs),
    };
    if (d.srcReferred !== undefined) out.srcReferred = f(d.srcReferred);
    return out;
  };
  return {
    ...p,
    reasons: f(p.reasons),
    urlTotals: { ...p.urlTotals, words: f(p.urlTotals.words), counts: f(p.urlTotals.counts) },
    buckets: p.buckets.map((b) => ({
      ...b,
      perSecond: f(b.perSecond),
      counters: f(b.counters),
      hll: f(b.hll),
      srcWords: f(b.srcWords),
      srcCounts: f(b.srcCounts),
      pfxWords: f(b.pfxWords),
      pfxCounts: f(b.pfxCounts),
      pfxSources: f(b.pfxSources),
      countries: mapHist(b.countries, f),
      urls: b.urls.map(detail),
      sources: b.sources.map(detail),
    })),
  };
}

/** The Partial packed into one shared buffer, in new objects (see pack.ts), for the worker to send. */
export function packPartial(p: Partial): Partial {
  return packArrays((f) => mapArrays(p, f));
}

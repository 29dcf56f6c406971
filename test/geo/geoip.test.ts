import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GeoIp, specialLabel } from '../../dist/src/geo/geoip.js';
import { parseIpString } from '../../dist/src/parsers/ip.js';
import { decodeCountry, encodeCountry } from '../../dist/src/geo/country-code.js';
import { Random } from '../../dist/src/util/random.js';
import { generated, run, tmp } from '../helpers.js';

const at = (g: GeoIp, ip: string) => g.lookup(...(Array.from(parseIpString(ip)!) as [number, number, number, number]));

describe('geolocation', () => {
  it('finds countries in the bundled DB-IP database with no download', () => {
    const g = new GeoIp();
    expect(at(g, '8.8.8.8').country).toBe('US');
    expect(at(g, '2a00:1450:4001:82b::200e').country).toBe('DE');
    expect(g.attribution).toBe('IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0');
  });

  it("answers the workers' fast country lookup as the database reader does, address by address", () => {
    // The fast path walks the tree itself (a /16's first half of the walk kept); the reader is
    // the maxmind package. 20,000 seeded IPv4 addresses (many sharing a /16) and 2,000 IPv6 ones.
    const fast = new GeoIp();
    const slow = new GeoIp();
    const rnd = new Random(3);
    const word = () => Math.floor(rnd.next() * 2 ** 32) >>> 0;
    const seen = new Set<string>();
    for (let i = 0; i < 22_000; i++) {
      const w: [number, number, number, number] =
        i < 20_000 ? [0, 0, 0xffff, i % 2 === 0 ? word() : ((word() & 0x00ff_ffff) | 0x5d00_0000) >>> 0] : [(0x2000_0000 | (word() & 0x0fff_ffff)) >>> 0, word(), word(), word()];
      const country = slow.lookup(...w).country;
      expect(decodeCountry(fast.code(...w)), w.join(':')).toBe(decodeCountry(encodeCountry(country)));
      seen.add(country);
    }
    expect(seen.size).toBeGreaterThan(100);
  });

  it('labels private, loopback and reserved addresses as such, not as unknown', () => {
    const g = new GeoIp();
    expect(at(g, '10.1.2.3').country).toBe('private');
    expect(at(g, '127.0.0.1').country).toBe('loopback');
    expect(at(g, '::1').country).toBe('loopback');
    expect(at(g, '2001:db8::1').country).toBe('documentation');
    expect(at(g, '100.64.1.1').country).toBe('cgnat');
    expect(specialLabel(0, 0, 0xffff, 0x08080808)).toBeNull();
  });

  it('names a missing or corrupt database in one line, exit 2', async () => {
    const { path } = generated();
    const missing = await run(['--geoip-db', '/nonexistent/GeoLite2-City.mmdb', path]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('floodscope: --geoip-db /nonexistent/GeoLite2-City.mmdb: no such file');
    const bad = join(tmp(), 'corrupt.mmdb');
    writeFileSync(bad, 'this is not a maxmind database');
    const corrupt = await run(['--asn-db', bad, path]);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toMatch(new RegExp(`^floodscope: --asn-db ${bad}: not a MaxMind database`));
    expect((await run(['--no-geo', '--format', 'json', '-q', path])).stdout).toMatch(/"geo": null/);
  });
});

describe('where attacks come from, in the report', () => {
  it('breaks each attack down by country, compared with the traffic before it, and by prefix', async () => {
    const { analyzeLogs } = await import('../../dist/src/index.js');
    const { path, truth } = generated();
    const r = await analyzeLogs({ inputs: [path], threads: 2 });
    const flood = r.attacks.find((a) => a.signature === 'http.repeated-url')!;
    const countries = flood.countries!;
    expect(countries.reduce((a, c) => a + c.share, 0)).toBeCloseTo(1, 2);
    expect(countries.reduce((a, c) => a + c.sources, 0)).toBe(flood.topSources.length);
    for (const c of countries) expect(c.before).toBeGreaterThanOrEqual(0);
    // Each attacker /24 of the generated flood is reported with its member count.
    expect(flood.prefixes!.filter((p) => p.members >= 30).length).toBe(2);
    expect(flood.topSources.every((s) => typeof s.country === 'string')).toBe(true);
    expect(r.geo!.attribution).toMatch(/DB-IP/);
    expect(truth.flood!.sources.length).toBe(300);
    expect('before' in flood).toBe(false);
  });
});

describe('other databases: --geoip-db (city) and --asn-db', async () => {
  const { writeMmdb } = await import('../mmdb-writer.js');
  const dir = tmp();
  const city = join(dir, 'city.mmdb');
  const asn = join(dir, 'asn.mmdb');
  writeFileSync(
    city,
    writeMmdb('GeoLite2-City', [
      ['8.8.8.0/24', { country: { iso_code: 'US' }, city: { names: { en: 'Mountain View' } }, location: { latitude: { double: 37.4 }, longitude: { double: -122.1 } } }],
      ['81.2.69.0/24', { country: { iso_code: 'GB' }, city: { names: { en: 'London' } } }],
    ]),
  );
  writeFileSync(
    asn,
    writeMmdb('GeoLite2-ASN', [
      ['8.8.8.0/24', { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' }],
      ['81.2.69.0/24', { autonomous_system_number: 20712, autonomous_system_organization: 'Andrews & Arnold Ltd' }],
    ]),
  );

  it('reads city, coordinates and ASN from MaxMind-format databases', () => {
    const g = new GeoIp({ countryDb: city, asnDb: asn });
    expect(at(g, '8.8.8.8')).toEqual({ country: 'US', city: 'Mountain View', latitude: 37.4, longitude: -122.1, asn: 15169, asOrg: 'GOOGLE' });
    expect(at(g, '81.2.69.160')).toMatchObject({ country: 'GB', city: 'London', asn: 20712 });
    expect(at(g, '1.1.1.1')).toEqual({ country: 'unknown' });
  });

  it('puts city and ASN on each source and an ASN breakdown on each attack', async () => {
    const rows: string[] = [];
    for (let s = 0; s < 300; s++) {
      const t = `01/Jan/2024:00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000`;
      for (let k = 0; k < 15; k++) rows.push(`${k % 3 === 0 ? '81.2.69' : '8.8.8'}.${(s * 15 + k) % 60 + 1} - - [${t}] "GET /x HTTP/1.1" 200 1 "-" "bot"`);
    }
    const p = join(dir, 'asn.log');
    writeFileSync(p, rows.join('\n') + '\n');
    const r = await run(['--format', 'json', '-q', '--geoip-db', city, '--asn-db', asn, p]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { geo: { countryDb: string; asnDb: string; attribution: string }; attacks: { signature: string; asns: { asn: number; org: string; share: number }[]; topSources: { ip: string; city?: string; asn?: number; latitude?: number }[] }[] };
    const flood = j.attacks.find((a) => a.signature === 'http.repeated-url')!;
    expect(flood.asns.map((a) => [a.asn, a.org])).toEqual([
      [15169, 'GOOGLE'],
      [20712, 'Andrews & Arnold Ltd'],
    ]);
    expect(flood.asns[0]!.share).toBeCloseTo(2 / 3, 1);
    const g = flood.topSources.find((s) => s.ip.startsWith('8.8.8.'))!;
    expect(g).toMatchObject({ city: 'Mountain View', asn: 15169, latitude: 37.4 });
    expect(j.geo).toMatchObject({ countryDb: city, asnDb: asn, attribution: `IP geolocation from ${city}` });
    const t = await run(['-q', '--geoip-db', city, '--asn-db', asn, p]);
    expect(t.stdout).toMatch(/networks: AS15169 GOOGLE 6\d%/);
    expect(t.stdout).toMatch(/8\.8\.8\.\d+ +US Mountain View +\d+ +AS15169 GOOGLE/);
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GeoIp, specialLabel } from '../../dist/src/geo/geoip.js';
import { parseIpString } from '../../dist/src/parsers/ip.js';
import { generated, run, tmp } from '../helpers.js';

const at = (g: GeoIp, ip: string) => g.lookup(...(Array.from(parseIpString(ip)!) as [number, number, number, number]));

describe('geolocation', () => {
  it('finds countries in the bundled DB-IP database with no download', () => {
    const g = new GeoIp();
    expect(at(g, '8.8.8.8').country).toBe('US');
    expect(at(g, '2a00:1450:4001:82b::200e').country).toBe('DE');
    expect(g.attribution).toBe('IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0');
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

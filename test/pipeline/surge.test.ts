import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../dist/src/index.js';
import { clf, tmp } from '../helpers.js';

/**
 * 30 minutes of browsing (4 req/s from 200 visitors, referred, 200), and from minute 15 to 20 a
 * surge of 60 req/s spread over the site: `flood` random paths from 400 new addresses, each
 * under the per-source rate (what per-URL and per-source signatures cannot see), or, without
 * `flood`, referred visits to every page (a link to the site: not an attack).
 */
function surgeLog(flood: boolean): string {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)]!;
  const ip = (a: number) => `${a}.${1 + Math.floor(rnd() * 250)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
  const visitors = Array.from({ length: 200 }, () => ip(81));
  const crowd = Array.from({ length: 400 }, () => ip(45));
  const pages = ['/', '/about', '/blog/', '/contact', '/pricing', '/docs/', '/js/app.js', '/css/site.css'];
  const t0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000;
  const out: string[] = [];
  for (let s = 0; s < 1800; s++) {
    const t = clf(t0 + s);
    for (let k = 0; k < 4; k++) out.push(`${pick(visitors)} - - [${t}] "GET ${pick(pages)} HTTP/1.1" 200 5120 "https://www.example.com/" "Mozilla/5.0 Firefox/125.0"`);
    if (s < 900 || s >= 1200) continue;
    for (let k = 0; k < 60; k++) {
      if (flood) out.push(`${pick(crowd)} - - [${t}] "GET /${Math.floor(rnd() * 1e9).toString(36)} HTTP/1.1" 404 125 "-" "Mozilla/5.0 (Windows NT 10.0; rv:42.0) Firefox/42.0"`);
      else out.push(`${pick(crowd)} - - [${t}] "GET ${pick(pages)} HTTP/1.1" 200 5120 "https://news.example.org/item/1" "Mozilla/5.0 Safari/17"`);
    }
  }
  return out.join('\n') + '\n';
}

describe('http.request-surge: the whole site far above its baseline, no URL or source to blame', () => {
  const block = { prefix: 'auto' as const, ttlSeconds: 60, allow: [], blockPrivate: false, includeInfo: false };

  it('finds a flood of random paths from many sources, each under the per-source rate, and blocks none of the visitors', async () => {
    const p = join(tmp(), 'random-paths.log');
    writeFileSync(p, surgeLog(true));
    const r = await analyzeLogs({ inputs: [p], threads: 2, block });
    expect(r.attacks.map((a) => [a.signature, a.target, a.attack])).toEqual([['http.request-surge', '*', true]]);
    const a = r.attacks[0]!;
    expect([a.start, a.end]).toEqual(['2026-11-20T10:15:00+00:00', '2026-11-20T10:19:59+00:00']);
    expect(a.evidence).toMatchObject({ emptyReferrerShare: expect.any(Number), errorShare: expect.any(Number) });
    expect(a.evidence.errorShare).toBeGreaterThan(0.9);
    expect(a.topSources[0]!.ip.startsWith('45.')).toBe(true);
    // Its sources are everyone's: left out of the block list, with the reason.
    expect(r.blocklist!.entries).toEqual([]);
    expect(r.blocklist!.excluded[0]!.reason).toMatch(/^a site-wide surge: its sources are every visitor's/);
  });

  it('reports a referred surge over every page at info level, not as an attack', async () => {
    const p = join(tmp(), 'referred.log');
    writeFileSync(p, surgeLog(false));
    const r = await analyzeLogs({ inputs: [p], threads: 2 });
    expect(r.attacks.map((a) => [a.signature, a.severity, a.attack])).toEqual([['http.request-surge', 'info', false]]);
    expect(r.summary.verdict).toBe('no attack found');
  });
});

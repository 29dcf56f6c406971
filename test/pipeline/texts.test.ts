import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../dist/src/index.js';
import { clf, tmp } from '../helpers.js';

/**
 * Half an hour of log: visitors at 4 req/s (three browsers, a real referrer); from minute 10 to
 * 15 a flood of POST /login with no referrer from 1,200 addresses, two requests of "FloodBot/1.0"
 * for one of "python-requests/2.31"; and over the same minutes 203.0.113.9 asking /a twice for
 * each /b, 12 times a second, as "curl/8.5.0" from "https://evil.example/".
 */
function textsLog(): { path: string; flood: Map<string, number>; hot: Map<string, number> } {
  const t0 = Date.UTC(2026, 10, 20, 4) / 1000;
  const browsers = ['Mozilla/5.0 Firefox/118.0', 'Mozilla/5.0 Chrome/120.0', 'Mozilla/5.0 Safari/605.1'];
  const rows: string[] = [];
  const flood = new Map<string, number>();
  const hot = new Map<string, number>();
  let n = 0;
  for (let s = 0; s < 1800; s++) {
    const t = clf(t0 + s);
    for (let k = 0; k < 4; k++) {
      const i = n++;
      rows.push(`198.51.100.${(i % 200) + 1} - - [${t}] "GET /page${i % 9} HTTP/1.1" 200 900 "https://example.org/" "${browsers[i % 3]}"`);
    }
    if (s < 600 || s >= 900) continue;
    for (let k = 0; k < 90; k++) {
      const i = n++ % 1200;
      const ua = k % 3 === 2 ? 'python-requests/2.31' : 'FloodBot/1.0';
      flood.set(ua, (flood.get(ua) ?? 0) + 1);
      rows.push(`45.${10 + (i % 30)}.${Math.floor(i / 30)}.${(i % 200) + 1} - - [${t}] "POST /login HTTP/1.1" 200 120 "-" "${ua}"`);
    }
    for (let k = 0; k < 12; k++) {
      const url = k % 3 === 2 ? '/b' : '/a';
      hot.set(url, (hot.get(url) ?? 0) + 1);
      rows.push(`203.0.113.9 - - [${t}] "GET ${url} HTTP/1.1" 200 300 "https://evil.example/" "curl/8.5.0"`);
    }
  }
  const path = join(tmp(), 'texts.log');
  writeFileSync(path, rows.join('\n') + '\n');
  return { path, flood, hot };
}

describe("an attack's user agents, referrers and URLs", () => {
  const { path, flood, hot } = textsLog();

  it('are those of its own requests, counted whole, for any number of threads', async () => {
    const one = await analyzeLogs({ inputs: [path], threads: 1 });
    for (const threads of [1, 3]) {
      const r = threads === 1 ? one : await analyzeLogs({ inputs: [path], threads });
      const url = r.attacks.find((a) => a.signature === 'http.repeated-url' && a.target === '/login')!;
      expect(url, JSON.stringify(r.attacks.map((a) => [a.signature, a.target]))).toBeDefined();
      // Only the flood's two user agents, two for one, each counted on every request the
      // finding counts; no referrer at all.
      expect(url.topUserAgents.map((t) => t.value)).toEqual(['FloodBot/1.0', 'python-requests/2.31']);
      expect(url.topUserAgents[0]!.count + url.topUserAgents[1]!.count).toBe(url.requests);
      expect(url.topUserAgents[0]!.count).toBe(2 * url.topUserAgents[1]!.count);
      expect(url.topUserAgents[0]!.count).toBeLessThanOrEqual(flood.get('FloodBot/1.0')!);
      expect(url.topReferrers).toEqual([]);

      const src = r.attacks.find((a) => a.signature === 'http.source-rate' && a.target === '203.0.113.9')!;
      expect(src, JSON.stringify(r.attacks.map((a) => [a.signature, a.target]))).toBeDefined();
      // Its URLs two for one, its one user agent and referrer on each of its requests.
      expect(src.topUrls).toEqual([
        { value: '/a', count: hot.get('/a') },
        { value: '/b', count: hot.get('/b') },
      ]);
      expect(src.topUserAgents).toEqual([{ value: 'curl/8.5.0', count: 3600 }]);
      expect(src.topReferrers).toEqual([{ value: 'https://evil.example/', count: 3600 }]);
      expect(r.attacks).toEqual(one.attacks);
    }
  });
});

/**
 * Seeded generator of Apache combined logs with known attacks, and the ground truth
 * beside them. Used for the bundled sample, the accuracy tests and the benchmark.
 *
 * Streams, each second by Poisson arrivals:
 *  - background browsing: a Zipf-distributed pool of users and URLs, mostly internal
 *    referrers, some "-", some search engines;
 *  - an HTTP flood: hundreds of sources (some packed into two /24s) hammering one URL
 *    with an empty "-" referrer and a handful of bot user agents;
 *  - a flash crowd: thousands of new sources, one to four requests each, to one URL,
 *    arriving from a real external referrer (a news link) — not an attack;
 *  - one hot single source scraping many URLs.
 */
import { formatIp } from '../parsers/ip.js';
import { isoWithOffset } from '../parsers/timestamp.js';
import { Random } from '../util/random.js';

export interface Window {
  /** Seconds from the start of the log. */
  from: number;
  to: number;
}

export interface ScenarioOptions {
  seed: number;
  /** Epoch seconds of the first line. */
  start: number;
  /** Zone offset written in the log, minutes. */
  zoneMinutes: number;
  /** Length of the log in seconds. */
  duration: number;
  backgroundRate: number;
  backgroundUsers: number;
  flood: (Window & { rate: number; sources: number; target: string }) | null;
  flashCrowd: (Window & { peakRate: number; sources: number; target: string; referrer: string }) | null;
  hotSource: (Window & { rate: number }) | null;
}

export interface GroundTruth {
  seed: number;
  lines: number;
  start: string;
  end: string;
  flood: { target: string; start: string; end: string; startEpoch: number; endEpoch: number; requests: number; sources: string[] } | null;
  flashCrowd: { target: string; start: string; end: string; startEpoch: number; endEpoch: number; requests: number; sources: number; referrer: string; addresses: string[] } | null;
  hotSource: { ip: string; start: string; end: string; startEpoch: number; endEpoch: number; requests: number } | null;
  backgroundSources: number;
  /** Every address the background browsing used. */
  background: string[];
}

/** The scenario of the bundled sample: 40 minutes, every stream once. */
export function sampleScenario(seed = 20250314, scale = 1): ScenarioOptions {
  return {
    seed,
    start: Date.UTC(2025, 2, 14, 7, 0, 0) / 1000,
    zoneMinutes: 120,
    duration: 2400,
    backgroundRate: 4 * scale,
    backgroundUsers: Math.round(600 * Math.sqrt(scale)),
    flood: { from: 900, to: 1140, rate: 50 * scale, sources: 300, target: '/wp-login.php' },
    flashCrowd: { from: 1500, to: 1980, peakRate: 12 * scale, sources: 2500, target: '/blog/2025/we-are-hiring', referrer: 'https://news.ycombinator.com/item?id=43350001' },
    hotSource: { from: 300, to: 480, rate: 10, },
  };
}

/**
 * A scenario sized to about `lines` lines for the benchmark: the same shape at a constant
 * rate (~550 lines/s), so a larger `lines` means a longer log, not a denser one — the
 * memory-flatness check compares lengths. Events sit at fixed fractions of the log.
 */
export function benchScenario(lines: number, seed = 7): ScenarioOptions {
  const rate = 550;
  const duration = Math.max(600, Math.round(lines / rate));
  const at = (f: number) => Math.round(duration * f);
  const floodLen = at(1 / 6);
  // Background ≈ 70% of the lines, flood ≈ 25%, the rest flash crowd and hot source.
  return {
    seed,
    start: Date.UTC(2025, 5, 1, 0, 0, 0) / 1000,
    zoneMinutes: 0,
    duration,
    backgroundRate: rate * 0.7,
    backgroundUsers: Math.max(1000, Math.round(lines / 200)),
    flood: { from: at(1 / 3), to: at(1 / 3) + floodLen, rate: (rate * 0.25 * duration) / floodLen, sources: 2000, target: '/search' },
    flashCrowd: { from: at(2 / 3), to: at(5 / 6), peakRate: rate * 0.1, sources: 20000, target: '/news/launch', referrer: 'https://news.ycombinator.com/item?id=1' },
    hotSource: { from: at(1 / 6), to: at(1 / 4), rate: 40 },
  };
}

/**
 * The bench's quiet day: a site at 20 requests/s for 24 hours (1.7M lines) with a ten-minute
 * flood in the evening. Per line it costs more than the busy log of benchScenario: a chunk holds
 * ~35 steps instead of one or two, and each step has its summaries, hot URLs and sources.
 */
export function quietDayScenario(seed = 7): ScenarioOptions {
  const duration = 86_400;
  return {
    seed,
    start: Date.UTC(2025, 5, 1, 0, 0, 0) / 1000,
    zoneMinutes: 0,
    duration,
    backgroundRate: 20,
    backgroundUsers: 8000,
    flood: { from: 19 * 3600, to: 19 * 3600 + 600, rate: 300, sources: 500, target: '/search' },
    flashCrowd: null,
    hotSource: null,
  };
}

const PATHS = [
  '/', '/index.html', '/about', '/contact', '/pricing', '/blog/', '/docs/', '/docs/install', '/docs/config', '/docs/faq',
  '/products/widget', '/products/gadget', '/products/gizmo', '/cart', '/checkout', '/account', '/search?q=widget',
  '/css/site.css', '/js/app.js', '/img/logo.png', '/img/hero.jpg', '/favicon.ico', '/robots.txt', '/sitemap.xml',
  '/api/v1/items', '/api/v1/status', '/blog/2024/release-notes', '/blog/2024/year-in-review', '/feed.xml', '/login',
];
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
];
const FLOOD_UAS = [
  'Mozilla/5.0 (Windows NT 6.1; WOW64; rv:40.0) Gecko/20100101 Firefox/40.1',
  'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)',
  'python-requests/2.31.0',
];
const SEARCH_REFS = ['https://www.google.com/', 'https://www.bing.com/', 'https://duckduckgo.com/'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A random public unicast IPv4 (no private, loopback, CGNAT, link-local, multicast or reserved). */
export function publicIpv4(rnd: Random): number {
  for (;;) {
    const v = rnd.u32();
    const a = v >>> 24;
    const b = (v >>> 16) & 255;
    if (a === 0 || a === 10 || a === 127 || a >= 224) continue;
    if (a === 100 && b >= 64 && b < 128) continue;
    if (a === 169 && b === 254) continue;
    if (a === 172 && b >= 16 && b < 32) continue;
    if (a === 192 && (b === 168 || b === 0)) continue;
    if (a === 198 && (b === 18 || b === 19 || b === 51)) continue;
    if (a === 203 && b === 0) continue;
    if (v % 256 === 0 || v % 256 === 255) continue;
    return v >>> 0;
  }
}

function v4(x: number): string {
  return formatIp(0, 0, 0xffff, x);
}

function poisson(rnd: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gauss(rnd)));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rnd.next();
  } while (p > l);
  return k - 1;
}

function gauss(rnd: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());
}

function clfTime(epoch: number, zone: number): string {
  const d = new Date((epoch + zone * 60) * 1000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const sign = zone < 0 ? '-' : '+';
  const az = Math.abs(zone);
  return `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${sign}${p2(Math.floor(az / 60))}${p2(az % 60)}`;
}

/**
 * Generate the scenario, handing text to `write` in pieces of about 1 MiB.
 * Returns the ground truth.
 */
export function generateAccessLog(o: ScenarioOptions, write: (text: string) => void): GroundTruth {
  const rnd = new Random(o.seed);
  const users: string[] = [];
  for (let i = 0; i < o.backgroundUsers; i++) {
    if (rnd.next() < 0.05) {
      const w = () => rnd.int(0x10000).toString(16);
      users.push(`2a0${1 + rnd.int(9)}:${w()}:${w()}:${w()}::${w()}`);
    } else users.push(v4(publicIpv4(rnd)));
  }
  const userCdf = Random.zipfCdf(users.length, 0.9);
  const pathCdf = Random.zipfCdf(PATHS.length, 1.0);
  const userUa = users.map(() => UAS[rnd.int(5)]!);

  const floodSources: string[] = [];
  if (o.flood) {
    const nets = [publicIpv4(rnd) & 0xffffff00, publicIpv4(rnd) & 0xffffff00];
    const seen = new Set<string>();
    while (floodSources.length < o.flood.sources) {
      const r = rnd.next();
      const ip = r < 0.15 ? v4((nets[0]! | (1 + rnd.int(254))) >>> 0) : r < 0.3 ? v4((nets[1]! | (1 + rnd.int(254))) >>> 0) : v4(publicIpv4(rnd));
      if (!seen.has(ip)) {
        seen.add(ip);
        floodSources.push(ip);
      }
    }
  }
  const crowd: string[] = [];
  if (o.flashCrowd) for (let i = 0; i < o.flashCrowd.sources; i++) crowd.push(v4(publicIpv4(rnd)));
  const hotIp = v4(publicIpv4(rnd));

  let lines = 0;
  let floodReq = 0;
  let crowdReq = 0;
  let hotReq = 0;
  const bgSeen = new Set<number>();
  let crowdNext = 0;
  let out = '';
  const pending: string[] = [];
  const host = 'https://www.example.com';

  for (let s = 0; s < o.duration; s++) {
    const t = o.start + s;
    const ts = clfTime(t, o.zoneMinutes);
    pending.length = 0;
    for (let k = poisson(rnd, o.backgroundRate); k > 0; k--) {
      const u = rnd.fromCdf(userCdf);
      bgSeen.add(u);
      const path = PATHS[rnd.fromCdf(pathCdf)]!;
      const r = rnd.next();
      const ref = r < 0.6 ? `${host}${PATHS[rnd.int(10)]}` : r < 0.85 ? '-' : rnd.pick(SEARCH_REFS);
      const status = rnd.next() < 0.03 ? 404 : rnd.next() < 0.1 ? 304 : 200;
      pending.push(`${users[u]} - - [${ts}] "GET ${path} HTTP/1.1" ${status} ${status === 200 ? 512 + rnd.int(40000) : 0} "${ref}" "${userUa[u]}"`);
    }
    const f = o.flood;
    if (f && s >= f.from && s < f.to) {
      for (let k = poisson(rnd, f.rate); k > 0; k--) {
        const ip = floodSources[rnd.int(floodSources.length)]!;
        pending.push(`${ip} - - [${ts}] "POST ${f.target} HTTP/1.1" 200 ${4000 + rnd.int(200)} "-" "${rnd.pick(FLOOD_UAS)}"`);
        floodReq++;
      }
    }
    const c = o.flashCrowd;
    if (c && s >= c.from && s < c.to) {
      // Fast rise, slow decay.
      const x = (s - c.from) / (c.to - c.from);
      const rate = c.peakRate * (x < 0.15 ? x / 0.15 : Math.exp(-(x - 0.15) * 3));
      for (let k = poisson(rnd, rate); k > 0; k--) {
        const ip = crowdNext < crowd.length && rnd.next() < 0.6 ? crowd[crowdNext++]! : crowd[rnd.int(Math.max(1, crowdNext))]!;
        pending.push(`${ip} - - [${ts}] "GET ${c.target} HTTP/1.1" 200 ${20000 + rnd.int(5000)} "${c.referrer}" "${rnd.pick(UAS.slice(0, 5))}"`);
        crowdReq++;
      }
    }
    const h = o.hotSource;
    if (h && s >= h.from && s < h.to) {
      for (let k = poisson(rnd, h.rate); k > 0; k--) {
        pending.push(`${hotIp} - - [${ts}] "GET ${PATHS[rnd.int(PATHS.length)]} HTTP/1.1" 200 ${1000 + rnd.int(9000)} "-" "scrapy/2.11 (+https://scrapy.org)"`);
        hotReq++;
      }
    }
    // Interleave the streams within the second.
    for (let i = pending.length - 1; i > 0; i--) {
      const j = rnd.int(i + 1);
      const tmp = pending[i]!;
      pending[i] = pending[j]!;
      pending[j] = tmp;
    }
    for (const line of pending) out += line + '\n';
    lines += pending.length;
    if (out.length > 1 << 20) {
      write(out);
      out = '';
    }
  }
  if (out) write(out);

  const iso = (rel: number) => isoWithOffset(o.start + rel, o.zoneMinutes);
  return {
    seed: o.seed,
    lines,
    start: iso(0),
    end: iso(o.duration - 1),
    flood: o.flood
      ? { target: o.flood.target, start: iso(o.flood.from), end: iso(o.flood.to - 1), startEpoch: o.start + o.flood.from, endEpoch: o.start + o.flood.to - 1, requests: floodReq, sources: floodSources }
      : null,
    flashCrowd: o.flashCrowd
      ? {
          target: o.flashCrowd.target,
          start: iso(o.flashCrowd.from),
          end: iso(o.flashCrowd.to - 1),
          startEpoch: o.start + o.flashCrowd.from,
          endEpoch: o.start + o.flashCrowd.to - 1,
          requests: crowdReq,
          sources: Math.max(crowdNext, 1),
          referrer: o.flashCrowd.referrer,
          addresses: crowd.slice(0, Math.max(crowdNext, 1)),
        }
      : null,
    hotSource: o.hotSource
      ? { ip: hotIp, start: iso(o.hotSource.from), end: iso(o.hotSource.to - 1), startEpoch: o.start + o.hotSource.from, endEpoch: o.start + o.hotSource.to - 1, requests: hotReq }
      : null,
    backgroundSources: bgSeen.size,
    background: [...bgSeen].sort((a, b) => a - b).map((u) => users[u]!),
  };
}

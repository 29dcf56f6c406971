/**
 * Address ranges of the CDNs most sites sit behind. A site behind one sees the CDN's edge
 * servers as its clients: in its log every request, the flood's and every visitor's, comes
 * from them, and a block list of them takes the site off the air. Published by the CDNs
 * themselves and changed rarely (announced in advance); as of 2024:
 *  - Cloudflare: https://www.cloudflare.com/ips/ (ips-v4, ips-v6)
 *  - Fastly: https://api.fastly.com/public-ip-list
 */
import { cidrContains, isV4, parseCidr, type Cidr } from '../parsers/ip.js';
import { round } from '../detectors/finding.js';

const LISTS: Record<string, string[]> = {
  Cloudflare: [
    '173.245.48.0/20',
    '103.21.244.0/22',
    '103.22.200.0/22',
    '103.31.4.0/22',
    '141.101.64.0/18',
    '108.162.192.0/18',
    '190.93.240.0/20',
    '188.114.96.0/20',
    '197.234.240.0/22',
    '198.41.128.0/17',
    '162.158.0.0/15',
    '104.16.0.0/13',
    '104.24.0.0/14',
    '172.64.0.0/13',
    '131.0.72.0/22',
    '2400:cb00::/32',
    '2606:4700::/32',
    '2803:f800::/32',
    '2405:b500::/32',
    '2405:8100::/32',
    '2a06:98c0::/29',
    '2c0f:f248::/32',
  ],
  Fastly: [
    '23.235.32.0/20',
    '43.249.72.0/22',
    '103.244.50.0/24',
    '103.245.222.0/23',
    '103.245.224.0/24',
    '104.156.80.0/20',
    '140.248.64.0/18',
    '140.248.128.0/17',
    '146.75.0.0/17',
    '151.101.0.0/16',
    '157.52.64.0/18',
    '167.82.0.0/17',
    '167.82.128.0/20',
    '167.82.160.0/20',
    '167.82.224.0/20',
    '172.111.64.0/18',
    '185.31.16.0/22',
    '199.27.72.0/21',
    '199.232.0.0/16',
    '2a04:4e40::/32',
    '2a04:4e42::/32',
  ],
};

const RANGES: [Cidr, string][] = Object.entries(LISTS).flatMap(([name, list]) => list.map((c): [Cidr, string] => [parseCidr(c)!, name]));

/**
 * The IPv4 ranges by their first octet (each is a /8 or longer), the IPv6 ones in a list: an
 * address is checked against the few that can hold it (a live alert event judges every top
 * source of the site).
 */
const V4_BY_OCTET = new Map<number, [Cidr, string][]>();
const V6: [Cidr, string][] = [];
for (const r of RANGES) {
  const w = r[0].words;
  if (!isV4(w[0]!, w[1]!, w[2]!)) V6.push(r);
  else if (r[0].bits < 104) throw new Error(`cdn: ${r[0].text} is wider than a /8`);
  else V4_BY_OCTET.set(w[3]! >>> 24, [...(V4_BY_OCTET.get(w[3]! >>> 24) ?? []), r]);
}

/** The published range that holds an address, with its CDN's name. */
function rangeOf(w0: number, w1: number, w2: number, w3: number): [Cidr, string] | undefined {
  const list = isV4(w0, w1, w2) ? V4_BY_OCTET.get(w3 >>> 24) : V6;
  return list?.find(([c]) => cidrContains(c, w0, w1, w2, w3));
}

/** The CDN whose edge servers an address belongs to, or null. */
export function cdnOf(w0: number, w1: number, w2: number, w3: number): string | null {
  return rangeOf(w0, w1, w2, w3)?.[1] ?? null;
}

/** The published range of a CDN that holds an address ("162.158.0.0/15"), or null. */
export function cdnRangeOf(w0: number, w1: number, w2: number, w3: number): string | null {
  return rangeOf(w0, w1, w2, w3)?.[0].text ?? null;
}

/** A site is behind a CDN when at least this share of its requests came from the CDN's addresses. */
export const CDN_MIN_SHARE = 0.5;

/**
 * The CDN a site is behind, judged by the share of `requests` that `sources` (address words and
 * counts) sent from its ranges, or null. A flood sent through a CDN's serverless functions to a
 * site that is not behind it comes from the same ranges: that site's own visitors, before the
 * attack, do not, so callers pass the traffic before the first attack where they have it.
 */
export function cdnInFront(sources: readonly { w0: number; w1: number; w2: number; w3: number; count: number }[], requests: number): { name: string; share: number } | null {
  if (requests <= 0) return null;
  const by = new Map<string, number>();
  for (const s of sources) {
    const n = cdnOf(s.w0, s.w1, s.w2, s.w3);
    if (n !== null) by.set(n, (by.get(n) ?? 0) + s.count);
  }
  let best: { name: string; share: number } | null = null;
  for (const [name, count] of by) {
    const share = round(count / requests, 3);
    if (share >= CDN_MIN_SHARE && (best === null || share > best.share)) best = { name, share };
  }
  return best;
}

/**
 * "From where" and "what to block", added to a materialized report (log or capture):
 *  - country (city, coordinates, ASN when the databases have them) on every top source;
 *  - per attack: its sources by country and by prefix (/24 or /64, and /16 or /48 where
 *    dense), weighted by requests or packets, so "block this /16" is a decision on evidence;
 *  - the block list plan (entries and what was left out, and why).
 * Per attack, the breakdowns cover the listed top sources (up to 1,000 per attack).
 */
import { formatIp, isV4, parseCidr } from '../parsers/ip.js';
import type { GeoIp } from '../geo/geoip.js';
import { planBlocklist, type BlockOptions, type BlockPlan } from '../geo/blocklist.js';
import { logsProxies, type CountryShare, type PrefixShare, type Report } from './report.js';
import type { PacketReport } from './packet-report.js';
import { round } from '../detectors/finding.js';

export interface Enrichment {
  geo: GeoIp | null;
  block: BlockOptions | null;
}

function prefixOf(ip: string, bits4: number, bits6: number): string | null {
  const c = parseCidr(ip);
  if (c === null) return null;
  const v4 = isV4(c.words[0]!, c.words[1]!, c.words[2]!);
  const n = parseCidr(`${ip}/${v4 ? bits4 : bits6}`)!;
  return `${formatIp(n.words[0]!, n.words[1]!, n.words[2]!, n.words[3]!)}/${v4 ? bits4 : bits6}`;
}

function prefixShares(sources: readonly { ip: string; count: number }[], total: number, bits4: number, bits6: number, min: number): PrefixShare[] {
  const m = new Map<string, PrefixShare>();
  for (const s of sources) {
    const p = prefixOf(s.ip, bits4, bits6);
    if (p === null) continue;
    const e = m.get(p) ?? { prefix: p, members: 0, count: 0, share: 0 };
    e.members++;
    e.count += s.count;
    m.set(p, e);
  }
  return [...m.values()]
    .filter((e) => e.members >= min)
    .map((e) => ({ ...e, share: total > 0 ? round(e.count / total, 3) : 0 }))
    .sort((a, b) => b.count - a.count || (a.prefix < b.prefix ? -1 : 1))
    .slice(0, 20);
}

export function enrichReport<R extends Report | PacketReport>(report: R, e: Enrichment): R {
  for (const a of report.attacks as (Report['attacks'][number] | PacketReport['attacks'][number])[]) {
    const src = a.topSources;
    const total = src.reduce((x, s) => x + s.count, 0);
    const ext = a;
    if (e.geo !== null) {
      const by = new Map<string, CountryShare>();
      for (const s of src) {
        const c = parseCidr(s.ip);
        if (c === null) continue;
        const g = e.geo.lookup(c.words[0]!, c.words[1]!, c.words[2]!, c.words[3]!);
        s.country = g.country;
        if (g.city !== undefined) s.city = g.city;
        if (g.latitude !== undefined && g.longitude !== undefined) {
          s.latitude = g.latitude;
          s.longitude = g.longitude;
        }
        if (g.asn !== undefined) s.asn = g.asn;
        if (g.asOrg !== undefined) s.asOrg = g.asOrg;
        const x = by.get(g.country) ?? { country: g.country, count: 0, share: 0, sources: 0 };
        x.count += s.count;
        x.sources++;
        by.set(g.country, x);
      }
      // Exact request/packet counts by country from the workers when they were sent;
      // the listed top sources otherwise. "Before": the traffic seen before the alert opened.
      let countTotal = total;
      if (a.countryCounts && a.countryCounts.length > 0) {
        countTotal = 0;
        for (const x of by.values()) x.count = 0;
        for (const [country, n] of a.countryCounts) {
          const x = by.get(country) ?? { country, count: 0, share: 0, sources: 0 };
          x.count += n;
          by.set(country, x);
          countTotal += n;
        }
      }
      const before = new Map<string, number>();
      let beforeTotal = 0;
      if (a.countryBefore && a.countryBefore.length > 0) {
        for (const [country, n] of a.countryBefore) {
          before.set(country, (before.get(country) ?? 0) + n);
          beforeTotal += n;
        }
      } else {
        for (const s of a.before ?? []) {
          const c = parseCidr(s.ip);
          if (c === null) continue;
          const g = e.geo.lookup(c.words[0]!, c.words[1]!, c.words[2]!, c.words[3]!);
          before.set(g.country, (before.get(g.country) ?? 0) + s.count);
          beforeTotal += s.count;
        }
      }
      ext.countries = [...by.values()]
        .map((x) => ({
          ...x,
          share: countTotal > 0 ? round(x.count / countTotal, 3) : 0,
          ...(beforeTotal > 0 ? { before: round((before.get(x.country) ?? 0) / beforeTotal, 3) } : {}),
        }))
        .sort((x, y) => y.count - x.count || (x.country < y.country ? -1 : 1));
      if (e.geo.asnDb !== null) {
        const asns = new Map<number, { asn: number; org: string; count: number; share: number; sources: number }>();
        for (const s of src) {
          if (s.asn === undefined) continue;
          const x = asns.get(s.asn) ?? { asn: s.asn, org: s.asOrg ?? '', count: 0, share: 0, sources: 0 };
          x.count += s.count;
          x.sources++;
          asns.set(s.asn, x);
        }
        ext.asns = [...asns.values()]
          .map((x) => ({ ...x, share: total > 0 ? round(x.count / total, 3) : 0 }))
          .sort((x, y) => y.count - x.count || x.asn - y.asn)
          .slice(0, 20);
      }
    }
    delete ext.before;
    delete ext.countryCounts;
    delete ext.countryBefore;
    // Where the attack comes from: without the visitors caught in a URL flood (their own ISPs' prefixes).
    const visitors = new Set('visitorSources' in a ? a.visitorSources : []);
    const attackers = visitors.size > 0 ? src.filter((s) => !visitors.has(s.ip)) : src;
    ext.prefixes = prefixShares(attackers, total, 24, 64, 2);
    ext.widePrefixes = prefixShares(attackers, total, 16, 48, 8);
  }
  let blocklist: BlockPlan | null = null;
  if (e.block !== null) {
    const victims = new Set(e.block.victims);
    if (report.kind === 'capture') {
      for (const a of report.attacks) {
        if (a.targetKind === 'victim') victims.add(a.target);
        if (a.targetKind === 'service') victims.add(a.target.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''));
      }
    }
    const regular = report.summary.regularSources.map((s) => s.ip);
    const cdn = report.kind === 'logs' ? report.summary.cdn?.name : undefined;
    const proxied = report.kind === 'logs' && logsProxies(report.summary.forwardedShare, report.settings.clientIp) ? report.summary.forwardedShare! : undefined;
    blocklist = planBlocklist(report.attacks, { ...e.block, victims: [...victims], regular, ...(cdn !== undefined ? { cdn } : {}), ...(proxied !== undefined ? { proxied } : {}) });
  }
  const geo = e.geo === null ? null : { attribution: e.geo.attribution, countryDb: e.geo.countryDbName, asnDb: e.geo.asnDb };
  report.geo = geo;
  report.blocklist = blocklist;
  return report;
}

/**
 * What to block, decided on evidence: the sources of attack findings, aggregated into
 * prefixes where the attack is dense, minus everything that must never be blocked.
 *
 * Never blocked, each with its reason in `excluded` (addresses left out for one reason are listed
 * by /24 or /64: an attack from a lab's private range is a few lines, not thousands):
 *  - an allowlisted address, or a prefix that contains one (the prefix is split back into
 *    its member addresses instead);
 *  - private, loopback, link-local, CGNAT, documentation, multicast and reserved addresses,
 *    unless `blockPrivate`;
 *  - the victims' own addresses (targets of capture findings);
 *  - sources of info-level findings (flash crowd, port scan), unless `includeInfo`;
 *  - sources of a SYN flood that looks spoofed (blocking forged addresses blocks bystanders);
 *  - sources of a site-wide request surge (they are every visitor's);
 *  - the edge servers of the CDN the site is behind (Report.summary.cdn): every visitor's
 *    requests come through them; and every source, when nearly all requests came through a
 *    proxy (Report.summary.forwardedShare) and the client is not taken from X-Forwarded-For;
 *  - the site's regular sources, which carried a tenth or more of its requests before the
 *    attack began, from the start (a reverse proxy or CDN in front of it, a NAT, a crawler),
 *    unless `blockRegular`;
 *  - a finding's visitorSources: visitors who loaded a flooded URL with a referrer, clients
 *    who completed their handshakes during a SYN flood (unless another finding names them).
 *
 * Prefixes (`prefix: 'auto'`): IPv4 members of one /24 are blocked as that /24 when at
 * least AUTO_MIN_MEMBERS of its addresses attack; /24s are merged into their /16 when at
 * least AUTO_MIN_DENSE of them are dense. IPv6 sources are blocked per /64 (attackers
 * rotate through their /64), /48 when dense. A fixed length blocks every source's prefix.
 */
import { formatIp, isV4, parseCidr, cidrContains, type Cidr } from '../parsers/ip.js';
import { specialLabel } from './geoip.js';
import { cdnOf, cdnRangeOf } from './cdn.js';

export interface BlockSource {
  words: [number, number, number, number];
  /**
   * Requests or packets it sent, at least: the most any finding naming it counts for sure
   * (findings overlap: a source-rate and a URL finding count the same requests).
   */
  count: number;
  signature: string;
  target: string;
  start: string;
  end: string;
}

export interface BlockEntry {
  cidr: string;
  /** IP version of the entry. */
  v: 4 | 6;
  /** Attacking addresses it covers, and their requests/packets. */
  members: number;
  count: number;
  signatures: string[];
  comment: string;
}

export interface BlockExclusion {
  /** An address, a prefix and how many of its addresses ("10.9.0.0/24 (30 addresses)"), or a finding's sources. */
  what: string;
  reason: string;
  /** Times it was left out (an address can be a source of several findings). */
  count: number;
  /** Addresses it stands for. */
  addresses: number;
}

export interface BlockPlan {
  entries: BlockEntry[];
  excluded: BlockExclusion[];
  prefix: string;
  ttlSeconds: number;
}

export interface BlockOptions {
  /** 'auto', or a prefix length (IPv4 32/24/16, IPv6 128/64/48). */
  prefix: 'auto' | number;
  ttlSeconds: number;
  allow: Cidr[];
  blockPrivate: boolean;
  includeInfo: boolean;
  /** Addresses that must not be blocked because they are the victims. */
  victims: string[];
  /** The site's regular sources (a proxy, CDN, NAT or crawler: see Report.summary.regularSources). */
  regular?: string[];
  /** Block regular sources too. */
  blockRegular?: boolean;
  /** The CDN the site is behind (geo/cdn.ts), whose edge servers are never blocked. */
  cdn?: string;
  /**
   * Share of the requests that came through proxies (Report.summary.forwardedShare), when so
   * many did that the sources are the proxies: then nothing is blocked (the CDN rule, when it
   * applies, says it more precisely).
   */
  proxied?: number;
}

export const AUTO_MIN_MEMBERS = 4;
export const AUTO_MIN_DENSE = 8;

interface Finding {
  signature: string;
  attack: boolean;
  target: string;
  targetKind: string;
  start: string;
  end: string;
  topSources: { ip: string; count: number; minCount?: number }[];
  /** Those of topSources that are visitors or clients caught in the flood (see AttackReport, PacketAttackReport). */
  visitorSources?: string[];
  evidence: Record<string, number | string>;
}

/** Why a finding's visitorSources are left out, by what made them visitors. */
export const VISITOR_REASON = {
  url: 'requested the flooded URL with a referrer, as visitors do (the flood sends none): a visitor caught in it',
  syn: 'completed its TCP handshakes, as clients do (the flood leaves them half-open): a client caught in it',
} as const;

export function parseAllow(list: string[]): Cidr[] {
  return list.map((s) => {
    const c = parseCidr(s.trim());
    if (c === null) throw new Error(`not an address or CIDR: ${s}`);
    return c;
  });
}

function words(ip: string): [number, number, number, number] | null {
  const c = parseCidr(ip);
  return c === null ? null : [c.words[0]!, c.words[1]!, c.words[2]!, c.words[3]!];
}

/** Network of `w` at `bits` (IPv4 bits counted within its 32). */
function network(w: readonly number[], bits: number): { key: string; cidr: string; c: Cidr } {
  const c = parseCidr(`${formatIp(w[0]!, w[1]!, w[2]!, w[3]!)}/${bits}`)!;
  const cidr = `${formatIp(c.words[0]!, c.words[1]!, c.words[2]!, c.words[3]!)}/${bits}`;
  return { key: cidr, cidr, c };
}

export function planBlocklist(findings: readonly Finding[], o: BlockOptions): BlockPlan {
  const excluded = new Map<string, BlockExclusion>();
  const exclude = (what: string, reason: string, addresses = 1) => {
    const k = `${what}|${reason}`;
    const e = excluded.get(k);
    if (e) e.count++;
    else excluded.set(k, { what, reason, count: 1, addresses });
  };
  // Addresses left out, by reason (grouped by prefix at the end), in the order first seen.
  const leftOut = new Map<string, Map<string, { w: [number, number, number, number]; times: number }>>();
  const excludeAddress = (ip: string, w: [number, number, number, number], reason: string) => {
    let m = leftOut.get(reason);
    if (m === undefined) {
      m = new Map();
      leftOut.set(reason, m);
      excluded.set(`\0${reason}`, { what: '', reason, count: 0, addresses: 0 }); // a placeholder, keeping the order
    }
    const a = m.get(ip);
    if (a === undefined) m.set(ip, { w, times: 1 });
    else a.times++;
  };
  const victims = new Set(o.victims);
  const regular = new Set(o.blockRegular === true ? [] : (o.regular ?? []));
  const allowed = (w: readonly number[]) => o.allow.some((c) => cidrContains(c, w[0]!, w[1]!, w[2]!, w[3]!));

  // Candidate addresses with their evidence.
  const cand = new Map<string, BlockSource & { signatures: Set<string> }>();
  for (const f of findings) {
    if (!f.attack && !o.includeInfo) {
      exclude(`${f.topSources.length} source(s) of ${f.signature} ${f.target}`, 'info finding (not an attack); use --block-info to include', f.topSources.length);
      continue;
    }
    if (f.signature === 'http.request-surge') {
      exclude(`${f.topSources.length} source(s) of ${f.signature} (all URLs)`, "a site-wide surge: its sources are every visitor's, not only the attackers' (the report lists them by requests); block by the findings that name sources", f.topSources.length);
      continue;
    }
    if (o.proxied !== undefined && o.cdn === undefined) {
      exclude(`${f.topSources.length} source(s) of ${f.signature} ${f.target}`, `proxies, not clients: ${Math.round(o.proxied * 100)} % of the requests carried an X-Forwarded-For address, so the addresses in this log are the proxies' (a load balancer or CDN: blocking them blocks every visitor); run with --client-ip xff to block the clients`, f.topSources.length);
      continue;
    }
    if (f.signature === 'tcp.syn-flood' && f.evidence.spoofingLikely === 'yes') {
      exclude(`${f.topSources.length} source(s) of ${f.signature} ${f.target}`, 'spoofed source addresses: blocking them blocks innocent hosts; rate-limit SYNs (SYN cookies, hashlimit) instead', f.topSources.length);
      continue;
    }
    const visitors = new Set(f.visitorSources);
    for (const s of f.topSources) {
      const w = words(s.ip);
      if (w === null) continue;
      if (victims.has(s.ip)) {
        excludeAddress(s.ip, w, 'a victim address of this input');
        continue;
      }
      if (allowed(w)) {
        excludeAddress(s.ip, w, 'allowlisted');
        continue;
      }
      const special = specialLabel(...w);
      if (special !== null && !o.blockPrivate) {
        excludeAddress(s.ip, w, `${special} address (use --block-private to include)`);
        continue;
      }
      if (o.cdn !== undefined && cdnOf(...w) === o.cdn) {
        excludeAddress(s.ip, w, `edge servers of ${o.cdn}, which this site is behind: every visitor's requests come through them (log the client's address and use --client-ip xff)`);
        continue;
      }
      if (regular.has(s.ip)) {
        excludeAddress(s.ip, w, 'a regular source: a tenth or more of the requests before the attack began, from the start (a proxy or CDN in front of this server, a NAT, a crawler?); use --block-regular to include');
        continue;
      }
      if (visitors.has(s.ip)) {
        excludeAddress(s.ip, w, f.signature === 'tcp.syn-flood' ? VISITOR_REASON.syn : VISITOR_REASON.url);
        continue;
      }
      const c = cand.get(s.ip);
      const sure = s.minCount ?? s.count;
      if (c === undefined) cand.set(s.ip, { words: w, count: sure, signature: f.signature, target: f.target, start: f.start, end: f.end, signatures: new Set([f.signature]) });
      else {
        c.count = Math.max(c.count, sure);
        c.signatures.add(f.signature);
      }
    }
  }

  // A visitor caught in one flood that another finding names is blocked by that one.
  for (const ip of cand.keys()) for (const r of Object.values(VISITOR_REASON)) leftOut.get(r)?.delete(ip);

  // Aggregate.
  type Group = { cidr: string; c: Cidr; v: 4 | 6; members: (BlockSource & { signatures: Set<string> })[] };
  const groupBy = (items: Iterable<BlockSource & { signatures: Set<string> }>, bits4: number, bits6: number): Map<string, Group> => {
    const g = new Map<string, Group>();
    for (const m of items) {
      const v4 = isV4(m.words[0], m.words[1], m.words[2]);
      const n = network(m.words, v4 ? bits4 : bits6);
      let x = g.get(n.key);
      if (x === undefined) {
        x = { cidr: n.cidr, c: n.c, v: v4 ? 4 : 6, members: [] };
        g.set(n.key, x);
      }
      x.members.push(m);
    }
    return g;
  };
  const containsAllowed = (c: Cidr) =>
    o.allow.some((a) => {
      // The prefix contains an allowed address if either contains the other's network.
      const [w0, w1, w2, w3] = a.words;
      return cidrContains(c, w0!, w1!, w2!, w3!) || cidrContains(a, c.words[0]!, c.words[1]!, c.words[2]!, c.words[3]!);
    });
  const out: Group[] = [];
  const singles = (members: Group['members']) => {
    for (const m of members) {
      const v4 = isV4(m.words[0], m.words[1], m.words[2]);
      const n = network(m.words, v4 ? 32 : 128);
      out.push({ cidr: n.cidr, c: n.c, v: v4 ? 4 : 6, members: [m] });
    }
  };
  const emit = (g: Group) => {
    if (containsAllowed(g.c)) {
      exclude(g.cidr, 'prefix contains an allowlisted address: split into its member addresses', g.members.length);
      singles(g.members);
    } else out.push(g);
  };
  if (o.prefix === 'auto') {
    const small = groupBy(cand.values(), 24, 64);
    const dense: Group[] = [];
    for (const g of small.values()) {
      if (g.v === 6) dense.push(g);
      else if (g.members.length >= AUTO_MIN_MEMBERS) dense.push(g);
      else singles(g.members);
    }
    // Merge dense /24s (IPv6: /64s) into their /16 (/48) where there are many of them.
    const wide = new Map<string, Group[]>();
    for (const g of dense) {
      const n = network(g.members[0]!.words, g.v === 4 ? 16 : 48);
      const l = wide.get(n.key) ?? [];
      l.push(g);
      wide.set(n.key, l);
    }
    for (const [key, groups] of wide) {
      if (groups.length >= AUTO_MIN_DENSE) {
        const members = groups.flatMap((g) => g.members);
        const n = network(members[0]!.words, groups[0]!.v === 4 ? 16 : 48);
        emit({ cidr: key, c: n.c, v: groups[0]!.v, members });
      } else for (const g of groups) emit(g);
    }
  } else {
    const bits = o.prefix;
    const v4bits = bits <= 32 ? bits : 32;
    const v6bits = bits > 32 ? bits : bits === 32 ? 128 : bits === 24 ? 64 : 48;
    for (const g of groupBy(cand.values(), v4bits, v6bits).values()) emit(g);
  }

  const entries: BlockEntry[] = out
    .map((g) => {
      const count = g.members.reduce((a, m) => a + m.count, 0);
      const sigs = [...new Set(g.members.flatMap((m) => [...m.signatures]))].sort();
      const first = g.members[0]!;
      const span = first.start.slice(0, 10) === first.end.slice(0, 10) ? `${first.start.slice(0, 19)}..${first.end.slice(11)}` : `${first.start}..${first.end}`;
      const comment = `${sigs.join('+')} ${first.target.slice(0, 40)}: ${g.members.length} src, ${count} hits, ${span}`;
      return { cidr: g.cidr, v: g.v, members: g.members.length, count, signatures: sigs, comment };
    })
    .sort((a, b) => b.count - a.count || (a.cidr < b.cidr ? -1 : 1));
  // Addresses take the place of their reason's first one, grouped by prefix.
  const listed = [...excluded].flatMap(([k, e]) => (k.startsWith('\0') ? byPrefix(e.reason, leftOut.get(e.reason)!, o.cdn !== undefined && e.reason.startsWith('edge servers of') ? cdnRangeOf : undefined) : [e]));
  return { entries, excluded: listed, prefix: String(o.prefix), ttlSeconds: o.ttlSeconds };
}

/** "WHAT: REASON", with how many times when one address was a source of several findings. */
export function describeExclusion(e: BlockExclusion): string {
  return `${e.what}${e.addresses === 1 && e.count > 1 ? ` (×${e.count})` : ''}: ${e.reason}`;
}

/**
 * Addresses left out for one reason, one exclusion per /24 (IPv6 /64) they fall in, or per
 * range `rangeOf` names (a CDN's published ranges).
 */
function byPrefix(reason: string, addrs: Map<string, { w: [number, number, number, number]; times: number }>, rangeOf?: (...w: [number, number, number, number]) => string | null): BlockExclusion[] {
  const groups = new Map<string, { ips: string[]; times: number }>();
  for (const [ip, a] of addrs) {
    const key = rangeOf?.(...a.w) ?? network(a.w, isV4(a.w[0], a.w[1], a.w[2]) ? 24 : 64).cidr;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { ips: [ip], times: a.times });
    else {
      g.ips.push(ip);
      g.times += a.times;
    }
  }
  return [...groups].map(([cidr, g]) => ({
    what: g.ips.length === 1 ? g.ips[0]! : `${cidr} (${g.ips.length} addresses)`,
    reason,
    count: g.times,
    addresses: g.ips.length,
  }));
}

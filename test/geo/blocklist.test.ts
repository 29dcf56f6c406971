import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeLogs, type GroundTruth, type Report } from '../../dist/src/index.js';
import { parseAllow } from '../../dist/src/geo/blocklist.js';
import { renderBlocklist, BLOCKLIST_FORMATS } from '../../dist/src/sinks/blocklist.js';
import { cidrContains, parseCidr, parseIpString } from '../../dist/src/parsers/ip.js';
import { cdnOf, cdnRangeOf } from '../../dist/src/geo/cdn.js';
import { generated, run, spreadBotnetLog, tmp, visitorsLog } from '../helpers.js';

let truth: GroundTruth;
let path: string;
let report: Report;

const covered = (r: Report, ip: string) => {
  const w = parseIpString(ip)!;
  return r.blocklist!.entries.some((e) => cidrContains(parseCidr(e.cidr)!, w[0]!, w[1]!, w[2]!, w[3]!));
};

beforeAll(async () => {
  const g = generated();
  truth = g.truth;
  path = g.path;
  report = await analyzeLogs({ inputs: [path], threads: 2, block: { prefix: 'auto', ttlSeconds: 3600, allow: [], blockPrivate: false, includeInfo: false } });
});

describe('block list from the generated flood log', () => {
  it('holds ≥ 95% of the flood sources, and none of the background or flash-crowd addresses', () => {
    const flood = truth.flood!.sources;
    expect(flood.filter((ip) => covered(report, ip)).length / flood.length).toBeGreaterThanOrEqual(0.95);
    expect(truth.background.filter((ip) => covered(report, ip))).toEqual([]);
    expect(truth.flashCrowd!.addresses.filter((ip) => covered(report, ip))).toEqual([]);
    expect(covered(report, truth.hotSource!.ip)).toBe(true);
    // The two attacker /24s are blocked as prefixes; the flash crowd is named as left out.
    expect(report.blocklist!.entries.filter((e) => e.cidr.endsWith('/24'))).toHaveLength(2);
    expect(report.blocklist!.excluded.map((e) => e.reason)).toContain('info finding (not an attack); use --block-info to include');
  });

  it('never blocks an allowlisted address: a prefix holding one is split into its members', async () => {
    const p24 = report.blocklist!.entries.find((e) => e.cidr.endsWith('/24'))!;
    const inside = truth.flood!.sources.find((ip) => cidrContains(parseCidr(p24.cidr)!, ...(parseIpString(ip)! as unknown as [number, number, number, number])))!;
    const other = truth.flood!.sources.find((ip) => !covered({ ...report, blocklist: { ...report.blocklist!, entries: [p24] } }, ip))!;
    const r = await analyzeLogs({ inputs: [path], threads: 2, block: { prefix: 'auto', ttlSeconds: 60, allow: parseAllow([inside, other]), blockPrivate: false, includeInfo: false } });
    expect(covered(r, inside)).toBe(false);
    expect(covered(r, other)).toBe(false);
    expect(r.blocklist!.entries.some((e) => e.cidr === p24.cidr)).toBe(false);
    expect(r.blocklist!.excluded.map((e) => e.what)).toContain(p24.cidr);
  });

  it('leaves private and other special-purpose sources out unless asked', async () => {
    const rows: string[] = [];
    for (let s = 0; s < 300; s++) {
      const t = `01/Jan/2024:00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000`;
      for (let k = 0; k < 20; k++) rows.push(`10.9.${k}.${(s % 30) + 1} - - [${t}] "GET /x HTTP/1.1" 200 1 "-" "bot"`);
    }
    const p = join(tmp(), 'private.log');
    writeFileSync(p, rows.join('\n') + '\n');
    const base = { prefix: 'auto' as const, ttlSeconds: 60, allow: [], includeInfo: false };
    const no = await analyzeLogs({ inputs: [p], block: { ...base, blockPrivate: false } });
    expect(no.attacks.length).toBeGreaterThan(0);
    expect(no.blocklist!.entries).toEqual([]);
    expect(no.blocklist!.excluded[0]!.reason).toMatch(/^private address/);
    // Said by /24 (20 of them, 30 addresses each), not one line per address.
    expect(no.blocklist!.excluded).toHaveLength(20);
    for (const e of no.blocklist!.excluded) {
      expect(e.what).toMatch(/^10\.9\.\d+\.0\/24 \(30 addresses\)$/);
      expect(e.addresses).toBe(30);
    }
    const cli = await run(['--blocklist', 'plain=-', p]);
    expect(cli.stdout.match(/^# left out: /gm)).toHaveLength(20);
    // On stderr: ten, then how many more and where they all are.
    expect(cli.stderr.match(/block list: left out 10\.9\./g)).toHaveLength(10);
    expect(cli.stderr).toContain("block list: left out 10 more (every one is in the block list's comments and the JSON report's blocklist.excluded)");
    const yes = await analyzeLogs({ inputs: [p], block: { ...base, blockPrivate: true } });
    expect(yes.blocklist!.entries.length).toBeGreaterThan(0);
  });

  it('leaves out a proxy or CDN in front of the server (a regular source before the attack), says so, and --block-regular blocks it', async () => {
    // The flood log as a server behind three proxies logs it: every request from one of them.
    const proxies = ['81.200.90.11', '81.200.90.12', '94.130.47.3'];
    const text = generated().text.split('\n').map((l, i) => (l === '' ? l : `${proxies[i % 3]}${l.slice(l.indexOf(' '))}`)).join('\n');
    const p = join(tmp(), 'behind-cdn.log');
    writeFileSync(p, text);
    const base = { prefix: 'auto' as const, ttlSeconds: 60, allow: [], blockPrivate: false, includeInfo: false };
    const r = await analyzeLogs({ inputs: [p], threads: 2, block: base });
    expect(r.attacks.filter((a) => a.attack).length).toBeGreaterThan(0);
    expect(r.summary.regularSources.map((s) => s.ip).sort()).toEqual([...proxies].sort());
    for (const s of r.summary.regularSources) expect(s.share).toBeCloseTo(1 / 3, 1);
    // Each alert names them among its sources (for an --on-alert script that blocks).
    for (const a of r.attacks) expect(a.regularSources).toEqual(a.topSources.map((x) => x.ip));
    expect(r.blocklist!.entries).toEqual([]);
    expect(r.blocklist!.excluded.map((e) => e.what).sort()).toEqual(['81.200.90.0/24 (2 addresses)', '94.130.47.3']);
    for (const e of r.blocklist!.excluded) expect(e.reason).toMatch(/^a regular source: a tenth or more of the requests before the attack began, from the start \(a proxy or CDN in front of this server/);
    expect(r.input.warnings).toContainEqual(expect.stringMatching(/^3 addresses carried 100 % of all requests \(.*\): if they are a reverse proxy, load balancer or CDN in front of this server, the clients' addresses are not in this log/));
    const all = await analyzeLogs({ inputs: [p], threads: 2, block: { ...base, blockRegular: true } });
    expect(all.blocklist!.entries.map((e) => e.cidr).sort()).toEqual(['81.200.90.11/32', '81.200.90.12/32', '94.130.47.3/32']);
    // The flood log itself: its heaviest background visitor is regular, but no attack names it.
    expect(report.summary.regularSources.map((s) => s.ip)).toEqual(truth.background.slice(0, 1));
    expect(report.input.warnings).toEqual([]);
    expect(report.attacks.flatMap((a) => a.regularSources)).toEqual([]);
    const cli = await run(['--block-regular', '--blocklist', 'plain=-', '-q', p]);
    expect(cli.stdout.match(/^\d[^\s#]*/gm)?.sort()).toEqual(['81.200.90.11/32', '81.200.90.12/32', '94.130.47.3/32']);
  });

  it("knows the CDNs' published ranges, at their edges and in IPv6", () => {
    const of = (ip: string) => {
      const w = parseIpString(ip)!;
      return [cdnOf(w[0]!, w[1]!, w[2]!, w[3]!), cdnRangeOf(w[0]!, w[1]!, w[2]!, w[3]!)];
    };
    expect(of('104.23.255.255')).toEqual(['Cloudflare', '104.16.0.0/13']);
    expect(of('104.24.0.0')).toEqual(['Cloudflare', '104.24.0.0/14']);
    expect(of('104.15.255.255')).toEqual([null, null]);
    expect(of('151.101.7.1')).toEqual(['Fastly', '151.101.0.0/16']);
    expect(of('2a06:98c7:ffff::1')).toEqual(['Cloudflare', '2a06:98c0::/29']);
    expect(of('2a06:98c8::1')).toEqual([null, null]);
    expect(of('2a04:4e42:400::1')).toEqual(['Fastly', '2a04:4e42::/32']);
    expect(of('::ffff:0:0')).toEqual([null, null]);
  });

  it("never blocks the edge servers of the CDN the site is behind, however many, and says so; a flood from a CDN's ranges to a site not behind it is blocked", async () => {
    // The flood log as a site behind Cloudflare logs it: every request from one of 60 edge
    // servers (none carrying a tenth of the requests: not "regular").
    const edges = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? `162.158.${i}.${i + 7}` : `172.${64 + (i % 8)}.${i}.${i + 3}`));
    const g = generated();
    let n = 0;
    const behind = g.text.replace(/^\S+ /gm, () => `${edges[n++ % edges.length]} `);
    const p = join(tmp(), 'behind-cloudflare.log');
    writeFileSync(p, behind);
    const base = { prefix: 'auto' as const, ttlSeconds: 60, allow: [], blockPrivate: false, includeInfo: false };
    const r = await analyzeLogs({ inputs: [p], threads: 2, block: base });
    expect(r.attacks.filter((a) => a.attack).length).toBeGreaterThan(0);
    expect(r.summary.regularSources).toEqual([]);
    expect(r.summary.cdn).toEqual({ name: 'Cloudflare', share: 1 });
    // Each alert names them as not to block (for an --on-alert script that blocks).
    for (const a of r.attacks) expect(a.regularSources).toEqual(a.topSources.map((x) => x.ip));
    expect(r.blocklist!.entries).toEqual([]);
    expect(r.blocklist!.excluded.map((e) => [e.what, e.addresses])).toEqual([
      ['162.158.0.0/15 (30 addresses)', 30],
      ['172.64.0.0/13 (30 addresses)', 30],
    ]);
    expect(r.blocklist!.excluded[0]!.reason).toMatch(/^edge servers of Cloudflare, which this site is behind/);
    expect(r.input.warnings).toEqual([expect.stringMatching(/^100 % of the requests came from Cloudflare's addresses: this site is behind Cloudflare/)]);

    // The same site not behind it, flooded from Cloudflare's ranges (Workers): its visitors came
    // from elsewhere before the flood, so the flood's addresses are blocked like any other.
    const flood = new Map(truth.flood!.sources.map((ip, i) => [ip, `104.${16 + (i % 8)}.${Math.floor(i / 250)}.${(i % 250) + 1}`]));
    const workers = g.text.replace(/^\S+(?= )/gm, (ip) => flood.get(ip) ?? ip);
    const q = join(tmp(), 'flood-from-workers.log');
    writeFileSync(q, workers);
    const w = await analyzeLogs({ inputs: [q], threads: 2, block: base });
    expect(w.summary.cdn).toBeNull();
    const listed = [...flood.values()].filter((ip) => covered(w, ip)).length;
    expect(listed / flood.size).toBeGreaterThanOrEqual(0.95);
    expect(w.blocklist!.excluded.some((e) => e.reason.startsWith('edge servers'))).toBe(false);
  });

  it('blocks nothing when nearly every request came through a proxy (X-Forwarded-For): the sources are proxies; --client-ip xff blocks the clients; a flood forging the header is blocked', async () => {
    // The flood log as a site behind 50 proxies of an unknown CDN logs it (nginx's stock "main"
    // format): each request from a proxy, the client in X-Forwarded-For.
    const g = generated();
    const proxies = Array.from({ length: 50 }, (_, i) => `13.224.${i}.${(i * 7) % 250 + 1}`);
    let n = 0;
    const viaProxies = g.text.replace(/^(\S+) (.*)$/gm, (_l, ip: string, rest: string) => `${proxies[n++ % 50]} ${rest} "${ip}"`);
    const p = join(tmp(), 'proxied.log');
    writeFileSync(p, viaProxies);
    const base = { prefix: 'auto' as const, ttlSeconds: 60, allow: [], blockPrivate: false, includeInfo: false };
    const r = await analyzeLogs({ inputs: [p], threads: 2, block: base });
    expect(r.input.format).toBe('nginx_main');
    expect(r.summary.cdn).toBeNull();
    expect(r.summary.forwardedShare).toBe(1);
    expect(r.input.warnings).toEqual([expect.stringMatching(/^100 % of the requests carried an X-Forwarded-For address: they came through a proxy/)]);
    expect(r.attacks.filter((a) => a.attack).length).toBeGreaterThan(0);
    for (const a of r.attacks) expect(a.regularSources).toEqual(a.topSources.map((x) => x.ip));
    expect(r.blocklist!.entries).toEqual([]);
    for (const e of r.blocklist!.excluded.filter((x) => !x.reason.startsWith('info'))) expect(e.reason).toMatch(/^proxies, not clients: 100 % of the requests carried an X-Forwarded-For address/);
    const xff = await analyzeLogs({ inputs: [p], threads: 2, clientIp: 'xff', block: base });
    expect(xff.input.warnings).toEqual([]);
    expect(truth.flood!.sources.filter((ip) => covered(xff, ip)).length / truth.flood!.sources.length).toBeGreaterThanOrEqual(0.95);

    // No proxy in front (the header "-"), and a flood that sends a forged one on every request:
    // before it, no request came through a proxy, so its sources are blocked.
    const flood = new Set(truth.flood!.sources);
    const forged = g.text.replace(/^(\S+) (.*)$/gm, (l: string, ip: string) => `${l} "${flood.has(ip) ? '10.1.2.3' : '-'}"`);
    const q = join(tmp(), 'forged-xff.log');
    writeFileSync(q, forged);
    const f = await analyzeLogs({ inputs: [q], threads: 2, block: base });
    expect(f.summary.forwardedShare).toBe(0);
    expect(f.input.warnings).toEqual([]);
    expect(truth.flood!.sources.filter((ip) => covered(f, ip)).length / truth.flood!.sources.length).toBeGreaterThanOrEqual(0.95);
  });

  it('blocks an attacker that ran below every rate before its flood: it came late, so it is not regular', async () => {
    // 20 minutes of ~4.5 req/s browsing from 300 addresses; from minute `low` one address requests
    // /search at 3 req/s (under --source-rate 5), and floods it at 60 req/s from minute 12.
    const attacker = '45.95.1.66';
    const log = (low: number) => {
      const rows: string[] = [];
      for (let s = 0; s < 20 * 60; s++) {
        const t = `20/Nov/2026:10:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000`;
        for (let k = 0; k < 4 + (s % 2); k++) {
          const n = (s * 5 + k) % 300;
          rows.push(`203.0.${Math.floor(n / 250)}.${(n % 250) + 1} - - [${t}] "GET /p/${(s + k) % 40} HTTP/1.1" 200 900 "https://example.org/" "Mozilla/5.0 Firefox/118.0"`);
        }
        const rate = s < low * 60 ? 0 : s < 12 * 60 ? 3 : 60;
        for (let k = 0; k < rate; k++) rows.push(`${attacker} - - [${t}] "GET /search?q=${s}-${k} HTTP/1.1" 200 120 "-" "python-requests/2.31"`);
      }
      const p = join(tmp(), `ramp-${low}.log`);
      writeFileSync(p, rows.join('\n') + '\n');
      return analyzeLogs({ inputs: [p], threads: 2, block: { prefix: 'auto', ttlSeconds: 60, allow: [], blockPrivate: false, includeInfo: false } });
    };
    // From minute 6: before the flood it carried a fifth of the requests, but none of their first part.
    const late = await log(6);
    expect(late.attacks.find((a) => a.signature === 'http.source-rate')?.target).toBe(attacker);
    expect(late.summary.regularSources).toEqual([]);
    expect(late.blocklist!.entries.map((e) => e.cidr)).toEqual([`${attacker}/32`]);
    // From the first second (a NAT or crawler that then floods: the log cannot tell): regular, left
    // out, and the block list says why.
    const steady = await log(0);
    expect(steady.summary.regularSources.map((s) => s.ip)).toEqual([attacker]);
    expect(steady.blocklist!.entries).toEqual([]);
    expect(steady.blocklist!.excluded[0]!.reason).toMatch(/^a regular source: /);
  });

  it("leaves out the site's visitors who loaded the flooded URL with a referrer: the flood sends none", async () => {
    const { path: p, visitors, bots } = visitorsLog();
    const r = await analyzeLogs({ inputs: [p], threads: 2, block: { prefix: 'auto', ttlSeconds: 60, allow: [], blockPrivate: false, includeInfo: false } });
    const url = r.attacks.filter((a) => a.target === '/login');
    expect(url.map((a) => a.signature).sort()).toEqual(['http.empty-referrer', 'http.repeated-url']);
    expect(visitors.size).toBeGreaterThan(50);
    for (const a of url) {
      expect(new Set(a.topSources.map((s) => s.ip))).toEqual(new Set([...bots, ...visitors]));
      expect(new Set(a.visitorSources)).toEqual(visitors);
      // Where the attack comes from is the bots' networks, not the visitors'.
      expect((a.prefixes ?? []).concat(a.widePrefixes ?? []).filter((x) => x.prefix.startsWith('81.2.'))).toEqual([]);
    }
    const blocked = r.blocklist!.entries.map((e) => e.cidr);
    expect(blocked.filter((c) => c.startsWith('81.2.'))).toEqual([]);
    for (const b of bots) expect(covered(r, b)).toBe(true);
    expect(r.blocklist!.excluded.filter((e) => e.what.startsWith('81.2.')).map((e) => [e.what.replace(/ .*/, ''), e.reason])).toEqual([
      ['81.2.0.0/24', 'requested the flooded URL with a referrer, as visitors do (the flood sends none): a visitor caught in it'],
      ['81.2.1.0/24', 'requested the flooded URL with a referrer, as visitors do (the flood sends none): a visitor caught in it'],
    ]);
    const text = await run([p]);
    expect(text.stdout).toContain(`    ${visitors.size} of them are visitors caught in the flood (requested it with a referrer; the flood sends none): not blocked`);
  });

  it('a flood of more sources than its summary holds: counts are ranges, and a visitor who came late is not blocked', async () => {
    // 16 minutes of 6 req/s browsing from 200 addresses with referrers, / among the pages; from
    // minute 8 to 12, 150 req/s on / without one, each request from a new address of one /48
    // (an attacker rotating IPv6 addresses). The alert's summary holds 1,000 of the ~36,000:
    // a visitor who loaded / late enters it with the evicted minimum as its count.
    const rows: string[] = [];
    const sent = new Map<string, number>();
    let x = 12345;
    const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 16);
    for (let s = 0; s < 16 * 60; s++) {
      const t = `20/Nov/2026:10:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000`;
      for (let k = 0; k < 6; k++) {
        const n = (s * 7 + k * 13) % 200;
        const url = (s + k) % 5 === 0 ? '/' : `/p/${(s * 3 + k) % 20}`;
        rows.push(`81.2.${Math.floor(n / 100)}.${(n % 100) + 1} - - [${t}] "GET ${url} HTTP/1.1" 200 900 "https://example.org/p/${k}" "Mozilla/5.0 Firefox/118.0"`);
      }
      if (s >= 8 * 60 && s < 12 * 60)
        for (let k = 0; k < 150; k++) {
          const ip = `2a01:4f8:1234:${rnd().toString(16)}:${rnd().toString(16)}:${rnd().toString(16)}:${rnd().toString(16)}:${rnd().toString(16)}`;
          sent.set(ip, (sent.get(ip) ?? 0) + 1);
          rows.push(`${ip} - - [${t}] "GET / HTTP/1.1" 200 1200 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"`);
        }
    }
    const p = join(tmp(), 'rotating.log');
    writeFileSync(p, rows.join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [p], threads: 2, block: { prefix: 'auto', ttlSeconds: 60, allow: [], blockPrivate: false, includeInfo: false } });
    const url = r.attacks.filter((a) => a.target === '/');
    expect(url.map((a) => a.signature).sort()).toEqual(['http.empty-referrer', 'http.repeated-url']);
    for (const a of url) {
      const bots = a.topSources.filter((s) => sent.has(s.ip));
      expect(bots.length).toBeGreaterThan(900);
      // A bot sent one request or two; its count is the summary's bound, with what is known for sure.
      for (const b of bots) expect(b.minCount ?? b.count).toBeLessThanOrEqual(sent.get(b.ip)!);
      expect(bots.filter((b) => b.minCount !== undefined && b.count > b.minCount).length).toBeGreaterThan(900);
      const late = a.topSources.filter((s) => s.ip.startsWith('81.2.')).map((s) => s.ip);
      expect(late.length).toBeGreaterThan(0);
      expect(a.visitorSources.sort()).toEqual(late.sort());
    }
    expect(r.blocklist!.entries.map((e) => e.cidr)).toEqual(['2a01:4f8:1234::/48']);
    // Its requests are what is sure, each counted once though two findings name them.
    const e = r.blocklist!.entries[0]!;
    expect(e.count).toBeLessThanOrEqual(e.members * 2);
    const text = await run([p]);
    expect(text.stdout).toMatch(/^ {4}2a01:4f8:1234:\S+ +DE +1–\d+$/m);
    expect(text.stdout).toContain('(a–b: more sources than the summary holds, so a count is known only as at least a, at most b)');
  });

  it('says which line of an --allow file is no address, and that a missing file is not one', async () => {
    const f = join(tmp(), 'allow.txt');
    writeFileSync(f, '# office\n198.51.100.0/24   # office NAT\n\nexample.com\n');
    const bad = await run(['--allow', f, '--blocklist', 'plain=-', path]);
    expect([bad.code, bad.stderr]).toEqual([2, `floodscope: --allow: ${f}:4: not an address or CIDR: example.com (host names are not resolved)\n`]);
    const missing = await run(['--allow', '/nonexistent/allow.txt', '--blocklist', 'plain=-', path]);
    expect([missing.code, missing.stderr]).toEqual([2, 'floodscope: --allow: not an address or CIDR: /nonexistent/allow.txt (and no such file)\n']);
    writeFileSync(f, '# office\n198.51.100.0/24   # office NAT\r\n\r\n2001:db8::/32\n');
    expect((await run(['--allow', f, '--blocklist', 'plain=-', '-q', path])).code).toBe(0);
  });

  it('writes files from the CLI, to stdout with =-, and nothing with --dry-run', async () => {
    const d = tmp();
    const out = join(d, 'block.nft');
    const r = await run(['-q', '--blocklist', `nft=${out}`, '--blocklist', 'plain=-', path]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^table inet floodscope \{/m);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\.\d+\/(24|32) # http\./m);
    expect(r.stderr).toMatch(/access-log analysis/); // the report moved to stderr
    const dry = await run(['--dry-run', '--blocklist', `nft=${join(d, 'dry.nft')}`, path]);
    expect(dry.stderr).toMatch(/would block \S+\/24 {2}# http\./);
    expect(existsSync(join(d, 'dry.nft'))).toBe(false);
  });
});

describe('generated block lists load in the real tools', () => {
  const root = process.getuid?.() === 0;
  const has = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;
  for (const t of ['nft', 'iptables-restore', 'ipset', 'ip']) {
    if (!root || !has(t)) console.warn(`floodscope: ${t} ${root ? 'is not installed' : 'needs root'}: its block-list loading test is skipped (.ci/run installs nftables, iptables, ipset, iproute2)`);
  }
  const plan = () => {
    const entries = [
      { cidr: '203.0.113.0/24', v: 4 as const, members: 9, count: 900, signatures: ['http.repeated-url'], comment: 'http.repeated-url /x: 9 src, 900 hits, 2025-01-01T00:00:00..00:05:00+00:00' },
      { cidr: '198.51.100.7/32', v: 4 as const, members: 1, count: 50, signatures: ['http.source-rate'], comment: 'http.source-rate "quoted" \\ odd' },
      { cidr: '2001:db8:1:2::/64', v: 6 as const, members: 3, count: 30, signatures: ['http.prefix-rate'], comment: 'v6 prefix' },
    ];
    return { entries, excluded: [{ what: '10.0.0.1', reason: 'private address', count: 1, addresses: 1 }], prefix: 'auto', ttlSeconds: 3600 };
  };
  const file = (name: string, text: string) => {
    const p = join(tmp(), name);
    writeFileSync(p, text);
    return p;
  };

  it('renders every format', () => {
    for (const f of BLOCKLIST_FORMATS) expect(renderBlocklist(plan(), f).text.length).toBeGreaterThan(50);
  });

  it.skipIf(!root || !has('nft'))('nft -c -f accepts the nft file', () => {
    execFileSync('nft', ['-c', '-f', file('b.nft', renderBlocklist(plan(), 'nft').text)]);
  });

  it.skipIf(!root || !has('iptables-restore'))('iptables-restore --test and ip6tables-restore --test accept the iptables files', () => {
    const r = renderBlocklist(plan(), 'iptables');
    execFileSync('iptables-restore', ['--test', file('b.iptables', r.text)]);
    execFileSync('ip6tables-restore', ['--test', file('b.iptables.v6', r.extra!.text)]);
  });

  // In a throwaway network namespace with a firewall of its own (web port accepted first,
  // policy DROP), as on a real server: the lists must leave it in place, come before it, and
  // load a second time (a newer list) without failing or doubling their rules.
  it.skipIf(!root || !has('iptables-restore') || !has('nft') || !has('ip'))('loads beside the machine\'s own rules, in front of them, and again', () => {
    const ns = `fsfw${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    const inNs = (cmd: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-ec', cmd], { encoding: 'utf8' });
    try {
      const ipt = renderBlocklist(plan(), 'iptables');
      const v4 = file('fw.iptables', ipt.text);
      const v6 = file('fw.iptables.v6', ipt.extra!.text);
      inNs('iptables -A INPUT -p tcp --dport 80 -j ACCEPT; iptables -P INPUT DROP; ip6tables -A INPUT -p tcp --dport 80 -j ACCEPT');
      inNs(`iptables-restore --noflush < ${v4}; iptables-restore --noflush < ${v4}; ip6tables-restore --noflush < ${v6}`);
      const rules = inNs('iptables -S').split('\n');
      expect(rules).toContain('-P INPUT DROP');
      expect(rules).toContain('-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT');
      // The jump comes before the web port's ACCEPT (else it would never be reached).
      expect(rules.findIndex((l) => l === '-A INPUT -j FLOODSCOPE')).toBeLessThan(rules.indexOf('-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT'));
      // The chain holds the list once, however often it was loaded.
      expect(rules.filter((l) => l.startsWith('-A FLOODSCOPE -s 203.0.113.0/24 '))).toHaveLength(1);
      expect(inNs('ip6tables -S')).toMatch(/-A INPUT -j FLOODSCOPE\n-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT[\s\S]*-A FLOODSCOPE -s 2001:db8:1:2::\/64 /);
      const nft = file('fw.nft', renderBlocklist(plan(), 'nft').text);
      inNs(`nft -f ${nft}; nft -f ${nft}`);
      expect(inNs('nft list chain inet floodscope input').match(/ip saddr @v4 drop/g)).toHaveLength(1);
      const route = file('fw.route', renderBlocklist(plan(), 'route').text);
      inNs(`ip link set lo up; sh -e ${route}; sh -e ${route}`);
      expect(inNs('ip route show type blackhole')).toMatch(/blackhole 203\.0\.113\.0\/24/);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });

  it.skipIf(!root || !has('ipset'))('ipset restore loads the sets (throwaway names, destroyed after)', () => {
    const text = renderBlocklist(plan(), 'ipset').text.replaceAll('floodscope_v', `fstest${process.pid}_v`);
    try {
      execFileSync('ipset', ['restore', '-file', file('b.ipset', text)]);
      expect(execFileSync('ipset', ['list', `fstest${process.pid}_v4`], { encoding: 'utf8' })).toMatch(/203\.0\.113\.0\/24 timeout \d+ comment "http\.repeated-url/);
    } finally {
      spawnSync('ipset', ['destroy', `fstest${process.pid}_v4`]);
      spawnSync('ipset', ['destroy', `fstest${process.pid}_v6`]);
    }
  });

  it.skipIf(!root || !has('ip'))('the ip route lines add the blackhole routes (run in a throwaway network namespace)', () => {
    const ns = `fstest${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      execFileSync('ip', ['netns', 'exec', ns, 'sh', '-e', file('b.route', renderBlocklist(plan(), 'route').text)]);
      expect(execFileSync('ip', ['-n', ns, 'route', 'show', 'type', 'blackhole'], { encoding: 'utf8' })).toMatch(/blackhole 203\.0\.113\.0\/24/);
      expect(execFileSync('ip', ['-n', ns, '-6', 'route', 'show', 'type', 'blackhole'], { encoding: 'utf8' })).toMatch(/blackhole 2001:db8:1:2::\/64/);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});

let spread: string | null = null;
/** 1,200 addresses spread over the IPv4 space at 2 req/s each for a minute (see spreadBotnetLog). */
const spreadPath = (): string => {
  if (spread === null) {
    spread = join(tmp(), 'spread.log');
    writeFileSync(spread, spreadBotnetLog());
  }
  return spread;
};

describe('a botnet spread thin', () => {
  it('is found address by address, each in the block list, at any thread count', async () => {
    // Over a per-source rate of 1 req/s, each of the 1,200 addresses is an http.source-rate
    // finding; none was when chunks sent their heaviest 256 sources and steps kept 1,024.
    const block = { prefix: 'auto' as const, ttlSeconds: 3600, allow: [], blockPrivate: false, includeInfo: false };
    const r = await analyzeLogs({ inputs: [spreadPath()], threads: 2, detect: { sourceRate: 1 }, block });
    const found = r.attacks.filter((a) => a.signature === 'http.source-rate');
    expect(found).toHaveLength(1200);
    for (const a of found) {
      expect(a.requests).toBeGreaterThanOrEqual(90);
      expect(a.requests).toBeLessThanOrEqual(120);
      expect(a.start).toBe('2026-11-20T04:10:00+00:00');
    }
    // Every bot is blocked but those in special-purpose ranges (CGNAT 100.64/10 …), named as left out.
    const left = new Set(r.blocklist!.excluded.filter((e) => e.reason.includes('use --block-private')).map((e) => e.what));
    for (const a of found) expect(covered(r, a.target) || left.has(a.target)).toBe(true);
    expect(found.filter((a) => covered(r, a.target)).length).toBeGreaterThan(1150);
    expect(covered(r, '198.51.100.7')).toBe(false);
    const one = await analyzeLogs({ inputs: [spreadPath()], threads: 1, detect: { sourceRate: 1 }, block });
    expect(one.attacks.map((a) => [a.target, a.requests, a.start, a.end])).toEqual(r.attacks.map((a) => [a.target, a.requests, a.start, a.end]));
    expect(one.blocklist!.entries).toEqual(r.blocklist!.entries);
  });
});

describe('--suggest-limits', () => {
  it('derives a per-source limit from normal traffic and says whom it would hit', async () => {
    const r = await analyzeLogs({ inputs: [path], threads: 2, suggestLimits: true });
    const l = r.limits!;
    expect(l.rate).toBeGreaterThanOrEqual(1);
    expect(l.normalObservations).toBeGreaterThan(1000);
    // At most 0.1% of normal observations exceed the 99.9th percentile × 2.
    expect(l.normalHit / l.normalObservations).toBeLessThanOrEqual(0.001);
    // The scraper (10 req/s) is stopped; the distributed flood (~0.2 req/s per source) is not,
    // and the report says a per-source limit cannot stop it.
    expect(l.attackSourcesStopped).toBeGreaterThanOrEqual(1);
    expect(l.caveat).toMatch(/cannot stop this attack/);
    expect(l.iptables).toMatch(/--hashlimit-above \d+\/sec --hashlimit-burst \d+ -j DROP$/);
    const t = await run(['--suggest-limits', '-q', path]);
    expect(t.stdout).toMatch(/^Suggested per-source limit: \d+ req\/s/m);
    expect(t.stdout).toMatch(/nginx: limit_req_zone \$binary_remote_addr zone=floodscope:10m rate=\d+r\/s;/);
  });

  it('counts each address of a botnet spread thin at its own rate, so a limit under it stops each', async () => {
    // 1,200 addresses at 2 req/s each for a minute: a chunk of the log holds ~8 requests from
    // each, and when a chunk sent only its heaviest 256 sources (an arbitrary fifth of equals)
    // they were listed at a fraction of their rate, none over a limit of 1 req/s.
    const r = await analyzeLogs({ inputs: [spreadPath()], threads: 2, suggestLimits: true });
    const l = r.limits!;
    expect(l.rate).toBe(1);
    const surge = r.attacks.find((a) => a.signature === 'http.request-surge')!;
    const bots = surge.topSources.filter((s) => !s.ip.startsWith('198.51.100.'));
    expect(bots.length).toBeGreaterThanOrEqual(1000);
    for (const s of bots) expect(s.count).toBe(120);
    expect(l.attackSourcesStopped).toBe(bots.length);
    expect(l.caveat).toBeNull();
  });
});

describe('suggested limits load in iptables', () => {
  it.skipIf(process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v iptables-restore']).status !== 0)(
    'the hashlimit (logs) and connlimit (capture) rules pass iptables-restore --test',
    async () => {
      const { analyze, generateCapture, writePcap } = await import('../../dist/src/index.js');
      const logs = await analyzeLogs({ inputs: [path], suggestLimits: true });
      const capFile = join(tmp(), 'gen.pcap');
      writeFileSync(capFile, writePcap(generateCapture(42, 0.25).packets));
      const cap = await analyze({ inputs: [capFile], suggestLimits: true });
      if (cap.kind !== 'capture') throw new Error('not a capture');
      expect(cap.connLimits!.connections).toBeGreaterThanOrEqual(10);
      const rules = [logs.limits!.iptables, cap.connLimits!.iptables].map((r) => r.replace(/^iptables /, ''));
      const f = join(tmp(), 'limits.rules');
      writeFileSync(f, ['*filter', ...rules, 'COMMIT', ''].join('\n'));
      execFileSync('iptables-restore', ['--test', f]);
    },
  );
});

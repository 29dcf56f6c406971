import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, ethIpv4, generateCapture, writePcap, writePcapng, type CaptureTruth, type PacketReport } from '../../dist/src/index.js';
import { frameCapture, readFrom } from '../../dist/src/framing/captures.js';
import { PacketFolder } from '../../dist/src/partial/packet-folder.js';
import { run, tmp } from '../helpers.js';

let truth: CaptureTruth;
let file: string;
let bytes: Buffer;
let report: PacketReport;
const STEP = 10;

const TCP_SYN = 2;
const TCP_ACK = 16;
/** 198.51.100.10, the server of the hand-made captures below. */
const SERVER = 0xc633640a;
const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const dotted = (x: number) => `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
/** Its 200 HTTPS clients, in two /24s. */
const CLIENTS = Array.from({ length: 200 }, (_, i) => ip(81, 2, i >> 7, (i & 127) + 1));

/**
 * A capture of SERVER for `seconds` from 2026-11-20 10:00 UTC: its clients connect 8 times a
 * second (full handshakes), each connection then sending `segments` data segments with an ACK
 * for every second one; `extra` adds the attack (time in seconds from the start). Its path.
 */
function serverCapture(name: string, seconds: number, segments: number, extra: (s: number, add: (t: number, f: Parameters<typeof ethIpv4>[0], origLen?: number) => void) => void): string {
  const t0 = Date.UTC(2026, 10, 20, 10) / 1000;
  const packets: { time: number; data: Uint8Array; origLen?: number }[] = [];
  const add = (t: number, f: Parameters<typeof ethIpv4>[0], origLen?: number) => packets.push({ time: t0 + t, data: ethIpv4(f), ...(origLen ? { origLen } : {}) });
  for (let s = 0; s < seconds; s++) {
    for (let k = 0; k < 8; k++) {
      const c = CLIENTS[(s * 8 + k) % 200]!;
      const port = 1024 + (((s * 8 + k) * 7919) % 60000);
      let t = s + k * 0.1;
      add(t, { src: c, dst: SERVER, proto: 'tcp', sport: port, dport: 443, flags: TCP_SYN });
      add((t += 0.01), { src: SERVER, dst: c, proto: 'tcp', sport: 443, dport: port, flags: TCP_SYN | TCP_ACK });
      add((t += 0.01), { src: c, dst: SERVER, proto: 'tcp', sport: port, dport: 443, flags: TCP_ACK });
      for (let d = 0; d < segments; d++) {
        add((t += 0.002), { src: SERVER, dst: c, proto: 'tcp', sport: 443, dport: port, flags: TCP_ACK, payload: 1200 });
        if (d % 2 === 1) add((t += 0.001), { src: c, dst: SERVER, proto: 'tcp', sport: port, dport: 443, flags: TCP_ACK });
      }
    }
    extra(s, add);
  }
  packets.sort((a, b) => a.time - b.time);
  const f = join(tmp(), name);
  writeFileSync(f, writePcap(packets));
  return f;
}

async function capture(inputs: string[], threads = 2): Promise<PacketReport> {
  const r = await analyze({ inputs, threads });
  if (r.kind !== 'capture') throw new Error('not a capture');
  return r;
}

beforeAll(async () => {
  const g = generateCapture(42, 0.25);
  truth = g.truth;
  bytes = writePcap(g.packets);
  file = join(tmp(), 'gen.pcap');
  writeFileSync(file, bytes);
  report = await capture([file]);
});

describe('detection on a generated capture (ground truth beside it)', () => {
  it('finds the SYN flood on the service, start and end within one step, with its spoofed sources counted', () => {
    const f = report.attacks.filter((a) => a.signature === 'tcp.syn-flood');
    expect(f.map((a) => a.target)).toEqual([truth.synFlood.target]);
    expect(Math.abs(Date.parse(f[0]!.start) / 1000 - truth.synFlood.start)).toBeLessThanOrEqual(STEP);
    expect(Math.abs(Date.parse(f[0]!.end) / 1000 - truth.synFlood.end)).toBeLessThanOrEqual(STEP);
    expect(Math.abs(f[0]!.distinctSources / truth.synFlood.sources - 1)).toBeLessThan(0.03);
    expect(f[0]!.evidence.spoofingLikely).toBe('yes');
  });

  it('finds the DNS amplification on the victim address, and no plain UDP flood beside it', () => {
    const a = report.attacks.filter((x) => x.signature === 'udp.amplification');
    expect(a.map((x) => x.target)).toEqual([truth.amplification.target]);
    expect(Math.abs(Date.parse(a[0]!.start) / 1000 - truth.amplification.start)).toBeLessThanOrEqual(STEP);
    expect(Math.abs(Date.parse(a[0]!.end) / 1000 - truth.amplification.end)).toBeLessThanOrEqual(STEP);
    expect(Math.abs(a[0]!.distinctSources / truth.amplification.reflectors - 1)).toBeLessThan(0.02); // HyperLogLog estimate
    expect(report.attacks.some((x) => x.signature === 'udp.flood')).toBe(false);
  });

  it('names the reflectors as the amplification\'s sources, not the victim\'s other clients, and blocks none of those', async () => {
    const a = report.attacks.find((x) => x.signature === 'udp.amplification')!;
    const clients = new Set(truth.clients);
    // The victim's HTTPS clients sent it packets during the flood too: they were listed (and blocked).
    expect(a.topSources.filter((s) => clients.has(s.ip))).toEqual([]);
    expect(a.topSources.length).toBeGreaterThan(truth.amplification.reflectors * 0.9);
    const b = await analyze({ inputs: [file], threads: 2, block: { prefix: 32, ttlSeconds: 60, allow: [], blockPrivate: false, includeInfo: false } });
    const blocked = new Set(b.blocklist!.entries.map((e) => e.cidr.replace(/\/32$/, '')));
    expect(truth.clients.filter((c) => blocked.has(c))).toEqual([]);
    expect(blocked.size).toBe(a.topSources.length);
  });

  it('leaves out of a SYN flood from real (not spoofed) addresses the clients who connected meanwhile', async () => {
    // From minute 2 to 3, 50 bots send 3,000 SYNs a second and never complete one.
    const bots = Array.from({ length: 50 }, (_, i) => ip(91, 200 + (i % 3), (i * 37) % 250, (i % 250) + 1));
    const f = serverCapture('syn-bots.pcap', 300, 0, (s, add) => {
      if (s >= 120 && s < 180) for (let k = 0; k < 3000; k++) add(s + k / 3000, { src: bots[k % 50]!, dst: SERVER, proto: 'tcp', sport: 1024 + ((s * 3000 + k) % 60000), dport: 443, flags: TCP_SYN });
    });
    const r = await analyze({ inputs: [f], threads: 2, block: { prefix: 'auto', ttlSeconds: 60, allow: [], blockPrivate: false, includeInfo: false } });
    const syn = r.attacks.filter((a) => a.signature === 'tcp.syn-flood');
    expect(syn.map((a) => [a.target, a.evidence.spoofingLikely])).toEqual([['198.51.100.10:443', 'no']]);
    expect(new Set(syn[0]!.topSources.map((s) => s.ip))).toEqual(new Set([...bots, ...CLIENTS].map(dotted)));
    expect(new Set(syn[0]!.visitorSources)).toEqual(new Set(CLIENTS.map(dotted)));
    expect(r.blocklist!.entries.map((e) => e.cidr).sort()).toEqual(bots.map((b) => `${dotted(b)}/32`).sort());
    expect(r.blocklist!.excluded.map((e) => [e.what, e.reason])).toEqual([
      ['81.2.0.0/24 (128 addresses)', 'completed its TCP handshakes, as clients do (the flood leaves them half-open): a client caught in it'],
      ['81.2.1.0/24 (72 addresses)', 'completed its TCP handshakes, as clients do (the flood leaves them half-open): a client caught in it'],
    ]);
  });

  it('lists a SYN flood that comes back again and again as one finding with its episodes', async () => {
    // Two bursts of 30 s, 2,000 spoofed SYNs a second, four minutes apart: two findings of
    // tcp.syn-flood on one service, which the report links and prints as one.
    const f = serverCapture('syn-bursts.pcap', 600, 0, (s, add) => {
      if (s >= 60 && s % 240 < 30) for (let k = 0; k < 2000; k++) add(s + k / 2000, { src: ip(100 + (k % 50), (s * 7 + k) % 256, k >> 8, (k % 250) + 1), dst: SERVER, proto: 'tcp', sport: 1024 + k, dport: 443, flags: TCP_SYN });
    });
    const r = await capture([f]);
    const syn = r.attacks.filter((a) => a.signature === 'tcp.syn-flood');
    expect(syn.map((a) => a.start.slice(11, 19))).toEqual(['10:04:00', '10:08:00']);
    expect(syn[0]!.episodes!.map((e) => [e.id, e.count])).toEqual(syn.map((a) => [a.id, a.packets]));
    expect(syn[1]!.episodeOf).toBe(syn[0]!.id);
    const text = await run([f]);
    expect(text.stdout.match(/tcp\.syn-flood {2}198\.51\.100\.10:443$/gm)).toHaveLength(1);
    expect(text.stdout).toMatch(/^ {2}2 episodes, 2026-11-20 10:04:00 → 10:08:29 \+0000, [\d,]+ packets in all:$/m);
  });

  it("names a UDP bandwidth flood's senders as its sources, not the HTTPS clients downloading meanwhile", async () => {
    // The clients download 20 segments a connection; in the middle minute 20 bots send 1,000 UDP
    // datagrams a second of 1,442 bytes on the wire (captured short, as with tcpdump -s): 11.5
    // Mbit/s, over a 5 Mbit/s --bandwidth.
    const bots = Array.from({ length: 20 }, (_, i) => ip(91, 200, i * 7, i + 1));
    const f = serverCapture('bandwidth.pcap', 180, 20, (s, add) => {
      if (s >= 60 && s < 120) for (let k = 0; k < 1000; k++) add(s + k / 1000, { src: bots[k % 20]!, dst: SERVER, proto: 'udp', sport: 40000 + k, dport: 80, payload: 8 }, 1442);
    });
    const r = await analyze({ inputs: [f], threads: 2, packetDetect: { bandwidthBps: 5e6 }, block: { prefix: 'auto', ttlSeconds: 60, allow: [], blockPrivate: false, includeInfo: false } });
    if (r.kind !== 'capture') throw new Error('not a capture');
    const bw = r.attacks.find((a) => a.signature === 'net.bandwidth')!;
    expect(bw.target).toBe('198.51.100.10');
    expect(new Set(bw.topSources.map((s) => s.ip))).toEqual(new Set(bots.map(dotted)));
    // The UDP flood's evidence counts its senders, not every address that sent the victim anything.
    expect(r.attacks.find((a) => a.signature === 'udp.flood')!.evidence.distinctSources).toBe(20);
    expect(r.blocklist!.entries.map((e) => e.cidr).sort()).toEqual(bots.map((b) => `${dotted(b)}/32`).sort());
    const text = await run([f, '--bandwidth', '5M']);
    expect(text.stdout).toMatch(/net\.bandwidth {2}198\.51\.100\.10\n.*\n {2}peak 11\.\d Mbit\/s at 10:01:\d\d, \d[\d,]* packets/);
  });

  it('reports the port scan at info level, and completed handshakes of normal clients are not half-open', () => {
    const scan = report.attacks.filter((a) => a.signature === 'tcp.port-scan');
    expect(scan.map((a) => [a.target, a.severity, a.attack])).toEqual([[truth.portScan.source, 'info', false]]);
    expect(report.attacks.map((a) => a.signature).sort()).toEqual(['tcp.port-scan', 'tcp.syn-flood', 'udp.amplification']);
    expect(report.victims[0]!.ip).toBe(truth.victim);
    expect(report.input.packets).toBe(truth.packets);
  });

  it('gives the same report for any thread count, for small chunks, gzip, pcapng and stdin', async () => {
    const one = await capture([file], 1);
    expect(JSON.stringify(one)).toBe(JSON.stringify(report));
    const gz = `${file}.gz`;
    writeFileSync(gz, gzipSync(bytes));
    const z = await capture([gz], 3);
    expect(z.attacks).toEqual(report.attacks);
    const small = await analyze({ inputs: [file], threads: 2, chunkSize: 64 * 1024 });
    expect(small.kind === 'capture' && small.attacks.map((a) => [a.signature, a.target, a.start, a.end])).toEqual(report.attacks.map((a) => [a.signature, a.target, a.start, a.end]));
    const g = generateCapture(42, 0.25);
    const ng = join(tmp(), 'gen.pcapng');
    writeFileSync(ng, writePcapng(g.packets, [{ linkType: 1, tsresol: 9 }], false));
    const n = await capture([ng]);
    expect(n.attacks.map((a) => [a.signature, a.target, a.start, a.end])).toEqual(report.attacks.map((a) => [a.signature, a.target, a.start, a.end]));
    const piped = await run(['--format', 'json', '-q'], { stdin: bytes });
    expect((JSON.parse(piped.stdout) as PacketReport).attacks).toEqual(report.attacks);
  });

  it("folds a chunk the same whatever its framer's record count says: columns sized by it, folded again when it falls short", async () => {
    const chunks: { bytes: Uint8Array; context: Parameters<PacketFolder['fold']>[1]; records: number }[] = [];
    // Chunks of more records than a fresh folder's columns hold (16,384), so a count that falls
    // short would lose records, not land in room the columns had anyway.
    for await (const ch of frameCapture(readFrom(bytes), 'gen.pcap', { warnings: [], error: null }, 16 << 20)) if (ch.records > 0) chunks.push({ ...ch, bytes: ch.bytes.slice() });
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0]!.records).toBeGreaterThan(1 << 15);
    const fold = (records: (c: (typeof chunks)[number]) => number | undefined) => {
      const f = new PacketFolder(STEP, null);
      return chunks.map((c, i) => f.fold(c.bytes, c.context, i, records(c)));
    };
    const worst = fold(() => undefined);
    expect(fold((c) => c.records)).toEqual(worst);
    expect(fold((c) => c.records >> 2)).toEqual(worst);
    expect(worst.reduce((a, p) => a + p.packets, 0)).toBe(chunks.reduce((a, c) => a + c.records, 0));
  });

  it('prints the capture report on the terminal with victims and each attack', async () => {
    const r = await run([file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/packet-capture analysis/);
    expect(r.stdout).toMatch(/^Victims \(destinations by packets\)/m);
    expect(r.stdout).toMatch(/^HIGH +tcp\.syn-flood +198\.51\.100\.10:443/m);
    expect(r.stdout).toMatch(/INFO +tcp\.port-scan .*\(not an attack\)/);
    expect(r.stdout).toMatch(/[^\n]\n$/);
  });

  it('says how many packets the capture dropped while capturing (its pcapng statistics): the counts are lower bounds', async () => {
    const g = generateCapture(42, 0.25);
    const f = join(tmp(), 'dropped.pcapng');
    writeFileSync(f, writePcapng(g.packets, [{ linkType: 1, tsresol: 6, name: 'eth0', stats: [{ received: truth.packets + 52_000, ifDrop: 0, osDrop: 52_000 }] }]));
    const r = await run(['--format', 'json', f]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as PacketReport;
    expect(j.input.files[0]!.drops).toEqual([{ section: 0, interface: 0, name: 'eth0', received: truth.packets + 52_000, droppedByInterface: 0, droppedByOs: 52_000 }]);
    const said = `dropped.pcapng: the capture on interface eth0 dropped 52,000 packets of the ${(truth.packets + 52_000).toLocaleString('en-US')} it received (50.4 %; 52,000 by the OS or capture buffer, by the capturing tool's own count): it misses them, so the rates and counts here are lower bounds`;
    expect(j.input.warnings).toEqual([expect.stringContaining(said)]);
    expect(r.stderr).toContain(said);
    // The same findings as the pcap's (a pcapng's blocks cut other chunks: top lists may differ by ties).
    const key = (a: PacketReport['attacks'][number]) => [a.signature, a.target, a.start, a.end, a.packets];
    expect(j.attacks.map(key)).toEqual(report.attacks.map(key));
    expect(report.input.files[0]!.drops).toEqual([]);
  });

  it('keeps what was read from a truncated capture and says where it stopped (exit 0, warning); garbage is an error (exit 4)', async () => {
    const cut = join(tmp(), 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 20));
    const r = await run(['--format', 'json', cut]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/cut\.pcap: truncated last record at byte offset \d+/);
    const j = JSON.parse(r.stdout) as PacketReport;
    expect(j.input.packets).toBe(truth.packets - 1);
    const bad = join(tmp(), 'bad.pcap');
    const g = generateCapture(42, 0.25);
    writeFileSync(bad, Buffer.concat([writePcap(g.packets.slice(0, 50)), Buffer.from('<html>this is not a packet record, but a web page</html>')]));
    const b = await run(['--format', 'json', bad]);
    expect(b.code).toBe(4);
    expect(b.stderr).toMatch(/bad\.pcap: garbage at byte offset \d+/);
  });

  it('lists the port scans of many addresses briefly past the ten heaviest, as the log report does', async () => {
    // 14 scanners, 203.0.113.1–14, one after another (a chunk's step lists its 8 heaviest),
    // scanner i sending SYNs to 100 + 20·i ports of the server over its 10 s.
    const f = serverCapture('scans.pcap', 160, 2, (s, add) => {
      const i = Math.floor(s / 10);
      if (i < 1 || i > 14) return;
      const ports = 100 + 20 * i;
      for (let p = 0; p < ports / 10; p++) add(s + p / ports, { src: ip(203, 0, 113, i), dst: SERVER, proto: 'tcp', sport: 40000 + i, dport: 1 + (s % 10) * (ports / 10) + p, flags: TCP_SYN });
    });
    const r = await capture([f]);
    const scans = r.attacks.filter((a) => a.signature === 'tcp.port-scan');
    expect(scans).toHaveLength(14);
    // The ten that sent the most are in full; the four lightest (203.0.113.1–4) in brief.
    expect(scans.filter((a) => a.inBrief).map((a) => a.target).sort()).toEqual(['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']);
    const { stdout } = await run([f]);
    expect(stdout.split('\n').filter((l) => /^INFO\s+tcp\.port-scan {2}203\.0\.113\.\d+ {2}\(not an attack\)$/.test(l))).toHaveLength(10);
    expect(stdout).toMatch(/^INFO\s+tcp\.port-scan {2}4 more addresses, one line each \(\+0000\): the 10 most severe and heaviest are above, every detail in --format json {2}\(not attacks\)$/m);
    expect(stdout).toMatch(/^ {4}203\.0\.113\.4 +2026-11-20 10:0\d:\d\d → 10:0\d:\d\d +peak \d+\/s +\d+ packets$/m);
  });
});

/**
 * The materialized report of a capture: same top-level shape as the log report
 * (`attacks[]` with signature, severity, target, start, end, peakRate, distinctSources,
 * topSources), with `packets` where logs have `requests`, plus `victims[]` — which of
 * your addresses take the traffic — and a per-minute protocol mix.
 */
import { formatIp } from '../parsers/ip.js';
import { isoWithOffset, zoneLabel } from '../parsers/timestamp.js';
import { PC } from '../partial/packet-partial.js';
import type { CaptureDrops } from '../framing/captures.js';
import type { PacketDetectConfig } from '../detectors/packet.js';
import type { PacketAlert, PacketEngine } from '../windows/packet-engine.js';
import type { RegularSource } from '../detectors/regular.js';
import type { TopEntry } from '../sketches/space-saving.js';
import type { Severity } from '../detectors/finding.js';
import { attackTargets, linkFindings, type FindingLinks } from './groups.js';
import { alertHead, alertTail, attacksVerdict, outlierWarning, reportedSources, timelineFrame, underWay, REPORT_SCHEMA, TOP_SOURCES_JSON, type AttackGeo, type EventAlertOptions, type ReportGeo, type SourceCount, type UnderWay } from './report.js';

export interface CaptureFileReport {
  name: string;
  compressed: boolean;
  bytes: number;
  format: 'pcap' | 'pcapng' | null;
  linkTypes: number[];
  packets: number;
  /** Packets stamped within time already analyzed when they were read: counted, not in detection (see overlapWarning). */
  late: number;
  warnings: string[];
  damage: string | null;
  /** pcapng: what the capturing tool counted per interface, packets dropped while capturing among it ([] for pcap: it has no such record). */
  drops: CaptureDrops[];
}

/**
 * The warning for packets a capture's interface or OS dropped while capturing (its pcapng
 * statistics), or null when none were.
 */
export function dropsWarning(file: string, d: CaptureDrops): string | null {
  const lost = (d.droppedByInterface ?? 0) + (d.droppedByOs ?? 0);
  if (lost === 0) return null;
  const n = (x: number) => x.toLocaleString('en-US');
  const where = d.name !== null ? `interface ${d.name}` : `interface ${d.interface}`;
  const parts = [d.droppedByInterface ? `${n(d.droppedByInterface)} by the interface` : '', d.droppedByOs ? `${n(d.droppedByOs)} by the OS or capture buffer` : ''].filter((x) => x !== '');
  const of = d.received !== null && d.received > 0 ? ` of the ${n(d.received)} it received (${Math.min(100, (lost / d.received) * 100).toFixed(1)} %;` : ' (';
  return `${file}: the capture on ${where} dropped ${n(lost)} packets${of} ${parts.join(', ')}, by the capturing tool's own count): it misses them, so the rates and counts here are lower bounds`;
}

export interface PacketAttackReport extends AttackGeo, FindingLinks {
  id: number;
  signature: string;
  severity: Severity;
  attack: boolean;
  target: string;
  targetKind: string;
  start: string;
  end: string;
  durationSeconds: number;
  /** Highest packets per second on the target (net.bandwidth: bytes per second; peakBps in bits). */
  peakRate: number;
  peakAt: string;
  peakBps: number;
  /** Highest window rate (packets/s; bits/s for net.bandwidth). */
  windowRate: number;
  packets: number;
  bytes: number;
  distinctSources: number;
  topSources: SourceCount[];
  /** Those of topSources that are the site's regular sources (summary.regularSources): not to be blocked. */
  regularSources: string[];
  /**
   * SYN floods that leave most handshakes half-open: those of topSources whose handshakes
   * mostly completed — the service's clients who connected during the flood. Not blocked.
   */
  visitorSources: string[];
  /** Report only: under way when the capture began or still when it ended (see UnderWay). */
  underWay?: UnderWay;
  evidence: Record<string, number | string>;
}

/** A SYN flood's handshakes are a flood's when at most this share of its SYNs completed … */
export const FLOOD_MAX_COMPLETED = 0.2;

/** … and then a source whose SYNs mostly completed connected as a client does. */
function clientSources(a: PacketAlert, entries: readonly TopEntry[]): string[] {
  if (a.signature !== 'tcp.syn-flood' || a.packets === 0 || a.completed > FLOOD_MAX_COMPLETED * a.packets) return [];
  return a.legitSources(entries);
}

export interface VictimReport {
  ip: string;
  packets: number;
  bytes: number;
  tcp: number;
  udp: number;
  icmp: number;
  /** Rank by bytes (1 = most), next to the list's own order by packets. */
  rankByBytes: number;
}

export interface PacketReport extends ReportGeo {
  schema: typeof REPORT_SCHEMA;
  kind: 'capture';
  tool: { name: 'floodscope'; version: string };
  input: {
    files: CaptureFileReport[];
    packets: number;
    nonIp: number;
    truncated: number;
    unknownLink: number;
    fragments: number;
    late: number;
    start: string | null;
    end: string | null;
    durationSeconds: number;
    timeZone: string;
    warnings: string[];
    errors: string[];
  };
  settings: PacketDetectConfig;
  summary: {
    packets: number;
    bytes: number;
    distinctSources: number;
    peakRate: number;
    peakAt: string | null;
    peakBps: number;
    averagePps: number;
    averageBps: number;
    protocols: { ipv4: number; ipv6: number; tcp: number; udp: number; icmp: number; other: number; nonIp: number; syn: number; synack: number };
    /** The site's regular sources (detectors/regular.ts), left out of block lists. */
    regularSources: RegularSource[];
    attacks: number;
    infoFindings: number;
    verdict: string;
  };
  /** `resolution`: seconds a count covers (see Report's timeline). */
  timeline: { resolution: number; start: string | null; packets: number[]; bytes: number[]; tcp: number[]; udp: number[]; icmp: number[]; other: number[] };
  victims: VictimReport[];
  attacks: PacketAttackReport[];
}

/** The alert as the JSON report has it, or (with `ev`) as a live event carries it. */
export function packetAlertReport(a: PacketAlert, zone: number, regular: readonly RegularSource[], ev?: EventAlertOptions): PacketAttackReport {
  const entries = a.topSources(TOP_SOURCES_JSON);
  const topSources = reportedSources(entries, ev);
  const isRegular = new Set(regular.map((r) => r.ip));
  return {
    ...alertHead(a, zone),
    peakBps: Math.round(a.peakBps),
    windowRate: Math.round(a.maxWindowRate * 100) / 100,
    packets: a.packets,
    bytes: a.bytes,
    distinctSources: Math.round(a.hll.estimate()),
    topSources,
    regularSources: topSources.filter((x) => isRegular.has(x.ip)).map((x) => x.ip),
    visitorSources: clientSources(a, entries),
    ...alertTail(a, zone, ev),
  };
}

export function buildPacketReport(
  engine: PacketEngine,
  files: CaptureFileReport[],
  settings: PacketDetectConfig,
  version: string,
  zone: number,
  warnings: string[],
  errors: string[],
): PacketReport {
  const t = engine.totals;
  const span = engine.span();
  const has = span !== null;
  const { first, last, per } = timelineFrame(span);
  const cols: number[][] = [[], [], [], [], [], []];
  for (let m = first; m <= last; m += per) {
    for (let c = 0; c < 6; c++) cols[c]!.push(0);
    const at = cols[0]!.length - 1;
    for (let q = m; q < m + per && q <= last; q++) {
      const row = engine.perMinute.get(q);
      if (row) for (let c = 0; c < 6; c++) cols[c]![at]! += row[c]!;
    }
  }
  const duration = has ? span.end - span.start + 1 : 0;
  const outliers = engine.outliers();
  if (outliers !== null) warnings = [...warnings, outlierWarning(outliers, 'packet', zone, engine.timing.window)];
  const attacks = [...engine.alerts]
    .sort((a, b) => a.start - b.start || a.id - b.id)
    .map((a) => {
      const r = packetAlertReport(a, zone, engine.regularSources());
      const u = underWay(a, span);
      if (u !== undefined) r.underWay = u;
      return r;
    });
  linkFindings(attacks, (a) => a.packets);
  const nAttacks = attacks.filter((a) => a.attack).length;
  const vs = [...engine.victims.values()];
  const byBytes = [...vs].sort((a, b) => b.bytes - a.bytes || b.packets - a.packets);
  const rank = new Map(byBytes.map((v, i) => [v, i + 1]));
  const victims = vs
    .sort((a, b) => b.packets - a.packets || b.bytes - a.bytes)
    .slice(0, 20)
    .map((v) => ({ ip: formatIp(...v.words), packets: v.packets, bytes: v.bytes, tcp: v.tcp, udp: v.udp, icmp: v.icmp, rankByBytes: rank.get(v)! }));
  const top = attacks.filter((a) => a.attack).sort((a, b) => b.packets - a.packets)[0];
  const packets = t[PC.PACKETS]!;
  return {
    schema: REPORT_SCHEMA,
    kind: 'capture',
    tool: { name: 'floodscope', version },
    input: {
      files,
      packets,
      nonIp: t[PC.NON_IP]!,
      truncated: t[PC.TRUNCATED]!,
      unknownLink: t[PC.UNKNOWN_LINK]!,
      fragments: t[PC.FRAGMENTS]!,
      late: engine.latePackets,
      start: has ? isoWithOffset(span.start, zone) : null,
      end: has ? isoWithOffset(span.end, zone) : null,
      durationSeconds: duration,
      timeZone: zoneLabel(zone),
      warnings,
      errors,
    },
    settings,
    summary: {
      packets,
      bytes: t[PC.BYTES]!,
      distinctSources: Math.round(engine.allSources.estimate()),
      peakRate: engine.peakPps,
      peakAt: has && engine.peakPps > 0 ? isoWithOffset(engine.peakPpsAt, zone) : null,
      peakBps: engine.peakBps,
      averagePps: duration > 0 ? Math.round((packets / duration) * 100) / 100 : 0,
      averageBps: duration > 0 ? Math.round((t[PC.BYTES]! * 8) / duration) : 0,
      protocols: {
        ipv4: t[PC.IPV4]!,
        ipv6: t[PC.IPV6]!,
        tcp: t[PC.TCP]!,
        udp: t[PC.UDP]!,
        icmp: t[PC.ICMP]!,
        other: t[PC.OTHER]!,
        nonIp: t[PC.NON_IP]!,
        syn: t[PC.SYN]!,
        synack: t[PC.SYNACK]!,
      },
      regularSources: engine.regularSources(),
      attacks: nAttacks,
      infoFindings: attacks.length - nAttacks,
      verdict:
        nAttacks === 0
          ? packets === 0
            ? 'no packets read'
            : 'no attack found'
          : attacksVerdict(nAttacks, top!, attackTargets(attacks)),
    },
    timeline: { resolution: per * 60, start: has ? isoWithOffset(first * 60, zone) : null, packets: cols[0]!, bytes: cols[1]!, tcp: cols[2]!, udp: cols[3]!, icmp: cols[4]!, other: cols[5]! },
    victims,
    attacks,
  };
}

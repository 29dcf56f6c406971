/**
 * Packet signatures, each a pure function of a window of PacketBuckets.
 *
 * Rates are per second over the part of the window that holds packets (at least 1 s):
 * captures are often shorter than a window (tcpdump for 10 seconds during the attack), and
 * averaging a 0.2-second capture over 60 seconds would hide the flood in it.
 *
 *   tcp.syn-flood          SYNs to one ip:port, most handshakes left half-open
 *   tcp.synack-reflection  SYN-ACKs arriving at an address that sent (almost) no SYNs
 *   tcp.conn-flood         one source holding many concurrent connections to one service
 *   tcp.port-scan (info)   one source sending SYNs to many (address, port) targets
 *   udp.amplification      large UDP datagrams from reflector ports that the victim never asked for
 *   udp.flood              UDP packets to one address
 *   icmp.flood             ICMP or ICMPv6 packets to one address
 *   net.bandwidth          bits per second to one address from several sources
 */
import { formatIp } from '../parsers/ip.js';
import { SERIES, VC } from '../partial/packet-partial.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { ipKey } from '../windows/bucket.js';
import { serviceKey, type PacketBucket, type ServiceAgg, type VictimAgg } from '../windows/packet-bucket.js';
import { round, severityFor, type Severity } from './finding.js';

export type PacketSignature =
  | 'tcp.syn-flood'
  | 'tcp.synack-reflection'
  | 'tcp.conn-flood'
  | 'tcp.port-scan'
  | 'udp.amplification'
  | 'udp.flood'
  | 'icmp.flood'
  | 'net.bandwidth';

export type PacketTargetKind = 'service' | 'victim' | 'source';

export interface PacketFinding {
  signature: PacketSignature;
  severity: Severity;
  kind: PacketTargetKind;
  key: string;
  words: [number, number, number, number];
  port: number;
  target: string;
  /** Packets per second (bits per second for net.bandwidth). */
  rate: number;
  /** Per-second activity level on the target that counts as part of the attack. */
  level: number;
  /** What the per-second level is measured on. */
  measure: 'syn' | 'packets' | 'udp' | 'icmp' | 'bytes' | 'amp' | 'synack' | 'bucket';
  evidence: Record<string, number | string>;
}

export interface PacketDetectConfig {
  window: number;
  step: number;
  lateness: number;
  quiet: number;
  /** tcp.syn-flood: SYNs per second to one ip:port, and the share left half-open. */
  synRate: number;
  halfOpenShare: number;
  /** udp.flood / icmp.flood: packets per second to one address. */
  udpRate: number;
  icmpRate: number;
  /** net.bandwidth: bits per second to one address, from at least this many sources. */
  bandwidthBps: number;
  bandwidthSources: number;
  /** udp.amplification: reflected datagrams per second, responses per request, reflectors. */
  ampRate: number;
  ampRatio: number;
  ampReflectors: number;
  /** tcp.synack-reflection: SYN-ACKs per second, and per SYN the victim sent. */
  synackRate: number;
  synackRatio: number;
  /** tcp.conn-flood: concurrent connections from one source to one service. */
  connections: number;
  /** tcp.port-scan: distinct (address, port) targets of one source's SYNs. */
  scanTargets: number;
}

export const DEFAULT_PACKET_DETECT: PacketDetectConfig = {
  window: 60,
  step: 10,
  lateness: 5,
  quiet: 3,
  synRate: 50,
  halfOpenShare: 0.5,
  udpRate: 1000,
  icmpRate: 200,
  bandwidthBps: 100e6,
  bandwidthSources: 5,
  ampRate: 10,
  ampRatio: 10,
  ampReflectors: 5,
  synackRate: 50,
  synackRatio: 5,
  connections: 100,
  scanTargets: 100,
};

/** A window of packet buckets, with the span of time that actually holds packets. */
export class PacketWindow {
  readonly buckets: readonly PacketBucket[];
  readonly end: number;
  readonly start: number;
  /** Seconds with packets in the window (≥ 1): the denominator of every rate. */
  readonly span: number;
  readonly packets: number;

  constructor(buckets: readonly PacketBucket[], lastStep: number, step: number, width: number) {
    this.buckets = buckets;
    this.end = (lastStep + 1) * step;
    this.start = this.end - width;
    let first = Infinity;
    let last = -Infinity;
    let packets = 0;
    for (const b of buckets) {
      first = Math.min(first, b.first);
      last = Math.max(last, b.last);
      packets += b.packets;
    }
    this.packets = packets;
    this.span = packets > 0 ? Math.min(width, Math.max(1, last - first)) : width;
  }
}

interface VictimSum {
  key: string;
  words: [number, number, number, number];
  c: Float64Array;
  parts: VictimAgg[];
}

function victims(w: PacketWindow): Map<string, VictimSum> {
  const out = new Map<string, VictimSum>();
  for (const b of w.buckets) {
    for (const [key, v] of b.victims) {
      let s = out.get(key);
      if (s === undefined) {
        s = { key, words: v.words, c: new Float64Array(v.c.length), parts: [] };
        out.set(key, s);
      }
      s.parts.push(v);
      for (let i = 0; i < v.c.length; i++) s.c[i]! += v.c[i]!;
    }
  }
  return out;
}

/** Distinct sources over the window: a union of the parts' sketches. */
function distinct(parts: readonly { sources: { mergeHllInto(h: HyperLogLog): void } }[]): number {
  const h = new HyperLogLog(14);
  for (const x of parts) x.sources.mergeHllInto(h);
  return Math.round(h.estimate());
}

/** Distinct sources of one kind of a victim's traffic (a SERIES row: reflectors, UDP, ICMP, SYN-ACK senders). */
function kindSources(parts: readonly VictimAgg[], row: number): number {
  const h = new HyperLogLog(14);
  for (const x of parts) x.kindSources[row]!.mergeHllInto(h);
  return Math.round(h.estimate());
}

const target = (words: readonly number[]) => formatIp(words[0]!, words[1]!, words[2]!, words[3]!);

export function detectPackets(w: PacketWindow, cfg: PacketDetectConfig): PacketFinding[] {
  const out: PacketFinding[] = [];
  if (w.packets === 0) return out;
  const span = w.span;

  // Services: SYN floods and connection floods.
  const svc = new Map<string, { words: [number, number, number, number]; port: number; syn: number; completed: number; few: number; synSources: number; parts: ServiceAgg[]; conn: number; connWords: [number, number, number, number] }>();
  for (const b of w.buckets) {
    for (const [key, s] of b.services) {
      let t = svc.get(key);
      if (t === undefined) {
        t = { words: s.words, port: s.port, syn: 0, completed: 0, few: 0, synSources: 0, parts: [], conn: 0, connWords: [0, 0, 0, 0] };
        svc.set(key, t);
      }
      t.syn += s.syn;
      t.completed += s.completed + (b.lateCompleted.get(key) ?? 0);
      t.few += s.fewSynSources;
      t.synSources += s.synSources;
      t.parts.push(s);
      if (s.maxConn > t.conn) {
        t.conn = s.maxConn;
        t.connWords = s.maxConnWords;
      }
    }
  }
  for (const [key, t] of [...svc.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const rate = t.syn / span;
    if (rate >= cfg.synRate) {
      const halfOpen = Math.max(0, 1 - t.completed / t.syn);
      if (halfOpen >= cfg.halfOpenShare) {
        const sources = distinct(t.parts);
        const fewShare = t.synSources > 0 ? t.few / t.synSources : 0;
        out.push({
          signature: 'tcp.syn-flood',
          severity: severityFor(rate, cfg.synRate),
          kind: 'service',
          key,
          words: t.words,
          port: t.port,
          target: `${target(t.words)}:${t.port}`,
          rate,
          level: Math.max(1, cfg.synRate / 2),
          measure: 'syn',
          evidence: {
            synRate: round(rate),
            halfOpenShare: round(halfOpen, 3),
            distinctSources: sources,
            sourcesWithOneOrTwoSyns: round(fewShare, 3),
            spoofingLikely: fewShare >= 0.8 && sources >= 100 ? 'yes' : 'no',
          },
        });
      }
    }
    if (t.conn >= cfg.connections) {
      out.push({
        signature: 'tcp.conn-flood',
        severity: severityFor(t.conn, cfg.connections),
        kind: 'source',
        key: `${ipKey(...t.connWords)}>${key}`,
        words: t.connWords,
        port: t.port,
        target: `${target(t.connWords)} → ${target(t.words)}:${t.port}`,
        rate: t.conn,
        level: 1,
        measure: 'bucket',
        evidence: { concurrentConnections: t.conn, limit: cfg.connections, service: `${target(t.words)}:${t.port}` },
      });
    }
  }

  // Victims: amplification, UDP/ICMP floods, SYN-ACK reflection, bandwidth.
  const vs = victims(w);
  for (const v of [...vs.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const c = v.c;
    const t = target(v.words);
    const base = { kind: 'victim' as const, key: v.key, words: v.words, port: 0, target: t };
    const ampRate = c[VC.AMP]! / span;
    let amplified = false;
    if (ampRate >= cfg.ampRate && c[VC.AMP]! >= cfg.ampRatio * (c[VC.REFLECTOR_REQUESTS]! + 1)) {
      const nReflectors = kindSources(v.parts, SERIES.AMP);
      if (nReflectors >= cfg.ampReflectors) {
        amplified = true;
        out.push({
          ...base,
          signature: 'udp.amplification',
          severity: severityFor(ampRate, cfg.ampRate * 10),
          rate: ampRate,
          level: Math.max(1, cfg.ampRate / 2),
          measure: 'amp',
          evidence: {
            reflectedPerSecond: round(ampRate),
            reflectedMbps: round(((c[VC.AMP_BYTES]! + 0) * 8) / span / 1e6, 3),
            requestsSent: c[VC.REFLECTOR_REQUESTS]!,
            reflectors: nReflectors,
            fragments: c[VC.FRAGMENTS]!,
          },
        });
      }
    }
    const udpRate = c[VC.UDP]! / span;
    if (!amplified && udpRate >= cfg.udpRate) {
      out.push({ ...base, signature: 'udp.flood', severity: severityFor(udpRate, cfg.udpRate), rate: udpRate, level: cfg.udpRate / 2, measure: 'udp', evidence: { udpPerSecond: round(udpRate), distinctSources: kindSources(v.parts, SERIES.UDP) } });
    }
    const icmpRate = c[VC.ICMP]! / span;
    if (icmpRate >= cfg.icmpRate) {
      out.push({ ...base, signature: 'icmp.flood', severity: severityFor(icmpRate, cfg.icmpRate), rate: icmpRate, level: cfg.icmpRate / 2, measure: 'icmp', evidence: { icmpPerSecond: round(icmpRate), distinctSources: kindSources(v.parts, SERIES.ICMP) } });
    }
    const saRate = c[VC.SYNACK_IN]! / span;
    if (saRate >= cfg.synackRate && c[VC.SYNACK_IN]! >= cfg.synackRatio * (c[VC.SYN_OUT]! + 1)) {
      out.push({
        ...base,
        signature: 'tcp.synack-reflection',
        severity: severityFor(saRate, cfg.synackRate),
        rate: saRate,
        level: Math.max(1, cfg.synackRate / 2),
        measure: 'synack',
        evidence: { synackPerSecond: round(saRate), synsSent: c[VC.SYN_OUT]!, distinctSources: kindSources(v.parts, SERIES.SYNACK) },
      });
    }
    const bps = (c[VC.BYTES]! * 8) / span;
    if (bps >= cfg.bandwidthBps) {
      const sources = distinct(v.parts);
      if (sources >= cfg.bandwidthSources) {
        out.push({ ...base, signature: 'net.bandwidth', severity: severityFor(bps, cfg.bandwidthBps), rate: bps, level: cfg.bandwidthBps / 8 / 2, measure: 'bytes', evidence: { mbps: round(bps / 1e6, 2), distinctSources: sources } });
      }
    }
  }

  // Scanners (info): many targets, few SYNs each.
  const sc = new Map<string, { words: [number, number, number, number]; syn: number; targets: number; ports: number }>();
  for (const b of w.buckets) {
    for (const [key, s] of b.scanners) {
      const t = sc.get(key);
      if (t === undefined) sc.set(key, { ...s });
      else {
        t.syn += s.syn;
        t.targets += s.targets;
        t.ports += s.ports;
      }
    }
  }
  for (const [key, s] of [...sc.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (s.targets < cfg.scanTargets) continue;
    out.push({
      signature: 'tcp.port-scan',
      severity: 'info',
      kind: 'source',
      key,
      words: s.words,
      port: 0,
      target: target(s.words),
      rate: s.syn / span,
      level: 1,
      measure: 'bucket',
      evidence: { targets: s.targets, ports: s.ports, syns: s.syn, synsPerTarget: round(s.syn / s.targets, 2) },
    });
  }
  return out;
}

export { serviceKey };

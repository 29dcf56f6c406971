/**
 * The main-thread writer for captures: folds PacketPartials in chunk order into step
 * buckets, matches handshakes across chunk boundaries, seals steps on the event-time
 * watermark and runs the packet signatures over each window, with the same alert
 * lifecycle as the log engine (open, update, close after quiet steps, reopen within a
 * window instead of flapping).
 */
import { hash64, hashWords } from '../sketches/hash.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { AlertBase } from '../detectors/alert-base.js';
import { SOURCE_SEED } from '../partial/log-folder.js';
import { PC, PC_N, SERIES, VC, type PacketPartial } from '../partial/packet-partial.js';
import { detectPackets, PacketWindow, type PacketDetectConfig, type PacketFinding, type PacketSignature, type PacketTargetKind } from '../detectors/packet.js';
import { ipKey } from './bucket.js';
import { PacketBucket, serviceKey, type VictimAgg } from './packet-bucket.js';
import { PendingHandshakes } from './pending-handshakes.js';
import { WindowedEngine, type AlertEvent } from './windowed-engine.js';
import { RateHistogram } from './rate-histogram.js';
import { RegularSources, TrafficHistory, type RegularSource } from '../detectors/regular.js';


export class PacketAlert extends AlertBase<PacketBucket> {
  declare signature: PacketSignature;
  readonly kind: PacketTargetKind;
  readonly port: number;
  readonly measure: PacketFinding['measure'];
  peakBps = 0;
  packets = 0;
  bytes = 0;
  /** SYN floods: of its SYNs, those whose handshake completed in the chunk they were in. */
  completed = 0;

  constructor(id: number, f: PacketFinding) {
    super(id, f, f.kind === 'source' ? 1 : 4096, 14);
    this.kind = f.kind;
    this.port = f.port;
    this.measure = f.measure;
  }

  /** activeSeconds, plus the peak bits per second of the active seconds. */
  private seconds(start: number, perSecond: Float64Array, bytes: Float64Array | null, level: number): boolean {
    if (!this.activeSeconds(start, perSecond, level)) return false;
    if (bytes !== null) for (let i = 0; i < perSecond.length; i++) if (perSecond[i]! >= level && bytes[i]! * 8 > this.peakBps) this.peakBps = bytes[i]! * 8;
    return true;
  }

  absorb(b: PacketBucket): void {
    if (this.absorbed.has(b.index)) return;
    this.absorbed.add(b.index);
    if (this.kind === 'service') {
      const s = b.services.get(this.key);
      if (s === undefined || !this.seconds(b.start, s.perSecondSyn, null, this.level)) return;
      this.packets += s.syn;
      this.completed += s.completed;
      this.bytes += s.bytes;
      const step = new HyperLogLog(14);
      s.sources.mergeHllInto(step);
      this.noteSources(b.start, Math.round(step.estimate()), b.step);
      s.sources.mergeHllInto(this.hll);
      s.sources.addSourcesTo(this.sources.summary, this.sources.legitSummary);
      for (const [c, n] of s.countries) this.countries.set(c, (this.countries.get(c) ?? 0) + n);
      return;
    }
    if (this.kind === 'victim') {
      const v = b.victims.get(this.key);
      if (v === undefined) return;
      const level = this.measure === 'bytes' ? this.level : Math.max(1, this.level);
      const row = { amp: SERIES.AMP, udp: SERIES.UDP, icmp: SERIES.ICMP, synack: SERIES.SYNACK } as const;
      const series =
        this.measure === 'bytes' ? v.perSecondBytes : this.measure in row ? v.series(row[this.measure as keyof typeof row]) : v.perSecondPackets;
      if (!this.seconds(b.start, series, v.perSecondBytes, level)) return;
      const counter = { packets: VC.PACKETS, udp: VC.UDP, icmp: VC.ICMP, amp: VC.AMP, synack: VC.SYNACK_IN, bytes: VC.PACKETS, syn: VC.PACKETS, bucket: VC.PACKETS }[this.measure];
      this.packets += v.c[counter]!;
      this.bytes += this.measure === 'amp' ? v.c[VC.AMP_BYTES]! : this.measure === 'udp' ? v.c[VC.UDP_BYTES]! : this.measure === 'icmp' ? v.c[VC.ICMP_BYTES]! : v.c[VC.BYTES]!;
      // The sources of the traffic measured (reflectors, UDP or ICMP senders…), not every client;
      // for bandwidth, of the kind that carried most of the step's bytes (every sender for TCP).
      const kind = this.measure in row ? row[this.measure as keyof typeof row] : this.measure === 'bytes' ? bandwidthKind(v) : -1;
      const from = kind >= 0 ? v.kindSources[kind]! : v.sources;
      const step = new HyperLogLog(14);
      from.mergeHllInto(step);
      this.noteSources(b.start, Math.round(step.estimate()), b.step);
      this.hll.merge(step);
      from.addSourcesTo(this.sources.summary);
      for (const [c, n] of v.countries) this.countries.set(c, (this.countries.get(c) ?? 0) + n);
      return;
    }
    // A source (scanner, connection flood): bucket resolution.
    const [w0, w1, w2, w3] = this.words;
    const sc = b.scanners.get(ipKey(w0, w1, w2, w3));
    const active = this.signature === 'tcp.port-scan' ? sc !== undefined : [...b.services.values()].some((s) => s.maxConn >= this.level && s.maxConnWords.join() === this.words.join());
    if (!active || !Number.isFinite(b.first)) return;
    this.start = Math.min(this.start, Math.floor(b.first));
    this.end = Math.max(this.end, Math.floor(b.last));
    if (sc !== undefined) this.packets += sc.syn;
    if (this.sources.summary.size === 0) {
      this.sources.summary.add(w0, w1, w2, w3, 1);
      hashWords(w0, w1, w2, w3, SOURCE_SEED);
      this.hll.add(hash64[0]!, hash64[1]!);
    }
  }
}

/**
 * The SERIES row whose sources a bandwidth alert takes: amplified responses, UDP or ICMP when
 * they carried most of the victim's bytes in the step (a UDP flood's senders, not the HTTPS
 * clients' ACKs beside it), else -1: every sender (TCP has no row of its own).
 */
function bandwidthKind(v: VictimAgg): number {
  const half = v.c[VC.BYTES]! / 2;
  if (v.c[VC.AMP_BYTES]! > half) return SERIES.AMP;
  if (v.c[VC.UDP_BYTES]! > half) return SERIES.UDP;
  if (v.c[VC.ICMP_BYTES]! > half) return SERIES.ICMP;
  return -1;
}

export interface VictimTotal {
  words: [number, number, number, number];
  packets: number;
  bytes: number;
  tcp: number;
  udp: number;
  icmp: number;
}

/** Live mode: alert events, and each window's end (epoch s), packets, length (s) and open alerts. */
export interface PacketEngineHooks {
  onAlert?: (type: AlertEvent, alert: PacketAlert) => void;
  onWindow?: (end: number, packets: number, seconds: number, openAlerts: number) => void;
}

export class PacketEngine extends WindowedEngine<PacketBucket, PacketFinding, PacketAlert> {
  readonly cfg: PacketDetectConfig;
  /** Open handshakes from earlier chunks, matched by later ACKs. */
  private readonly pending = new PendingHandshakes();
  readonly totals = new Float64Array(PC_N);
  latePackets = 0;
  /** Per minute: packets, bytes, tcp, udp, icmp, other. */
  readonly perMinute = new Map<number, Float64Array>();
  readonly allSources = new HyperLogLog(14);
  readonly victims = new Map<string, VictimTotal>();
  peakPps = 0;
  peakPpsAt = 0;
  peakBps = 0;
  handshakesCompletedAcrossChunks = 0;
  /** Buckets that have left the window: "before" for alerts opened later. */
  private readonly history = new TrafficHistory();
  private readonly regular = new RegularSources();
  /** Most concurrent connections per source and service, per chunk, in steps without an open alert. */
  readonly normalConnections = new RateHistogram();

  constructor(
    cfg: PacketDetectConfig,
    private readonly hooks: PacketEngineHooks = {},
  ) {
    super(cfg);
    this.cfg = cfg;
  }

  protected emit(type: AlertEvent, a: PacketAlert): void {
    this.hooks.onAlert?.(type, a);
  }

  protected afterWindow(s: number, inWindow: PacketBucket[]): void {
    if (this.hooks.onWindow === undefined) return;
    let packets = 0;
    for (const b of inWindow) packets += b.counters[PC.PACKETS]!;
    const end = (s + 1) * this.cfg.step;
    this.hooks.onWindow(end, packets, this.cfg.window, this.open.size);
  }

  add(p: PacketPartial): void {
    const step = this.cfg.step;
    // Handshakes whose ACK arrived in this chunk and whose SYN was in an earlier one.
    for (let i = 0; i < p.lateAck.length; i++) {
      const pend = this.pending.take(p.lateAck[i]! | 0);
      if (pend === null) continue;
      this.handshakesCompletedAcrossChunks++;
      const b = this.buckets.get(pend.step);
      if (b !== undefined) b.lateCompleted.set(pend.service, (b.lateCompleted.get(pend.service) ?? 0) + 1);
    }
    // Open SYNs name their service by (step, rank): look each service up once, not per SYN
    // (a spoofed flood leaves millions open).
    this.pending.trimServices();
    const byIndex = new Map(p.buckets.map((b) => [b.index, b]));
    const ids = new Map<number, number>();
    // A flood's open SYNs come in long runs of one (step, service): the last answer first.
    let lastSr = -1;
    let lastId = -1;
    for (let i = 0; i < p.openSyn.length; i++) {
      const step = p.openSynBucket[i]!;
      const rank = p.openSynService[i]!;
      const sr = step * 64 + rank;
      let id = lastId;
      if (sr !== lastSr) {
        let known = ids.get(sr);
        if (known === undefined) {
          const s = byIndex.get(step)?.services[rank];
          known = s === undefined ? -1 : this.pending.id(serviceKey([s.w0, s.w1, s.w2, s.w3], s.port));
          ids.set(sr, known);
        }
        id = lastId = known;
        lastSr = sr;
      }
      if (id >= 0) this.pending.addId(p.openSyn[i]!, step, id);
    }
    for (const bp of p.buckets) {
      for (let i = 0; i < PC_N; i++) this.totals[i]! += bp.counters[i]!;
      const base = bp.index * step;
      const late = this.isSealed(bp.index);
      for (let i = 0; i < step; i++) {
        const pk = bp.perSecondPackets[i]!;
        if (pk === 0) continue;
        this.note(base + i, pk, late);
        const m = Math.floor((base + i) / 60);
        let row = this.perMinute.get(m);
        if (row === undefined) {
          row = new Float64Array(6);
          this.perMinute.set(m, row);
        }
        row[0]! += pk;
        row[1]! += bp.perSecondBytes[i]!;
      }
      const m0 = Math.floor(base / 60);
      const row = this.perMinute.get(m0);
      if (row !== undefined) {
        row[2]! += bp.counters[PC.TCP]!;
        row[3]! += bp.counters[PC.UDP]!;
        row[4]! += bp.counters[PC.ICMP]!;
        row[5]! += bp.counters[PC.OTHER]! + bp.counters[PC.NON_IP]!;
      }
      if (late) {
        this.latePackets += bp.counters[PC.PACKETS]!;
        this.allSources.mergeBytes(bp.hll);
        continue;
      }
      let b = this.buckets.get(bp.index);
      if (b === undefined) {
        b = new PacketBucket(bp.index, step);
        this.buckets.set(bp.index, b);
      }
      b.add(bp);
    }
  }

  protected detect(inWindow: PacketBucket[], s: number): PacketFinding[] {
    return detectPackets(new PacketWindow(inWindow, s, this.cfg.step, this.cfg.window), this.cfg);
  }

  protected newAlert(f: PacketFinding, _s: number, inWindow: PacketBucket[]): PacketAlert {
    const a = new PacketAlert(this.nextId++, f);
    this.history.stamp(a);
    for (const b of inWindow) a.absorb(b);
    if (a.start === Infinity) {
      // No second reached the level on its own: the span of the window's packets.
      a.start = Math.floor(Math.min(...inWindow.map((b) => b.first)));
      a.end = Math.floor(Math.max(...inWindow.map((b) => b.last)));
      a.peakRate = f.rate;
      a.peakAt = a.start;
    }
    return a;
  }

  /** The site's regular sources so far (see detectors/regular.ts). */
  regularSources(): RegularSource[] {
    return this.regular.of(this.alerts);
  }

  protected onSeal(b: PacketBucket): void {
    this.foldTotals(b);
  }

  protected retire(b: PacketBucket): void {
    if (this.open.size === 0) for (const s of b.services.values()) if (s.maxConn > 0) this.normalConnections.add(s.maxConn);
    for (const v of b.victims.values()) {
      v.sources.addSourcesTo(this.history.sources);
      this.history.requests += v.c[VC.PACKETS]!;
      this.history.addCountries(v.countries);
    }
    this.history.endStep();
  }

  private foldTotals(b: PacketBucket): void {
    this.allSources.merge(b.hll);
    for (let i = 0; i < b.step; i++) {
      if (b.perSecondPackets[i]! > this.peakPps) {
        this.peakPps = b.perSecondPackets[i]!;
        this.peakPpsAt = b.start + i;
      }
      if (b.perSecondBytes[i]! * 8 > this.peakBps) this.peakBps = b.perSecondBytes[i]! * 8;
    }
    for (const [key, v] of b.victims) {
      let t = this.victims.get(key);
      if (t === undefined) {
        t = { words: v.words, packets: 0, bytes: 0, tcp: 0, udp: 0, icmp: 0 };
        this.victims.set(key, t);
      }
      t.packets += v.c[VC.PACKETS]!;
      t.bytes += v.c[VC.BYTES]!;
      t.tcp += v.c[VC.TCP]!;
      t.udp += v.c[VC.UDP]!;
      t.icmp += v.c[VC.ICMP]!;
    }
    if (this.victims.size > 4096) {
      const keep = [...this.victims.entries()].sort((x, y) => y[1].packets - x[1].packets || (x[0] < y[0] ? -1 : 1)).slice(0, 2048);
      this.victims.clear();
      for (const [k2, v] of keep) this.victims.set(k2, v);
    }
  }
}

/**
 * The main-thread writer for captures: folds PacketPartials in chunk order into step
 * buckets, matches handshakes across chunk boundaries, seals steps on the event-time
 * watermark and runs the packet signatures over each window, with the same alert
 * lifecycle as the log engine (open, update, close after quiet steps, reopen within a
 * window instead of flapping).
 */
import { hashHi, hashLo, hashWords } from '../sketches/hash.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { SpaceSaving, type TopEntry } from '../sketches/space-saving.js';
import { SOURCE_SEED } from '../partial/log-folder.js';
import { PC, PC_N, SERIES, VC, type PacketPartial } from '../partial/packet-partial.js';
import { SEVERITY_RANK, type Severity } from '../detectors/finding.js';
import { detectPackets, PacketWindow, type PacketDetectConfig, type PacketFinding, type PacketSignature, type PacketTargetKind } from '../detectors/packet.js';
import { ipKey } from './bucket.js';
import { PacketBucket, serviceKey } from './packet-bucket.js';
import { PendingHandshakes } from './pending-handshakes.js';


export class PacketAlert {
  readonly id: number;
  readonly signature: PacketSignature;
  readonly kind: PacketTargetKind;
  readonly key: string;
  readonly target: string;
  readonly words: [number, number, number, number];
  readonly port: number;
  readonly level: number;
  readonly measure: PacketFinding['measure'];
  severity: Severity;
  state: 'open' | 'closed' = 'open';
  start = Infinity;
  end = -Infinity;
  peakRate = 0;
  peakAt = 0;
  peakBps = 0;
  packets = 0;
  bytes = 0;
  maxWindowRate: number;
  evidence: Record<string, number | string>;
  quietSteps = 0;
  closedStep = -Infinity;
  readonly hll = new HyperLogLog(14);
  private sources: SpaceSaving;
  private frozen: TopEntry[] | null = null;
  private readonly absorbed = new Set<number>();

  constructor(id: number, f: PacketFinding) {
    this.id = id;
    this.signature = f.signature;
    this.kind = f.kind;
    this.key = f.key;
    this.target = f.target;
    this.words = f.words;
    this.port = f.port;
    this.level = f.level;
    this.measure = f.measure;
    this.severity = f.severity;
    this.maxWindowRate = f.rate;
    this.evidence = f.evidence;
    this.sources = new SpaceSaving(f.kind === 'source' ? 1 : 4096);
  }

  get isAttack(): boolean {
    return this.severity !== 'info';
  }

  update(f: PacketFinding): void {
    this.quietSteps = 0;
    if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[this.severity]) this.severity = f.severity;
    if (f.rate > this.maxWindowRate) {
      this.maxWindowRate = f.rate;
      this.evidence = f.evidence;
    }
  }

  freeze(): void {
    if (this.frozen !== null) return;
    this.frozen = this.sources.top(1000);
    this.sources = new SpaceSaving(1);
  }

  thaw(): void {
    if (this.frozen === null) return;
    this.sources = new SpaceSaving(this.kind === 'source' ? 1 : 4096);
    for (const e of this.frozen) this.sources.add(e.w0, e.w1, e.w2, e.w3, e.count, e.error);
    this.frozen = null;
  }

  topSources(n: number): TopEntry[] {
    return this.frozen !== null ? this.frozen.slice(0, n) : this.sources.top(n);
  }

  private seconds(start: number, perSecond: Float64Array, bytes: Float64Array | null, level: number): boolean {
    let any = false;
    for (let i = 0; i < perSecond.length; i++) {
      const c = perSecond[i]!;
      if (c < level) continue;
      any = true;
      const t = start + i;
      if (t < this.start) this.start = t;
      if (t > this.end) this.end = t;
      if (c > this.peakRate) {
        this.peakRate = c;
        this.peakAt = t;
      }
      if (bytes !== null && bytes[i]! * 8 > this.peakBps) this.peakBps = bytes[i]! * 8;
    }
    return any;
  }

  absorb(b: PacketBucket): void {
    if (this.absorbed.has(b.index)) return;
    this.absorbed.add(b.index);
    if (this.kind === 'service') {
      const s = b.services.get(this.key);
      if (s === undefined || !this.seconds(b.start, s.perSecondSyn, null, this.level)) return;
      this.packets += s.syn;
      this.bytes += s.bytes;
      s.sources.mergeHllInto(this.hll);
      s.sources.addSourcesTo(this.sources);
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
      if (this.measure === 'amp') v.mergeReflectorsInto(this.hll);
      else v.sources.mergeHllInto(this.hll);
      v.sources.addSourcesTo(this.sources);
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
    if (this.sources.size === 0) {
      this.sources.add(w0, w1, w2, w3, 1);
      hashWords(w0, w1, w2, w3, SOURCE_SEED);
      this.hll.add(hashHi, hashLo);
    }
  }
}

export interface VictimTotal {
  words: [number, number, number, number];
  packets: number;
  bytes: number;
  tcp: number;
  udp: number;
  icmp: number;
}

export class PacketEngine {
  readonly cfg: PacketDetectConfig;
  private readonly k: number;
  private readonly buckets = new Map<number, PacketBucket>();
  private sealedThrough = -Infinity;
  maxTime = -Infinity;
  minTime = Infinity;
  readonly alerts: PacketAlert[] = [];
  private readonly open = new Map<string, PacketAlert>();
  private readonly recentlyClosed = new Map<string, PacketAlert>();
  private nextId = 1;
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

  constructor(cfg: PacketDetectConfig) {
    this.cfg = cfg;
    this.k = cfg.window / cfg.step;
  }

  add(p: PacketPartial): void {
    const step = this.cfg.step;
    if (p.packets > 0) {
      this.minTime = Math.min(this.minTime, Math.floor(p.minTime));
      this.maxTime = Math.max(this.maxTime, Math.floor(p.maxTime));
    }
    // Handshakes whose ACK arrived in this chunk and whose SYN was in an earlier one.
    for (let i = 0; i < p.lateAck.length; i++) {
      const pend = this.pending.take(p.lateAck[i]!);
      if (pend === null) continue;
      this.handshakesCompletedAcrossChunks++;
      const b = this.buckets.get(pend.step);
      if (b !== undefined) b.lateCompleted.set(pend.service, (b.lateCompleted.get(pend.service) ?? 0) + 1);
    }
    const byIndex = new Map(p.buckets.map((b) => [b.index, b]));
    for (let i = 0; i < p.openSyn.length; i++) {
      const s = byIndex.get(p.openSynBucket[i]!)?.services[p.openSynService[i]!];
      if (s !== undefined) this.pending.add(p.openSyn[i]!, p.openSynBucket[i]!, serviceKey([s.w0, s.w1, s.w2, s.w3], s.port));
    }
    for (const bp of p.buckets) {
      for (let i = 0; i < PC_N; i++) this.totals[i]! += bp.counters[i]!;
      const base = bp.index * step;
      for (let i = 0; i < step; i++) {
        const pk = bp.perSecondPackets[i]!;
        if (pk === 0) continue;
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
      if (bp.index <= this.sealedThrough) {
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

  advance(): void {
    const wm = this.maxTime - this.cfg.lateness;
    this.sealThrough(Math.floor((wm + 1) / this.cfg.step) - 1);
  }

  finish(): void {
    if (this.maxTime > -Infinity) this.sealThrough(Math.floor(this.maxTime / this.cfg.step) + this.k);
    for (const a of [...this.open.values()]) this.close(a);
  }

  private sealThrough(target: number): void {
    if (this.sealedThrough === -Infinity) {
      if (this.buckets.size === 0) return;
      this.sealedThrough = Math.min(...this.buckets.keys()) - 1;
    }
    let s = this.sealedThrough + 1;
    while (s <= target) {
      if (this.open.size === 0 && ![...Array(this.k).keys()].some((d) => this.buckets.has(s - d))) {
        let next = Infinity;
        for (const i of this.buckets.keys()) if (i >= s && i < next) next = i;
        const jumpTo = Math.min(next - 1, target);
        if (jumpTo >= s) {
          this.sealedThrough = jumpTo;
          s = jumpTo + 1;
          continue;
        }
      }
      this.seal(s);
      s++;
    }
  }

  private seal(s: number): void {
    const cur = this.buckets.get(s);
    if (cur !== undefined) this.foldTotals(cur);
    const inWindow: PacketBucket[] = [];
    for (let i = s - this.k + 1; i <= s; i++) {
      const b = this.buckets.get(i);
      if (b !== undefined) inWindow.push(b);
    }
    const view = new PacketWindow(inWindow, s, this.cfg.step, this.cfg.window);
    const fired = new Set<string>();
    for (const f of detectPackets(view, this.cfg)) {
      const id = `${f.signature}|${f.key}`;
      fired.add(id);
      let a = this.open.get(id);
      const reopen = a === undefined ? this.recentlyClosed.get(id) : undefined;
      if (reopen !== undefined) {
        this.recentlyClosed.delete(id);
        reopen.state = 'open';
        reopen.thaw();
        reopen.update(f);
        for (const b of inWindow) reopen.absorb(b);
        this.open.set(id, reopen);
      } else if (a === undefined) {
        a = new PacketAlert(this.nextId++, f);
        for (const b of inWindow) a.absorb(b);
        if (a.start === Infinity) {
          // No second reached the level on its own: the span of the window's packets.
          const first = Math.min(...inWindow.map((b) => b.first));
          const last = Math.max(...inWindow.map((b) => b.last));
          a.start = Math.floor(first);
          a.end = Math.floor(last);
          a.peakRate = f.rate;
          a.peakAt = a.start;
        }
        this.open.set(id, a);
        this.alerts.push(a);
      } else {
        a.update(f);
        if (cur !== undefined) a.absorb(cur);
      }
    }
    for (const [id, a] of this.open) {
      if (fired.has(id)) continue;
      if (cur !== undefined) a.absorb(cur);
      if (++a.quietSteps >= this.cfg.quiet) this.close(a);
    }
    for (const [id, a] of this.recentlyClosed) if (s - a.closedStep >= this.k) this.recentlyClosed.delete(id);
    const leaving = this.buckets.get(s - this.k + 1);
    if (leaving !== undefined) this.buckets.delete(leaving.index);
    this.sealedThrough = s;
  }

  private close(a: PacketAlert): void {
    a.state = 'closed';
    a.freeze();
    a.closedStep = this.sealedThrough + 1;
    const id = `${a.signature}|${a.key}`;
    this.open.delete(id);
    this.recentlyClosed.set(id, a);
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

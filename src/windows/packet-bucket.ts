/**
 * One step of a capture as merged on the main thread: per-second packets and bytes,
 * protocol counters, and per-victim / per-service / per-scanner aggregates folded from
 * every chunk's PacketBucketPartial. Bounded: at most MAX_VICTIMS victims and
 * MAX_SERVICES services are kept per step (the smallest are pruned).
 */
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { PC_N, SERIES, SERIES_N, VC, VC_N, type PacketBucketPartial, type ServiceDetail, type VictimDetail } from '../partial/packet-partial.js';
import { ipKey, LazySources, NO_HLL } from './bucket.js';
import { addHist } from '../geo/country-code.js';
import { Arena } from './arena.js';

const MAX_VICTIMS = 64;
const MAX_SERVICES = 64;

const NO_WORDS = new Uint32Array(0);
const NO_COUNTS = new Float64Array(0);

export class VictimAgg {
  readonly words: [number, number, number, number];
  readonly c: Float64Array;
  readonly perSecondPackets: Float64Array;
  readonly perSecondBytes: Float64Array;
  readonly perSecondKind: Float64Array;
  readonly sources: LazySources;
  /**
   * By SERIES row: the sources of the traffic a victim signature measures (amplified
   * responses, UDP, ICMP, SYN-ACKs), so that its alert names them and not every client of
   * the victim. AMP's sketch is the reflectors'.
   */
  readonly kindSources: LazySources[];
  readonly countries = new Map<number, number>();
  /** `arena`: the step's (see Arena). */
  constructor(d: VictimDetail, step: number, arena: Arena) {
    this.words = [d.w0, d.w1, d.w2, d.w3];
    this.c = arena.f64(VC_N);
    this.perSecondPackets = arena.f64(step);
    this.perSecondBytes = arena.f64(step);
    this.perSecondKind = arena.f64(step * SERIES_N);
    this.sources = new LazySources(14, arena);
    this.kindSources = Array.from({ length: SERIES_N }, () => new LazySources(14, arena));
  }
  get count(): number {
    return this.c[0]!;
  }
  /** One row of perSecondKind (SERIES.*). */
  series(row: number): Float64Array {
    const n = this.perSecondPackets.length;
    return this.perSecondKind.subarray(row * n, (row + 1) * n);
  }
  add(d: VictimDetail): void {
    for (let i = 0; i < VC_N; i++) this.c[i]! += d.c[i]!;
    for (let i = 0; i < this.perSecondPackets.length; i++) {
      this.perSecondPackets[i]! += d.perSecondPackets[i]!;
      this.perSecondBytes[i]! += d.perSecondBytes[i]!;
    }
    for (let i = 0; i < this.perSecondKind.length; i++) this.perSecondKind[i]! += d.perSecondKind[i]!;
    this.sources.push(d.srcWords, d.srcCounts, d.hll);
    for (let r = 0; r < SERIES_N; r++) {
      const words = d.kindWords[r] ?? NO_WORDS;
      const counts = d.kindCounts[r] ?? NO_COUNTS;
      const hll = r === SERIES.AMP ? (d.c[VC.AMP]! > 0 ? d.reflectorHll : NO_HLL) : (d.kindHll[r - 1] ?? NO_HLL);
      if (counts.length > 0 || hll.length > 0) this.kindSources[r]!.push(words, counts, hll);
    }
    if (d.countries) addHist(this.countries, d.countries);
  }
}

export class ServiceAgg {
  readonly words: [number, number, number, number];
  readonly port: number;
  packets = 0;
  bytes = 0;
  syn = 0;
  synack = 0;
  completed = 0;
  fewSynSources = 0;
  synSources = 0;
  readonly perSecondSyn: Float64Array;
  readonly sources: LazySources;
  /** Most concurrent connections one source held in one chunk, and that source. */
  maxConn = 0;
  maxConnWords: [number, number, number, number] = [0, 0, 0, 0];
  readonly countries = new Map<number, number>();
  /** `arena`: the step's (see Arena). */
  constructor(d: ServiceDetail, step: number, arena: Arena) {
    this.words = [d.w0, d.w1, d.w2, d.w3];
    this.port = d.port;
    this.perSecondSyn = arena.f64(step);
    this.sources = new LazySources(14, arena);
  }
  get count(): number {
    return this.syn + this.packets;
  }
  add(d: ServiceDetail): void {
    this.packets += d.packets;
    this.bytes += d.bytes;
    this.syn += d.syn;
    this.synack += d.synack;
    this.completed += d.completed;
    this.fewSynSources += d.fewSynSources;
    this.synSources += d.synSources;
    for (let i = 0; i < this.perSecondSyn.length; i++) this.perSecondSyn[i]! += d.perSecondSyn[i]!;
    if (d.syn > 0) this.sources.push(d.srcWords, d.srcCounts, d.hll, d.srcCompleted);
    if (d.countries) addHist(this.countries, d.countries);
    if (d.connCounts.length > 0 && d.connCounts[0]! > this.maxConn) {
      this.maxConn = d.connCounts[0]!;
      this.maxConnWords = [d.connWords[0]!, d.connWords[1]!, d.connWords[2]!, d.connWords[3]!];
    }
  }
}

export interface ScannerAgg {
  words: [number, number, number, number];
  syn: number;
  targets: number;
  ports: number;
}

export function serviceKey(w: readonly number[], port: number): string {
  return `${ipKey(w[0]!, w[1]!, w[2]!, w[3]!)}:${port}`;
}

export class PacketBucket {
  readonly index: number;
  readonly step: number;
  readonly perSecondPackets: Float64Array;
  readonly perSecondBytes: Float64Array;
  readonly counters = new Float64Array(PC_N);
  readonly hll = new HyperLogLog(14);
  first = Infinity;
  last = -Infinity;
  readonly victims = new Map<string, VictimAgg>();
  readonly services = new Map<string, ServiceAgg>();
  readonly scanners = new Map<string, ScannerAgg>();
  /** Handshakes of this step completed in a later chunk (matched by the engine). */
  readonly lateCompleted = new Map<string, number>();
  /** What the step's victims and services keep (see Arena). */
  private readonly arena = new Arena();

  constructor(index: number, step: number) {
    this.index = index;
    this.step = step;
    this.perSecondPackets = new Float64Array(step);
    this.perSecondBytes = new Float64Array(step);
  }

  get start(): number {
    return this.index * this.step;
  }

  get packets(): number {
    return this.counters[0]!;
  }

  add(p: PacketBucketPartial): void {
    for (let i = 0; i < PC_N; i++) this.counters[i]! += p.counters[i]!;
    for (let i = 0; i < this.step; i++) {
      this.perSecondPackets[i]! += p.perSecondPackets[i]!;
      this.perSecondBytes[i]! += p.perSecondBytes[i]!;
    }
    this.hll.mergeBytes(p.hll);
    this.first = Math.min(this.first, p.first);
    this.last = Math.max(this.last, p.last);
    for (const d of p.victims) {
      const key = ipKey(d.w0, d.w1, d.w2, d.w3);
      let v = this.victims.get(key);
      if (v === undefined) {
        v = new VictimAgg(d, this.step, this.arena);
        this.victims.set(key, v);
      }
      v.add(d);
    }
    if (this.victims.size > MAX_VICTIMS * 2) prune(this.victims, MAX_VICTIMS);
    for (const d of p.services) {
      const key = serviceKey([d.w0, d.w1, d.w2, d.w3], d.port);
      let s = this.services.get(key);
      if (s === undefined) {
        s = new ServiceAgg(d, this.step, this.arena);
        this.services.set(key, s);
      }
      s.add(d);
    }
    if (this.services.size > MAX_SERVICES * 2) prune(this.services, MAX_SERVICES);
    for (const d of p.scanners) {
      const key = ipKey(d.w0, d.w1, d.w2, d.w3);
      const s = this.scanners.get(key);
      if (s === undefined) this.scanners.set(key, { words: [d.w0, d.w1, d.w2, d.w3], syn: d.syn, targets: d.targets, ports: d.ports });
      else {
        s.syn += d.syn;
        s.targets += d.targets;
        s.ports += d.ports;
      }
    }
  }
}

function prune<T extends { count: number }>(m: Map<string, T>, keep: number): void {
  const sorted = [...m.entries()].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
  m.clear();
  for (const [k, v] of sorted.slice(0, keep)) m.set(k, v);
}

/**
 * Worker-side fold of one capture chunk into a PacketPartial. Same two-pass shape as the
 * log folder: pass 1 decodes every packet into the reused PacketRecord, interns addresses
 * (one table for sources and destinations, so a victim's own requests count on the same
 * slot), services (address, TCP port) and handshake 4-tuples, and stores per-packet
 * columns in typed arrays; pass 2, per step, counts exactly and keeps the detail of the
 * hottest victims, services and scanners.
 *
 * Handshakes: a pure SYN opens a 4-tuple; the client's first pure ACK on that tuple
 * completes it. Tuples still open at the end of the chunk, and ACKs whose SYN was in an
 * earlier chunk, go back as hashes for the merger to match across chunk boundaries.
 */
import type { CaptureContext } from '../framing/captures.js';
import { PacketRecord, PROTO, TCP_FLAG } from '../parsers/packet/decode.js';
import { walkChunk } from '../parsers/packet/records.js';
import { hash64, hashWords } from '../sketches/hash.js';
import { SOURCE_SEED } from './log-folder.js';
import { PC, PC_N, SERIES, SERIES_N, VC, VC_N, type PacketBucketPartial, type PacketPartial, type ScannerDetail, type ServiceDetail, type VictimDetail } from './packet-partial.js';
import { GrowableF64, GrowableI32, groupByBucket } from './growable.js';
import { topPairs, topSlots } from './top.js';
import { SlotCountries } from './slot-countries.js';
import { copyKey, KeyTable, PairCounter, SlotHll } from './tables.js';

/** UDP source ports of services abused as reflectors (CISA/US-CERT TA14-017A and later). */
export const REFLECTOR_PORTS: readonly number[] = [
  17, 19, 53, 69, 111, 123, 137, 161, 389, 427, 500, 520, 623, 1434, 1900, 3283, 3702, 4500, 5060, 5093, 5351, 5353, 5683, 10001, 11211, 17185, 27015, 30718, 32414, 33848, 37810,
];
const REFLECTOR = new Uint8Array(65536);
for (const p of REFLECTOR_PORTS) REFLECTOR[p] = 1;
/** A reflected response worth counting as amplification is at least this long on the wire. */
export const AMP_MIN_BYTES = 100;

const EMPTY_HLL = new Uint8Array(0);
/** Per chunk-step: victims and services with detail; only the heaviest victims carry source lists. */
const LIMITS = { victims: 32, victimSources: 8, services: 32, scanners: 8, sources: 256, lateAcks: 65536 } as const;
const TUPLE_SEED = 0x70b1e;

// Per-packet flags (column rFlags).
const F_SYN = 1; // pure SYN
const F_SYNACK = 2;
const F_COMPLETES = 4; // the ACK that completes a handshake seen in this chunk
const F_AMP = 8; // large UDP from a reflector port
const F_REFL_REQ = 16; // UDP to a reflector port
const F_FRAG = 32; // non-first fragment
const F_NEW_TARGET = 64; // SYN to a (address, port) this source had not hit in this bucket
const F_NEW_PORT = 128;
const F_NEW_CONN = 256; // first packet of an established (src, service, source port) in this bucket

export class PacketFolder {
  private readonly step: number;
  private readonly r = new PacketRecord();
  private readonly ipT = new KeyTable(4096);
  private readonly svcT = new KeyTable(1024);
  private readonly tupT = new KeyTable(4096);
  private readonly seenT = new KeyTable(4096);
  private readonly ipHash = new GrowableI32(8192);
  private readonly svcIp = new GrowableI32(2048);
  private readonly svcPort = new GrowableI32(2048);
  private readonly tupState = new GrowableI32(8192); // service slot + 1 while open, -1 once completed
  private readonly tupHash = new GrowableI32(8192);
  // Per-packet columns.
  private readonly cBucket = new GrowableI32(1 << 14);
  private readonly cSec = new GrowableI32(1 << 14);
  private readonly cSrc = new GrowableI32(1 << 14);
  private readonly cDst = new GrowableI32(1 << 14);
  private readonly cSvc = new GrowableI32(1 << 14);
  private readonly cProto = new GrowableI32(1 << 14);
  private readonly cFlags = new GrowableI32(1 << 14);
  private readonly cLen = new GrowableI32(1 << 14);
  private readonly order = new GrowableI32(1 << 14);
  // Per-bucket scratch, slot-indexed.
  private readonly vc = new GrowableF64(); // VC_N per ip slot
  private readonly svcSyn = new GrowableF64();
  private readonly svcPk = new GrowableF64();
  private readonly svcBytes = new GrowableF64();
  private readonly svcSa = new GrowableF64();
  private readonly svcDone = new GrowableF64();
  private readonly scSyn = new GrowableF64();
  private readonly scTargets = new GrowableF64();
  private readonly scPorts = new GrowableF64();
  private readonly touchedIp = new GrowableI32(8192);
  private readonly touchedSvc = new GrowableI32(2048);
  /** Per-bucket "touched" marks of addresses and services (-1 = not yet), reset after each bucket. */
  private readonly ipTouched = new GrowableI32(8192, -1);
  private readonly svcTouched = new GrowableI32(2048, -1);
  // Per-bucket ranks of victims and services, and the bucket's distinct sources (first-seen
  // order): reused scratch, reset after each bucket (a fresh Int32Array of every address
  // and a Set insert per packet were most of the per-bucket garbage in a spoofed flood).
  private readonly victimRank = new GrowableI32(8192, -1);
  private readonly serviceRank = new GrowableI32(2048, -1);
  private readonly srcMark = new GrowableI32(8192, -1);
  private readonly touchedSrc = new GrowableI32(8192);
  private readonly touchedDst = new GrowableI32(8192);
  private readonly received = new GrowableF64(8192);
  private readonly lateAckScratch = new GrowableI32(8192);
  private readonly openSynScratch = new GrowableI32(8192);
  private readonly openSvcScratch = new GrowableI32(8192);
  private readonly pairVS = new PairCounter();
  private readonly pairVR = new PairCounter();
  /** Sources of a victim's UDP, ICMP and SYN-ACK packets: rank victim·3 + kind, top victims only. */
  private readonly pairVK = new PairCounter();
  /** Service × SYN source; second count: its handshakes completed (the client's ACK seen). */
  private readonly pairSS = new PairCounter(true);
  private readonly pairConn = new PairCounter();
  private readonly hll = new SlotHll(8192);

  /** Countries of the interned addresses; null without geolocation. */
  private readonly countries: SlotCountries | null;

  constructor(step: number, geo: { countryDb?: string } | null = null, countryBytes?: Uint8Array) {
    this.step = step;
    this.countries = geo === null ? null : new SlotCountries(this.ipT, geo, countryBytes);
  }

  /** The chunk's first and last packet time (see fold). */
  private readonly span = new Float64Array(2);

  /**
   * `records`: how many packet records the chunk holds, as its framer counted them; the per-packet
   * columns are sized by it (without it, for the worst case: a record every 16 bytes, ~6× what a
   * real capture needs, 2.6 MiB of columns a 1 MiB chunk). Should the chunk hold more, it is
   * folded again sized for the worst case.
   */
  fold(bytes: Uint8Array, ctx: CaptureContext, seq: number, records?: number): PacketPartial {
    const step = this.step;
    const r = this.r;
    this.countries?.reset();
    this.ipT.clear();
    this.svcT.clear();
    this.tupT.clear();
    this.seenT.clear();
    const worst = (bytes.length >>> 4) + 16; // every record has ≥ 16 header bytes
    const maxRecs = records === undefined ? worst : Math.min(records + 16, worst);
    const cBucket = this.cBucket.ensure(maxRecs);
    const cSec = this.cSec.ensure(maxRecs);
    const cSrc = this.cSrc.ensure(maxRecs);
    const cDst = this.cDst.ensure(maxRecs);
    const cSvc = this.cSvc.ensure(maxRecs);
    const cProto = this.cProto.ensure(maxRecs);
    const cFlags = this.cFlags.ensure(maxRecs);
    const cLen = this.cLen.ensure(maxRecs);

    const bucketIndex: number[] = [];
    const bPk: Float64Array[] = [];
    const bBy: Float64Array[] = [];
    const bCtr: Float64Array[] = [];
    const bFirst: number[] = [];
    const bLast: number[] = [];
    const bRecs: number[] = [];
    const localOf = new Map<number, number>();
    let lastBi = NaN;
    let lastLocal = -1;
    let n = 0;
    // The per-packet callback below runs as its own function: numbers it shares with fold
    // live in a context, where storing a double (a time) or a uint32 past 2^31 allocates a
    // heap number each time. So the time span goes in a typed array, and addresses and
    // hash halves cross calls as int32 (`| 0`; same bits, and the tables compare `>>> 0`):
    // 372 → 177 MiB allocated and 0.60 → 0.51 µs a packet (fold alone, 1.5M packets).
    const span = this.span;
    span[0] = Infinity;
    span[1] = -Infinity;
    // Lists that can hold most of a chunk's packets go into reused scratch, not arrays grown
    // by push (a spoofed flood's open SYNs, a busy link's first ACKs: ~100 MiB of garbage).
    const lateAck = this.lateAckScratch.ensure(Math.min(maxRecs, LIMITS.lateAcks));
    let nLate = 0;

    const packets = walkChunk(bytes, ctx, r, () => {
      const t = r.time;
      if (t < span[0]!) span[0] = t;
      if (t > span[1]!) span[1] = t;
      const sec = Math.floor(t);
      const bi = Math.floor(sec / step);
      let local: number;
      if (bi === lastBi) local = lastLocal;
      else {
        const f = localOf.get(bi);
        if (f === undefined) {
          local = bucketIndex.length;
          localOf.set(bi, local);
          bucketIndex.push(bi);
          bPk.push(new Float64Array(step));
          bBy.push(new Float64Array(step));
          bCtr.push(new Float64Array(PC_N));
          bFirst.push(t);
          bLast.push(t);
          bRecs.push(0);
        } else local = f;
        lastBi = bi;
        lastLocal = local;
      }
      if (t < bFirst[local]!) bFirst[local] = t;
      if (t > bLast[local]!) bLast[local] = t;
      const s = sec - bi * step;
      const len = r.origLen;
      bPk[local]![s]!++;
      bBy[local]![s]! += len;
      const ctr = bCtr[local]!;
      ctr[PC.PACKETS]!++;
      ctr[PC.BYTES]! += len;
      if (r.truncated) ctr[PC.TRUNCATED]!++;
      if (r.unknownLink) ctr[PC.UNKNOWN_LINK]!++;
      if (r.ipVersion === 0) {
        ctr[PC.NON_IP]!++;
        return;
      }
      ctr[r.ipVersion === 4 ? PC.IPV4 : PC.IPV6]!++;
      const proto = r.proto;
      ctr[proto === PROTO.TCP ? PC.TCP : proto === PROTO.UDP ? PC.UDP : proto === PROTO.ICMP || proto === PROTO.ICMPV6 ? PC.ICMP : PC.OTHER]!++;
      let flags = 0;
      if (r.fragment) {
        ctr[PC.FRAGMENTS]!++;
        if (!r.l4) flags |= F_FRAG;
      }
      const src = this.ip(r.s0 | 0, r.s1 | 0, r.s2 | 0, r.s3 | 0);
      const dst = this.ip(r.d0 | 0, r.d1 | 0, r.d2 | 0, r.d3 | 0);
      let svc = -1;
      if (r.l4 && proto === PROTO.TCP) {
        const f = r.tcpFlags;
        const sa = f & (TCP_FLAG.SYN | TCP_FLAG.ACK);
        if (sa === TCP_FLAG.SYN) {
          ctr[PC.SYN]!++;
          flags |= F_SYN;
          svc = this.service(dst, r.dport);
          // Open the handshake (a retransmitted SYN keeps the same tuple).
          const tu = this.tuple(src, dst, r.sport, r.dport);
          const st = this.tupState.ensure(tu + 1);
          if (this.tupT.fresh) st[tu] = svc + 1;
          // Scan bookkeeping: new (address, port) target / new port for this source in this bucket.
          this.seenT.intern(src, dst, r.dport, local);
          if (this.seenT.fresh) flags |= F_NEW_TARGET;
          this.seenT.intern(src, 0x7fffffff, r.dport, local);
          if (this.seenT.fresh) flags |= F_NEW_PORT;
        } else if (sa === (TCP_FLAG.SYN | TCP_FLAG.ACK)) {
          ctr[PC.SYNACK]!++;
          flags |= F_SYNACK;
          svc = this.svcT.find(src, r.sport, 0, 0);
        } else if ((f & TCP_FLAG.ACK) !== 0 && (f & TCP_FLAG.RST) === 0) {
          svc = this.svcT.find(dst, r.dport, 0, 0);
          const tu = this.tupT.find(this.tupKey(src, dst, r.sport, r.dport), hash64[1]! | 0, 0, 0);
          if (tu >= 0) {
            const st = this.tupState.a;
            if (st[tu]! > 0) {
              flags |= F_COMPLETES;
              svc = st[tu]! - 1;
              st[tu] = -1;
            }
          } else {
            // First ACK of a tuple with no SYN here: maybe its SYN was in an earlier chunk.
            const tu2 = this.tuple(src, dst, r.sport, r.dport);
            this.tupState.ensure(tu2 + 1)[tu2] = -1;
            if (nLate < LIMITS.lateAcks) lateAck[nLate++] = this.tupHash.a[tu2]!;
          }
          if (svc >= 0) {
            // Concurrent connections: distinct source ports per (source, service) in this bucket.
            this.seenT.intern(src, svc | 0x40000000, r.sport, local);
            if (this.seenT.fresh) flags |= F_NEW_CONN;
          }
        }
      } else if (r.l4 && proto === PROTO.UDP) {
        if (REFLECTOR[r.sport] === 1 && len >= AMP_MIN_BYTES) flags |= F_AMP;
        if (REFLECTOR[r.dport] === 1) flags |= F_REFL_REQ;
      }
      cBucket[n] = local;
      cSec[n] = s;
      cSrc[n] = src;
      cDst[n] = dst;
      cSvc[n] = svc;
      cProto[n] = proto;
      cFlags[n] = flags;
      cLen[n] = len;
      bRecs[local]!++;
      n++;
    });

    // More records than the framer said: the columns dropped some; again, sized for any chunk.
    if (n > maxRecs) return this.fold(bytes, ctx, seq);

    // Handshakes still open at the end of the chunk.
    const openSyn = this.openSynScratch.ensure(this.tupT.size);
    const openSynSvc = this.openSvcScratch.ensure(this.tupT.size);
    let nOpen = 0;
    const st = this.tupState.a;
    for (let tu = 0; tu < this.tupT.size; tu++) {
      if (st[tu]! > 0) {
        openSyn[nOpen] = this.tupHash.a[tu]!;
        openSynSvc[nOpen++] = st[tu]! - 1;
      }
    }

    const nb = bucketIndex.length;
    const starts = groupByBucket(n, cBucket, bRecs, this.order.ensure(n));
    const buckets: PacketBucketPartial[] = [];
    // Service slot → (bucket-local index, rank) for the open SYNs, filled by foldBucket.
    const svcRankIn = new Map<number, [number, number]>();
    for (let k = 0; k < nb; k++) {
      buckets.push(this.foldBucket(bucketIndex[k]!, bPk[k]!, bBy[k]!, bCtr[k]!, bFirst[k]!, bLast[k]!, starts[k]!, starts[k + 1]!, k, svcRankIn));
    }
    // Open SYNs refer to a service by (bucket, rank); those of services without detail are dropped.
    let kept = 0;
    for (let i = 0; i < nOpen; i++) if (svcRankIn.has(openSynSvc[i]!)) kept++;
    const osH = new Uint32Array(kept);
    const osB = new Int32Array(kept);
    const osS = new Int32Array(kept);
    for (let i = 0, k = 0; i < nOpen; i++) {
      const at = svcRankIn.get(openSynSvc[i]!);
      if (at === undefined) continue;
      osH[k] = openSyn[i]!;
      osB[k] = bucketIndex[at[0]]!;
      osS[k++] = at[1];
    }
    // By time, in place: a permutation of indices made by map() met an array of another map
    // at the sixth chunk of the bench capture and threw fold back to the interpreter.
    buckets.sort((x, y) => x.index - y.index);
    return {
      seq,
      packets,
      minTime: packets > 0 ? span[0]! : 0,
      maxTime: packets > 0 ? span[1]! : 0,
      buckets,
      openSyn: osH,
      openSynBucket: osB,
      openSynService: osS,
      lateAck: new Uint32Array(lateAck.subarray(0, nLate)),
    };
  }

  private ip(w0: number, w1: number, w2: number, w3: number): number {
    const s = this.ipT.intern(w0, w1, w2, w3);
    if (this.ipT.fresh) {
      hashWords(w0, w1, w2, w3, SOURCE_SEED);
      const h = this.ipHash.ensure((s + 1) * 2);
      h[s * 2] = hash64[0]!;
      h[s * 2 + 1] = hash64[1]!;
    }
    return s;
  }

  private service(ipSlot: number, port: number): number {
    const s = this.svcT.intern(ipSlot, port, 0, 0);
    if (this.svcT.fresh) {
      this.svcIp.ensure(s + 1)[s] = ipSlot;
      this.svcPort.ensure(s + 1)[s] = port;
    }
    return s;
  }

  /** 64-bit tuple hash into hash64; returns its high half (the table key's first word). */
  private tupKey(src: number, dst: number, sport: number, dport: number): number {
    const h = this.ipHash.a;
    hashWords(h[src * 2]!, h[dst * 2]!, (sport << 16) | dport, h[src * 2 + 1]! ^ h[dst * 2 + 1]!, TUPLE_SEED);
    return hash64[0]! | 0;
  }

  private tuple(src: number, dst: number, sport: number, dport: number): number {
    const hi = this.tupKey(src, dst, sport, dport);
    const lo = hash64[1]! | 0;
    const t = this.tupT.intern(hi, lo, 0, 0);
    if (this.tupT.fresh) this.tupHash.ensure(t + 1)[t] = hi ^ lo;
    return t;
  }

  private foldBucket(
    index: number,
    perSecondPackets: Float64Array,
    perSecondBytes: Float64Array,
    counters: Float64Array,
    first: number,
    last: number,
    from: number,
    to: number,
    local: number,
    svcRankIn: Map<number, [number, number]>,
  ): PacketBucketPartial {
    const step = this.step;
    const order = this.order.a;
    const cSrc = this.cSrc.a;
    const cDst = this.cDst.a;
    const cSvc = this.cSvc.a;
    const cProto = this.cProto.a;
    const cFlags = this.cFlags.a;
    const cLen = this.cLen.a;
    const cSec = this.cSec.a;
    const nIp = this.ipT.size;
    const nSvc = this.svcT.size;
    const vc = this.vc.ensure(nIp * VC_N);
    const svcSyn = this.svcSyn.ensure(nSvc);
    const svcPk = this.svcPk.ensure(nSvc);
    const svcBytes = this.svcBytes.ensure(nSvc);
    const svcSa = this.svcSa.ensure(nSvc);
    const svcDone = this.svcDone.ensure(nSvc);
    const scSyn = this.scSyn.ensure(nIp);
    const scTargets = this.scTargets.ensure(nIp);
    const scPorts = this.scPorts.ensure(nIp);
    const touchedIp = this.touchedIp.ensure(nIp);
    const touchedSvc = this.touchedSvc.ensure(nSvc);
    const ipTouchedMark = this.ipTouched.ensure(nIp);
    let nTi = 0;
    let nTs = 0;
    const touchIp = (s: number) => {
      if (ipTouchedMark[s] === -1) {
        ipTouchedMark[s] = -2;
        touchedIp[nTi++] = s;
        vc.fill(0, s * VC_N, s * VC_N + VC_N);
        scSyn[s] = 0;
        scTargets[s] = 0;
        scPorts[s] = 0;
      }
    };
    const svcMark = this.svcTouched.ensure(nSvc);
    const touchSvc = (s: number) => {
      if (svcMark[s] === -1) {
        svcMark[s] = -2;
        touchedSvc[nTs++] = s;
        svcSyn[s] = 0;
        svcPk[s] = 0;
        svcBytes[s] = 0;
        svcSa[s] = 0;
        svcDone[s] = 0;
      }
    };
    const srcMark = this.srcMark.ensure(nIp);
    const touchedSrc = this.touchedSrc.ensure(to - from);
    let nSrc = 0;
    for (let j = from; j < to; j++) {
      const i = order[j]!;
      const src = cSrc[i]!;
      const dst = cDst[i]!;
      const f = cFlags[i]!;
      const len = cLen[i]!;
      const proto = cProto[i]!;
      if (srcMark[src] === -1) {
        srcMark[src] = -2;
        touchedSrc[nSrc++] = src;
      }
      touchIp(dst);
      touchIp(src);
      const v = dst * VC_N;
      vc[v + VC.PACKETS]!++;
      vc[v + VC.BYTES]! += len;
      if (proto === PROTO.TCP) vc[v + VC.TCP]!++;
      else if (proto === PROTO.UDP) {
        vc[v + VC.UDP]!++;
        vc[v + VC.UDP_BYTES]! += len;
      } else if (proto === PROTO.ICMP || proto === PROTO.ICMPV6) {
        vc[v + VC.ICMP]!++;
        vc[v + VC.ICMP_BYTES]! += len;
      }
      if (f & F_AMP) {
        vc[v + VC.AMP]!++;
        vc[v + VC.AMP_BYTES]! += len;
      }
      if (f & F_FRAG) vc[v + VC.FRAGMENTS]!++;
      if (f & F_SYNACK) vc[v + VC.SYNACK_IN]!++;
      const sv = src * VC_N;
      if (f & F_REFL_REQ) vc[sv + VC.REFLECTOR_REQUESTS]!++;
      if (f & F_SYN) {
        vc[sv + VC.SYN_OUT]!++;
        scSyn[src]!++;
        if (f & F_NEW_TARGET) scTargets[src]!++;
        if (f & F_NEW_PORT) scPorts[src]!++;
      }
      const svc = cSvc[i]!;
      if (svc >= 0) {
        touchSvc(svc);
        if (f & F_SYNACK) svcSa[svc]!++;
        else {
          svcPk[svc]!++;
          svcBytes[svc]! += len;
        }
        if (f & F_SYN) svcSyn[svc]!++;
        if (f & F_COMPLETES) svcDone[svc]!++;
      }
    }

    // Top victims by packets received; top services by SYNs, then packets. The addresses
    // touched include every (maybe spoofed) source: only destinations are ranked.
    const dsts = this.touchedDst.ensure(nTi);
    const received = this.received.ensure(nIp);
    let nDst = 0;
    for (let k = 0; k < nTi; k++) {
      const s = touchedIp[k]!;
      const pk = vc[s * VC_N + VC.PACKETS]!;
      if (pk > 0) {
        dsts[nDst++] = s;
        received[s] = pk;
      }
    }
    const victims = topSlots(dsts, nDst, received, LIMITS.victims);
    const svcs = Array.from(touchedSvc.subarray(0, nTs))
      .filter((s) => svcSyn[s]! > 0 || svcPk[s]! > 0)
      .sort((a, b) => svcSyn[b]! - svcSyn[a]! || svcPk[b]! - svcPk[a]! || a - b)
      .slice(0, LIMITS.services);
    const vRank = this.victimRank.ensure(nIp);
    victims.forEach((s, k) => (vRank[s] = k));
    const sRank = this.serviceRank.ensure(nSvc);
    svcs.forEach((s, k) => {
      sRank[s] = k;
      svcRankIn.set(s, [local, k]);
    });
    // Fresh for each bucket: the details' per-second counts are views on them (the Partial is
    // packed into one buffer before it crosses threads); `vc` is scratch, so `c` is a copy.
    const vSec = new Float64Array(victims.length * step);
    const vSecB = new Float64Array(victims.length * step);
    const vKind = new Float64Array(victims.length * step * SERIES_N);
    const sSec = new Float64Array(svcs.length * step);
    this.pairVS.reset(victims.length, nIp);
    this.pairVR.reset(victims.length, nIp);
    const nVk = Math.min(victims.length, LIMITS.victimSources);
    this.pairVK.reset(nVk * 3, nIp);
    this.pairSS.reset(svcs.length, nIp);
    this.pairConn.reset(svcs.length, nIp);
    for (let j = from; j < to; j++) {
      const i = order[j]!;
      const src = cSrc[i]!;
      const vr = vRank[cDst[i]!]!;
      const f = cFlags[i]!;
      if (vr >= 0) {
        const sec = cSec[i]!;
        this.pairVS.add(vr, src);
        if (f & F_AMP) this.pairVR.add(vr, src);
        vSec[vr * step + sec]!++;
        vSecB[vr * step + sec]! += cLen[i]!;
        const kb = vr * step * SERIES_N;
        const proto = cProto[i]!;
        if (vr < nVk) {
          if (proto === PROTO.UDP) this.pairVK.add(vr * 3, src);
          else if (proto === PROTO.ICMP || proto === PROTO.ICMPV6) this.pairVK.add(vr * 3 + 1, src);
          if (f & F_SYNACK) this.pairVK.add(vr * 3 + 2, src);
        }
        if (f & F_AMP) vKind[kb + SERIES.AMP * step + sec]!++;
        if (proto === PROTO.UDP) vKind[kb + SERIES.UDP * step + sec]!++;
        else if (proto === PROTO.ICMP || proto === PROTO.ICMPV6) vKind[kb + SERIES.ICMP * step + sec]!++;
        if (f & F_SYNACK) vKind[kb + SERIES.SYNACK * step + sec]!++;
      }
      const svc = cSvc[i]!;
      if (svc >= 0) {
        const sr = sRank[svc]!;
        if (sr >= 0) {
          if (f & F_SYN) {
            this.pairSS.addBoth(sr, src, 0);
            sSec[sr * step + cSec[i]!]!++;
          } else if (f & F_COMPLETES) this.pairSS.addSecondIfCounted(sr, src);
          if (f & F_NEW_CONN) this.pairConn.add(sr, src);
        }
      }
    }
    const ipKeys = this.ipT.keys;
    const ipHash = this.ipHash.a;
    const words = (list: ArrayLike<number>) => {
      const w = new Uint32Array(list.length * 2);
      for (let q = 0; q < list.length; q += 2) copyKey(ipKeys, list[q]!, w, q * 2);
      return w;
    };
    const counts = (list: ArrayLike<number>) => {
      const c = new Float64Array(list.length / 2);
      for (let q = 1; q < list.length; q += 2) c[(q - 1) / 2] = list[q]!;
      return c;
    };
    const hllOf = (list: ArrayLike<number>, p: number) => this.hll.bytes(p, ipHash, list, 2, list.length / 2);
    // A short list is sent as it is (first-seen order), a long one as its heaviest, sorted.
    const heaviest = (list: ArrayLike<number>, limit: number): ArrayLike<number> => (list.length / 2 <= limit ? list : topPairs(list, limit));
    const vsAll = this.pairVS.grouped(victims.length);
    const vrAll = this.pairVR.grouped(victims.length);
    const vkAll = this.pairVK.grouped(nVk * 3);
    const victimDetails: VictimDetail[] = victims.map((s, k) => {
      const top = k < LIMITS.victimSources ? heaviest(vsAll[k]!, LIMITS.sources) : [];
      // By SERIES row: the sources of the traffic each victim signature measures.
      const kinds = k < nVk ? [vrAll[k]!, vkAll[k * 3]!, vkAll[k * 3 + 1]!, vkAll[k * 3 + 2]!].map((l) => heaviest(l, LIMITS.sources)) : [];
      return {
        w0: ipKeys[s * 4]!,
        w1: ipKeys[s * 4 + 1]!,
        w2: ipKeys[s * 4 + 2]!,
        w3: ipKeys[s * 4 + 3]!,
        c: vc.slice(s * VC_N, s * VC_N + VC_N),
        perSecondPackets: vSec.subarray(k * step, (k + 1) * step),
        perSecondBytes: vSecB.subarray(k * step, (k + 1) * step),
        perSecondKind: vKind.subarray(k * step * SERIES_N, (k + 1) * step * SERIES_N),
        srcWords: words(top),
        srcCounts: counts(top),
        hll: hllOf(vsAll[k]!, 14),
        reflectorHll: hllOf(vrAll[k]!, 14),
        kindWords: kinds.map(words),
        kindCounts: kinds.map(counts),
        kindHll: k < nVk ? [vkAll[k * 3]!, vkAll[k * 3 + 1]!, vkAll[k * 3 + 2]!].map((l) => (l.length > 0 ? hllOf(l, 14) : EMPTY_HLL)) : [],
        countries: this.countries?.histogram(vsAll[k]!) ?? null,
      };
    });
    const ssAll = this.pairSS.grouped(svcs.length);
    const connAll = this.pairConn.grouped(svcs.length);
    const serviceDetails: ServiceDetail[] = svcs.map((s, k) => {
      const list = ssAll[k]!;
      const top = heaviest(list, LIMITS.sources);
      // SYN counts, then the handshakes of each that completed: one array (one transfer).
      const n = top.length / 2;
      const both = new Float64Array(n * 2);
      for (let q = 0; q < n; q++) {
        both[q] = top[q * 2 + 1]!;
        both[n + q] = this.pairSS.secondOf(k, top[q * 2]!);
      }
      let few = 0;
      for (let q = 1; q < list.length; q += 2) if (list[q]! <= 2) few++;
      const conn = heaviest(connAll[k]!, 1);
      const ipSlot = this.svcIp.a[s]!;
      return {
        w0: ipKeys[ipSlot * 4]!,
        w1: ipKeys[ipSlot * 4 + 1]!,
        w2: ipKeys[ipSlot * 4 + 2]!,
        w3: ipKeys[ipSlot * 4 + 3]!,
        port: this.svcPort.a[s]!,
        packets: svcPk[s]!,
        bytes: svcBytes[s]!,
        syn: svcSyn[s]!,
        synack: svcSa[s]!,
        completed: svcDone[s]!,
        perSecondSyn: sSec.subarray(k * step, (k + 1) * step),
        srcWords: words(top),
        srcCounts: both.subarray(0, n),
        srcCompleted: both.subarray(n),
        hll: hllOf(list, 14),
        fewSynSources: few,
        synSources: list.length / 2,
        connWords: words(conn),
        connCounts: counts(conn),
        countries: this.countries?.histogram(list) ?? null,
      };
    });
    const scanning: number[] = [];
    for (let k = 0; k < nTi; k++) if (scTargets[touchedIp[k]!]! >= 20) scanning.push(touchedIp[k]!);
    const scanners: ScannerDetail[] = scanning
      .sort((a, b) => scTargets[b]! - scTargets[a]! || a - b)
      .slice(0, LIMITS.scanners)
      .map((s) => ({ w0: ipKeys[s * 4]!, w1: ipKeys[s * 4 + 1]!, w2: ipKeys[s * 4 + 2]!, w3: ipKeys[s * 4 + 3]!, syn: scSyn[s]!, targets: scTargets[s]!, ports: scPorts[s]! }));
    // All sources of the bucket → HLL.
    const hll = this.hll.bytes(14, ipHash, touchedSrc, 1, nSrc);
    // Reset marks and ranks.
    for (let k = 0; k < nSrc; k++) srcMark[touchedSrc[k]!] = -1;
    for (let k = 0; k < nTi; k++) ipTouchedMark[touchedIp[k]!] = -1;
    for (let k = 0; k < nTs; k++) svcMark[touchedSvc[k]!] = -1;
    for (const v of victims) vRank[v] = -1;
    for (const v of svcs) sRank[v] = -1;
    return { index, perSecondPackets, perSecondBytes, counters, hll, first, last, victims: victimDetails, services: serviceDetails, scanners };
  }
}

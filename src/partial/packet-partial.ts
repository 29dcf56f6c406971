/**
 * What a worker sends back for one capture chunk: per-step buckets with per-second packet
 * and byte counts, protocol counters, and detail for the hottest victims (destination
 * addresses), services (destination address and TCP port) and scanning sources.
 * Like the log Partial, everything is bounded and crosses threads packed into one shared buffer.
 */

import type { CountryHist } from '../geo/country-code.js';
import { mapHist, packArrays, type PackedArray } from './pack.js';

/** Indices into PacketBucketPartial.counters. */
export const PC = {
  PACKETS: 0,
  BYTES: 1,
  IPV4: 2,
  IPV6: 3,
  NON_IP: 4,
  TCP: 5,
  UDP: 6,
  ICMP: 7,
  OTHER: 8,
  FRAGMENTS: 9,
  SYN: 10,
  SYNACK: 11,
  TRUNCATED: 12,
  UNKNOWN_LINK: 13,
} as const;
export const PC_N = 14;

/** Rows of VictimDetail.perSecondKind: what one signature's per-second activity is measured on. */
export const SERIES = { AMP: 0, UDP: 1, ICMP: 2, SYNACK: 3 } as const;
export const SERIES_N = 4;

/** Per-victim counters (VictimDetail.c). */
export const VC = {
  PACKETS: 0,
  BYTES: 1,
  TCP: 2,
  UDP: 3,
  ICMP: 4,
  /** Large UDP datagrams from reflector source ports. */
  AMP: 5,
  AMP_BYTES: 6,
  /** Packets this address sent to reflector ports (requests it made itself). */
  REFLECTOR_REQUESTS: 7,
  /** SYN-ACKs it received / SYNs it sent. */
  SYNACK_IN: 8,
  SYN_OUT: 9,
  /** Non-first fragments it received (amplified responses are often fragmented). */
  FRAGMENTS: 10,
  UDP_BYTES: 11,
  ICMP_BYTES: 12,
} as const;
export const VC_N = 13;

export interface VictimDetail {
  /** Destination address, four words. */
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  c: Float64Array;
  perSecondPackets: Float64Array;
  perSecondBytes: Float64Array;
  /** Per second, by kind (row·step + second): see SERIES. */
  perSecondKind: Float64Array;
  /** Its sources and packet counts (all, when they fit), and a serialized HLL of them. */
  srcWords: Uint32Array;
  srcCounts: Float64Array;
  hll: Uint8Array;
  /** Sources of amplified responses (reflectors): serialized HLL. */
  reflectorHll: Uint8Array;
  /**
   * By SERIES row (AMP, UDP, ICMP, SYNACK): the sources of that traffic and their counts, as
   * srcWords/srcCounts (empty for a victim past the first few); kindHll: UDP, ICMP, SYNACK
   * (AMP's is reflectorHll), empty when none.
   */
  kindWords: Uint32Array[];
  kindCounts: Float64Array[];
  kindHll: Uint8Array[];
  /** Packets by source country, when geolocation is on. */
  countries: CountryHist | null;
}

export interface ServiceDetail {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  port: number;
  packets: number;
  bytes: number;
  /** Pure SYNs received, SYN-ACKs sent, handshakes completed inside the chunk. */
  syn: number;
  synack: number;
  completed: number;
  perSecondSyn: Float64Array;
  /** Sources of SYNs and their SYN counts, and a serialized HLL of them. */
  srcWords: Uint32Array;
  srcCounts: Float64Array;
  /** Of each source's SYNs, those whose handshake completed in the chunk (a view of srcCounts' buffer). */
  srcCompleted: Float64Array;
  hll: Uint8Array;
  /** Sources sending it one or two SYNs (the spoofing hint). */
  fewSynSources: number;
  synSources: number;
  /** The source holding the most concurrent connections in this chunk, and how many. */
  connWords: Uint32Array;
  connCounts: Float64Array;
  /** SYNs by source country, when geolocation is on. */
  countries: CountryHist | null;
}

export interface ScannerDetail {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  syn: number;
  /** Distinct (address, port) targets of its SYNs in this chunk. */
  targets: number;
  ports: number;
}

export interface PacketBucketPartial {
  index: number;
  perSecondPackets: Float64Array;
  perSecondBytes: Float64Array;
  counters: Float64Array;
  hll: Uint8Array;
  /** First and last packet time in this chunk-bucket (seconds, fractional). */
  first: number;
  last: number;
  victims: VictimDetail[];
  services: ServiceDetail[];
  scanners: ScannerDetail[];
}

export interface PacketPartial {
  seq: number;
  packets: number;
  minTime: number;
  maxTime: number;
  buckets: PacketBucketPartial[];
  /**
   * Handshakes left open at the end of the chunk: 32-bit 4-tuple hashes of SYNs and the
   * service (index into `services` of the bucket with `synBucket[i]`) they were for; and
   * tuples whose first ACK came without a SYN in this chunk. The merger matches the two
   * across chunks, so a handshake cut by a chunk boundary still counts as completed.
   */
  openSyn: Uint32Array;
  openSynBucket: Int32Array;
  openSynService: Int32Array;
  lateAck: Uint32Array;
}

/** A new PacketPartial with every typed array replaced by what `f` returns for it (see pack.ts). */
function mapArrays(p: PacketPartial, f: <T extends PackedArray>(a: T) => T): PacketPartial {
  return {
    ...p,
    openSyn: f(p.openSyn),
    openSynBucket: f(p.openSynBucket),
    openSynService: f(p.openSynService),
    lateAck: f(p.lateAck),
    buckets: p.buckets.map((b) => ({
      ...b,
      perSecondPackets: f(b.perSecondPackets),
      perSecondBytes: f(b.perSecondBytes),
      counters: f(b.counters),
      hll: f(b.hll),
      victims: b.victims.map((v) => ({
        ...v,
        c: f(v.c),
        perSecondPackets: f(v.perSecondPackets),
        perSecondBytes: f(v.perSecondBytes),
        perSecondKind: f(v.perSecondKind),
        srcWords: f(v.srcWords),
        srcCounts: f(v.srcCounts),
        hll: f(v.hll),
        reflectorHll: f(v.reflectorHll),
        kindWords: v.kindWords.map((a) => f(a)),
        kindCounts: v.kindCounts.map((a) => f(a)),
        kindHll: v.kindHll.map((a) => f(a)),
        countries: mapHist(v.countries, f),
      })),
      services: b.services.map((sv) => ({
        ...sv,
        perSecondSyn: f(sv.perSecondSyn),
        srcWords: f(sv.srcWords),
        srcCounts: f(sv.srcCounts),
        srcCompleted: f(sv.srcCompleted),
        hll: f(sv.hll),
        connWords: f(sv.connWords),
        connCounts: f(sv.connCounts),
        countries: mapHist(sv.countries, f),
      })),
    })),
  };
}

/**
 * The PacketPartial packed into one shared buffer, in new objects (see pack.ts), for the worker
 * to send. What the main thread keeps past the merge (a victim's pending source lists) it copies
 * out (windows/bucket.ts `keep`, windows/arena.ts): a busy capture puts ~25 chunks in a step, and
 * those views once pinned every chunk's whole buffer (the 5M-packet bench capture's peak RSS 230 →
 * 255 MiB).
 */
export function packPacketPartial(p: PacketPartial): PacketPartial {
  return packArrays((f) => mapArrays(p, f));
}

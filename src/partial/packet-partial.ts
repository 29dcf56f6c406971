/**
 * What a worker sends back for one capture chunk: per-step buckets with per-second packet
 * and byte counts, protocol counters, and detail for the hottest victims (destination
 * addresses), services (destination address and TCP port) and scanning sources.
 * Like the log Partial, everything is bounded and crosses threads by transfer.
 */

import type { CountryHist } from '../geo/country-code.js';
import { mapHist, packArrays, transferList, type PackedArray } from './pack.js';

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
  /** Of each source's SYNs, those whose handshake completed in the chunk (a view of srcCounts' buffer, transferred once). */
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

/** Every typed array of a PacketPartial, each replaced by what `f` returns for it (see pack.ts). */
function mapArrays(p: PacketPartial, f: <T extends PackedArray>(a: T) => T): void {
  p.openSyn = f(p.openSyn);
  p.openSynBucket = f(p.openSynBucket);
  p.openSynService = f(p.openSynService);
  p.lateAck = f(p.lateAck);
  for (const b of p.buckets) {
    b.perSecondPackets = f(b.perSecondPackets);
    b.perSecondBytes = f(b.perSecondBytes);
    b.counters = f(b.counters);
    b.hll = f(b.hll);
    for (const v of b.victims) {
      v.c = f(v.c);
      v.perSecondPackets = f(v.perSecondPackets);
      v.perSecondBytes = f(v.perSecondBytes);
      v.perSecondKind = f(v.perSecondKind);
      v.srcWords = f(v.srcWords);
      v.srcCounts = f(v.srcCounts);
      v.hll = f(v.hll);
      v.reflectorHll = f(v.reflectorHll);
      v.kindWords = v.kindWords.map((a) => f(a));
      v.kindCounts = v.kindCounts.map((a) => f(a));
      v.kindHll = v.kindHll.map((a) => f(a));
      v.countries = mapHist(v.countries, f);
    }
    for (const s of b.services) {
      s.perSecondSyn = f(s.perSecondSyn);
      s.srcWords = f(s.srcWords);
      s.srcCounts = f(s.srcCounts);
      s.srcCompleted = f(s.srcCompleted);
      s.hll = f(s.hll);
      s.connWords = f(s.connWords);
      s.connCounts = f(s.connCounts);
      s.countries = mapHist(s.countries, f);
    }
  }
}

/**
 * Copy the PacketPartial's arrays into one buffer (see pack.ts), for the worker to send. What
 * the main thread keeps past the merge (a victim's pending source lists) it copies out
 * (windows/bucket.ts `keep`, windows/arena.ts): a busy capture puts ~25 chunks in a step, and those views once
 * pinned every chunk's whole buffer (the 5M-packet bench capture's peak RSS 230 → 255 MiB).
 */
export function packPacketPartial(p: PacketPartial): ArrayBuffer {
  return packArrays((f) => mapArrays(p, f));
}

export function packetTransferList(p: PacketPartial): ArrayBuffer[] {
  return transferList((f) => mapArrays(p, f));
}

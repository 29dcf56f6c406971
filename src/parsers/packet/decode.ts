/**
 * The hot path for captures: one packet's bytes → one PacketRecord (reused, no
 * allocation). Link layers: Ethernet (DLT 1) with any stack of 802.1Q / 802.1ad / 9100
 * tags, Linux cooked SLL (113) and SLL2 (276), raw IP (12, 14, 101), IPv4 (228), IPv6
 * (229), BSD NULL (0, host byte order) and LOOP (108), Linux NFLOG (239, TLV-wrapped).
 * Network: IPv4 with options and fragments (L4 only from the first fragment), IPv6 with
 * its extension-header chain (hop-by-hop, routing, destination options, fragment, AH).
 * Transport: TCP ports and flags, UDP ports, ICMP / ICMPv6 type.
 * Anything short is `truncated`; an unknown link type is `unknownLink`: counted, never thrown.
 */

export const L = {
  NULL: 0,
  EN10MB: 1,
  RAW_OLD1: 12,
  RAW_OLD2: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  NFLOG: 239,
  LINUX_SLL2: 276,
} as const;

export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;
export const TCP_FLAG = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 } as const;

export class PacketRecord {
  /** Seconds since the epoch (fractional). */
  time = 0;
  capLen = 0;
  /** Length on the wire (for bandwidth). */
  origLen = 0;
  /** 0: not IP (ARP, …), 4 or 6. */
  ipVersion = 0;
  vlan = false;
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  d0 = 0;
  d1 = 0;
  d2 = 0;
  d3 = 0;
  proto = 0;
  /** Part of a fragmented datagram. */
  fragment = false;
  /** The transport header was read (first fragment or unfragmented, long enough). */
  l4 = false;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  icmpType = 0;
  truncated = false;
  unknownLink = false;

  reset(): void {
    this.ipVersion = 0;
    this.vlan = false;
    this.proto = 0;
    this.fragment = false;
    this.l4 = false;
    this.sport = 0;
    this.dport = 0;
    this.tcpFlags = 0;
    this.icmpType = 0;
    this.truncated = false;
    this.unknownLink = false;
  }
}

function be16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

function be32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** Decode one packet of `linkType` in b[o, o + len). */
export function decodePacket(linkType: number, b: Uint8Array, o: number, len: number, r: PacketRecord): void {
  r.reset();
  const end = o + len;
  switch (linkType) {
    case L.EN10MB: {
      if (len < 14) {
        r.truncated = true;
        return;
      }
      let et = be16(b, o + 12);
      let p = o + 14;
      while (et === 0x8100 || et === 0x88a8 || et === 0x9100) {
        if (p + 4 > end) {
          r.truncated = true;
          return;
        }
        r.vlan = true;
        et = be16(b, p + 2);
        p += 4;
      }
      ethertype(et, b, p, end, r);
      return;
    }
    case L.LINUX_SLL:
      if (len < 16) r.truncated = true;
      else ethertype(be16(b, o + 14), b, o + 16, end, r);
      return;
    case L.LINUX_SLL2:
      if (len < 20) r.truncated = true;
      else ethertype(be16(b, o), b, o + 20, end, r);
      return;
    case L.RAW:
    case L.RAW_OLD1:
    case L.RAW_OLD2:
      if (len < 1) r.truncated = true;
      else byVersion(b, o, end, r);
      return;
    case L.IPV4:
      ipv4(b, o, end, r);
      return;
    case L.IPV6:
      ipv6(b, o, end, r);
      return;
    case L.NULL:
    case L.LOOP: {
      if (len < 4) {
        r.truncated = true;
        return;
      }
      // NULL is in the capturing host's byte order; LOOP is network order.
      const fam = linkType === L.LOOP || (b[o] === 0 && b[o + 1] === 0) ? be32(b, o) : b[o]! | (b[o + 1]! << 8);
      if (fam === 2) ipv4(b, o + 4, end, r);
      else if (fam === 24 || fam === 28 || fam === 30) ipv6(b, o + 4, end, r);
      return;
    }
    case L.NFLOG: {
      // 4-byte header, then TLVs (length and type in host order, little-endian in practice),
      // each padded to 4 bytes; type 9 (NFULA_PAYLOAD) is the IP packet.
      if (len < 4) {
        r.truncated = true;
        return;
      }
      const fam = b[o]!;
      let p = o + 4;
      while (p + 4 <= end) {
        const tl = b[p]! | (b[p + 1]! << 8);
        const tt = b[p + 2]! | (b[p + 3]! << 8);
        if (tl < 4) break;
        if (tt === 9) {
          const pe = Math.min(end, p + tl);
          if (fam === 10) ipv6(b, p + 4, pe, r);
          else ipv4(b, p + 4, pe, r);
          return;
        }
        p += (tl + 3) & ~3;
      }
      return;
    }
    default:
      r.unknownLink = true;
  }
}

function ethertype(et: number, b: Uint8Array, p: number, end: number, r: PacketRecord): void {
  if (et === 0x0800) ipv4(b, p, end, r);
  else if (et === 0x86dd) ipv6(b, p, end, r);
}

function byVersion(b: Uint8Array, p: number, end: number, r: PacketRecord): void {
  const v = b[p]! >> 4;
  if (v === 4) ipv4(b, p, end, r);
  else if (v === 6) ipv6(b, p, end, r);
}

function ipv4(b: Uint8Array, p: number, end: number, r: PacketRecord): void {
  if (end - p < 20) {
    r.truncated = true;
    return;
  }
  const ihl = (b[p]! & 15) * 4;
  if (ihl < 20 || p + ihl > end) {
    r.truncated = true;
    return;
  }
  r.ipVersion = 4;
  r.proto = b[p + 9]!;
  r.s0 = 0;
  r.s1 = 0;
  r.s2 = 0xffff;
  r.s3 = be32(b, p + 12);
  r.d0 = 0;
  r.d1 = 0;
  r.d2 = 0xffff;
  r.d3 = be32(b, p + 16);
  const ff = be16(b, p + 6);
  const offset = ff & 0x1fff;
  r.fragment = (ff & 0x2000) !== 0 || offset !== 0;
  if (offset === 0) transport(b, p + ihl, end, r);
}

function ipv6(b: Uint8Array, p: number, end: number, r: PacketRecord): void {
  if (end - p < 40) {
    r.truncated = true;
    return;
  }
  r.ipVersion = 6;
  r.s0 = be32(b, p + 8);
  r.s1 = be32(b, p + 12);
  r.s2 = be32(b, p + 16);
  r.s3 = be32(b, p + 20);
  r.d0 = be32(b, p + 24);
  r.d1 = be32(b, p + 28);
  r.d2 = be32(b, p + 32);
  r.d3 = be32(b, p + 36);
  let nh = b[p + 6]!;
  let q = p + 40;
  for (let hops = 0; hops < 16; hops++) {
    if (nh === 0 || nh === 43 || nh === 60) {
      if (q + 2 > end) {
        r.truncated = true;
        r.proto = nh;
        return;
      }
      const next = b[q]!;
      q += (b[q + 1]! + 1) * 8;
      nh = next;
    } else if (nh === 44) {
      if (q + 8 > end) {
        r.truncated = true;
        r.proto = nh;
        return;
      }
      r.fragment = true;
      const next = b[q]!;
      const offset = be16(b, q + 2) >> 3;
      q += 8;
      nh = next;
      if (offset !== 0) {
        r.proto = nh;
        return;
      }
    } else if (nh === 51) {
      if (q + 2 > end) {
        r.truncated = true;
        r.proto = nh;
        return;
      }
      const next = b[q]!;
      q += (b[q + 1]! + 2) * 4;
      nh = next;
    } else break;
  }
  r.proto = nh;
  transport(b, q, end, r);
}

function transport(b: Uint8Array, q: number, end: number, r: PacketRecord): void {
  switch (r.proto) {
    case PROTO.TCP:
      if (q + 14 > end) {
        r.truncated = true;
        return;
      }
      r.sport = be16(b, q);
      r.dport = be16(b, q + 2);
      r.tcpFlags = b[q + 13]!;
      r.l4 = true;
      return;
    case PROTO.UDP:
      if (q + 8 > end) {
        r.truncated = true;
        return;
      }
      r.sport = be16(b, q);
      r.dport = be16(b, q + 2);
      r.l4 = true;
      return;
    case PROTO.ICMP:
    case PROTO.ICMPV6:
      if (q + 1 > end) {
        r.truncated = true;
        return;
      }
      r.icmpType = b[q]!;
      r.l4 = true;
      return;
    default:
      return;
  }
}

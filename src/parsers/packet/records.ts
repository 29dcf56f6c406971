/**
 * Walk the packet records of one capture chunk (as cut by framing/captures.ts) and decode
 * each into the same PacketRecord, calling `onPacket` after each. No per-packet objects.
 *
 *   pcap record:  ts_sec u32 | ts_frac u32 | incl_len u32 | orig_len u32 | data[incl_len]
 *   pcapng EPB 6: type | len | iface u32 | ts_hi u32 | ts_lo u32 | cap u32 | orig u32 | data (pad 4) | opts | len
 *   pcapng SPB 3: type | len | orig u32 | data                                  (interface 0)
 *   pcapng PB  2: type | len | iface u16 | drops u16 | ts_hi | ts_lo | cap | orig | data …
 */
import type { CaptureContext } from '../../framing/captures.js';
import { decodePacket, type PacketRecord } from './decode.js';

function u32(b: Uint8Array, i: number, le: boolean): number {
  return le ? (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0 : ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** Returns the number of records walked. */
export function walkChunk(bytes: Uint8Array, ctx: CaptureContext, r: PacketRecord, onPacket: () => void): number {
  const le = ctx.littleEndian;
  const n = bytes.length;
  let p = 0;
  let count = 0;
  if (ctx.format === 'pcap') {
    const iface = ctx.interfaces[0]!;
    const link = iface.linkType;
    const units = iface.unitsPerSec;
    while (p + 16 <= n) {
      const sec = u32(bytes, p, le);
      const frac = u32(bytes, p + 4, le);
      const incl = u32(bytes, p + 8, le);
      const orig = u32(bytes, p + 12, le);
      const data = p + 16;
      const cap = Math.min(incl, n - data);
      decodePacket(link, bytes, data, cap, r);
      r.time = sec + frac / units;
      r.capLen = cap;
      r.origLen = orig;
      onPacket();
      count++;
      p = data + incl;
    }
    return count;
  }
  while (p + 12 <= n) {
    const type = u32(bytes, p, le);
    const len = u32(bytes, p + 4, le);
    if (len < 12) break;
    let iface = 0;
    let hi = 0;
    let lo = 0;
    let cap = 0;
    let orig = 0;
    let data = 0;
    let timed = true;
    if (type === 6) {
      iface = u32(bytes, p + 8, le);
      hi = u32(bytes, p + 12, le);
      lo = u32(bytes, p + 16, le);
      cap = u32(bytes, p + 20, le);
      orig = u32(bytes, p + 24, le);
      data = p + 28;
    } else if (type === 2) {
      iface = le ? bytes[p + 8]! | (bytes[p + 9]! << 8) : (bytes[p + 8]! << 8) | bytes[p + 9]!;
      hi = u32(bytes, p + 12, le);
      lo = u32(bytes, p + 16, le);
      cap = u32(bytes, p + 20, le);
      orig = u32(bytes, p + 24, le);
      data = p + 28;
    } else {
      // Simple Packet Block: no timestamp; captured bytes are what the block holds.
      orig = u32(bytes, p + 8, le);
      data = p + 12;
      cap = Math.min(orig, len - 16);
      timed = false;
    }
    const ifc = ctx.interfaces[iface];
    cap = Math.min(cap, p + len - 4 - data);
    if (ifc === undefined) {
      r.reset();
      r.unknownLink = true;
    } else {
      decodePacket(ifc.linkType, bytes, data, Math.max(0, cap), r);
      // Seconds from the 64-bit count of units: hi·2^32 is exact in a double; the division
      // rounds by ~1e-16, i.e. well under a microsecond for any real date.
      if (timed) r.time = (hi * 4294967296 + lo) / ifc.unitsPerSec + ifc.tsOffset;
    }
    r.capLen = Math.max(0, cap);
    r.origLen = orig;
    onPacket();
    count++;
    p += len;
  }
  return count;
}

/**
 * Time (seconds) of the first timed record of a chunk, or null: the order in which captures
 * read side by side are taken (pcapng: the first Enhanced or obsolete Packet Block).
 */
export function firstRecordTime(bytes: Uint8Array, ctx: CaptureContext): number | null {
  const le = ctx.littleEndian;
  if (ctx.format === 'pcap') return bytes.length < 16 ? null : u32(bytes, 0, le) + u32(bytes, 4, le) / ctx.interfaces[0]!.unitsPerSec;
  let p = 0;
  while (p + 20 <= bytes.length) {
    const type = u32(bytes, p, le);
    const len = u32(bytes, p + 4, le);
    if (len < 12) return null;
    if (type === 6 || type === 2) {
      const iface = type === 6 ? u32(bytes, p + 8, le) : le ? bytes[p + 8]! | (bytes[p + 9]! << 8) : (bytes[p + 8]! << 8) | bytes[p + 9]!;
      const ifc = ctx.interfaces[iface];
      if (ifc !== undefined) return (u32(bytes, p + 12, le) * 4294967296 + u32(bytes, p + 16, le)) / ifc.unitsPerSec + ifc.tsOffset;
    }
    p += len;
  }
  return null;
}

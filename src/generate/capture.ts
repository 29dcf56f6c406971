/**
 * Capture writers and a seeded generator of captures with known attacks, for tests and
 * the benchmark. Writers cover every container variant floodscope reads: pcap with µs or
 * ns timestamps in either byte order, and pcapng in either byte order with several
 * interfaces of different timestamp resolutions.
 */
import { Random } from '../util/random.js';
import { publicIpv4 } from './access-log.js';
import { formatIp } from '../parsers/ip.js';

export interface Packet {
  /** Seconds since the epoch (fractional). */
  time: number;
  data: Uint8Array;
  /** Length on the wire; defaults to data length. */
  origLen?: number;
  /** pcapng interface id (default 0). */
  iface?: number;
}

function put32(b: Buffer, v: number, o: number, le: boolean): void {
  if (le) b.writeUInt32LE(v >>> 0, o);
  else b.writeUInt32BE(v >>> 0, o);
}

export interface PcapOptions {
  littleEndian?: boolean;
  nano?: boolean;
  linkType?: number;
  snaplen?: number;
}

export function writePcap(packets: readonly Packet[], o: PcapOptions = {}): Buffer {
  const le = o.littleEndian ?? true;
  const nano = o.nano ?? false;
  const size = 24 + packets.reduce((a, p) => a + 16 + p.data.length, 0);
  const b = Buffer.alloc(size);
  put32(b, nano ? 0xa1b23c4d : 0xa1b2c3d4, 0, le);
  if (le) {
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
  } else {
    b.writeUInt16BE(2, 4);
    b.writeUInt16BE(4, 6);
  }
  put32(b, o.snaplen ?? 262144, 16, le);
  put32(b, o.linkType ?? 1, 20, le);
  let off = 24;
  for (const p of packets) {
    const sec = Math.floor(p.time);
    const frac = Math.round((p.time - sec) * (nano ? 1e9 : 1e6));
    put32(b, sec, off, le);
    put32(b, frac, off + 4, le);
    put32(b, p.data.length, off + 8, le);
    put32(b, p.origLen ?? p.data.length, off + 12, le);
    b.set(p.data, off + 16);
    off += 16 + p.data.length;
  }
  return b;
}

export interface PcapngInterface {
  linkType: number;
  /** if_tsresol exponent of 10 (6 = µs, 9 = ns). */
  tsresol: number;
  /** if_name. */
  name?: string;
  /**
   * Interface Statistics Blocks written after the packets, in this order, as a capturing tool
   * writes them (isb_ifrecv, isb_ifdrop, isb_osdrop; each optional).
   */
  stats?: { received?: number; ifDrop?: number; osDrop?: number }[];
}

export function writePcapng(packets: readonly Packet[], interfaces: readonly PcapngInterface[], littleEndian = true): Buffer {
  const le = littleEndian;
  const parts: Buffer[] = [];
  const block = (type: number, body: Buffer) => {
    const len = 12 + body.length;
    const b = Buffer.alloc(len);
    put32(b, type, 0, le);
    put32(b, len, 4, le);
    body.copy(b, 8);
    put32(b, len, len - 4, le);
    parts.push(b);
  };
  const shb = Buffer.alloc(16);
  put32(shb, 0x1a2b3c4d, 0, le);
  if (le) shb.writeUInt16LE(1, 4);
  else shb.writeUInt16BE(1, 4);
  shb.fill(0xff, 8, 16); // section length unknown
  block(0x0a0d0d0a, shb);
  const put16 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  /** Options (code, value), padded to 4 bytes each, then opt_endofopt. */
  const options = (opts: [number, Buffer][]) => {
    const out: Buffer[] = [];
    for (const [code, v] of opts) {
      const h = Buffer.alloc(4);
      put16(h, code, 0);
      put16(h, v.length, 2);
      out.push(h, v, Buffer.alloc((4 - (v.length % 4)) % 4));
    }
    out.push(Buffer.alloc(4));
    return Buffer.concat(out);
  };
  const u64 = (x: number) => {
    const v = Buffer.alloc(8);
    put32(v, x % 4294967296, le ? 0 : 4, le);
    put32(v, Math.floor(x / 4294967296), le ? 4 : 0, le);
    return v;
  };
  for (const i of interfaces) {
    const head = Buffer.alloc(8);
    put16(head, i.linkType, 0);
    put32(head, 262144, 4, le);
    const opts: [number, Buffer][] = [[9, Buffer.from([i.tsresol])]];
    if (i.name !== undefined) opts.push([2, Buffer.from(i.name)]);
    block(1, Buffer.concat([head, options(opts)]));
  }
  for (const p of packets) {
    const iface = p.iface ?? 0;
    const units = 10 ** interfaces[iface]!.tsresol;
    const ticks = BigInt(Math.round(p.time * 1e6)) * BigInt(units) / 1_000_000n;
    const pad = (4 - (p.data.length % 4)) % 4;
    const body = Buffer.alloc(20 + p.data.length + pad);
    put32(body, iface, 0, le);
    put32(body, Number(ticks >> 32n), 4, le);
    put32(body, Number(ticks & 0xffffffffn), 8, le);
    put32(body, p.data.length, 12, le);
    put32(body, p.origLen ?? p.data.length, 16, le);
    body.set(p.data, 20);
    block(6, body);
  }
  interfaces.forEach((i, id) => {
    for (const st of i.stats ?? []) {
      const head = Buffer.alloc(12);
      put32(head, id, 0, le);
      const opts: [number, Buffer][] = [];
      if (st.received !== undefined) opts.push([4, u64(st.received)]);
      if (st.ifDrop !== undefined) opts.push([5, u64(st.ifDrop)]);
      if (st.osDrop !== undefined) opts.push([7, u64(st.osDrop)]);
      block(5, Buffer.concat([head, options(opts)]));
    }
  });
  return Buffer.concat(parts);
}

export interface Frame {
  src: number; // IPv4 as uint32
  dst: number;
  proto: 'tcp' | 'udp' | 'icmp';
  sport?: number;
  dport?: number;
  flags?: number;
  /** Transport payload bytes (zero-filled). */
  payload?: number;
}

/** An Ethernet + IPv4 + TCP/UDP/ICMP frame. */
export function ethIpv4(f: Frame): Uint8Array {
  const l4 = f.proto === 'tcp' ? 20 : f.proto === 'udp' ? 8 : 8;
  const pay = f.payload ?? 0;
  const b = Buffer.alloc(14 + 20 + l4 + pay);
  b.writeUInt16BE(0x0800, 12);
  const ip = 14;
  b[ip] = 0x45;
  b.writeUInt16BE(20 + l4 + pay, ip + 2);
  b[ip + 8] = 64;
  b[ip + 9] = f.proto === 'tcp' ? 6 : f.proto === 'udp' ? 17 : 1;
  b.writeUInt32BE(f.src >>> 0, ip + 12);
  b.writeUInt32BE(f.dst >>> 0, ip + 16);
  const t = ip + 20;
  if (f.proto === 'icmp') {
    b[t] = 8;
  } else {
    b.writeUInt16BE(f.sport ?? 0, t);
    b.writeUInt16BE(f.dport ?? 0, t + 2);
    if (f.proto === 'tcp') {
      b[t + 12] = 0x50;
      b[t + 13] = f.flags ?? 0;
    } else b.writeUInt16BE(8 + pay, t + 4);
  }
  return b;
}

const SYN = 2;
const ACK = 16;
const PSH = 8;
const FIN = 1;

export interface CaptureTruth {
  packets: number;
  start: number;
  end: number;
  victim: string;
  synFlood: { target: string; start: number; end: number; sources: number; packets: number };
  amplification: { target: string; start: number; end: number; reflectors: number; packets: number };
  portScan: { source: string; start: number; end: number };
  /** The normal HTTPS clients' addresses (never to be blocked). */
  clients: string[];
}

/**
 * A server 198.51.100.10 with normal HTTPS clients (full handshakes, data, FIN), a
 * spoofed SYN flood on :443, a DNS amplification flood (large responses from port 53 the
 * server never asked for) and a SYN port scan from one address.
 */
export function generateCapture(seed: number, scale = 1): { packets: Packet[]; truth: CaptureTruth } {
  const rnd = new Random(seed);
  const victim = 0xc633640a; // 198.51.100.10
  const t0 = Date.UTC(2025, 4, 1, 12, 0, 0) / 1000;
  const duration = 300;
  const out: Packet[] = [];
  const add = (time: number, f: Frame, origLen?: number) => out.push({ time, data: ethIpv4(f), ...(origLen ? { origLen } : {}) });
  // Normal clients: a handshake, a few data packets, FIN.
  const clients = Array.from({ length: 200 }, () => publicIpv4(rnd));
  for (let s = 0; s < duration; s++) {
    for (let k = 0; k < Math.round(8 * scale); k++) {
      const c = clients[rnd.int(clients.length)]!;
      const port = 1024 + rnd.int(60000);
      let t = t0 + s + rnd.next() * 0.9;
      add(t, { src: c, dst: victim, proto: 'tcp', sport: port, dport: 443, flags: SYN });
      add((t += 0.01), { src: victim, dst: c, proto: 'tcp', sport: 443, dport: port, flags: SYN | ACK });
      add((t += 0.01), { src: c, dst: victim, proto: 'tcp', sport: port, dport: 443, flags: ACK });
      for (let d = 0; d < 3; d++) add((t += 0.005), { src: victim, dst: c, proto: 'tcp', sport: 443, dport: port, flags: ACK | PSH, payload: 1200 });
      add((t += 0.005), { src: c, dst: victim, proto: 'tcp', sport: port, dport: 443, flags: FIN | ACK });
    }
  }
  // SYN flood: spoofed sources, each sending one or two SYNs.
  const synFrom = 100;
  const synTo = 160;
  let synPackets = 0;
  const spoofed = new Set<number>();
  for (let s = synFrom; s < synTo; s++) {
    for (let k = 0; k < Math.round(2000 * scale); k++) {
      const src = rnd.u32() >>> 0;
      spoofed.add(src);
      add(t0 + s + rnd.next(), { src, dst: victim, proto: 'tcp', sport: 1024 + rnd.int(60000), dport: 443, flags: SYN });
      synPackets++;
    }
  }
  // DNS amplification: large UDP responses from port 53 of many resolvers.
  const ampFrom = 200;
  const ampTo = 240;
  const resolvers = Array.from({ length: 400 }, () => publicIpv4(rnd));
  let ampPackets = 0;
  for (let s = ampFrom; s < ampTo; s++) {
    for (let k = 0; k < Math.round(1500 * scale); k++) {
      add(t0 + s + rnd.next(), { src: resolvers[rnd.int(resolvers.length)]!, dst: victim, proto: 'udp', sport: 53, dport: 1024 + rnd.int(60000), payload: 1400 }, 1442);
      ampPackets++;
    }
  }
  // SYN port scan from one address: many ports, one SYN each.
  const scanner = publicIpv4(rnd);
  for (let i = 0; i < 2000; i++) add(t0 + 40 + i * 0.01, { src: scanner, dst: victim, proto: 'tcp', sport: 40000, dport: 1 + i, flags: SYN });
  out.sort((a, b) => a.time - b.time);
  const ip = (x: number) => formatIp(0, 0, 0xffff, x);
  return {
    packets: out,
    truth: {
      packets: out.length,
      start: t0,
      end: t0 + duration,
      victim: ip(victim),
      synFlood: { target: `${ip(victim)}:443`, start: t0 + synFrom, end: t0 + synTo - 1, sources: spoofed.size, packets: synPackets },
      amplification: { target: ip(victim), start: t0 + ampFrom, end: t0 + ampTo - 1, reflectors: resolvers.length, packets: ampPackets },
      portScan: { source: ip(scanner), start: t0 + 40, end: t0 + 60 },
      clients: [...new Set(clients)].map(ip),
    },
  };
}

/**
 * Stream a capture of about `n` packets to `write` (pcap, µs, little-endian) for the
 * benchmark: steady normal TCP traffic to a few servers, with a spoofed SYN flood and a
 * DNS amplification flood in the middle, `rate` packets a second of capture time (the busy
 * bench capture 100,000; its quiet one 50, twelve hours of it). Never holds the packets in memory.
 */
export function streamBenchCapture(n: number, write: (b: Uint8Array) => void, seed = 9, rate = 100_000): number {
  const rnd = new Random(seed);
  const buf = Buffer.alloc(4 << 20);
  let off = 0;
  const flush = () => {
    write(buf.subarray(0, off));
    off = 0;
  };
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(262144, 16);
  hdr.writeUInt32LE(1, 20);
  write(hdr);
  const servers = [0xc6336401, 0xc6336402, 0xc6336403, 0xc633640a];
  const clients = Array.from({ length: 5000 }, () => publicIpv4(rnd));
  const reflectors = Array.from({ length: 3000 }, () => publicIpv4(rnd));
  const t0 = Date.UTC(2025, 4, 1, 12, 0, 0) / 1000;
  for (let i = 0; i < n; i++) {
    const t = t0 + i / rate;
    const phase = i / n;
    let f: Frame;
    let orig = 0;
    const r = rnd.next();
    if (phase > 0.3 && phase < 0.5 && r < 0.5) {
      f = { src: rnd.u32(), dst: servers[3]!, proto: 'tcp', sport: 1024 + rnd.int(60000), dport: 443, flags: SYN };
    } else if (phase > 0.6 && phase < 0.7 && r < 0.4) {
      f = { src: reflectors[rnd.int(reflectors.length)]!, dst: servers[3]!, proto: 'udp', sport: 53, dport: 1024 + rnd.int(60000), payload: 1200 };
      orig = 1242;
    } else {
      const c = clients[rnd.int(clients.length)]!;
      const s = servers[rnd.int(servers.length)]!;
      const port = 1024 + (rnd.u32() % 60000);
      const k = rnd.int(10);
      f = k < 5 ? { src: s, dst: c, proto: 'tcp', sport: 443, dport: port, flags: ACK | PSH, payload: 1000 } : { src: c, dst: s, proto: 'tcp', sport: port, dport: 443, flags: ACK };
    }
    const data = ethIpv4({ ...f, payload: Math.min(f.payload ?? 0, 64) });
    if (off + 16 + data.length > buf.length) flush();
    const sec = Math.floor(t);
    buf.writeUInt32LE(sec, off);
    buf.writeUInt32LE(Math.round((t - sec) * 1e6) % 1_000_000, off + 4);
    buf.writeUInt32LE(data.length, off + 8);
    buf.writeUInt32LE(orig || 14 + 20 + (f.proto === 'tcp' ? 20 : 8) + (f.payload ?? 0), off + 12);
    buf.set(data, off + 16);
    off += 16 + data.length;
  }
  flush();
  return n;
}

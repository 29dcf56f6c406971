import { describe, expect, it } from 'vitest';
import { frameCapture, sniffCapture, type CaptureIssues } from '../../src/framing/captures.js';
import { readFromIterable } from '../../src/framing/lines.js';
import { walkChunk } from '../../src/parsers/packet/records.js';
import { PacketRecord } from '../../src/parsers/packet/decode.js';
import { ethIpv4, writePcap, writePcapng, type Packet } from '../../src/generate/capture.js';
import { formatIp } from '../../src/parsers/ip.js';

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += 777) yield b.subarray(i, i + 777);
}

async function walk(bytes: Uint8Array, chunkSize = 4096, spanSeconds = Infinity) {
  const issues: CaptureIssues = { warnings: [], error: null };
  const r = new PacketRecord();
  const seen: { time: number; src: string; dport: number; flags: number; len: number }[] = [];
  let chunks = 0;
  for await (const ch of frameCapture(readFromIterable(once(bytes)), 'x.pcap', issues, chunkSize, 0, undefined, spanSeconds)) {
    chunks++;
    walkChunk(ch.bytes, ch.context, r, () => seen.push({ time: r.time, src: formatIp(r.s0, r.s1, r.s2, r.s3), dport: r.dport, flags: r.tcpFlags, len: r.origLen }));
  }
  return { seen, issues, chunks };
}

const pkts: Packet[] = Array.from({ length: 300 }, (_, i) => ({
  time: 1_700_000_000 + i * 0.25 + 0.000123,
  data: ethIpv4({ src: 0x0a000001 + i, dst: 0x0a0000fe, proto: 'tcp', sport: 1000 + i, dport: 80, flags: 2 }),
}));

describe('capture containers', () => {
  it.each([
    ['pcap µs little-endian', { littleEndian: true, nano: false }],
    ['pcap µs big-endian', { littleEndian: false, nano: false }],
    ['pcap ns little-endian', { littleEndian: true, nano: true }],
    ['pcap ns big-endian', { littleEndian: false, nano: true }],
  ])('reads %s, across chunk boundaries, with timestamps', async (_n, o) => {
    const file = writePcap(pkts, o);
    expect(sniffCapture(file)).toBe('pcap');
    const { seen, issues, chunks } = await walk(file);
    expect(issues).toEqual({ warnings: [], error: null });
    expect(chunks).toBeGreaterThan(3);
    expect(seen).toHaveLength(300);
    expect(seen[7]).toMatchObject({ src: '10.0.0.8', dport: 80, flags: 2 });
    expect(seen[7]!.time).toBeCloseTo(1_700_000_001.750123, 5);
  });

  it.each([true, false])('reads pcapng (little-endian %s) with two interfaces of different resolutions', async (le) => {
    const two = pkts.map((p, i) => ({ ...p, iface: i % 2 }));
    const file = writePcapng(two, [
      { linkType: 1, tsresol: 9 },
      { linkType: 1, tsresol: 6 },
    ], le);
    expect(sniffCapture(file)).toBe('pcapng');
    const { seen, issues } = await walk(file);
    expect(issues.error).toBeNull();
    expect(seen).toHaveLength(300);
    expect(seen[8]!.time).toBeCloseTo(pkts[8]!.time, 5);
    expect(seen[9]!.time).toBeCloseTo(pkts[9]!.time, 5);
  });

  it.each([true, false])('keeps the capture statistics a pcapng file ends with (little-endian %s): packets dropped while capturing', async (le) => {
    const two = pkts.map((p, i) => ({ ...p, iface: i % 2 }));
    const file = writePcapng(two, [
      // dumpcap writes one at each rotation and one at the end: the counts are totals so far.
      { linkType: 1, tsresol: 6, name: 'eth0', stats: [{ received: 1000, ifDrop: 10 }, { received: 6_000_000_000, ifDrop: 40, osDrop: 5_000_000_001 }] },
      { linkType: 1, tsresol: 9, stats: [{ received: 150, ifDrop: 0, osDrop: 0 }] },
    ], le);
    const { seen, issues } = await walk(file);
    expect(seen).toHaveLength(300);
    expect(issues.drops).toEqual([
      { section: 0, interface: 0, name: 'eth0', received: 6_000_000_000, droppedByInterface: 40, droppedByOs: 5_000_000_001 },
      { section: 0, interface: 1, name: null, received: 150, droppedByInterface: 0, droppedByOs: 0 },
    ]);
    // A pcap has no such record.
    expect((await walk(writePcap(pkts))).issues.drops).toBeUndefined();
  });

  it.each([
    ['pcap', writePcap(pkts)],
    ['pcap big-endian, ns', writePcap(pkts, { littleEndian: false, nano: true })],
    ['pcapng, two resolutions', writePcapng(pkts.map((p, i) => ({ ...p, iface: i % 2 })), [{ linkType: 1, tsresol: 9 }, { linkType: 1, tsresol: 6 }])],
  ])('cuts a %s capture by time as well as by size: no chunk spans the seconds it is given', async (_n, file) => {
    const issues: CaptureIssues = { warnings: [], error: null };
    const r = new PacketRecord();
    const spans: number[] = [];
    let packets = 0;
    // 300 packets over 75 s, chunks of up to 1 MiB (all of it) spanning under 10 s.
    for await (const ch of frameCapture(readFromIterable(once(file)), 'x', issues, 1 << 20, 0, undefined, 10)) {
      const times: number[] = [];
      walkChunk(ch.bytes, ch.context, r, () => times.push(r.time));
      expect(times).toHaveLength(ch.records);
      packets += times.length;
      spans.push(Math.max(...times) - Math.min(...times));
    }
    expect(issues).toEqual({ warnings: [], error: null });
    expect(packets).toBe(300);
    expect(spans.length).toBeGreaterThanOrEqual(7);
    // pcap cuts on its records' whole seconds, pcapng on their times.
    for (const x of spans) expect(x).toBeLessThan(11);
    expect(Math.max(...spans)).toBeGreaterThan(8);
  });

  it.each([
    ['pcap', writePcap(pkts)],
    ['pcapng', writePcapng(pkts, [{ linkType: 1, tsresol: 6 }])],
  ])('hands out a live %s capture that never pauses once its chunk has waited the idle time, not when the chunk is full', async (_n, file) => {
    // Steady input: 30 pieces, one every 20 ms, never a pause of the idle time (100 ms).
    let at = 0;
    const piece = Math.ceil(file.length / 30);
    const read = async (t: Uint8Array, off: number, len: number): Promise<number> => {
      if (at >= file.length) return 0;
      await new Promise((r) => setTimeout(r, 20));
      const n = Math.min(len, piece, file.length - at);
      t.set(file.subarray(at, at + n), off);
      at += n;
      return n;
    };
    const issues: CaptureIssues = { warnings: [], error: null };
    const r = new PacketRecord();
    let packets = 0;
    let chunks = 0;
    for await (const ch of frameCapture(read, 'x', issues, 1 << 20, 100)) {
      if (ch.records > 0) chunks++;
      packets += walkChunk(ch.bytes, ch.context, r, () => {});
    }
    expect(issues).toEqual({ warnings: [], error: null });
    expect(packets).toBe(300);
    // ~600 ms of input in chunks of ~100 ms (one chunk at the end, before).
    expect(chunks).toBeGreaterThanOrEqual(3);
  });

  it('reads no count from a statistics block whose option runs past its end, and keeps the packets of one cut inside it', async () => {
    const file = writePcapng(pkts.slice(0, 10), [{ linkType: 1, tsresol: 6, stats: [{ received: 100, ifDrop: 7 }] }]);
    // The ISB is the last block (52 bytes): type, length, interface, timestamp (8), two 12-byte
    // options, opt_endofopt, length.
    const isb = file.length - 52;
    expect(file.readUInt32LE(isb)).toBe(5);
    const bad = Buffer.from(file);
    bad.writeUInt16LE(0xfff0, isb + 20 + 2); // isb_ifrecv claims 65,520 bytes
    const { seen, issues } = await walk(bad);
    expect(seen).toHaveLength(10);
    expect(issues.drops).toEqual([{ section: 0, interface: 0, name: null, received: null, droppedByInterface: null, droppedByOs: null }]);
    expect(issues.error).toBeNull();
    const cut = await walk(file.subarray(0, file.length - 10));
    expect(cut.seen).toHaveLength(10);
    expect(cut.issues.drops).toBeUndefined();
    expect(cut.issues.warnings).toEqual([expect.stringMatching(/^x\.pcap: truncated last block at byte offset \d+ \(\d+ of \d+ bytes\); the packets before it are kept$/)]);
  });

  it('keeps what was read before a truncated last record and says where it stopped', async () => {
    const file = writePcap(pkts);
    const cut = file.subarray(0, file.length - 30);
    const { seen, issues } = await walk(cut);
    expect(seen).toHaveLength(299);
    expect(issues.error).toBeNull();
    expect(issues.warnings).toEqual([expect.stringMatching(/^x\.pcap: truncated last record at byte offset \d+ \(\d+ of 54 bytes\); the packets before it are kept$/)]);
  });

  it('keeps the same packets of a truncated or damaged capture when its chunks are also cut by time', async () => {
    const file = writePcap(pkts);
    const cut = await walk(file.subarray(0, file.length - 30), 1 << 20, 10);
    expect(cut.chunks).toBeGreaterThanOrEqual(7);
    expect(cut.seen).toHaveLength(299);
    expect(cut.issues.warnings).toEqual([expect.stringMatching(/^x\.pcap: truncated last record at byte offset \d+ \(\d+ of 54 bytes\); the packets before it are kept$/)]);
    const bad = Buffer.concat([file.subarray(0, 24 + 100 * 70), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])]);
    const g = await walk(bad, 1 << 20, 10);
    expect(g.seen).toHaveLength(100);
    expect(g.issues.error).toMatch(/^x\.pcap: garbage at byte offset 7024: record length \d+ is not believable; the packets before it are kept$/);
  });

  it('stops at garbage after a valid header with a one-line error naming the offset', async () => {
    const file = Buffer.concat([writePcap(pkts.slice(0, 10)), Buffer.from('this is not a pcap record at all, just text')]);
    const { seen, issues } = await walk(file);
    expect(seen).toHaveLength(10);
    expect(issues.error).toMatch(/^x\.pcap: garbage at byte offset 7\d\d: record length \d+ is not believable; the packets before it are kept$/);
  });

  it('warns once about records longer than the snaplen and reads them anyway', async () => {
    const { seen, issues } = await walk(writePcap(pkts.slice(0, 5), { snaplen: 40 }));
    expect(seen).toHaveLength(5);
    expect(issues.warnings).toEqual(['x.pcap: 5 records longer than the snaplen 40 (read anyway)']);
  });

  it('names an unknown magic', async () => {
    const { issues } = await walk(Buffer.from('GET / HTTP/1.1\r\n'));
    expect(issues.error).toBe('x.pcap: unknown capture magic 47 45 54 20 (expected pcap a1b2c3d4/a1b23c4d in either byte order, or pcapng 0a0d0d0a)');
  });

  it('counts unknown link types and truncated packets instead of failing', async () => {
    const r = new PacketRecord();
    let unknown = 0;
    let truncated = 0;
    for await (const ch of frameCapture(readFromIterable(once(writePcap(pkts.slice(0, 3), { linkType: 147 }))), 'u', { warnings: [], error: null })) {
      walkChunk(ch.bytes, ch.context, r, () => (unknown += r.unknownLink ? 1 : 0));
    }
    const short = pkts.slice(0, 4).map((p) => ({ ...p, data: p.data.subarray(0, 20) }));
    for await (const ch of frameCapture(readFromIterable(once(writePcap(short))), 't', { warnings: [], error: null })) {
      walkChunk(ch.bytes, ch.context, r, () => (truncated += r.truncated ? 1 : 0));
    }
    expect([unknown, truncated]).toEqual([3, 4]);
  });

  it('says what a capture with headers and no packet is (one empty chunk with its context)', async () => {
    const got = async (file: Uint8Array) => {
      const issues: CaptureIssues = { warnings: [], error: null };
      const out: { records: number; format: string; links: number[] }[] = [];
      for await (const ch of frameCapture(readFromIterable(once(file)), 'e', issues)) out.push({ records: ch.records, format: ch.context.format, links: ch.context.interfaces.map((i) => i.linkType) });
      return { out, issues };
    };
    expect(await got(writePcap([], { linkType: 113 }))).toEqual({ out: [{ records: 0, format: 'pcap', links: [113] }], issues: { warnings: [], error: null } });
    expect(await got(writePcapng([], [{ linkType: 1, tsresol: 6 }, { linkType: 276, tsresol: 9 }]))).toEqual({
      out: [{ records: 0, format: 'pcapng', links: [1, 276] }],
      issues: { warnings: [], error: null },
    });
    // With packets, no extra empty chunk.
    expect((await got(writePcap(pkts.slice(0, 2)))).out).toEqual([{ records: 2, format: 'pcap', links: [1] }]);
  });
});

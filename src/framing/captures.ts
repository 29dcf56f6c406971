/**
 * Capture files cut into chunks at packet-record boundaries, each chunk carrying the
 * context its worker needs to decode it without per-packet objects.
 *
 * pcap (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-03.html):
 *   magic a1b2c3d4 (µs) or a1b23c4d (ns), in either byte order, then 24-byte header,
 *   then records: ts_sec, ts_frac, incl_len, orig_len (4 × u32), incl_len bytes.
 *   A chunk is a run of whole records, verbatim; context: byte order, resolution,
 *   link type, snaplen.
 * pcapng (draft-ietf-opsawg-pcapng): blocks of type, total length, body, total length.
 *   Section Header Blocks set the byte order (magic 1a2b3c4d) and reset the interfaces;
 *   Interface Description Blocks add an interface (link type, snaplen, if_tsresol,
 *   if_tsoffset). Packet blocks (EPB 6, SPB 3, obsolete PB 2) go into chunks verbatim;
 *   the chunk's context is the section's byte order and interface table. Interface
 *   Statistics Blocks (5) give what the capturing tool counted — packets received and
 *   dropped while capturing — kept in `issues.drops`. Other blocks (name resolution,
 *   custom, unknown) are skipped.
 *
 * Damage never throws: a truncated last record or block is reported with its byte offset
 * and everything before it is kept; garbage (an impossible length) stops the file with a
 * message naming the offset.
 */

export const CAPTURE_MAGICS = {
  PCAP_US_LE: 0xd4c3b2a1, // bytes d4 c3 b2 a1 read big-endian: little-endian µs file
  PCAP_US_BE: 0xa1b2c3d4,
  PCAP_NS_LE: 0x4d3cb2a1,
  PCAP_NS_BE: 0xa1b23c4d,
  PCAPNG: 0x0a0d0d0a,
} as const;

/** What kind of input the first bytes are: a capture container or (presumably) text. */
export function sniffCapture(head: Uint8Array): 'pcap' | 'pcapng' | null {
  if (head.length < 4) return null;
  const m = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  if (m === CAPTURE_MAGICS.PCAPNG) return 'pcapng';
  if (m === CAPTURE_MAGICS.PCAP_US_LE || m === CAPTURE_MAGICS.PCAP_US_BE || m === CAPTURE_MAGICS.PCAP_NS_LE || m === CAPTURE_MAGICS.PCAP_NS_BE) return 'pcap';
  return null;
}

export interface InterfaceInfo {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second (10^6 by default). */
  unitsPerSec: number;
  /** if_tsoffset, seconds added to every timestamp. */
  tsOffset: number;
  /** if_name ("eth0"), when given. */
  name?: string;
}

export interface CaptureContext {
  format: 'pcap' | 'pcapng';
  littleEndian: boolean;
  /** pcap: the one interface; pcapng: the section's interfaces by id. */
  interfaces: InterfaceInfo[];
}

export interface CaptureChunk {
  bytes: Uint8Array;
  context: CaptureContext;
  /** Packet records in the chunk. */
  records: number;
  /** File offset of the chunk's first byte (for messages). */
  offset: number;
  /** Live input went quiet after this chunk (records may be 0: a tick with no data). */
  idle?: boolean;
}

export interface CaptureIssues {
  /** One-line warnings (caplen over snaplen, truncated last record …). */
  warnings: string[];
  /** Set when the file could not be read to its end: what and where. */
  error: string | null;
  /** pcapng: each interface's capture statistics (its last Interface Statistics Block). */
  drops?: CaptureDrops[];
}

/**
 * What the capturing tool (dumpcap, Wireshark …) counted on one interface while it captured,
 * from the Interface Statistics Block it wrote (cumulative: the last one holds the totals).
 * During a flood the kernel's buffer fills and packets are dropped: the capture misses them.
 */
export interface CaptureDrops {
  /** The pcapng section (0-based) and the interface's id in it, with its if_name (null: none). */
  section: number;
  interface: number;
  name: string | null;
  /** isb_ifrecv: packets the interface received since the capture began (null: not given). */
  received: number | null;
  /** isb_ifdrop: packets dropped by the interface (lack of resources). */
  droppedByInterface: number | null;
  /** isb_osdrop: packets dropped by the operating system or the capture software (a full buffer). */
  droppedByOs: number | null;
}

/**
 * A buffer of `n` bytes for a chunk: by default its own; the pipeline's are in shared memory,
 * read by a worker in place and filled again once it has answered (pipeline/chunk-buffers.ts).
 */
export type ChunkAlloc = (n: number) => Uint8Array;

/** Largest record/block length believed; anything longer is garbage, not a packet. */
const MAX_RECORD = 1 << 24;

/** Bytes read, 0 at the end, -1 when live input stayed quiet for `idleMs`. */
type Read = (target: Uint8Array, offset: number, length: number, idleMs?: number) => Promise<number>;

/** A Read over bytes in memory (a capture's first bytes, a test's capture). */
export function readFrom(bytes: Uint8Array): Read {
  let at = 0;
  return async (t, off, len) => {
    const n = Math.min(len, bytes.length - at);
    t.set(bytes.subarray(at, at + n), off);
    at += n;
    return n;
  };
}

/**
 * A byte window over the stream with an absolute offset, refilled from `read`.
 * Holds at most one chunk plus one record; chunks are handed out as copies (see ChunkAlloc).
 */
class Window {
  buf: Uint8Array;
  start = 0; // index of the first unconsumed byte in buf
  /** Index of the first byte still wanted (the start of the chunk being gathered); moves keep it. */
  mark = 0;
  end = 0; // bytes valid in buf
  base = 0; // absolute offset of buf[0]
  eof = false;
  constructor(
    private readonly read: Read,
    size: number,
    /** Live input: `waitFor` gives up after this much quiet (0: never). */
    private readonly idleMs = 0,
  ) {
    this.buf = new Uint8Array(size);
  }
  /** Make at least n bytes available from `start`; false at end of input. */
  async need(n: number): Promise<boolean> {
    for (;;) {
      const r = await this.fill(n, false);
      if (r !== 'idle') return r === 'ok';
    }
  }
  /**
   * As `need`, but live input that stays quiet for `idleMs` gives 'idle' (bytes may have come),
   * and so does steady input once the chunk being gathered has waited `idleMs` since its first
   * bytes arrived: a flood too slow to fill a chunk quickly is not held back until it does.
   */
  waitFor(n: number): Promise<'ok' | 'eof' | 'idle'> {
    if (this.idleMs > 0 && this.waitingSince > 0 && Date.now() - this.waitingSince >= this.idleMs) return Promise.resolve('idle');
    return this.fill(n, this.idleMs > 0);
  }
  /** Live input: when the first bytes of the chunk being gathered arrived (0: none yet). */
  private waitingSince = 0;
  /** A chunk was handed out: the next one's wait starts with the bytes after it. */
  chunkOut(): void {
    if (this.idleMs > 0) this.waitingSince = this.end > this.start ? Date.now() : 0;
  }
  private async fill(n: number, idle: boolean): Promise<'ok' | 'eof' | 'idle'> {
    while (this.end - this.start < n) {
      if (this.eof) return 'eof';
      if (this.start + n > this.buf.length) {
        // Move everything from the mark to the front: in place when it fits (chunks leave as
        // copies, nothing else points into the window), else into a larger buffer. A fresh
        // buffer each time was a 4 MiB allocation, zeroed, per 2 MiB chunk of a capture.
        const keep = Math.min(this.mark, this.start);
        const size = this.start - keep + n + (1 << 16);
        if (size <= this.buf.length) this.buf.copyWithin(0, keep, this.end);
        else {
          const nb = new Uint8Array(size);
          nb.set(this.buf.subarray(keep, this.end));
          this.buf = nb;
        }
        this.base += keep;
        this.end -= keep;
        this.start -= keep;
        this.mark -= keep;
      }
      const got = await this.read(this.buf, this.end, this.buf.length - this.end, idle ? this.idleMs : undefined);
      if (got < 0) return 'idle';
      if (got === 0) this.eof = true;
      else if (this.idleMs > 0 && this.waitingSince === 0) this.waitingSince = Date.now();
      this.end += got;
    }
    return 'ok';
  }
  get offset(): number {
    return this.base + this.start;
  }
}

function u32(b: Uint8Array, i: number, le: boolean): number {
  return le ? (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0 : ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

function u16(b: Uint8Array, i: number, le: boolean): number {
  return le ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!;
}

/**
 * Frame a capture into chunks of about `chunkSize` bytes of whole packet records, each spanning
 * less than `spanSeconds` of capture time from its first record (a quiet capture's chunk would
 * otherwise hold many steps, and each step's summaries travel with it).
 * `issues` collects warnings and the error that stopped the file, if any.
 */
export async function* frameCapture(
  read: Read,
  name: string,
  issues: CaptureIssues,
  chunkSize = 1 << 20,
  idleMs = 0,
  alloc: ChunkAlloc = (n) => new Uint8Array(n),
  spanSeconds = Infinity,
): AsyncGenerator<CaptureChunk> {
  const w = new Window(read, chunkSize * 2, idleMs);
  if (!(await w.need(4))) {
    issues.error = `${name}: empty file, not a capture`;
    return;
  }
  const kind = sniffCapture(w.buf.subarray(w.start, w.start + 4));
  if (kind === 'pcap' || kind === 'pcapng') {
    const seen: Seen = { context: null };
    let any = false;
    const chunks = kind === 'pcap' ? framePcap(w, name, issues, chunkSize, seen, alloc, spanSeconds) : framePcapng(w, name, issues, chunkSize, seen, alloc, spanSeconds);
    for await (const ch of chunks) {
      any = true;
      yield ch;
    }
    // A capture with headers and no packet still says what it is (format, link types).
    if (!any && seen.context !== null) yield { bytes: new Uint8Array(0), context: seen.context, records: 0, offset: w.offset };
  } else {
    const m = Array.from(w.buf.subarray(w.start, w.start + 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
    issues.error = `${name}: unknown capture magic ${m} (expected pcap a1b2c3d4/a1b23c4d in either byte order, or pcapng 0a0d0d0a)`;
  }
}

/** The last context a framer read from the headers, whether or not a chunk carried it out. */
interface Seen {
  context: CaptureContext | null;
}

async function* framePcap(w: Window, name: string, issues: CaptureIssues, chunkSize: number, seen: Seen, alloc: ChunkAlloc, spanSeconds: number): AsyncGenerator<CaptureChunk> {
  if (!(await w.need(24))) {
    issues.error = `${name}: truncated pcap header (${w.end - w.start} of 24 bytes)`;
    return;
  }
  const b0 = w.buf;
  const m = ((b0[w.start]! << 24) | (b0[w.start + 1]! << 16) | (b0[w.start + 2]! << 8) | b0[w.start + 3]!) >>> 0;
  const le = m === CAPTURE_MAGICS.PCAP_US_LE || m === CAPTURE_MAGICS.PCAP_NS_LE;
  const nano = m === CAPTURE_MAGICS.PCAP_NS_LE || m === CAPTURE_MAGICS.PCAP_NS_BE;
  const snaplen = u32(b0, w.start + 16, le);
  const linkType = u32(b0, w.start + 20, le) & 0xffff;
  const context: CaptureContext = {
    format: 'pcap',
    littleEndian: le,
    interfaces: [{ linkType, snaplen, unitsPerSec: nano ? 1e9 : 1e6, tsOffset: 0 }],
  };
  seen.context = context;
  w.start += 24;
  let overSnap = 0;
  for (;;) {
    // Gather whole records into [mark, start).
    w.mark = w.start;
    const chunkOffset = w.offset;
    let records = 0;
    let stop = false;
    let idle = false;
    // The chunk's first record's second; a record `spanSeconds` or more after it starts the next.
    let first = 0;
    let full = false;
    while (w.start - w.mark < chunkSize) {
      // Fast path: walk every record already buffered without awaiting per record.
      const buf = w.buf;
      let st = w.start;
      const limit = w.mark + chunkSize;
      while (st < limit && w.end - st >= 16) {
        const incl = u32(buf, st + 8, le);
        if (incl > MAX_RECORD || w.end - st < 16 + incl) break;
        const sec = u32(buf, st, le);
        if (records === 0) first = sec;
        else if (sec - first >= spanSeconds) {
          full = true;
          break;
        }
        if (snaplen > 0 && incl > snaplen) overSnap++;
        st += 16 + incl;
        records++;
      }
      w.start = st;
      if (st >= limit || full) break;
      const got = await w.waitFor(16);
      if (got === 'idle') {
        // Live input paused between records: hand out what is here now.
        idle = true;
        break;
      }
      if (got === 'eof') {
        const left = w.end - w.start;
        if (left > 0) issues.warnings.push(`${name}: truncated record header at byte offset ${w.offset} (${left} of 16 bytes); the packets before it are kept`);
        stop = true;
        break;
      }
      const incl = u32(w.buf, w.start + 8, le);
      if (incl > MAX_RECORD) {
        issues.error = `${name}: garbage at byte offset ${w.offset}: record length ${incl} is not believable; the ${records > 0 || w.offset > 24 ? 'packets before it are kept' : 'file has no packet before it'}`;
        stop = true;
        break;
      }
      if (snaplen > 0 && incl > snaplen) overSnap++;
      if (!(await w.need(16 + incl))) {
        issues.warnings.push(`${name}: truncated last record at byte offset ${w.offset} (${w.end - w.start - 16} of ${incl} bytes); the packets before it are kept`);
        stop = true;
        break;
      }
      const sec = u32(w.buf, w.start, le);
      if (records === 0) first = sec;
      else if (sec - first >= spanSeconds) break;
      w.start += 16 + incl;
      records++;
    }
    if (records > 0 || idle) {
      // Hand the chunk out in a buffer of its own (a worker reads it in place).
      const bytes = alloc(w.start - w.mark);
      bytes.set(w.buf.subarray(w.mark, w.start));
      yield idle ? { bytes, context, records, offset: chunkOffset, idle } : { bytes, context, records, offset: chunkOffset };
    }
    w.chunkOut();
    if (stop || (w.eof && w.start >= w.end)) break;
    if (!idle && !(await w.need(1))) break;
  }
  if (overSnap > 0) issues.warnings.push(`${name}: ${overSnap} record${overSnap === 1 ? '' : 's'} longer than the snaplen ${snaplen} (read anyway)`);
}

async function* framePcapng(w: Window, name: string, issues: CaptureIssues, chunkSize: number, seen: Seen, alloc: ChunkAlloc, spanSeconds: number): AsyncGenerator<CaptureChunk> {
  let le = true;
  let context: CaptureContext | null = null;
  /** Sections begun (an Interface Statistics Block names an interface of the current one). */
  let section = -1;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let pendingRecords = 0;
  let pendingOffset = 0;
  /** The pending chunk's first timed packet's time (seconds), NaN before one. */
  let pendingFirst = NaN;
  const flush = function* (idle = false): Generator<CaptureChunk> {
    if ((pendingRecords > 0 || idle) && context !== null) {
      const bytes = alloc(pendingBytes);
      let o = 0;
      for (const p of pending) {
        bytes.set(p, o);
        o += p.length;
      }
      const chunk: CaptureChunk = { bytes, context, records: pendingRecords, offset: pendingOffset };
      if (idle) chunk.idle = true;
      yield chunk;
    }
    pending = [];
    pendingBytes = 0;
    pendingRecords = 0;
    pendingFirst = NaN;
    w.chunkOut();
  };
  for (;;) {
    w.mark = w.start;
    const got = await w.waitFor(12);
    if (got === 'idle') {
      // Live input paused between blocks: hand out what is here now.
      yield* flush(true);
      continue;
    }
    if (got === 'eof') {
      const left = w.end - w.start;
      if (left > 0) issues.warnings.push(`${name}: truncated block header at byte offset ${w.offset} (${left} bytes); the packets before it are kept`);
      break;
    }
    const b = w.buf;
    const type = u32(b, w.start, le);
    if (type === CAPTURE_MAGICS.PCAPNG || u32(b, w.start, !le) === CAPTURE_MAGICS.PCAPNG) {
      // Section Header Block: its byte-order magic decides the endianness of the section.
      const bom = u32(b, w.start + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else {
        issues.error = `${name}: bad pcapng byte-order magic at byte offset ${w.offset + 8}`;
        break;
      }
      yield* flush();
      section++;
      context = seen.context = { format: 'pcapng', littleEndian: le, interfaces: [] };
    }
    const len = u32(w.buf, w.start + 4, le);
    if (len < 12 || len % 4 !== 0 || len > MAX_RECORD) {
      issues.error = `${name}: garbage at byte offset ${w.offset}: block length ${len} is not valid pcapng; the packets before it are kept`;
      break;
    }
    if (!(await w.need(len))) {
      issues.warnings.push(`${name}: truncated last block at byte offset ${w.offset} (${w.end - w.start} of ${len} bytes); the packets before it are kept`);
      break;
    }
    const bt = u32(w.buf, w.start, le);
    if (context === null) {
      issues.error = `${name}: pcapng block before any section header at byte offset ${w.offset}`;
      break;
    }
    if (bt === 5 && len >= 24) {
      const d = parseIsb(w.buf, w.start, len, le, section, context.interfaces);
      const all = (issues.drops ??= []);
      const at = all.findIndex((x) => x.section === d.section && x.interface === d.interface);
      if (at >= 0) all[at] = d;
      else all.push(d);
    } else if (bt === 1) {
      // Interface Description Block: a new interface changes the context for later chunks.
      yield* flush();
      context = seen.context = { ...context, interfaces: [...context.interfaces, parseIdb(w.buf, w.start, len, le)] };
    } else if (bt === 6 || bt === 3 || bt === 2) {
      // Enhanced and obsolete Packet Blocks carry a time (Simple ones do not): in the interface's units.
      const ifc = bt === 3 || len < 20 ? undefined : context.interfaces[bt === 6 ? u32(w.buf, w.start + 8, le) : u16(w.buf, w.start + 8, le)];
      if (ifc !== undefined) {
        const t = (u32(w.buf, w.start + 12, le) * 4294967296 + u32(w.buf, w.start + 16, le)) / ifc.unitsPerSec + ifc.tsOffset;
        if (t - pendingFirst >= spanSeconds) yield* flush();
        if (Number.isNaN(pendingFirst)) pendingFirst = t;
      }
      if (pendingRecords === 0) pendingOffset = w.offset;
      pending.push(w.buf.slice(w.start, w.start + len));
      pendingBytes += len;
      pendingRecords++;
      if (pendingBytes >= chunkSize) yield* flush();
    }
    // Anything else (NRB 4, custom, unknown) is skipped.
    w.start += len;
  }
  yield* flush();
}

/** Interface Description Block → link type, snaplen, timestamp resolution and offset. */
function parseIdb(b: Uint8Array, s: number, len: number, le: boolean): InterfaceInfo {
  const info: InterfaceInfo = { linkType: u16(b, s + 8, le), snaplen: u32(b, s + 12, le), unitsPerSec: 1e6, tsOffset: 0 };
  eachOption(b, s + 16, s + len - 4, le, (code, v, olen) => {
    if (code === 9 && olen >= 1) {
      const r = b[v]!;
      info.unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
    } else if (code === 14 && olen >= 8) {
      info.tsOffset = u64(b, v, le);
    } else if (code === 2 && olen > 0) {
      info.name = new TextDecoder().decode(b.subarray(v, v + olen)).replace(/\0+$/, '');
    }
  });
  return info;
}

/** A pcapng block's options from `o` to `end`: each code with its value's offset and length, up to opt_endofopt. */
function eachOption(b: Uint8Array, o: number, end: number, le: boolean, f: (code: number, v: number, olen: number) => void): void {
  while (o + 4 <= end) {
    const code = u16(b, o, le);
    const olen = u16(b, o + 2, le);
    if (code === 0) break;
    // A value that runs past its block is not read.
    if (o + 4 + olen <= end) f(code, o + 4, olen);
    o += 4 + ((olen + 3) & ~3);
  }
}

/** An unsigned 64-bit option value (exact up to 2^53). */
function u64(b: Uint8Array, i: number, le: boolean): number {
  const lo = u32(b, le ? i : i + 4, le);
  const hi = u32(b, le ? i + 4 : i, le);
  return hi * 4294967296 + lo;
}

/** Interface Statistics Block → its interface and the counts it gives. */
function parseIsb(b: Uint8Array, s: number, len: number, le: boolean, section: number, interfaces: readonly InterfaceInfo[]): CaptureDrops {
  const id = u32(b, s + 8, le);
  const d: CaptureDrops = { section, interface: id, name: interfaces[id]?.name ?? null, received: null, droppedByInterface: null, droppedByOs: null };
  eachOption(b, s + 20, s + len - 4, le, (code, v, olen) => {
    if (olen < 8) return;
    if (code === 4) d.received = u64(b, v, le);
    else if (code === 5) d.droppedByInterface = u64(b, v, le);
    else if (code === 7) d.droppedByOs = u64(b, v, le);
  });
  return d;
}

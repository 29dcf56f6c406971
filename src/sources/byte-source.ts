/**
 * Bytes in: a file or stdin, plain or gzip (told apart by the magic bytes 1f 8b, never by
 * the name). `peek()` reads the first decompressed bytes for format detection without
 * losing them; `read(target, offset, length)` then delivers everything from the start.
 * A plain file is read by the kernel straight into the caller's buffer (the chunk that
 * goes to a worker); gzip and stdin arrive as pieces that are copied once.
 *
 * Damage is reported, not thrown away: a truncated or corrupt gzip member ends the
 * stream with `damage` set (file name and compressed byte offset), after everything that
 * could be decompressed has been yielded.
 */
import { open, promises as fsp, type promises } from 'node:fs';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { createGunzip, createInflateRaw, type Gunzip } from 'node:zlib';
import { InputError } from './errors.js';

const READ_SIZE = 1 << 20;

/** Gzip data starts with the magic bytes 1f 8b (RFC 1952); a name says nothing. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export interface InputSpec {
  /** Display name: the path as given, or "-" / "(stdin)". */
  name: string;
  /** File path, or null for stdin. */
  path: string | null;
}

/** What the pipeline needs of an input: ByteSource (files, stdin) and FollowSource (--follow). */
export interface InputSource {
  readonly name: string;
  readonly path: string | null;
  readonly size: number | null;
  compressed: boolean;
  rawBytes: number;
  bytes: number;
  damage: string | null;
  /** What a reader should know of an input read in full (trailing garbage after the last gzip member). */
  readonly notes: string[];
  signal: AbortSignal | null;
  readonly isPlainFile: boolean;
  read(target: Uint8Array, offset: number, length: number, timeoutMs?: number): Promise<number>;
  peek(n: number): Promise<Buffer>;
  /**
   * Start the input at its turn (a parked file is opened again here: an InputError if it
   * was removed or replaced since the run started). Resolves to the file descriptor of a
   * plain file, through which workers read its byte ranges (threads share descriptors, so
   * a file removed while it is read stays readable, as for `tail`), else null.
   */
  begin(): Promise<number | null>;
  close(): void;
}

export class ByteSource implements InputSource {
  readonly name: string;
  readonly path: string | null;
  /** Size on disk (compressed), null for stdin. */
  readonly size: number | null;
  /** Device and inode of a file ("dev:ino"), null for stdin: tells a reopened file from a replacement. */
  readonly identity: string | null;
  /** A regular file (not stdin, a pipe, a FIFO or a device): it can be read by offset and opened again. */
  readonly isRegularFile: boolean;
  compressed = false;
  /** Raw (compressed) bytes consumed so far, for progress. */
  rawBytes = 0;
  /** Decompressed bytes yielded so far. */
  bytes = 0;
  /** Set when the input ended badly (truncated gzip, read error): what and where. */
  damage: string | null = null;
  private readonly head: Buffer[] = [];
  private headLen = 0;
  private iter: AsyncIterator<Buffer> | null = null;
  private done = false;
  private raw: Readable | null;
  private readonly fh: promises.FileHandle | null;
  /** Plain file: read from fh directly once the peeked head is used up. */
  private plain = false;
  private gunzip: Gunzip | null = null;
  private piece: Buffer | null = null;
  private pieceOff = 0;
  /** Decompressed bytes the pieces yielded so far (where a gzip re-read resumes). */
  private pulled = 0;
  private recovering = false;
  /** What a reader should know of an input read in full (trailing garbage after the last gzip member). */
  readonly notes: string[] = [];
  /** A pull that a timed-out read left running; the next read takes its result. */
  private pendingPull: Promise<Buffer | null> | null = null;
  /** Ends the input (as at EOF) when aborted: live mode's SIGINT/SIGTERM. */
  signal: AbortSignal | null = null;

  private constructor(spec: InputSpec, raw: Readable | null, fh: promises.FileHandle | null, size: number | null, identity: string | null, regular: boolean) {
    this.name = spec.name;
    this.path = spec.path;
    this.raw = raw;
    this.fh = fh;
    this.size = size;
    this.identity = identity;
    this.isRegularFile = regular;
  }

  /** Open an input; a missing or unreadable file is an InputError naming it. */
  static async open(spec: InputSpec, stdin: Readable = process.stdin): Promise<ByteSource> {
    if (spec.path === null) return new ByteSource(spec, stdin, null, null, null, false);
    try {
      const named = await fsp.stat(spec.path);
      if (named.isFIFO() || named.isSocket()) {
        // A named pipe (a FIFO, `<(zcat …)`): read without blocking, as stdin is, so that an
        // interrupted run can exit while its writer waits (a blocked read(2) in the thread
        // pool holds the process at exit). The socket owns the descriptor.
        const fd = await promisify(open)(spec.path, 'r');
        return new ByteSource(spec, new Socket({ fd, readable: true, writable: false }), null, null, `${named.dev}:${named.ino}`, false);
      }
      const fh = await fsp.open(spec.path, 'r');
      // Size and identity of what was opened (a stat of the path could see another file).
      const st = await fh.stat().catch(async (e: unknown) => {
        await fh.close();
        throw e;
      });
      if (st.isDirectory()) {
        await fh.close();
        throw new InputError('FS_INPUT_IS_DIRECTORY', spec.name, `${spec.name}: is a directory`);
      }
      // A device has no size: it is read to its end like stdin.
      return st.isFile() ? new ByteSource(spec, null, fh, st.size, `${st.dev}:${st.ino}`, true) : new ByteSource(spec, null, fh, null, `${st.dev}:${st.ino}`, false);
    } catch (e) {
      if (e instanceof InputError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new InputError('FS_INPUT_NOT_FOUND', spec.name, `${spec.name}: no such file`);
      if (code === 'EACCES' || code === 'EPERM') throw new InputError('FS_INPUT_UNREADABLE', spec.name, `${spec.name}: permission denied`);
      throw new InputError('FS_INPUT_UNREADABLE', spec.name, `${spec.name}: cannot read (${(e as Error).message})`);
    }
  }

  private async start(): Promise<void> {
    if (this.iter !== null) return;
    // A pipe or device given by name is read as a stream, like stdin: its reads can be
    // abandoned (Ctrl-C while its writer waits), and they never write into a chunk buffer.
    if (this.fh !== null && !this.isRegularFile) this.raw ??= this.fh.createReadStream({ highWaterMark: READ_SIZE, autoClose: false });
    else if (this.fh !== null) {
      // Look at the first bytes of the file for the gzip magic.
      const first = Buffer.allocUnsafe(READ_SIZE);
      let n: number;
      try {
        n = (await this.fh.read(first, 0, first.length, null)).bytesRead;
      } catch (e) {
        throw new InputError('FS_INPUT_UNREADABLE', this.name, `${this.name}: cannot read (${(e as Error).message})`);
      }
      this.rawBytes = n;
      const head = first.subarray(0, n);
      if (isGzip(head)) {
        this.raw = Readable.from(
          async function* (this: ByteSource): AsyncGenerator<Buffer> {
            yield head;
            for (;;) {
              const b = Buffer.allocUnsafe(READ_SIZE);
              const r = await this.fh!.read(b, 0, b.length, null);
              if (r.bytesRead === 0) return;
              this.rawBytes += r.bytesRead;
              yield b.subarray(0, r.bytesRead);
            }
          }.call(this),
        );
        this.iter = this.decompress(this.raw);
        return;
      }
      // Plain: the head is served from memory, the rest read straight into the caller's buffers.
      this.plain = true;
      let served = n === 0;
      this.iter = {
        next: async () => {
          if (served) return { done: true, value: undefined };
          served = true;
          return { done: false, value: head };
        },
      };
      return;
    }
    const rawIter = this.raw![Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let first: IteratorResult<Buffer>;
    try {
      first = await rawIter.next();
    } catch (e) {
      throw new InputError('FS_INPUT_UNREADABLE', this.name, `${this.name}: cannot read (${(e as Error).message})`);
    }
    if (first.done) {
      this.iter = { next: async () => ({ done: true, value: undefined }) };
      return;
    }
    const firstChunk = Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value);
    const counted = async function* (this: ByteSource): AsyncGenerator<Buffer> {
      this.rawBytes += firstChunk.length;
      yield firstChunk;
      for (;;) {
        const r = await rawIter.next();
        if (r.done) return;
        const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
        this.rawBytes += c.length;
        yield c;
      }
    }.call(this);
    if (isGzip(firstChunk)) {
      this.iter = this.decompress(Readable.from(counted));
    } else {
      this.iter = counted;
    }
  }

  private decompress(src: Readable): AsyncIterator<Buffer> {
    this.compressed = true;
    const gz = createGunzip({ chunkSize: 1 << 18 });
    this.gunzip = gz;
    src.on('error', (e) => gz.destroy(e));
    src.pipe(gz);
    return gz[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async pull(): Promise<Buffer | null> {
    if (this.done) return null;
    await this.start();
    for (;;) {
      try {
        const r = await this.iter!.next();
        if (r.done) {
          this.done = true;
          return null;
        }
        this.pulled += r.value.length;
        return r.value;
      } catch (e) {
        // A bad header after a member: a gzip file on disk is read again member by member
        // from its start, past what was delivered. Node's gunzip takes whatever follows a
        // member for another member, and on trailing garbage (gzip itself ignores it) fails and
        // drops the last member's final output with it. What that reading fails on is the damage.
        const err = e as NodeJS.ErrnoException;
        const badHeader = err.code === 'Z_DATA_ERROR' && /header|compression method/i.test(err.message);
        if (badHeader && this.compressed && this.fh !== null && this.isRegularFile && !this.recovering) {
          this.recovering = true;
          this.gunzip?.destroy();
          this.raw?.destroy();
          this.iter = gzipMembers(this.fh, this.pulled, this.name, this.notes);
          continue;
        }
        this.failed(e);
        return null;
      }
    }
  }

  /** The input ended on an error: the damage says what and where. */
  private failed(e: unknown): void {
    this.done = true;
    const err = e as NodeJS.ErrnoException & { at?: number };
    if (this.compressed) {
      const at = err.at ?? this.gunzip?.bytesWritten ?? this.rawBytes;
      const what = err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message) ? 'truncated gzip data' : `corrupt gzip data (${err.message})`;
      this.damage = `${this.name}: ${what} at compressed byte offset ${at} (decompressed ${this.pulled} bytes); the results so far are kept`;
    } else {
      this.damage = `${this.name}: read error after ${this.rawBytes} bytes (${err.message}); the results so far are kept`;
    }
  }

  /**
   * A plain (not compressed) file on disk, known after peek(): workers can read its byte
   * ranges themselves.
   */
  get isPlainFile(): boolean {
    return this.plain && this.fh !== null && this.path !== null && this.isRegularFile;
  }

  async begin(): Promise<number | null> {
    await this.start();
    return this.isPlainFile ? this.fh!.fd : null;
  }

  /** The first `n` decompressed bytes (fewer if the input is shorter). */
  async peek(n: number): Promise<Buffer> {
    while (this.headLen < n) {
      const c = await this.pull();
      if (c === null) break;
      this.head.push(c);
      this.headLen += c.length;
    }
    return Buffer.concat(this.head, Math.min(this.headLen, Math.max(n, 0)));
  }

  /**
   * Fill target[offset, offset + length) with the next decompressed bytes (peeked bytes
   * first); resolves to the number of bytes, 0 at the end. Plain files go straight from
   * the kernel into `target`. With `timeoutMs` (live input), resolves to -1 when nothing
   * arrived in time; the next call picks up where this one left off.
   */
  async read(target: Uint8Array, offset: number, length: number, timeoutMs?: number): Promise<number> {
    for (;;) {
      if (this.piece !== null && this.pieceOff < this.piece.length) {
        const n = Math.min(length, this.piece.length - this.pieceOff);
        target.set(this.piece.subarray(this.pieceOff, this.pieceOff + n), offset);
        this.pieceOff += n;
        this.bytes += n;
        return n;
      }
      if (this.head.length > 0) {
        this.piece = this.head.shift()!;
        this.pieceOff = 0;
        continue;
      }
      this.pendingPull ??= this.pull();
      if ((timeoutMs !== undefined && timeoutMs > 0) || this.signal !== null) {
        // Live input: do not wait forever — report "idle" (-1) after timeoutMs, or the end
        // when aborted. The pull stays pending; no byte is written into `target` after this.
        const r = await raceTimeout(this.pendingPull, timeoutMs, this.signal);
        if (r === TIMEOUT) return -1;
        if (r === ABORTED) return 0;
      }
      const c = await this.pendingPull;
      this.pendingPull = null;
      if (c !== null) {
        this.piece = c;
        this.pieceOff = 0;
        continue;
      }
      if (!this.plain || this.fh === null) return 0;
      let n: number;
      try {
        n = (await this.fh.read(target, offset, length, null)).bytesRead;
      } catch (e) {
        this.damage = `${this.name}: read error after ${this.rawBytes} bytes (${(e as Error).message}); the results so far are kept`;
        return 0;
      }
      this.rawBytes += n;
      this.bytes += n;
      return n;
    }
  }

  close(): void {
    this.raw?.destroy();
    this.gunzip?.destroy();
    void this.fh?.close().catch(() => {});
  }
}

const TIMEOUT = Symbol('timeout');
const ABORTED = Symbol('aborted');

function raceTimeout<T>(p: Promise<T>, ms: number | undefined, signal: AbortSignal | null): Promise<T | typeof TIMEOUT | typeof ABORTED> {
  if (signal?.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const timer = ms !== undefined && ms > 0 ? setTimeout(() => done(TIMEOUT), ms) : null;
    const onAbort = () => done(ABORTED);
    const done = (v: T | typeof TIMEOUT | typeof ABORTED) => {
      if (timer !== null) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(done, (e: unknown) => {
      if (timer !== null) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
  });
}

/**
 * A file input that holds no file descriptor while it waits its turn. The pipeline opens every
 * input first (format detection and oldest-first ordering read their first bytes); with a
 * thousand rotated logs that was a thousand descriptors at once and EMFILE under the common
 * `ulimit -n 1024`. A parked file is opened again on its first read and read from its start
 * (what was peeked is read again: 64 KiB a file). Stdin is never parked: it cannot be reopened.
 */
export class ParkedSource implements InputSource {
  readonly name: string;
  readonly path: string | null;
  readonly size: number | null;
  readonly isPlainFile: boolean;
  signal: AbortSignal | null = null;
  private inner: ByteSource | null = null;
  private readonly identity: string | null;
  private compressedSeen: boolean;
  private rawSet: number | null = null;
  private bytesSet: number | null = null;
  private damageSet: string | null = null;

  /** `first`: the source as opened and peeked; it is closed here. */
  constructor(
    private readonly spec: InputSpec,
    first: ByteSource,
  ) {
    this.name = first.name;
    this.path = first.path;
    this.size = first.size;
    this.isPlainFile = first.isPlainFile;
    this.identity = first.identity;
    this.compressedSeen = first.compressed;
    first.close();
  }

  /** Opened again at its turn: the same file (device and inode), or an InputError saying what became of it. */
  private async open(): Promise<ByteSource> {
    if (this.inner === null) {
      let src: ByteSource;
      try {
        src = await ByteSource.open(this.spec);
      } catch (e) {
        if (e instanceof InputError && e.code === 'FS_INPUT_NOT_FOUND') {
          throw new InputError('FS_INPUT_GONE', this.name, `${this.name}: removed since the run started (rotated away?)`);
        }
        throw e;
      }
      if (src.identity !== this.identity) {
        src.close();
        throw new InputError('FS_INPUT_REPLACED', this.name, `${this.name}: replaced by another file since the run started (rotated?)`);
      }
      src.signal = this.signal;
      await src.peek(1);
      this.inner = src;
    }
    return this.inner;
  }

  get compressed(): boolean {
    return this.inner?.compressed ?? this.compressedSeen;
  }
  set compressed(v: boolean) {
    this.compressedSeen = v;
  }
  get rawBytes(): number {
    return this.rawSet ?? this.inner?.rawBytes ?? 0;
  }
  set rawBytes(v: number) {
    this.rawSet = v;
  }
  get bytes(): number {
    return this.bytesSet ?? this.inner?.bytes ?? 0;
  }
  set bytes(v: number) {
    this.bytesSet = v;
  }
  get damage(): string | null {
    return this.damageSet ?? this.inner?.damage ?? null;
  }
  get notes(): string[] {
    return this.inner?.notes ?? [];
  }
  set damage(v: string | null) {
    this.damageSet = v;
  }

  async read(target: Uint8Array, offset: number, length: number, timeoutMs?: number): Promise<number> {
    return (await this.open()).read(target, offset, length, timeoutMs);
  }

  async peek(n: number): Promise<Buffer> {
    return (await this.open()).peek(n);
  }

  async begin(): Promise<number | null> {
    return (await this.open()).begin();
  }

  close(): void {
    this.inner?.close();
    this.inner = null;
  }
}

/** A gzip member that could not be read: what, and at which compressed byte. */
function gzipError(message: string, at: number): Error & { at: number } {
  return Object.assign(new Error(message), { at });
}

/**
 * The members of a gzip file (RFC 1952 headers read here, each member's deflate data by raw
 * inflate), from the start, less the first `skip` decompressed bytes. Trailing zeros end it
 * quietly; trailing garbage ends it with a note, as gzip does ("trailing garbage ignored"); a
 * corrupt or cut member is an error at its compressed offset.
 */
async function* gzipMembers(fh: promises.FileHandle, skip: number, name: string, notes: string[]): AsyncGenerator<Buffer> {
  const head = Buffer.allocUnsafe(64 * 1024);
  let pos = 0;
  let out = 0;
  for (;;) {
    const n = (await fh.read(head, 0, head.length, pos)).bytesRead;
    if (n === 0) return;
    if (pos > 0 && head[0] === 0) {
      let zeros = 0;
      while (zeros < n && head[zeros] === 0) zeros++;
      pos += zeros;
      if (zeros === n) continue;
    }
    if (n < 10 || head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8) {
      if (pos === 0) throw gzipError('not gzip data', 0);
      const size = (await fh.stat()).size;
      notes.push(`${name}: ${size - pos} bytes after the last gzip member (at compressed byte offset ${pos}) are not gzip data: ignored, as gzip does; everything before them was read`);
      return;
    }
    const flags = head[3]!;
    let h = 10;
    if (flags & 4) h += 2 + head.readUInt16LE(h);
    if (flags & 8) h = head.indexOf(0, h) + 1 || n + 1;
    if (flags & 16) h = head.indexOf(0, h) + 1 || n + 1;
    if (flags & 2) h += 2;
    if (h > n) throw gzipError('gzip member header cut or over 64 KiB', pos);
    const inf = createInflateRaw({ chunkSize: 1 << 18 });
    let ended = false;
    const end = new Promise<void>((resolve) =>
      inf.once('end', () => {
        ended = true;
        resolve();
      }),
    );
    // Feed the member's deflate data; raw inflate ends at its last block and ignores the rest.
    const feeder = (async () => {
      let at = pos + h;
      while (!ended) {
        const b = Buffer.allocUnsafe(READ_SIZE);
        const got = (await fh.read(b, 0, b.length, at)).bytesRead;
        if (got === 0) {
          inf.end();
          return;
        }
        at += got;
        if (!inf.write(b.subarray(0, got))) await Promise.race([once(inf, 'drain'), end]);
      }
    })().catch((e: unknown) => inf.destroy(e as Error));
    try {
      for await (const c of inf as AsyncIterable<Buffer>) {
        if (out + c.length > skip) yield out >= skip ? c : c.subarray(skip - out);
        out += c.length;
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const cut = err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message);
      throw gzipError(cut ? 'unexpected end of file' : err.message, pos + h + inf.bytesWritten);
    }
    await feeder;
    pos += h + inf.bytesWritten + 8;
  }
}

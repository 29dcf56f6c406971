/**
 * Bytes in: a file or stdin, plain or gzip (told apart by the magic bytes 1f 8b, never by
 * the name), as a stream of Buffers. `peek()` reads the first decompressed bytes for
 * format detection without losing them: they are replayed by `chunks()`.
 *
 * Damage is reported, not thrown away: a truncated or corrupt gzip member ends the
 * stream with `damage` set (file name and compressed byte offset), after everything that
 * could be decompressed has been yielded.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { InputError } from './errors.js';

const READ_SIZE = 1 << 20;

export interface InputSpec {
  /** Display name: the path as given, or "-" / "(stdin)". */
  name: string;
  /** File path, or null for stdin. */
  path: string | null;
}

export class ByteSource {
  readonly name: string;
  readonly path: string | null;
  /** Size on disk (compressed), null for stdin. */
  readonly size: number | null;
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
  private readonly raw: Readable;
  private gunzip: Gunzip | null = null;

  private constructor(spec: InputSpec, raw: Readable, size: number | null) {
    this.name = spec.name;
    this.path = spec.path;
    this.raw = raw;
    this.size = size;
  }

  /** Open an input; a missing or unreadable file is an InputError naming it. */
  static async open(spec: InputSpec, stdin: Readable = process.stdin): Promise<ByteSource> {
    if (spec.path === null) return new ByteSource(spec, stdin, null);
    let size: number;
    try {
      const st = await fsp.stat(spec.path);
      if (st.isDirectory()) throw new InputError('FS_INPUT_IS_DIRECTORY', spec.name, `${spec.name}: is a directory`);
      size = st.size;
      const fh = await fsp.open(spec.path, 'r');
      await fh.close();
    } catch (e) {
      if (e instanceof InputError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new InputError('FS_INPUT_NOT_FOUND', spec.name, `${spec.name}: no such file`);
      if (code === 'EACCES' || code === 'EPERM') throw new InputError('FS_INPUT_UNREADABLE', spec.name, `${spec.name}: permission denied`);
      throw new InputError('FS_INPUT_UNREADABLE', spec.name, `${spec.name}: cannot read (${(e as Error).message})`);
    }
    return new ByteSource(spec, createReadStream(spec.path, { highWaterMark: READ_SIZE }), size);
  }

  private async start(): Promise<void> {
    if (this.iter !== null) return;
    const rawIter = this.raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
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
    // Count raw bytes as they are consumed.
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
    if (firstChunk.length >= 2 && firstChunk[0] === 0x1f && firstChunk[1] === 0x8b) {
      this.compressed = true;
      const gz = createGunzip({ chunkSize: 1 << 18 });
      this.gunzip = gz;
      const src = Readable.from(counted);
      src.on('error', (e) => gz.destroy(e));
      src.pipe(gz);
      this.iter = gz[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    } else {
      this.iter = counted;
    }
  }

  private async pull(): Promise<Buffer | null> {
    if (this.done) return null;
    await this.start();
    try {
      const r = await this.iter!.next();
      if (r.done) {
        this.done = true;
        return null;
      }
      return r.value;
    } catch (e) {
      this.done = true;
      const err = e as NodeJS.ErrnoException;
      if (this.compressed) {
        const at = this.gunzip?.bytesWritten ?? this.rawBytes;
        const what = err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message) ? 'truncated gzip data' : `corrupt gzip data (${err.message})`;
        this.damage = `${this.name}: ${what} at compressed byte offset ${at} (decompressed ${this.bytes} bytes); the results so far are kept`;
      } else {
        this.damage = `${this.name}: read error after ${this.rawBytes} bytes (${err.message}); the results so far are kept`;
      }
      return null;
    }
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

  /** All decompressed bytes, starting with any peeked ones. */
  async *chunks(): AsyncGenerator<Buffer> {
    while (this.head.length > 0) {
      const c = this.head.shift()!;
      this.bytes += c.length;
      yield c;
    }
    for (;;) {
      const c = await this.pull();
      if (c === null) return;
      this.bytes += c.length;
      yield c;
    }
  }

  close(): void {
    this.raw.destroy();
    this.gunzip?.destroy();
  }
}

/**
 * `--follow FILE…`: tail -F semantics, by polling (every POLL_MS; no inotify dependency).
 *
 *  - start at the end of each file (`fromStart`: at the beginning);
 *  - rename + create (logrotate's default): the old file (still open) is read to its end, then
 *    the new file at the path is read from its start — no line lost or read twice;
 *  - copytruncate: the file shrinks below the offset read so far → read again from its start;
 *  - deleted and recreated, or not there yet: wait for the path, then read it from its start;
 *  - `reopen()` (SIGHUP): check every path again now.
 *
 * Several files are read round-robin and handed out only in whole lines, so lines of
 * different files never mix inside a chunk. Reads follow the ReadInto contract of the
 * framer: bytes, -1 after `idleMs` without any, 0 once aborted.
 */
import { closeSync, openSync, promises as fsp, readSync, statSync, type Stats } from 'node:fs';
import { isGzip, type InputSource } from './byte-source.js';
import { InputError } from './errors.js';

const POLL_MS = 100;
const READ_SIZE = 1 << 20;

interface Followed {
  path: string;
  fh: fsp.FileHandle | null;
  ino: number;
  dev: number;
  offset: number;
  /** Bytes after the last newline read so far. */
  carry: Buffer;
  /** Whether the first open starts at the end of the file. */
  atEnd: boolean;
}

export class FollowSource implements InputSource {
  readonly name: string;
  readonly path = null;
  readonly size = null;
  compressed = false;
  rawBytes = 0;
  bytes = 0;
  damage: string | null = null;
  signal: AbortSignal | null = null;
  /** Complete lines ready to be handed out. */
  private ready: Buffer[] = [];
  private readonly files: Followed[];
  private wake: (() => void) | null = null;
  private stopped = false;
  /** Nothing to add after the end (InputSource.notes): a followed file has no end. */
  readonly notes: string[] = [];

  /**
   * A path that is there already must be a plain-text file: a directory or a gzip file can
   * never become a growing log, so they are an error now rather than a silent wait forever.
   * A path that is not there yet is waited for (tail -F).
   */
  constructor(paths: string[], fromStart: boolean) {
    for (const path of paths) FollowSource.check(path);
    this.name = `follow: ${paths.join(', ')}`;
    this.files = paths.map((path) => ({ path, fh: null, ino: -1, dev: -1, offset: 0, carry: Buffer.alloc(0), atEnd: !fromStart }));
  }

  private static check(path: string): void {
    let st: Stats;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    if (st.isDirectory()) throw new InputError('FS_INPUT_IS_DIRECTORY', path, `--follow ${path}: is a directory; give the log file in it`);
    if (!st.isFile() || st.size < 2) return;
    const magic = Buffer.alloc(2);
    try {
      const fd = openSync(path, 'r');
      try {
        readSync(fd, magic, 0, 2, 0);
      } finally {
        closeSync(fd);
      }
    } catch {
      return; // unreadable now: waited for like a missing file
    }
    if (isGzip(magic)) {
      throw new InputError('FS_FOLLOW_GZIP', path, `--follow ${path}: is gzip-compressed, not a growing log; read it whole without --follow (floodscope ${path})`);
    }
  }

  /** SIGHUP: look at every path again now. */
  reopen(): void {
    this.wake?.();
  }

  private async statPath(path: string): Promise<Stats | null> {
    try {
      return await fsp.stat(path);
    } catch {
      return null;
    }
  }

  /** Read what is new in every file; returns whether anything was read. */
  private async poll(): Promise<boolean> {
    let any = false;
    for (const f of this.files) {
      if (f.fh === null) {
        const st = await this.statPath(f.path);
        if (st === null || !st.isFile()) continue;
        try {
          f.fh = await fsp.open(f.path, 'r');
        } catch {
          continue;
        }
        f.ino = st.ino;
        f.dev = st.dev;
        f.offset = f.atEnd ? st.size : 0;
      }
      // Read everything new from the open file.
      any = (await this.drain(f)) || any;
      const st = await this.statPath(f.path);
      const open = await f.fh!.stat();
      if (open.size < f.offset) {
        // copytruncate: the file was emptied in place.
        f.offset = 0;
        f.carry = Buffer.alloc(0);
        any = (await this.drain(f)) || any;
      } else if (st === null || st.ino !== f.ino || st.dev !== f.dev) {
        // Renamed away or deleted: the old file was read to its end above; switch to the new one.
        any = (await this.drain(f)) || any;
        await f.fh!.close().catch(() => {});
        f.fh = null;
        if (f.carry.length > 0) {
          // A last line without a newline at rotation time still counts.
          this.ready.push(Buffer.concat([f.carry, Buffer.from('\n')]));
          f.carry = Buffer.alloc(0);
          any = true;
        }
      }
    }
    // Only files present at the first look start at their end; a file that appears later, or
    // reappears after rotation, is new and is read from its start.
    for (const f of this.files) f.atEnd = false;
    return any;
  }

  private async drain(f: Followed): Promise<boolean> {
    let any = false;
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_SIZE);
      const { bytesRead } = await f.fh!.read(buf, 0, buf.length, f.offset);
      if (bytesRead === 0) return any;
      any = true;
      f.offset += bytesRead;
      this.rawBytes += bytesRead;
      const data = f.carry.length > 0 ? Buffer.concat([f.carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      const nl = data.lastIndexOf(10);
      if (nl < 0) {
        f.carry = Buffer.from(data);
        continue;
      }
      this.ready.push(Buffer.from(data.subarray(0, nl + 1)));
      f.carry = Buffer.from(data.subarray(nl + 1));
    }
  }

  async read(target: Uint8Array, offset: number, length: number, idleMs?: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      if (this.ready.length > 0) {
        const first = this.ready[0]!;
        const n = Math.min(length, first.length);
        target.set(first.subarray(0, n), offset);
        if (n === first.length) this.ready.shift();
        else this.ready[0] = first.subarray(n);
        this.bytes += n;
        return n;
      }
      if (this.stopped || this.signal?.aborted) return 0;
      if (await this.poll()) continue;
      if (idleMs !== undefined && idleMs > 0 && Date.now() - started >= idleMs) return -1;
      await new Promise<void>((resolve) => {
        const signal = this.signal;
        const t = setTimeout(done, POLL_MS);
        function done() {
          clearTimeout(t);
          // Every poll waits here (10 a second): a listener left behind each time was a leak.
          signal?.removeEventListener('abort', done);
          resolve();
        }
        this.wake = done;
        signal?.addEventListener('abort', done, { once: true });
      });
      this.wake = null;
    }
  }

  /** Format detection: wait for the first complete lines (up to n bytes of them). */
  async peek(n: number): Promise<Buffer> {
    while (this.ready.length === 0 && !this.stopped && !this.signal?.aborted) {
      if (!(await this.poll())) await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return Buffer.concat(this.ready).subarray(0, n);
  }

  get isPlainFile(): boolean {
    return false;
  }

  /** Followed files are read here, never by byte range. */
  async begin(): Promise<number | null> {
    return null;
  }

  close(): void {
    this.stopped = true;
    this.wake?.();
    for (const f of this.files) void f.fh?.close().catch(() => {});
  }
}

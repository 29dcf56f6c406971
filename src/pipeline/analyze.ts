/**
 * Batch analysis of access logs, end to end:
 *
 *   inputs ──► ByteSource (file/stdin, gzip by magic) ──► frameLines (~4 MiB, newline-cut)
 *          ──► piscina pool (LogFolder: chunk → Partial, both in shared memory, nothing transferred)
 *          ──► Engine (main thread, Partials folded in chunk order) ──► Report
 *
 * At most `2 × threads` chunks are in flight; the reader waits for the oldest before
 * reading more (backpressure), and Partials are folded strictly in chunk order, so the
 * report is the same for any thread count.
 */
import { availableParallelism } from 'node:os';
import { readdirSync, readSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { Piscina } from 'piscina';
import { E, LogRecord, parseLine } from '../parsers/access-log.js';
import { detectFormat, sampleLines } from '../parsers/detect.js';
import { compileLogFormat, F, FormatError, PRESETS } from '../parsers/log-format.js';
import { parseCidr } from '../parsers/ip.js';
import { zoneLabel } from '../parsers/timestamp.js';
import { frameFrom, LOG_CHUNK_BYTES } from '../framing/lines.js';
import { CUT_STEPS, fileProbe, memoryProbe, timeCuts, type LineTime, type TimeProbe } from '../framing/time-cut.js';
import { ByteSource, ParkedSource, type InputSource, type InputSpec } from '../sources/byte-source.js';
import { READ_FAILED } from '../sources/file-range.js';
import { Interruption } from './interrupted.js';
import { notAnalyzed, noteMerged, pickOldest, watermarkBound, type SideBySide } from './side-by-side.js';
import { FollowSource } from '../sources/follow.js';
import { alertEvent, DEFAULT_UPDATE_INTERVAL, EpisodeIndex, eventAlertOptions, UpdateThrottle, windowEvent } from '../live/events.js';
import { InputError } from '../sources/errors.js';
import type { FoldConfig } from '../partial/log-folder.js';
import type { LogTask } from './task.js';
import { ChunkBuffers } from './chunk-buffers.js';
import type { Partial } from '../partial/partial.js';
import { DEFAULT_DETECT, validateDetect, type DetectConfig } from '../detectors/config.js';
import { Engine, type EngineHooks } from '../windows/engine.js';
import { alertReport, buildReport, disorderWarning, overlapWarning, ownTrafficOf, silenceReport, zoneWarning, type AttackReport, type FileReport, type MalformedSample, type Report, type SilenceReport } from '../report/report.js';
import { VERSION } from '../version.js';
import { sniffCapture } from '../framing/captures.js';
import type { PacketDetectConfig } from '../detectors/packet.js';
import type { PacketAttackReport, PacketReport } from '../report/packet-report.js';
import { analyzeCaptures, firstPacketTime } from './analyze-capture.js';
import { GeoIp } from '../geo/geoip.js';
import type { BlockOptions } from '../geo/blocklist.js';
import { enrichReport } from '../report/enrich.js';
import { suggestLimits } from '../report/limits.js';

export interface Progress {
  rawBytes: number;
  totalBytes: number | null;
  /** Lines (logs) or packets (captures) analyzed so far. */
  lines: number;
  /** Malformed lines or undecodable packets so far. */
  malformed?: number;
  /** Chunks handed to the workers and not yet merged. */
  inFlight?: number;
  /** What `lines` counts. */
  unit?: 'lines' | 'packets';
  /** Live `--shed`: lines skipped so far. */
  shedLines?: number;
}

export interface AnalyzeOptions {
  /** Paths, glob patterns, or "-" for stdin. Empty: stdin. */
  inputs: string[];
  /** Preset name or Apache LogFormat string; detected from the first lines when absent. */
  format?: string;
  threads?: number;
  detect?: { [K in keyof DetectConfig]?: DetectConfig[K] };
  clientIp?: 'remote' | 'xff';
  trustedProxies?: string[];
  /** Make the first malformed line fatal. */
  strict?: boolean;
  /** Zone for reported times: 'log' (the log's own offset, default), 'UTC', or ±HH:MM. */
  timeZone?: string;
  chunkSize?: number;
  maxSamples?: number;
  stdin?: Readable;
  onProgress?: (p: Progress) => void;
  /** One-line notices meant for stderr: detected format, file order, zone warnings. */
  onNotice?: (msg: string) => void;
  hooks?: EngineHooks;
  /** Geolocation: databases to use (default: the bundled DB-IP country database), or false for none. */
  geo?: { countryDb?: string; asnDb?: string } | false;
  /** Plan a block list (see src/geo/blocklist.ts). */
  block?: Omit<BlockOptions, 'victims'> & { victims?: string[] };
  /** tail -F the inputs (implies live): start at their end unless fromStart; `onReopen` registers the SIGHUP handler. */
  follow?: { fromStart: boolean; onReopen?: (reopen: () => void) => void };
  /** Live mode (logs): events while reading, idle flush, wall-clock window closing, end on abort. */
  live?: LiveOptions;
  /** Derive rate limits from the normal traffic (logs). */
  suggestLimits?: boolean;
  /** Packet signature settings (captures). */
  packetDetect?: { [K in keyof PacketDetectConfig]?: PacketDetectConfig[K] };
  /**
   * Batch runs: aborting stops reading at the next chunk (Ctrl-C on a long run). The chunks in
   * flight are merged and the report covers everything read, with a warning saying where it
   * stopped. (Live mode ends its input on `live.signal` instead.)
   */
  signal?: AbortSignal;
}

export interface LiveOptions {
  /** Hand out complete lines after this much quiet (ms); also the wall-clock tick. */
  idleMs: number;
  /** Aborting ends the input as at EOF: the final report follows. */
  signal?: AbortSignal;
  /** Also emit a `window` event per step. */
  windowEvents: boolean;
  /** Under overload skip chunks (counted, reported as a sampling ratio) instead of blocking the input. */
  shed?: boolean;
  /** Event-time seconds between `alert.update` events of one alert without a material change (default 60; see UpdateThrottle). */
  updateInterval?: number;
  onEvent: (e: LiveEvent) => void;
  /** After each chunk of a log is merged: the steps of event time and the lines it held (see liveChunk in cli/runtime.ts). */
  onChunk?: (steps: number, lines: number) => void;
}

export type LiveEvent =
  | { type: 'alert.open' | 'alert.update' | 'alert.close'; alert: AttackReport | PacketAttackReport }
  /** `requests` for logs, `packets` for captures; `rate` is per second over the window. */
  | { type: 'window'; end: string; requests?: number; packets?: number; rate: number; openAlerts: number; lagSeconds: number; sampled?: number }
  /**
   * Logs: nothing logged for a window or more after a rate that makes it improbable (the server
   * down, or not logging): `log.silent` once while it lasts (`end`: now), `log.resumed` when lines
   * come again (the whole silence, as in the report's input.silences).
   */
  | { type: 'log.silent'; silence: SilenceReport }
  | { type: 'log.resumed'; silence: SilenceReport };

export const MAX_LINE_BYTES = 65536;

function countLines(b: Uint8Array): number {
  let n = 0;
  for (let p = b.indexOf(10); p >= 0; p = b.indexOf(10, p + 1)) n++;
  return n;
}
const HEAD_BYTES = 64 * 1024;

const REASON_NAMES: Record<number, string> = {
  [E.LITERAL]: 'format mismatch',
  [E.QUOTE]: 'unterminated quote',
  [E.TIME]: 'bad timestamp',
  [E.CLIENT]: 'client not an IP address',
  [E.STATUS]: 'bad status',
  [E.NUMBER]: 'bad number',
  [E.TRAILING]: 'trailing data',
  [E.SHORT]: 'line too short',
  [E.BINARY]: 'binary data',
  [E.LONG]: 'line over 64 KiB',
  [E.NO_CLIENT]: 'no client address',
  [E.COMMENT]: 'comment line',
  [E.HOSTNAME]: 'client is a host name',
};

function hasGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i);
      if (close < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Expand the inputs: "-" is stdin, a pattern with * ? [ is matched against its directory
 * (for shells that pass patterns through, or quoted patterns), anything else is a path.
 */
export function resolveInputs(inputs: string[]): InputSpec[] {
  if (inputs.length === 0) return [{ name: '(stdin)', path: null }];
  const out: InputSpec[] = [];
  for (const i of inputs) {
    if (i === '-') {
      out.push({ name: '(stdin)', path: null });
      continue;
    }
    if (hasGlob(basename(i)) && !hasGlob(dirname(i))) {
      const dir = dirname(i);
      const re = globToRegExp(basename(i));
      let names: string[];
      try {
        names = readdirSync(dir).filter((n) => re.test(n)).sort();
      } catch {
        names = [];
      }
      if (names.length === 0) throw new InputError('FS_INPUT_NOT_FOUND', i, `${i}: no file matches this pattern`);
      for (const n of names) out.push({ name: dir === '.' && !i.startsWith('./') ? n : join(dir, n), path: join(dir, n) });
      continue;
    }
    out.push({ name: i, path: i });
  }
  return out;
}

function parseZone(tz: string): number | null {
  if (tz === 'UTC' || tz === 'Z' || tz === 'utc') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(tz);
  if (!m) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  // Offsets in use run from -12:00 to +14:00.
  if (Number(m[3]) >= 60 || minutes > 14 * 60) return null;
  return (m[1] === '-' ? -1 : 1) * minutes;
}

interface Opened {
  src: InputSource;
  head: Buffer;
  firstTime: number | null;
  stats: FileReport;
}

interface Dispatch {
  /** null: live input is idle, nothing to fold. */
  task: LogTask | null;
  /** Live input paused after this chunk: merge now rather than wait for more. */
  idle?: boolean;
  skippedLong: number;
  /** For ranges: the file offsets this task reads from and up to (progress, damage). */
  rawStart: number;
  rawEnd: number;
  /** Framed: more pieces of the same chunk follow (time-cut.ts), read already. */
  more?: boolean;
}

/** Where a chunk of log bytes [a, b) is cut by event time (see framing/time-cut.ts), given its probes. */
type Cutter = (a: number, b: number, probe: TimeProbe) => number[];

async function* rangeTasks(fd: number, size: number, chunkSize: number, config: FoldConfig, cut: Cutter, lineTime: LineTime): AsyncGenerator<Dispatch> {
  let seq = 0;
  const probe = fileProbe((into, from) => readSync(fd, into, 0, into.length, from), lineTime);
  for (let start = 0; start < size; start += chunkSize) {
    const end = Math.min(size, start + chunkSize);
    let from = start;
    for (const to of [...cut(start, end, probe), end]) {
      yield { task: { kind: 'range', fd, start: from, end: to, size, seq: seq++, config }, skippedLong: 0, rawStart: from, rawEnd: to };
      from = to;
    }
  }
}

async function* byteTasks(src: InputSource, chunkSize: number, config: FoldConfig, idleMs: number, buffers: ChunkBuffers, cut: Cutter, lineTime: LineTime): AsyncGenerator<Dispatch> {
  let seq = 0;
  // Chunks are framed into shared memory, read by the worker in place (see ChunkBuffers).
  for await (const chunk of frameFrom((t, off, len, idle) => src.read(t, off, len, idle), chunkSize, MAX_LINE_BYTES, idleMs, (n) => buffers.take(n))) {
    const bytes = chunk.bytes;
    if (bytes.length === 0 && chunk.skippedLong === 0) {
      if (chunk.idle) yield { task: null, skippedLong: 0, rawStart: 0, rawEnd: 0, idle: true };
      continue;
    }
    // Cut where a plain file's ranges are cut (time-cut.ts); the pieces share the buffer. Live
    // input too, but for chunks handed out where it paused (no range: `at` unset). A quiet day
    // piped in fast (`zcat day.log.gz | floodscope`, live): 331 -> 234 MiB, 9.1 -> 6.1 s.
    const at = chunk.at;
    const cuts = at === undefined ? [] : cut(chunk.lo!, chunk.hi!, memoryProbe(bytes, at, lineTime));
    if (cuts.length > 0) buffers.share(bytes.buffer, cuts.length + 1);
    let from = 0;
    let skippedLong = chunk.skippedLong;
    for (let i = 0; i <= cuts.length; i++) {
      // A piece holds the lines starting in [cut, next cut): it ends after the first newline at
      // or after the byte before the next cut, as a range's first line is found (file-range.ts).
      let to = bytes.length;
      if (i < cuts.length) {
        const r = cuts[i]! - at!;
        to = r <= 0 ? 0 : bytes.indexOf(10, r - 1) + 1 || bytes.length;
      }
      yield { task: { kind: 'bytes', chunk: bytes.subarray(from, to), seq: seq++, config }, skippedLong, rawStart: 0, rawEnd: 0, idle: chunk.idle === true, more: i < cuts.length };
      skippedLong = 0;
      from = to;
    }
  }
}

/** analyze() for logs only: a capture input is an InputError. */
export async function analyzeLogs(opts: AnalyzeOptions): Promise<Report> {
  const r = await analyze(opts);
  if (r.kind !== 'logs') throw new InputError('FS_NOT_LOGS', '', 'the inputs are packet captures, not logs');
  return r;
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

export async function analyze(opts: AnalyzeOptions): Promise<Report | PacketReport> {
  // Open the geolocation databases first: a missing or corrupt one is an error before any work.
  const geo = opts.geo === false ? null : new GeoIp(opts.geo ?? {});
  const report = await analyzeRaw(opts, geo?.sharedCountryBytes() ?? null, geo);
  return enrichReport(report, { geo, block: opts.block ? { victims: [], ...opts.block } : null });
}

async function analyzeRaw(opts: AnalyzeOptions, countryBytes: Uint8Array | null, geo: GeoIp | null): Promise<Report | PacketReport> {
  const detect: DetectConfig = { ...DEFAULT_DETECT, ...opts.detect };
  const bad = validateDetect(detect);
  if (bad) throw new InputError('FS_BAD_OPTION', '', bad);
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new InputError('FS_BAD_OPTION', '', `--threads must be a whole number in [1, 256]; got ${threads}`);
  const trusted = opts.trustedProxies ?? [];
  for (const t of trusted) if (parseCidr(t) === null) throw new InputError('FS_BAD_OPTION', '', `--trusted-proxies: not an address or CIDR: ${t}`);
  const notice = opts.onNotice ?? (() => {});
  let zoneOverride: number | null = null;
  if (opts.timeZone !== undefined && opts.timeZone !== 'log') {
    zoneOverride = parseZone(opts.timeZone);
    if (zoneOverride === null) throw new InputError('FS_BAD_OPTION', '', `--tz must be 'log', 'UTC' or an offset ±HH:MM up to ±14:00; got ${opts.timeZone}`);
  }

  const specs = opts.follow ? [] : resolveInputs(opts.inputs);
  if (specs.filter((s) => s.path === null).length > 1) throw new InputError('FS_BAD_OPTION', '-', 'stdin ("-") can be read only once');
  const opened: Opened[] = [];
  try {
    if (opts.follow) {
      if (opts.inputs.length === 0 || opts.inputs.includes('-')) throw new InputError('FS_BAD_OPTION', '', '--follow needs file names (not stdin)');
      const src = new FollowSource(opts.inputs, opts.follow.fromStart);
      if (opts.live?.signal) src.signal = opts.live.signal;
      opts.follow.onReopen?.(() => src.reopen());
      const head = await src.peek(HEAD_BYTES);
      opened.push({
        src,
        head,
        firstTime: null,
        stats: { name: src.name, compressed: false, bytes: 0, lines: 0, parsed: 0, malformed: 0, blank: 0, overlong: 0, late: 0, damage: null },
      });
    }
    for (const spec of specs) {
      const first = await ByteSource.open(spec, opts.stdin);
      if (opts.live?.signal) first.signal = opts.live.signal;
      // A pipe that stalls (its writer waits) still ends at Ctrl-C; files are read promptly.
      else if (opts.signal !== undefined && !first.isRegularFile) first.signal = opts.signal;
      const head = await first.peek(HEAD_BYTES);
      // Regular files wait their turn without a descriptor (many rotated logs); stdin, a pipe
      // (`<(zcat …)`, a FIFO) or a device stays open: closing it would end its writer, and it
      // cannot be read again.
      const src = first.isRegularFile ? new ParkedSource(spec, first) : first;
      if (opts.live?.signal) src.signal = opts.live.signal;
      opened.push({
        src,
        head,
        firstTime: null,
        stats: { name: spec.name, compressed: first.compressed, bytes: 0, lines: 0, parsed: 0, malformed: 0, blank: 0, overlong: 0, late: 0, damage: null },
      });
    }

    // Captures or logs, from the first bytes of each input (never from the name).
    const captures = opened.map((o) => sniffCapture(o.head) !== null);
    if (captures.some(Boolean)) {
      if (!captures.every(Boolean)) {
        const log = opened[captures.indexOf(false)]!.src.name;
        throw new InputError('FS_MIXED_INPUTS', log, `${log}: not a packet capture, but other inputs are; analyze logs and captures separately`);
      }
      const firstTimes: (number | null)[] = [];
      for (const o of opened) firstTimes.push(await firstPacketTime(o.head));
      return await analyzeCaptures(
        opened.map((o) => o.src),
        {
          firstTimes,
          threads,
          chunkSize: opts.chunkSize,
          zone: zoneOverride ?? 0,
          onProgress: opts.onProgress,
          onNotice: opts.onNotice,
          detect: opts.packetDetect,
          suggestLimits: opts.suggestLimits === true,
          countryBytes,
          geoIp: geo,
          geo: opts.geo === false ? null : opts.geo?.countryDb !== undefined ? { countryDb: opts.geo.countryDb } : {},
          live: opts.live,
          signal: opts.signal,
        },
      );
    }

    // Format: given, or detected from the first input that has lines.
    let format: string;
    let formatSource: 'given' | 'detected';
    if (opts.format !== undefined) {
      try {
        compileLogFormat((PRESETS as Record<string, string>)[opts.format] ?? opts.format);
      } catch (e) {
        if (e instanceof FormatError) throw new InputError(e.code, '', `--log-format: ${e.message}`);
        throw e;
      }
      format = opts.format;
      formatSource = 'given';
    } else {
      const probe = opened.find((o) => sampleLines(o.head, 1).length > 0);
      if (probe === undefined) {
        format = 'combined';
        formatSource = 'detected';
      } else {
        const d = detectFormat(probe.head);
        if (d.format === null) {
          const [s, e] = sampleLines(probe.head, 1)[0]!;
          const first = Buffer.from(probe.head.subarray(s, Math.min(e, s + 120))).toString('latin1').replace(/[^\x20-\x7e]/g, '?');
          throw new InputError(
            'FS_UNKNOWN_FORMAT',
            probe.src.name,
            `${probe.src.name}: no known log format fits its first ${d.sampled} lines (tried ${d.tried.join(', ')}); first line: "${first}". Give the format with --log-format '<Apache LogFormat or nginx log_format string>'`,
          );
        }
        format = d.format;
        formatSource = 'detected';
        notice(
          d.inferred
            ? `format: JSON, read as the nginx log_format '${format}' (inferred from the keys of the first line; ${d.matched} of the first ${d.sampled} lines of ${probe.src.name} match; correct it with --log-format)`
            : `format: ${d.format} (detected: ${d.matched} of the first ${d.sampled} lines of ${probe.src.name} match)`,
        );
      }
    }
    const plan = compileLogFormat((PRESETS as Record<string, string>)[format] ?? format);

    // Inputs whose time runs backwards (access.log access.log.1 access.log.2.gz, as a glob
    // lists them) are read oldest first, so event time moves forward.
    const rec = new LogRecord();
    for (const o of opened) {
      for (const [s, e] of sampleLines(o.head)) {
        if (parseLine(plan, o.head, s, e, rec)) {
          o.firstTime = rec.time;
          break;
        }
      }
    }
    const timed = opened.filter((o) => o.firstTime !== null);
    const backwards = timed.some((o, i) => i > 0 && o.firstTime! < timed[i - 1]!.firstTime!);
    let order = opened;
    if (backwards) {
      order = [...opened].sort((a, b) => (a.firstTime ?? Infinity) - (b.firstTime ?? Infinity));
      notice(`reading inputs oldest first: ${order.map((o) => o.src.name).join(', ')}`);
    }

    const fold: FoldConfig = {
      format,
      step: detect.step,
      clientIp: opts.clientIp ?? 'remote',
      trustedProxies: trusted,
      maxSamples: opts.maxSamples ?? 10,
      maxLineBytes: MAX_LINE_BYTES,
      geo: opts.geo === false ? null : opts.geo?.countryDb !== undefined ? { countryDb: opts.geo.countryDb } : {},
    };
    if (fold.clientIp === 'xff' && !plan.has.has(F.XFF)) {
      throw new InputError('FS_BAD_OPTION', '', `--client-ip xff needs a format with %{X-Forwarded-For}i (for example nginx_main); format ${format} has none`);
    }

    let zone: number | null = zoneOverride;
    const live = opts.live;
    const zoneNow = (): number => zone ?? 0;
    const throttle = live === undefined ? null : new UpdateThrottle(live.updateInterval ?? DEFAULT_UPDATE_INTERVAL);
    const eventAlert = eventAlertOptions(geo);
    const episodes = new EpisodeIndex();
    const liveHooks: EngineHooks | undefined =
      live === undefined
        ? undefined
        : {
            onAlert: (type, a) => {
              if (!throttle!.pass(type, a)) return;
              live.onEvent(alertEvent(type, episodes.mark(alertReport(a, zoneNow(), ownTraffic(), eventAlert))));
            },
            onSilence: (x, resumed) => {
              const silence = silenceReport(x, zoneNow());
              live.onEvent(resumed ? { type: 'log.resumed', silence } : { type: 'log.silent', silence });
            },
            onWindow: (view, open) => {
              if (!live.windowEvents) return;
              const e = windowEvent(view.end, zoneNow(), 'requests', view.requests, view.seconds, open.length);
              if (live.shed) e.sampled = shedRatio();
              live.onEvent(e);
            },
          };
    // Without a referrer in the format every request would look like "-" (Apache common).
    detect.referrers = plan.has.has(F.REFERER);
    const engine = new Engine(detect, { ...opts.hooks, ...liveHooks });
    // What a live alert's sources must not be blocked for (report.ts OwnTraffic).
    const ownTraffic = () => ownTrafficOf(engine, plan.has.has(F.XFF), fold.clientIp);
    const samples: MalformedSample[] = [];
    const reasons: Record<string, number> = {};
    const warnings: string[] = [];
    const warn = (w: string) => {
      warnings.push(w);
      notice(`warning: ${w}`);
    };
    if (!detect.referrers) {
      warn(
        `the log format (${format in PRESETS ? format : '--log-format'}) records no referrer: http.empty-referrer is off, and a surge on one URL is told a flash crowd or a flood by its requests per source alone (%{Referer}i in the LogFormat would say more)`,
      );
    }
    // Ctrl-C: where reading stopped, and the inputs never started.
    const interruption = new Interruption();
    const errors: string[] = [];
    let noZone = 0;
    // Zone offsets other than the report's (a log across a daylight-saving change, or servers
    // in other zones read side by side), each with the earliest time it was seen.
    const otherZones = new Map<number, number>();
    const noteZone = (m: number, at: number) => {
      if (zoneOverride === null && m !== zone && !(at >= (otherZones.get(m) ?? Infinity))) otherZones.set(m, at);
    };
    const totalBytes = opened.every((o) => o.src.size !== null) ? opened.reduce((a, o) => a + o.src.size!, 0) : null;
    let rawDone = 0;
    let linesDone = 0;
    let malformedDone = 0;
    const shed = { chunks: 0, lines: 0 };
    const shedRatio = () => (linesDone + shed.lines === 0 ? 1 : Math.round((linesDone / (linesDone + shed.lines)) * 1e4) / 1e4);

    const buffers = new ChunkBuffers(threads * 2 + 2);
    const pool = new Piscina({
      filename: new URL('../../workers/log-entry.cjs', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 1000,
      concurrentTasksPerWorker: 1,
      // The country database in shared memory: one copy for all workers.
      workerData: { countryBytes },
      // A small young generation: chunk garbage is short-lived, and larger semi-spaces cost
      // RSS per worker for no measurable speed (npm run bench: 4 MiB is flattest).
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    // A worker's answer that arrives after the run stopped on an error (the pool is being
    // destroyed) comes as an 'error' event; without a listener it crashed the process and
    // hid the real error. Kept, and raised if the run otherwise ends well.
    let poolError: unknown = null;
    pool.on('error', (e: unknown) => {
      poolError ??= e;
    });
    /** One input being read, side by side with the others in time order (see side-by-side.ts). */
    interface Run extends SideBySide {
      readonly o: Opened;
      readonly st: FileReport;
      readonly index: number;
      ranged: boolean;
      fd: number | null;
      tasks: AsyncGenerator<Dispatch> | null;
      next: Dispatch | null;
      lineBase: number;
      /** A range that could not be read (the file shrank, an I/O error): the input ends there. */
      failed: string | null;
      /** Ranges: the end of the last one merged. */
      readTo: number;
      /** Interrupted before its end. */
      stopped: boolean;
      /** Its oldest and newest record time (see InputStats.spans). */
      first: number;
      last: number;
      /** The most seconds its lines ran backwards in a chunk (Partial.disorder). */
      disorder: number;
    }
    const runs: Run[] = order.map((o, index) => ({
      o,
      st: o.stats,
      index,
      state: 'waiting',
      ranged: false,
      fd: null,
      tasks: null,
      next: null,
      nextTime: o.firstTime ?? -Infinity,
      queued: [],
      lineBase: 0,
      failed: null,
      readTo: 0,
      clock: -Infinity,
      merged: false,
      stopped: false,
      first: Infinity,
      last: -Infinity,
      disorder: 0,
    }));
    const inflight: { run: Run; promise: Promise<Partial>; skippedLong: number; rawStart: number; rawEnd: number; idle: boolean; done: boolean }[] = [];
    const chunkSize = opts.chunkSize ?? LOG_CHUNK_BYTES;
    const probe = Buffer.allocUnsafe(16 * 1024);
    // Chunks of a quiet log are cut at ~CUT_STEPS steps of log time (see framing/time-cut.ts).
    const lineTime: LineTime = (b, s, e) => (parseLine(plan, b, s, e, rec) ? rec.time : null);
    const cut: Cutter = (a, b, p) => timeCuts(a, b, CUT_STEPS * detect.step, p);

    /** Time of the first record of a chunk (bytes in hand, or read at a range's start); else the run's last one. */
    const firstTimeOf = (run: Run, t: Dispatch): number => {
      let b: Uint8Array;
      if (t.task === null) return run.nextTime;
      if (t.task.kind === 'bytes') b = t.task.chunk.subarray(0, 16 * 1024);
      else {
        const from = t.rawStart === 0 ? 0 : t.rawStart - 1;
        const n = readSync(run.fd!, probe, 0, probe.length, from);
        b = probe.subarray(0, n);
        if (t.rawStart > 0) b = b.subarray(b.indexOf(10) + 1);
      }
      for (const [s, e] of sampleLines(b, 16)) if (e < b.length && parseLine(plan, b, s, e, rec)) return rec.time;
      return run.nextTime;
    };
    const readAhead = async (run: Run): Promise<void> => {
      const r = run.failed === null ? await run.tasks!.next() : { done: true as const, value: undefined };
      run.next = r.done ? null : r.value;
      // The time orders inputs read side by side (side-by-side.ts); one input alone needs none,
      // and the probe was a read of 16 KiB on the main thread for every chunk.
      if (run.next !== null && runs.length > 1) run.nextTime = firstTimeOf(run, run.next);
    };
    const progress = () => {
      let at = rawDone;
      for (const r of runs) if (r.state === 'reading') at += r.ranged ? r.readTo : r.o.src.rawBytes;
      opts.onProgress?.({ rawBytes: at, totalBytes, lines: linesDone, malformed: malformedDone, inFlight: inflight.length, shedLines: shed.lines });
    };

    const sample = (run: Run, line: number, reason: string) => {
      const name = run.st.name;
      if (samples.length < (opts.maxSamples ?? 10)) samples.push({ file: name, line, reason });
      if (opts.strict) throw new InputError('FS_MALFORMED_STRICT', name, `${name}:${line}: ${reason} (--strict makes malformed lines fatal)`);
    };
    const merge = (run: Run, p: Partial, skippedLong: number, idle: boolean) => {
      const st = run.st;
      for (let i = 0; i < skippedLong; i++) {
        run.lineBase++;
        st.lines++;
        st.malformed++;
        st.overlong++;
        reasons[REASON_NAMES[E.LONG]!] = (reasons[REASON_NAMES[E.LONG]!] ?? 0) + 1;
        sample(run, run.lineBase, 'line over 64 KiB, skipped');
      }
      st.lines += p.lines;
      st.parsed += p.parsed;
      st.malformed += p.malformed;
      st.blank += p.blank;
      st.overlong += p.overlong;
      p.reasons.forEach((n, code) => {
        if (n > 0) {
          const name = REASON_NAMES[code] ?? `reason ${code}`;
          reasons[name] = (reasons[name] ?? 0) + n;
        }
      });
      for (const s of p.samples) sample(run, run.lineBase + s.line, s.reason);
      run.lineBase += p.lines;
      live?.onChunk?.(p.buckets.length, p.lines);
      linesDone += p.lines + skippedLong;
      malformedDone += p.malformed + skippedLong;
      noZone += p.noZone;
      if (zone === null && p.zoneMinutes !== null) zone = p.zoneMinutes;
      if (p.zoneMinutes !== null) noteZone(p.zoneMinutes, p.zoneAt);
      if (p.zoneOther !== null) noteZone(p.zoneOther, p.zoneOtherAt);
      // Batch: the lateness follows the log's own disorder (live input keeps its latency).
      if (live === undefined) engine.noteDisorder(p.disorder);
      if (p.disorder > run.disorder) run.disorder = p.disorder;
      engine.addUrlTotals(p.urlTotals);
      const lateBefore = engine.lateRequests;
      for (const b of p.buckets) engine.add(b);
      st.late += engine.lateRequests - lateBefore;
      noteMerged(run, p.parsed, p.maxTime);
      if (p.parsed > 0) {
        run.first = Math.min(run.first, p.minTime);
        run.last = Math.max(run.last, p.maxTime);
      }
      // Live input that paused is all here: seal up to its clock. Otherwise a Partial behind.
      engine.advance(watermarkBound(runs), !idle);
    };
    /** An input read to its end (or stopped): its counts, damage and descriptor. */
    const finish = (run: Run) => {
      const { o, st } = run;
      run.state = 'done';
      // A pipe ends (as at EOF) when the run is interrupted.
      if (!run.ranged && !interruption.stopped && opts.signal?.aborted) interruption.stoppedIn({ name: st.name, offset: o.src.rawBytes, size: o.src.size, compressed: o.src.compressed });
      if (run.failed !== null) o.src.damage = run.failed;
      if (run.ranged) {
        o.src.rawBytes = o.src.size!;
        o.src.bytes = run.failed === null && !run.stopped ? o.src.size! : run.readTo;
      }
      rawDone += o.src.rawBytes;
      const overlap = overlapWarning(st.name, st.late, st.parsed, 'requests', run.index) ?? (run.index === 0 && run.disorder > 0 ? disorderWarning(st.name, st.late, st.parsed, run.disorder) : null);
      if (overlap !== null) {
        warn(overlap);
      }
      st.bytes = o.src.bytes;
      st.compressed = o.src.compressed;
      for (const w of o.src.notes) {
        warn(w);
      }
      if (o.src.damage !== null) {
        st.damage = o.src.damage;
        errors.push(o.src.damage);
        notice(`error: ${o.src.damage}`);
      }
      // Done with this input: its descriptor goes now, not at the end of the run.
      o.src.close();
      progress();
    };
    const settle = async () => {
      const head = inflight.shift()!;
      const run = head.run;
      run.queued.shift();
      let p: Partial | null = null;
      try {
        p = await head.promise;
      } catch (e) {
        const m = (e as Error).message;
        if (!m.startsWith(READ_FAILED)) throw e;
        if (run.failed === null) {
          run.failed = `${run.st.name}: ${m.slice(READ_FAILED.length)}; lines from byte ${head.rawStart} on were not analyzed, the results so far are kept`;
          run.next = null;
          await run.tasks!.return(undefined);
        }
      }
      if (p !== null && run.failed === null) {
        merge(run, p, head.skippedLong, head.idle);
        run.readTo = head.rawEnd;
      }
      if (run.next === null && run.queued.length === 0 && run.state === 'reading') finish(run);
      else progress();
    };
    const dispatch = (run: Run, t: Dispatch) => {
      const task = t.task;
      if (task === null) return;
      const promise = pool.run(task) as Promise<Partial>;
      const entry = { run, promise, skippedLong: t.skippedLong, rawStart: t.rawStart, rawEnd: t.rawEnd, idle: t.idle === true, done: false };
      // Its worker is done with the chunk's buffer once it answered: the framer may fill it again.
      const done = () => {
        entry.done = true;
        if (task.kind === 'bytes') buffers.give(task.chunk.buffer);
      };
      promise.then(done, done);
      inflight.push(entry);
      run.queued.push(run.nextTime);
    };
    /** Start reading an input (one removed or replaced since the run started is damage, and done). */
    const begin = async (run: Run): Promise<void> => {
      // A file removed or replaced since the run started (rotated away while earlier
      // inputs were read) is damage, not the end of the run: the other inputs are kept.
      let fd: number | null;
      try {
        fd = await run.o.src.begin();
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        const d = notAnalyzed(e);
        run.st.damage = d;
        errors.push(d);
        notice(`error: ${d}`);
        run.o.src.close();
        run.state = 'done';
        return;
      }
      // Plain files: workers read their own byte ranges through its descriptor (nothing
      // crosses from here but offsets). Compressed files and stdin: framed here, chunks
      // transferred.
      run.fd = fd;
      run.ranged = fd !== null;
      run.tasks = fd !== null ? rangeTasks(fd, run.o.src.size!, chunkSize, fold, cut, lineTime) : byteTasks(run.o.src, chunkSize, fold, live?.idleMs ?? 0, buffers, cut, lineTime);
      run.state = 'reading';
      await readAhead(run);
      if (run.next === null) finish(run);
    };

    try {
      for (;;) {
        if (opts.signal?.aborted) {
          // Interrupted: chunks already read are folded; ranges not yet read are left.
          for (const r of runs) {
            if (r.state === 'waiting') {
              interruption.notRead(r.st.name);
              r.o.src.close();
              r.state = 'done';
            } else if (r.state === 'reading' && r.next !== null) {
              if (!r.ranged) {
                // Read already: the chunk's pieces are all folded (the offset said is past them).
                dispatch(r, r.next);
                while (r.next?.more === true) {
                  await readAhead(r);
                  if (r.next !== null) dispatch(r, r.next);
                }
              }
              interruption.stoppedIn({ name: r.st.name, offset: r.ranged ? r.next.rawStart : r.o.src.rawBytes, size: r.o.src.size, compressed: !r.ranged && r.o.src.compressed });
              r.stopped = true;
              r.next = null;
              await r.tasks!.return(undefined);
              if (r.queued.length === 0) finish(r);
            }
          }
          break;
        }
        const run = pickOldest(runs);
        if (run === undefined) break;
        if (run.state === 'waiting') {
          await begin(run);
          continue;
        }
        const t = run.next!;
        let skip = false;
        if (live?.shed === true && t.task !== null && t.task.kind === 'bytes') {
          // Merge what the workers have finished, then skip this chunk if they are all busy.
          while (inflight.length > 0 && inflight[0]!.done) await settle();
          if (inflight.length >= threads * 2) {
            shed.chunks++;
            shed.lines += countLines(t.task.chunk) + t.skippedLong;
            // Never posted: its buffer is free for the framer at once.
            buffers.give(t.task.chunk.buffer);
            // Let worker results and input events in before the next read.
            await new Promise((r) => setImmediate(r));
            skip = true;
          }
        }
        if (!skip) {
          dispatch(run, t);
          if (t.idle) {
            // Live input paused: fold everything now; with nothing new, wall time moves event time.
            while (inflight.length > 0) await settle();
            if (t.task === null) engine.idle((live?.idleMs ?? 0) / 1000);
          } else {
            if (inflight.length >= threads * 2 && live?.shed !== true) await settle();
            if (!run.ranged) progress();
          }
        }
        if (run.state !== 'reading') continue;
        await readAhead(run);
        if (run.next === null && run.queued.length === 0) finish(run);
      }
      while (inflight.length > 0) await settle();
      for (const r of runs) if (r.state === 'reading') finish(r);
      if (poolError !== null) throw poolError;
    } finally {
      await pool.destroy();
    }
    engine.finish();

    const stopped = interruption.warning();
    if (stopped !== null) warn(stopped);
    if (noZone > 0) {
      const w = `${noZone} timestamp${noZone === 1 ? ' has' : 's have'} no zone offset; read as UTC`;
      warn(w);
    }
    if (otherZones.size > 0) warn(zoneWarning(zone ?? 0, otherZones));
    const report = buildReport(
      engine,
      {
        files: opened.map((o) => o.stats),
        spans: runs.filter((r) => r.first <= r.last).map((r) => ({ name: r.st.name, first: r.first, last: r.last })),
        format,
        formatSource,
        forwardedField: plan.has.has(F.XFF),
        samples,
        reasons,
        warnings,
        errors,
      },
      { ...detect, clientIp: fold.clientIp },
      VERSION,
      zone ?? 0,
    );
    if (zone === null) report.input.timeZone = zoneLabel(0);
    if (live?.shed === true) {
      report.input.shed = { chunks: shed.chunks, lines: shed.lines, ratio: shedRatio() };
      if (shed.chunks > 0) {
        const r = report.input.shed.ratio;
        const w = `--shed: analyzed ${linesDone} of ${linesDone + shed.lines} lines (${(r * 100).toFixed(1)} %, ${shed.chunks} chunks skipped under overload); counts and rates in this report are for that share (divide by ${r} to estimate the totals; a count c so estimated is off by about ±${Math.sqrt((1 - r) / r).toFixed(2)}·√c or more, since whole chunks are skipped)`;
        report.input.warnings.push(w);
        notice(`warning: ${w}`);
      }
    }
    if (opts.suggestLimits) report.limits = suggestLimits(report, engine.normalRates);
    return report;
  } finally {
    for (const o of opened) o.src.close();
  }
}

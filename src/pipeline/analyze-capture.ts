/**
 * Batch analysis of packet captures: ByteSource (file/stdin, gzip by magic) → frameCapture
 * (chunks of whole records + context) → piscina pool (PacketFolder) → PacketEngine, with
 * the same backpressure and strict chunk-order merge as the log pipeline.
 */
import { Piscina } from 'piscina';
import { ChunkBuffers } from './chunk-buffers.js';
import { frameCapture, readFrom, type CaptureChunk, type CaptureIssues } from '../framing/captures.js';
import { firstRecordTime } from '../parsers/packet/records.js';
import { DEFAULT_PACKET_DETECT, type PacketDetectConfig } from '../detectors/packet.js';
import type { PacketPartial } from '../partial/packet-partial.js';
import { buildPacketReport, dropsWarning, packetAlertReport, type CaptureFileReport, type PacketReport } from '../report/packet-report.js';
import { overlapWarning } from '../report/report.js';
import { alertEvent, DEFAULT_UPDATE_INTERVAL, EpisodeIndex, eventAlertOptions, UpdateThrottle, windowEvent } from '../live/events.js';
import type { GeoIp } from '../geo/geoip.js';
import type { InputSource } from '../sources/byte-source.js';
import { InputError } from '../sources/errors.js';
import { PacketEngine, type PacketEngineHooks } from '../windows/packet-engine.js';
import { VERSION } from '../version.js';
import { suggestConnLimit } from '../report/limits.js';
import type { LiveOptions, Progress } from './analyze.js';
import { Interruption } from './interrupted.js';
import { notAnalyzed, noteMerged, pickOldest, watermarkBound, type SideBySide } from './side-by-side.js';

/**
 * A chunk's size, and the steps it may span. A busy capture's chunk spans a fraction of a
 * second, and the main thread's work per chunk (merging its Partial into the step's bucket) was
 * a third of its time at 1 MiB: 2 MiB, 5M packets 3.70 → 3.28 s (medians of six interleaved
 * pairs). A quiet one's 2 MiB would hold ~40 steps, each with its summaries, and its peak RSS
 * went 228 → 275 MiB: cut at 20 steps, as 1 MiB chunks of it were.
 */
const CHUNK_BYTES = 2 << 20;
const CHUNK_STEPS = 20;

export interface CaptureOptions {
  threads: number;
  detect?: { [K in keyof PacketDetectConfig]?: PacketDetectConfig[K] };
  chunkSize?: number;
  zone?: number;
  geo?: { countryDb?: string } | null;
  suggestLimits?: boolean;
  /** The country database in shared memory, for the workers. */
  countryBytes?: Uint8Array | null;
  /** The main thread's geolocation (countries of live alerts' sources), or null. */
  geoIp?: GeoIp | null;
  onProgress?: (p: Progress) => void;
  onNotice?: (msg: string) => void;
  /** Live mode: events while reading, idle flush, wall-clock window closing. */
  live?: LiveOptions;
  /** Batch runs: stop reading at the next chunk when aborted (see AnalyzeOptions.signal). */
  signal?: AbortSignal;
  /** Each source's first packet time, from its first bytes (null: none seen): the order to read them in. */
  firstTimes?: (number | null)[];
}

/** The first packet's time in a capture's first bytes (null: none there): where it starts, before it is opened again. */
export async function firstPacketTime(head: Uint8Array): Promise<number | null> {
  for await (const ch of frameCapture(readFrom(head), '', { warnings: [], error: null })) {
    if (ch.records > 0) return firstRecordTime(ch.bytes, ch.context);
  }
  return null;
}

export async function analyzeCaptures(sources: InputSource[], o: CaptureOptions): Promise<PacketReport> {
  const cfg: PacketDetectConfig = { ...DEFAULT_PACKET_DETECT, ...o.detect };
  const live = o.live;
  const zone = o.zone ?? 0;
  const throttle = live === undefined ? null : new UpdateThrottle(live.updateInterval ?? DEFAULT_UPDATE_INTERVAL);
  const eventAlert = eventAlertOptions(o.geoIp ?? null);
  const episodes = new EpisodeIndex();
  const hooks: PacketEngineHooks | undefined =
    live === undefined
      ? undefined
      : {
          onAlert: (type, a) => {
            if (throttle!.pass(type, a)) live.onEvent(alertEvent(type, episodes.mark(packetAlertReport(a, zone, engine.regularSources(), eventAlert))));
          },
          onWindow: (end, packets, seconds, openAlerts) => {
            if (live.windowEvents) live.onEvent(windowEvent(end, zone, 'packets', packets, seconds, openAlerts));
          },
        };
  const engine = new PacketEngine(cfg, hooks);
  // Skipping a chunk of a capture would also lose the handshakes that cross it.
  if (live?.shed === true) o.onNotice?.('--shed applies to logs; this capture is read with backpressure (nothing skipped)');
  const warnings: string[] = [];
  const errors: string[] = [];
  const files: CaptureFileReport[] = [];
  const notice = o.onNotice ?? (() => {});
  const warn = (w: string) => {
    warnings.push(w);
    notice(`warning: ${w}`);
  };
  const totalBytes = sources.every((s) => s.size !== null) ? sources.reduce((a, s) => a + s.size!, 0) : null;
  let rawDone = 0;
  let packetsDone = 0;
  const pool = new Piscina({
    filename: new URL('../../workers/packet-entry.cjs', import.meta.url).href,
    minThreads: o.threads,
    maxThreads: o.threads,
    idleTimeout: 1000,
    concurrentTasksPerWorker: 1,
    workerData: { countryBytes: o.countryBytes ?? null },
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  // A worker's answer that arrives after the run stopped on an error (the pool is being
  // destroyed) comes as an 'error' event; without a listener it crashed the process and
  // hid the real error. Kept, and raised if the run otherwise ends well.
  let poolError: unknown = null;
  pool.on('error', (e: unknown) => {
    poolError ??= e;
  });
  // Ctrl-C: where reading stopped, and the inputs never started.
  const interruption = new Interruption();
  try {
    /** One capture being read, side by side with the others in time order (see side-by-side.ts). */
    interface Run extends SideBySide {
      readonly src: InputSource;
      readonly file: CaptureFileReport;
      readonly issues: CaptureIssues;
      readonly links: Set<number>;
      chunks: AsyncGenerator<CaptureChunk> | null;
      next: CaptureChunk | null;
      seq: number;
    }
    const runs: Run[] = sources.map((src, i) => {
      const issues: CaptureIssues = { warnings: [], error: null };
      const file: CaptureFileReport = { name: src.name, compressed: false, bytes: 0, format: null, linkTypes: [], packets: 0, late: 0, warnings: issues.warnings, damage: null, drops: [] };
      files.push(file);
      return { src, file, issues, links: new Set<number>(), state: 'waiting', chunks: null, next: null, nextTime: o.firstTimes?.[i] ?? -Infinity, queued: [], seq: 0, clock: -Infinity, merged: false };
    });
    const inflight: { run: Run; promise: Promise<PacketPartial> }[] = [];
    // Chunks go to the workers in shared memory, each buffer filled again once its worker has
    // answered (see ChunkBuffers); a chunk is about chunkSize bytes of whole records, and spans
    // CHUNK_STEPS steps at most.
    // (Live input: a chunk goes out 250 ms after its first bytes at the latest, whatever its size.)
    const chunkSize = o.chunkSize ?? CHUNK_BYTES;
    const buffers = new ChunkBuffers(o.threads * 2 + 2);
    const alloc = (n: number): Uint8Array => buffers.take(n, chunkSize + (chunkSize >> 2));
    const progress = () => {
      let at = rawDone;
      for (const r of runs) if (r.state === 'reading') at += r.src.rawBytes;
      o.onProgress?.({ rawBytes: at, totalBytes, lines: packetsDone, inFlight: inflight.length, unit: 'packets' });
    };
    const readAhead = async (run: Run) => {
      const r = await run.chunks!.next();
      run.next = r.done ? null : r.value;
      if (run.next !== null) {
        run.file.format = run.next.context.format;
        for (const i of run.next.context.interfaces) run.links.add(i.linkType);
        run.nextTime = (run.next.records > 0 ? firstRecordTime(run.next.bytes, run.next.context) : null) ?? run.nextTime;
      }
    };
    const finish = (run: Run) => {
      const { src, file, issues } = run;
      run.state = 'done';
      // A pipe ends (as at EOF) when the run is interrupted.
      if (!interruption.stopped && o.signal?.aborted) interruption.stoppedIn({ name: src.name, offset: src.rawBytes, size: src.size, compressed: src.compressed });
      rawDone += src.rawBytes;
      const overlap = overlapWarning(src.name, file.late, file.packets, 'packets', runs.indexOf(run));
      if (overlap !== null) {
        warn(overlap);
      }
      file.bytes = src.bytes;
      file.compressed = src.compressed;
      file.linkTypes = [...run.links].sort((a, b) => a - b);
      file.drops = issues.drops ?? [];
      for (const d of file.drops) {
        const w = dropsWarning(src.name, d);
        if (w !== null) issues.warnings.push(w);
      }
      for (const w of [...issues.warnings, ...src.notes]) {
        warn(w);
      }
      const damage = issues.error ?? src.damage;
      if (damage !== null) {
        file.damage = damage;
        errors.push(damage);
        notice(`error: ${damage}`);
      }
      // Done with this input: its descriptor goes now, not at the end of the run.
      src.close();
      progress();
    };
    const settle = async () => {
      const { run, promise } = inflight.shift()!;
      run.queued.shift();
      const p = await promise;
      run.file.packets += p.packets;
      packetsDone += p.packets;
      const lateBefore = engine.latePackets;
      engine.add(p);
      run.file.late += engine.latePackets - lateBefore;
      noteMerged(run, p.packets, p.maxTime);
      engine.advance(watermarkBound(runs));
      if (run.next === null && run.queued.length === 0 && run.state === 'reading') finish(run);
    };
    const dispatch = (run: Run, ch: CaptureChunk) => {
      if (ch.records === 0) return;
      // The chunk is in shared memory (see alloc): posted as is, not transferred.
      const promise = pool.run({ chunk: ch.bytes, context: ch.context, records: ch.records, seq: run.seq++, step: cfg.step, geo: o.geo ?? null }) as Promise<PacketPartial>;
      const done = () => buffers.give(ch.bytes.buffer);
      promise.then(done, done);
      inflight.push({ run, promise });
      run.queued.push(run.nextTime);
    };
    const begin = async (run: Run) => {
      // A capture removed or replaced since the run started is damage: the others are kept.
      try {
        await run.src.begin();
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        const d = notAnalyzed(e);
        run.file.damage = d;
        errors.push(d);
        notice(`error: ${d}`);
        run.src.close();
        run.state = 'done';
        return;
      }
      const src = run.src;
      run.chunks = frameCapture((t, off, len, idle) => src.read(t, off, len, idle), src.name, run.issues, chunkSize, live?.idleMs ?? 0, alloc, CHUNK_STEPS * cfg.step);
      run.state = 'reading';
      await readAhead(run);
      if (run.next === null) finish(run);
    };

    for (;;) {
      if (o.signal?.aborted) {
        // Interrupted: the records read so far are folded; reading stops here.
        for (const r of runs) {
          if (r.state === 'waiting') {
            interruption.notRead(r.src.name);
            r.src.close();
            r.state = 'done';
          } else if (r.state === 'reading' && r.next !== null) {
            dispatch(r, r.next);
            interruption.stoppedIn({ name: r.src.name, offset: r.src.rawBytes, size: r.src.size, compressed: r.src.compressed });
            r.next = null;
            await r.chunks!.return(undefined);
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
      const ch = run.next!;
      dispatch(run, ch);
      if (ch.idle) {
        // Live input paused: fold everything now; with nothing new, wall time moves event time.
        while (inflight.length > 0) await settle();
        if (ch.records === 0) engine.idle((live?.idleMs ?? 0) / 1000);
      } else if (inflight.length >= o.threads * 2) await settle();
      progress();
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
  const report = buildPacketReport(engine, files, cfg, VERSION, o.zone ?? 0, warnings, errors);
  if (o.suggestLimits) report.connLimits = suggestConnLimit(report, engine.normalConnections);
  return report;
}

/**
 * Batch analysis of packet captures: ByteSource (file/stdin, gzip by magic) → frameCapture
 * (chunks of whole records + context) → piscina pool (PacketFolder) → PacketEngine, with
 * the same backpressure and strict chunk-order merge as the log pipeline.
 */
import { Piscina } from 'piscina';
import { frameCapture, type CaptureIssues } from '../framing/captures.js';
import { DEFAULT_PACKET_DETECT, type PacketDetectConfig } from '../detectors/packet.js';
import type { PacketPartial } from '../partial/packet-partial.js';
import { buildPacketReport, packetAlertReport, type CaptureFileReport, type PacketReport } from '../report/packet-report.js';
import { overlapWarning } from '../report/report.js';
import { alertEvent, DEFAULT_UPDATE_INTERVAL, eventAlertOptions, UpdateThrottle, windowEvent } from '../live/events.js';
import type { GeoIp } from '../geo/geoip.js';
import type { InputSource } from '../sources/byte-source.js';
import { InputError } from '../sources/errors.js';
import { PacketEngine, type PacketEngineHooks } from '../windows/packet-engine.js';
import { VERSION } from '../version.js';
import { suggestConnLimit } from '../report/limits.js';
import type { LiveOptions, Progress } from './analyze.js';
import { interruptedWarning } from './interrupted.js';

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
}

export async function analyzeCaptures(sources: InputSource[], o: CaptureOptions): Promise<PacketReport> {
  const cfg: PacketDetectConfig = { ...DEFAULT_PACKET_DETECT, ...o.detect };
  const live = o.live;
  const zone = o.zone ?? 0;
  const throttle = live === undefined ? null : new UpdateThrottle(live.updateInterval ?? DEFAULT_UPDATE_INTERVAL);
  const eventAlert = eventAlertOptions(o.geoIp ?? null);
  const hooks: PacketEngineHooks | undefined =
    live === undefined
      ? undefined
      : {
          onAlert: (type, a) => {
            if (throttle!.pass(type, a)) live.onEvent(alertEvent(type, packetAlertReport(a, zone, eventAlert)));
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
  const totalBytes = sources.every((s) => s.size !== null) ? sources.reduce((a, s) => a + s.size!, 0) : null;
  let rawDone = 0;
  let packetsDone = 0;
  const pool = new Piscina({
    filename: new URL('../../workers/packet-worker.js', import.meta.url).href,
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
  let stoppedAt: Parameters<typeof interruptedWarning>[0] = null;
  const unread: string[] = [];
  try {
    for (const src of sources) {
      const issues: CaptureIssues = { warnings: [], error: null };
      const file: CaptureFileReport = { name: src.name, compressed: false, bytes: 0, format: null, linkTypes: [], packets: 0, late: 0, warnings: issues.warnings, damage: null };
      files.push(file);
      if (o.signal?.aborted) {
        unread.push(src.name);
        src.close();
        continue;
      }
      // A capture removed or replaced since the run started is damage: the others are kept.
      try {
        await src.begin();
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        const d = `${e.message}: not analyzed; the results of the other inputs are kept`;
        file.damage = d;
        errors.push(d);
        notice(`error: ${d}`);
        src.close();
        continue;
      }
      const links = new Set<number>();
      const lateBefore = engine.latePackets;
      const inflight: Promise<PacketPartial>[] = [];
      const settle = async () => {
        const p = await inflight.shift()!;
        file.packets += p.packets;
        packetsDone += p.packets;
        engine.add(p);
        engine.advance();
      };
      let seq = 0;
      for await (const ch of frameCapture((t, off, len, idle) => src.read(t, off, len, idle), src.name, issues, o.chunkSize ?? 1 << 20, live?.idleMs ?? 0)) {
        file.format = ch.context.format;
        for (const i of ch.context.interfaces) links.add(i.linkType);
        if (ch.records > 0) {
          inflight.push(pool.run({ chunk: ch.bytes, context: ch.context, seq: seq++, step: cfg.step, geo: o.geo ?? null }, { transferList: [ch.bytes.buffer as ArrayBuffer] }) as Promise<PacketPartial>);
        }
        // Interrupted: the records read so far (above) are folded; reading stops here.
        if (o.signal?.aborted) {
          stoppedAt = { name: src.name, offset: src.rawBytes, size: src.size, compressed: src.compressed };
          break;
        }
        if (ch.idle) {
          // Live input paused: fold everything now; with nothing new, wall time moves event time.
          while (inflight.length > 0) await settle();
          if (ch.records === 0) engine.idle((live?.idleMs ?? 0) / 1000);
        } else if (inflight.length >= o.threads * 2) await settle();
        o.onProgress?.({ rawBytes: rawDone + src.rawBytes, totalBytes, lines: packetsDone, inFlight: inflight.length, unit: 'packets' });
      }
      while (inflight.length > 0) await settle();
      // A pipe ends (as at EOF) when the run is interrupted.
      if (stoppedAt === null && o.signal?.aborted) stoppedAt = { name: src.name, offset: src.rawBytes, size: src.size, compressed: src.compressed };
      rawDone += src.rawBytes;
      file.late = engine.latePackets - lateBefore;
      const overlap = overlapWarning(src.name, file.late, file.packets, 'packets', sources.indexOf(src));
      if (overlap !== null) {
        warnings.push(overlap);
        notice(`warning: ${overlap}`);
      }
      o.onProgress?.({ rawBytes: rawDone, totalBytes, lines: packetsDone, inFlight: 0, unit: 'packets' });
      file.bytes = src.bytes;
      file.compressed = src.compressed;
      file.linkTypes = [...links].sort((a, b) => a - b);
      for (const w of [...issues.warnings, ...src.notes]) {
        warnings.push(w);
        notice(`warning: ${w}`);
      }
      const damage = issues.error ?? src.damage;
      if (damage !== null) {
        file.damage = damage;
        errors.push(damage);
        notice(`error: ${damage}`);
      }
      // Done with this input: its descriptor goes now, not at the end of the run.
      src.close();
    }
    if (poolError !== null) throw poolError;
  } finally {
    await pool.destroy();
  }
  engine.finish();
  if (stoppedAt !== null || unread.length > 0) {
    const w = interruptedWarning(stoppedAt, unread);
    warnings.push(w);
    notice(`warning: ${w}`);
  }
  const report = buildPacketReport(engine, files, cfg, VERSION, o.zone ?? 0, warnings, errors);
  if (o.suggestLimits) report.connLimits = suggestConnLimit(report, engine.normalConnections);
  return report;
}

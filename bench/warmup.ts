/**
 * One log worker's warm-up, in a fresh process: the first chunks of a log folded one after
 * another as a worker folds them (LogFolder with the pipeline's default configuration, its chunk
 * size, the country database in shared memory), on this thread alone, each timed. Prints one
 * JSON line: {chunks: [ms, …]}.
 *
 * A worker's first chunks are where V8 compiles the fold (~140 ms of compiling in the first
 * chunk on this machine), and in a run of the 2M-line bench log each of the two workers folds
 * only ~45 chunks: the first three cost what ~17 steady ones do. Measured here on one thread,
 * where the figure is steady from run to run (±10 ms), unlike the whole pipeline's on two busy
 * cores.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { LOG_CHUNK_BYTES } from '../src/framing/lines.js';
import { DEFAULT_DETECT } from '../src/detectors/config.js';
import { GeoIp } from '../src/geo/geoip.js';
import { LogFolder } from '../src/partial/log-folder.js';
import { MAX_LINE_BYTES } from '../src/pipeline/analyze.js';

const [file, chunksArg] = process.argv.slice(2);
if (!file) throw new Error('usage: warmup.js FILE [CHUNKS]');
const want = Number(chunksArg ?? 8);

// The chunks first (read and cut at a newline as the pipeline cuts them), so only folding is timed.
const chunks: Uint8Array[] = [];
const fd = openSync(file, 'r');
const buf = Buffer.allocUnsafe(LOG_CHUNK_BYTES);
let pos = 0;
while (chunks.length < want) {
  const n = readSync(fd, buf, 0, LOG_CHUNK_BYTES, pos);
  if (n === 0) break;
  const cut = n < LOG_CHUNK_BYTES ? n : buf.lastIndexOf(10, n - 1) + 1;
  if (cut === 0) break;
  chunks.push(Uint8Array.prototype.slice.call(buf, 0, cut));
  pos += cut;
}
closeSync(fd);

const folder = new LogFolder(
  { format: 'combined', step: DEFAULT_DETECT.step, clientIp: 'remote', trustedProxies: [], maxSamples: 10, maxLineBytes: MAX_LINE_BYTES, geo: {} },
  new GeoIp().sharedCountryBytes(),
);
const ms: number[] = [];
chunks.forEach((c, seq) => {
  const t0 = performance.now();
  folder.fold(c, seq);
  ms.push(performance.now() - t0);
});
process.stdout.write(`${JSON.stringify({ chunks: ms })}\n`);

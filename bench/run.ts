/**
 * `npm run bench` / `floodscope bench`: detection throughput on a generated log.
 *
 * Two suites, logs (2M and 10M lines) and captures (5M and 10M packets); cases (each full
 * analysis in a fresh process, so peak RSS is that run's own):
 *   floor      a bare newline count / pcap record walk over the same file — the ceiling
 *   threads=1  full analysis (parse, sketches, windows, detectors, report) on one worker
 *   default    full analysis with the default thread count (twice)
 *   big        the same on the larger input (twice) to show RSS stays flat
 * plus a log worker's warm-up alone (its first chunks, see warmup.ts), the live cases (alert
 * latency, lines/s through a pipe; see live.ts) and micro-benches of the hot pieces beside their
 * obvious alternatives.
 * Generated files live in a temp dir and are removed afterwards (--keep to keep them).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchScenario, generateAccessLog, quietDayScenario } from '../src/generate/access-log.js';
import { streamBenchCapture } from '../src/generate/capture.js';
import { defaultThreads } from '../src/pipeline/analyze.js';
import { LOG_CHUNK_BYTES } from '../src/framing/lines.js';
import { runMicro } from './micro.js';
import { runLive } from './live.js';
import { RUNTIME } from '../src/cli/runtime.js';
import { cpuJiffies, stealPercent } from './steal.js';

interface CaseResult {
  name: string;
  threads: number;
  /** Records: lines of a log, packets of a capture. */
  lines: number;
  bytes: number;
  ms: number;
  maxRssMiB: number;
  /** CPU seconds: the process, its main thread (null without /proc), its other busy threads. */
  cpuS: number;
  cpuMainS: number | null;
  cpuThreadsS: number[];
  /** Share of the machine's CPU time the hypervisor gave other guests during the case, %. */
  steal: number | null;
}

const TARGET_RSS_MIB = 250;

/** The floor for logs: count newlines with memchr over 1 MiB reads, nothing else. */
function newlineFloor(path: string): { count: number; ms: number } {
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  const t0 = performance.now();
  let count = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    let p = buf.indexOf(10, 0);
    while (p >= 0 && p < n) {
      count++;
      p = buf.indexOf(10, p + 1);
    }
  }
  const ms = performance.now() - t0;
  closeSync(fd);
  return { count, ms };
}

/** The floor for captures: walk the pcap record headers, nothing else. */
function recordFloor(path: string): { count: number; ms: number } {
  const buf = Buffer.allocUnsafe(1 << 22);
  const fd = openSync(path, 'r');
  const t0 = performance.now();
  let count = 0;
  let carry = 0;
  let first = true;
  for (;;) {
    const n = readSync(fd, buf, carry, buf.length - carry, null);
    const end = carry + n;
    let p = first ? 24 : 0;
    first = false;
    while (p + 16 <= end) {
      const incl = buf.readUInt32LE(p + 8);
      if (p + 16 + incl > end) break;
      p += 16 + incl;
      count++;
    }
    if (n === 0) break;
    buf.copy(buf, 0, p, end);
    carry = end - p;
  }
  closeSync(fd);
  return { count, ms: performance.now() - t0 };
}

/** Run a bench script of this directory in a fresh process with the CLI's process settings (its shebang line); its last stdout line. */
function runScript(what: string, script: string, args: string[]): string {
  const r = spawnSync(process.execPath, [...RUNTIME.nodeFlags, fileURLToPath(new URL(script, import.meta.url)), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env: { ...process.env, ...RUNTIME.env },
  });
  if (r.status !== 0) throw new Error(`bench ${what} failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

function runCase(name: string, file: string, threads: number): CaseResult {
  const before = cpuJiffies();
  const out = runScript(`case ${name}`, './case.js', [file, String(threads)]);
  const steal = stealPercent(before, cpuJiffies());
  const j = JSON.parse(out) as { ms: number; lines: number; bytes: number; maxRssMiB: number; cpuS: number; cpuMainS: number | null; cpuThreadsS: number[] };
  return { name, threads, steal, ...j };
}

function row(cells: (string | number)[]): string {
  return cells.map((c, i) => String(c).padStart(i === 0 ? 0 : 12).padEnd(i === 0 ? 30 : 0)).join(' ');
}

interface Suite {
  /** "lines" or "packets". */
  unit: string;
  prefix: string;
  file: string;
  target: number;
  floorName: string;
  generate: (path: string, n: number) => void;
  floor: (path: string) => { count: number; ms: number };
  /** A line on a worker's warm-up over the same file (logs: see warmup.ts). */
  warmup?: (path: string) => string;
}

/** Fresh processes timing a log worker's first chunks (warmup.ts): runs, chunks each. */
const WARMUP_RUNS = 3;
const WARMUP_CHUNKS = 8;

/**
 * A log worker's first chunks, folded in a fresh process (as the CLI runs: same flags), three
 * times: each run's first three chunks, and what they cost beyond three steady ones (the median
 * of the chunks after them) — what compiling the fold costs each worker of every run.
 */
function logWarmup(path: string): string {
  const runs: string[] = [];
  const excess: number[] = [];
  for (let i = 0; i < WARMUP_RUNS; i++) {
    const ms = (JSON.parse(runScript('warm-up case', './warmup.js', [path, String(WARMUP_CHUNKS)])) as { chunks: number[] }).chunks;
    const rest = ms.slice(3).sort((a, b) => a - b);
    const steady = rest[rest.length >> 1] ?? 0;
    const first = ms.slice(0, 3);
    excess.push(first.reduce((a, b) => a + b, 0) - 3 * steady);
    runs.push(`${first.map((x) => x.toFixed(0)).join(' + ')} ms (steady ${steady.toFixed(1)})`);
  }
  excess.sort((a, b) => a - b);
  return (
    `a worker's warm-up (one thread, ${WARMUP_CHUNKS} chunks of ${LOG_CHUNK_BYTES >> 20} MiB, fresh process ×${WARMUP_RUNS}): first three chunks ${runs.join(', ')}; ` +
    `beyond steady chunks: ${excess[excess.length >> 1]!.toFixed(0)} ms a worker (median)`
  );
}

/**
 * One input kind: generate n records, the floor, full analysis at 1 thread and twice at
 * the default (peak RSS varies ±5 % run to run; flatness compares the higher peaks), then
 * twice at bigN for the RSS flatness check.
 */
/** Returns the default-threads rate. */
function runSuite(s: Suite, dir: string, n: number, bigN: number, threads: number, keep: boolean): number {
  const file = join(dir, s.file);
  let t0 = performance.now();
  s.generate(file, n);
  const size = statSync(file).size;
  console.log(`generated ${n.toLocaleString('en-US')} ${s.unit} (${(size / 1048576).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const floor = s.floor(file);
  const floorRate = floor.count / (floor.ms / 1000);
  const results: CaseResult[] = [
    runCase(`${s.prefix}, 1 thread`, file, 1),
    runCase(`${s.prefix}, ${threads} threads`, file, threads),
    runCase(`${s.prefix}, ${threads} threads (again)`, file, threads),
  ];
  const warm = s.warmup?.(file);
  if (!keep) rmSync(file);
  if (bigN > 0) {
    const big = join(dir, `big-${s.file}`);
    t0 = performance.now();
    s.generate(big, bigN);
    console.log(`generated ${bigN.toLocaleString('en-US')} ${s.unit} (${(statSync(big).size / 1048576).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    results.push(runCase(`${s.prefix}, ${threads} threads, big`, big, threads), runCase(`${s.prefix}, ${threads} threads, big (again)`, big, threads));
    if (!keep) rmSync(big);
  }
  console.log('');
  console.log(row(['case', s.unit, `${s.unit}/s`, 'MB/s', 'peak RSS', 'vs floor', 'host steal']));
  console.log(row([s.floorName, floor.count, Math.round(floorRate), (size / 1e6 / (floor.ms / 1000)).toFixed(0), '-', '1.00', '-']));
  for (const r of results) {
    const rate = r.lines / (r.ms / 1000);
    console.log(row([r.name, r.lines, Math.round(rate), (r.bytes / 1e6 / (r.ms / 1000)).toFixed(0), `${r.maxRssMiB.toFixed(0)} MiB`, (rate / floorRate).toFixed(2), r.steal === null ? '-' : `${r.steal.toFixed(0)} %`]));
  }
  const def = results[1]!;
  const defRate = def.lines / (def.ms / 1000);
  console.log('');
  console.log(`target ≥ ${s.target.toLocaleString('en-US')} ${s.unit}/s with full analysis (default threads): ${Math.round(defRate).toLocaleString('en-US')} → ${defRate >= s.target ? 'met' : 'NOT met'}`);
  const peak = Math.max(...results.map((r) => r.maxRssMiB));
  console.log(`target peak RSS ≤ ${TARGET_RSS_MIB} MiB: ${peak.toFixed(0)} MiB → ${peak <= TARGET_RSS_MIB ? 'met' : 'NOT met'}`);
  if (results.length >= 5) {
    const growth = Math.max(results[3]!.maxRssMiB, results[4]!.maxRssMiB) / Math.max(results[1]!.maxRssMiB, results[2]!.maxRssMiB) - 1;
    console.log(`target RSS flat (≤ +10% from ${n.toLocaleString('en-US')} to ${bigN.toLocaleString('en-US')} ${s.unit}): ${(growth * 100).toFixed(1)}% → ${growth <= 0.1 ? 'met' : 'NOT met'}`);
  }
  const split = (r: CaseResult) =>
    `${r.name}: ${r.cpuS.toFixed(2)} s CPU in ${(r.ms / 1000).toFixed(2)} s` +
    (r.cpuMainS === null ? '' : ` — main thread ${r.cpuMainS.toFixed(2)} s, other threads ${r.cpuThreadsS.map((x) => x.toFixed(2)).join(', ')} s`);
  console.log(`where the CPU went (workers and V8's helper threads are the "other threads"):\n  ${split(results[0]!)}\n  ${split(def)}`);
  const scaling = defRate / (results[0]!.lines / (results[0]!.ms / 1000));
  console.log(`thread scaling 1 → ${threads}: ×${scaling.toFixed(2)}`);
  if (warm !== undefined) console.log(warm);
  console.log('');
  return defRate;
}

const LOGS: Suite = {
  unit: 'lines',
  prefix: 'full',
  file: 'access.log',
  target: 2_000_000,
  floorName: 'newline count (floor)',
  generate: (path, n) => {
    const fd = openSync(path, 'w');
    generateAccessLog(benchScenario(n), (s) => writeSync(fd, s));
    // Written back before it is measured (else the kernel flushes 2 GB during the big case).
    fsyncSync(fd);
    closeSync(fd);
  },
  floor: newlineFloor,
  warmup: logWarmup,
};

const PACKETS: Suite = {
  unit: 'packets',
  prefix: 'capture',
  file: 'capture.pcap',
  target: 3_000_000,
  floorName: 'record walk (floor)',
  generate: (path, n) => {
    const fd = openSync(path, 'w');
    streamBenchCapture(n, (b) => writeSync(fd, b));
    fsyncSync(fd);
    closeSync(fd);
  },
  floor: recordFloor,
};

/**
 * Inputs at a common rate rather than a busy one: a day of a log at 20 requests/s with a flood
 * in the evening (quietDayScenario), twelve hours of a capture at 50 packets/s. Their cost is
 * per step as much as per record, which the busy inputs (one or two steps a chunk) do not show;
 * printed beside the busy input's rate of the same run.
 */
function quietCase(dir: string, name: string, file: string, unit: string, generate: (fd: number) => void, threads: number, busyRate: number, keep: boolean): void {
  const path = join(dir, file);
  const fd = openSync(path, 'w');
  generate(fd);
  fsyncSync(fd);
  closeSync(fd);
  const r = runCase(`${name}, ${threads} threads`, path, threads);
  if (!keep) rmSync(path);
  const rate = r.lines / (r.ms / 1000);
  console.log(
    `${r.name}: ${r.lines.toLocaleString('en-US')} ${unit} in ${(r.ms / 1000).toFixed(2)} s = ${Math.round(rate).toLocaleString('en-US')} ${unit}/s (${((rate / busyRate) * 100).toFixed(0)} % of the busy input's rate), ${r.cpuS.toFixed(2)} s CPU (main thread ${r.cpuMainS?.toFixed(2) ?? '-'} s), peak RSS ${r.maxRssMiB.toFixed(0)} MiB${r.steal === null ? '' : `, host steal ${r.steal.toFixed(0)} %`}`,
  );
  console.log('');
}

export async function runBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      lines: { type: 'string' },
      'big-lines': { type: 'string' },
      packets: { type: 'string' },
      'big-packets': { type: 'string' },
      'skip-logs': { type: 'boolean' },
      'skip-packets': { type: 'boolean' },
      keep: { type: 'boolean' },
      'skip-micro': { type: 'boolean' },
      'skip-live': { type: 'boolean' },
      'live-runs': { type: 'string' },
      'live-lines': { type: 'string' },
      'pipe-runs': { type: 'string' },
    },
  });
  const threads = defaultThreads();
  const dir = mkdtempSync(join(tmpdir(), 'floodscope-bench-'));
  const keep = values.keep === true;
  try {
    console.log(`floodscope bench: node ${process.version}, ${threads} cores; generated inputs in ${dir}`);
    if (!values['skip-logs']) {
      const busy = runSuite(LOGS, dir, Number(values.lines ?? 2_000_000), Number(values['big-lines'] ?? 10_000_000), threads, keep);
      quietCase(dir, 'full, a quiet day (24 h at 20 req/s)', 'quiet-day.log', 'lines', (fd) => generateAccessLog(quietDayScenario(), (s) => writeSync(fd, s)), threads, busy, keep);
    }
    if (!values['skip-packets']) {
      const busy = runSuite(PACKETS, dir, Number(values.packets ?? 5_000_000), Number(values['big-packets'] ?? 10_000_000), threads, keep);
      quietCase(dir, 'capture, a quiet one (12 h at 50 packets/s)', 'quiet.pcap', 'packets', (fd) => streamBenchCapture(2_160_000, (b) => writeSync(fd, b), 9, 50), threads, busy, keep);
    }
    // The pipe case runs 6M lines (~7 s): the target is a sustained rate with flat RSS, and a
    // 2M-line run (~3 s) is mostly start-up — workers compiling, RSS ramping to its plateau.
    if (!values['skip-live']) await runLive(dir, { runs: Number(values['live-runs'] ?? 20), lines: Number(values['live-lines'] ?? 6_000_000), pipeRuns: Number(values['pipe-runs'] ?? 3), keep });
    if (!values['skip-micro']) await runMicro();
    return 0;
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await runBench(process.argv.slice(2));
}

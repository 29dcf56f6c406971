/**
 * `npm run bench` / `floodscope bench`: detection throughput on a generated log.
 *
 * Cases (each full analysis in a fresh process, so peak RSS is that run's own):
 *   floor      a bare newline count over the same file, in this process — the ceiling
 *   threads=1  full analysis (parse, sketches, windows, detectors, report) on one worker
 *   default    full analysis with the default thread count
 *   big        the same at --big-lines (default 10M) to show RSS stays flat
 * plus micro-benches of the hot pieces beside their obvious alternatives.
 * Generated files live in a temp dir and are removed afterwards (--keep to keep them).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchScenario, generateAccessLog } from '../src/generate/access-log.js';
import { defaultThreads } from '../src/pipeline/analyze.js';
import { runMicro } from './micro.js';
import { RUNTIME } from '../src/cli/runtime.js';

interface CaseResult {
  name: string;
  threads: number;
  lines: number;
  bytes: number;
  ms: number;
  maxRssMiB: number;
}

const TARGET_LINES_PER_SEC = 2_000_000;
const TARGET_RSS_MIB = 250;

function generate(path: string, lines: number): number {
  const fd = openSync(path, 'w');
  const gt = generateAccessLog(benchScenario(lines), (s) => writeSync(fd, s));
  closeSync(fd);
  return gt.lines;
}

/** The floor: count newlines with memchr over 1 MiB reads, nothing else. */
function newlineFloor(path: string): { lines: number; ms: number } {
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  const t0 = performance.now();
  let lines = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    let p = buf.indexOf(10, 0);
    while (p >= 0 && p < n) {
      lines++;
      p = buf.indexOf(10, p + 1);
    }
  }
  const ms = performance.now() - t0;
  closeSync(fd);
  return { lines, ms };
}

function runCase(name: string, file: string, threads: number): CaseResult {
  const script = fileURLToPath(new URL('./case.js', import.meta.url));
  // Same process settings as the CLI's shebang line.
  const r = spawnSync(process.execPath, [...RUNTIME.nodeFlags, script, file, String(threads)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env: { ...process.env, ...RUNTIME.env },
  });
  if (r.status !== 0) throw new Error(`bench case ${name} failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; lines: number; bytes: number; maxRssMiB: number };
  return { name, threads, ...j };
}

function row(cells: (string | number)[]): string {
  return cells.map((c, i) => String(c).padStart(i === 0 ? 0 : 12).padEnd(i === 0 ? 30 : 0)).join(' ');
}

export async function runBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      lines: { type: 'string' },
      'big-lines': { type: 'string' },
      keep: { type: 'boolean' },
      'skip-micro': { type: 'boolean' },
    },
  });
  const lines = Number(values.lines ?? 2_000_000);
  const bigLines = Number(values['big-lines'] ?? 10_000_000);
  const threads = defaultThreads();
  const dir = mkdtempSync(join(tmpdir(), 'floodscope-bench-'));
  try {
    console.log(`floodscope bench: node ${process.version}, ${threads} cores; generated logs in ${dir}`);
    const file = join(dir, 'access.log');
    let t0 = performance.now();
    const n = generate(file, lines);
    const size = statSync(file).size;
    console.log(`generated ${n.toLocaleString('en-US')} lines (${(size / 1048576).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const floor = newlineFloor(file);
    const floorRate = floor.lines / (floor.ms / 1000);
    // Peak RSS varies run to run by ~±5 % (GC timing); the default case runs twice and the
    // flatness check compares the higher peak of each size.
    const def2 = runCase(`full, ${threads} threads (again)`, file, threads);
    const results: CaseResult[] = [runCase('full, 1 thread', file, 1), runCase(`full, ${threads} threads`, file, threads), def2];
    let big: CaseResult | null = null;
    let big2: CaseResult | null = null;
    if (bigLines > 0) {
      const bigFile = join(dir, 'access-big.log');
      t0 = performance.now();
      const nb = generate(bigFile, bigLines);
      console.log(`generated ${nb.toLocaleString('en-US')} lines (${(statSync(bigFile).size / 1048576).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      big = runCase(`full, ${threads} threads, big`, bigFile, threads);
      big2 = runCase(`full, ${threads} threads, big (again)`, bigFile, threads);
      results.push(big, big2);
      if (!values.keep) rmSync(bigFile);
    }

    console.log('');
    console.log(row(['case', 'lines', 'lines/s', 'MB/s', 'peak RSS', 'vs floor']));
    console.log(row(['newline count (floor)', floor.lines, Math.round(floorRate), (size / 1e6 / (floor.ms / 1000)).toFixed(0), '-', '1.00']));
    for (const r of results) {
      const rate = r.lines / (r.ms / 1000);
      console.log(row([r.name, r.lines, Math.round(rate), (r.bytes / 1e6 / (r.ms / 1000)).toFixed(0), `${r.maxRssMiB.toFixed(0)} MiB`, (rate / floorRate).toFixed(2)]));
    }
    const def = results[1]!;
    const defRate = def.lines / (def.ms / 1000);
    console.log('');
    console.log(`target ≥ ${TARGET_LINES_PER_SEC.toLocaleString('en-US')} lines/s with full detection (default threads): ${Math.round(defRate).toLocaleString('en-US')} → ${defRate >= TARGET_LINES_PER_SEC ? 'met' : 'NOT met'}`);
    const peak = Math.max(...results.map((r) => r.maxRssMiB));
    console.log(`target peak RSS ≤ ${TARGET_RSS_MIB} MiB: ${peak.toFixed(0)} MiB → ${peak <= TARGET_RSS_MIB ? 'met' : 'NOT met'}`);
    if (big && big2) {
      const growth = Math.max(big.maxRssMiB, big2.maxRssMiB) / Math.max(def.maxRssMiB, def2.maxRssMiB) - 1;
      console.log(`target RSS flat (≤ +10% from ${(lines / 1e6).toFixed(0)}M to ${(bigLines / 1e6).toFixed(0)}M lines): ${(growth * 100).toFixed(1)}% → ${growth <= 0.1 ? 'met' : 'NOT met'}`);
    }
    const scaling = defRate / (results[0]!.lines / (results[0]!.ms / 1000));
    console.log(`thread scaling 1 → ${threads}: ×${scaling.toFixed(2)}`);
    if (!values['skip-micro']) {
      console.log('');
      await runMicro();
    }
    return 0;
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await runBench(process.argv.slice(2));
}

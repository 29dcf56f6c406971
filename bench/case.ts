/**
 * One measured run in a fresh process, so peak RSS (which includes the worker threads)
 * belongs to this case alone. Prints one JSON line: {ms, lines, bytes, maxRssMiB, attacks}.
 */
import { statSync } from 'node:fs';
import { analyzeLogs } from '../src/pipeline/analyze.js';

const [file, threadsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: case.js FILE [THREADS]');
const t0 = performance.now();
const report = await analyzeLogs({ inputs: [file], threads: threadsArg ? Number(threadsArg) : undefined, format: 'combined' });
const ms = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({
    ms,
    lines: report.input.lines,
    bytes: statSync(file).size,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    attacks: report.summary.attacks,
  })}\n`,
);

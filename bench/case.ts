/**
 * One measured run in a fresh process, so peak RSS (which includes the worker threads)
 * belongs to this case alone. Prints one JSON line: {ms, lines, bytes, maxRssMiB, attacks}.
 */
import { statSync } from 'node:fs';
import { analyze } from '../src/pipeline/analyze.js';

const [file, threadsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: case.js FILE [THREADS]');
const t0 = performance.now();
const report = await analyze({ inputs: [file], threads: threadsArg ? Number(threadsArg) : undefined });
const ms = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({
    ms,
    /** Records: lines of a log, packets of a capture. */
    lines: report.kind === 'logs' ? report.input.lines : report.input.packets,
    bytes: statSync(file).size,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    attacks: report.summary.attacks,
  })}\n`,
);

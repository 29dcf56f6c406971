/**
 * One measured run in a fresh process, so peak RSS (which includes the worker threads)
 * belongs to this case alone. Prints one JSON line: {ms, lines, bytes, maxRssMiB, attacks,
 * cpuS, cpuMainS, cpuThreadsS}: CPU seconds of the whole process, of the main thread, and of
 * every other thread that used more than 20 ms (workers and V8's helpers, largest first;
 * sampled from /proc every 50 ms, so a thread's last moments before it exits can be missed;
 * empty where /proc is not there).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { analyze } from '../src/pipeline/analyze.js';

/** CPU seconds per thread id, from /proc/self/task (Linux); empty elsewhere. */
function threadCpu(into: Map<string, number>): void {
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const st = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      into.set(tid, (Number(f[11]) + Number(f[12])) / 100);
    }
  } catch {
    // Not Linux, or a thread ended between the listing and the read.
  }
}

const [file, threadsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: case.js FILE [THREADS]');
const perThread = new Map<string, number>();
const sampler = setInterval(() => threadCpu(perThread), 50);
const t0 = performance.now();
const report = await analyze({ inputs: [file], threads: threadsArg ? Number(threadsArg) : undefined });
const ms = performance.now() - t0;
clearInterval(sampler);
threadCpu(perThread);
const cpu = process.cpuUsage();
const mainTid = String(process.pid);
process.stdout.write(
  `${JSON.stringify({
    ms,
    /** Records: lines of a log, packets of a capture. */
    lines: report.kind === 'logs' ? report.input.lines : report.input.packets,
    bytes: statSync(file).size,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    attacks: report.summary.attacks,
    cpuS: (cpu.user + cpu.system) / 1e6,
    cpuMainS: perThread.get(mainTid) ?? null,
    cpuThreadsS: [...perThread].filter(([tid, s]) => tid !== mainTid && s > 0.02).map(([, s]) => s).sort((a, b) => b - a),
  })}\n`,
);

/**
 * Live cases of `npm run bench`:
 *
 *  latency     the CLI reads a pipe fed in real time (timestamps = now): background traffic
 *              with a real referrer, then a flood on one URL. Latency = from writing the
 *              first line of the step whose window makes the flood qualify to the `alert.open`
 *              event on the CLI's stdout; target ≤ step + 1 s at p99 over the runs. Run with a
 *              2 s step, 10 s window and no lateness so 20 runs take about two minutes; the
 *              latency is about step + lateness + the 250 ms flush at any step.
 *  pipe        `cat access.log | floodscope --live`: lines/s through a pipe, peak RSS and the
 *              RSS of the first and second half of the run (flat), target ≥ 1,000,000 lines/s.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchScenario, generateAccessLog } from '../src/generate/access-log.js';
import { cpuJiffies, stealPercent } from './steal.js';

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function apacheTime(sec: number): string {
  const d = new Date(sec * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

const STEP = 2;
const WINDOW = 10;
/** None: lines arrive in order, and a step is sealed once the first line after it arrives. */
const LATENESS = 0;
const BACKGROUND_PER_S = 200;
const FLOOD_PER_S = 2000;

/**
 * One latency run: milliseconds from the first line of the step whose window made the flood
 * qualify to the alert.open event (null: none within 30 s). That step is the one the window
 * event right after alert.open closes; timestamps are "now", so its start in event time is
 * its start in wall time, when its first line was written.
 */
async function latencyRun(run: number): Promise<number | null> {
  const child = spawn(BIN, ['-q', '--step', `${STEP}s`, '--window', `${WINDOW}s`, '--lateness', `${LATENESS}s`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let openedAt = 0;
  let stepStartMs = 0;
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    const now = Date.now();
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (openedAt === 0 && line.startsWith('{"type":"alert.open"') && line.includes('"signature":"http.repeated-url"')) openedAt = now;
      else if (openedAt !== 0 && stepStartMs === 0 && line.startsWith('{"type":"window"')) {
        const end = (JSON.parse(line) as { end: string }).end;
        stepStartMs = Date.parse(end) - STEP * 1000;
      }
    }
  });
  const exit = new Promise<void>((res) => child.on('close', () => res()));
  const t0 = Date.now() / 1000;
  // The flood starts at a different moment of a step in each run.
  const floodAt = (Math.floor(t0 / STEP) + 3) * STEP + ((run * 0.37) % 1) * STEP;
  let i = 0;
  const deadline = performance.now() + 30_000;
  while (stepStartMs === 0 && performance.now() < deadline) {
    const now = Date.now() / 1000;
    const sec = Math.floor(now);
    const lines: string[] = [];
    const bg = Math.round(BACKGROUND_PER_S / 50);
    for (let k = 0; k < bg; k++, i++) lines.push(`10.1.${(i >> 8) & 0xff}.${i & 0xff} - - [${apacheTime(sec)}] "GET /page/${i % 50} HTTP/1.1" 200 512 "https://example.org/" "Mozilla/5.0"`);
    if (now >= floodAt) {
      for (let k = 0; k < FLOOD_PER_S / 50; k++, i++) lines.push(`172.16.${(i >> 8) & 0x7}.${i & 0xff} - - [${apacheTime(sec)}] "POST /wp-login.php HTTP/1.1" 200 40 "-" "-"`);
    }
    child.stdin.write(lines.join('\n') + '\n');
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGINT');
  await exit;
  return stepStartMs === 0 ? null : openedAt - stepStartMs;
}

async function latency(runs: number): Promise<void> {
  const ms: number[] = [];
  let missed = 0;
  for (let r = 0; r < runs; r++) {
    const v = await latencyRun(r);
    if (v === null) missed++;
    else ms.push(v);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)]!;
  console.log(`live alert latency (${runs} runs, step ${STEP} s, window ${WINDOW} s, lateness ${LATENESS} s): p50 ${(q(0.5) / 1000).toFixed(2)} s, p99 ${(q(0.99) / 1000).toFixed(2)} s, max ${(ms[ms.length - 1]! / 1000).toFixed(2)} s${missed > 0 ? `, ${missed} runs without an alert` : ''}`);
  const met = missed === 0 && q(0.99) <= (STEP + 1) * 1000;
  console.log(`target alert latency ≤ step + 1 s (${STEP + 1} s) at p99: ${met ? 'met' : 'NOT met'}`);
}

function rssKiB(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rss: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0), hwm: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0) };
  } catch {
    return null;
  }
}

async function pipe(dir: string, n: number, keep: boolean): Promise<void> {
  const file = join(dir, 'live.log');
  const fd = openSync(file, 'w');
  generateAccessLog(benchScenario(n), (s) => writeSync(fd, s));
  closeSync(fd);
  const size = statSync(file).size;
  const t0 = performance.now();
  const jiffies = cpuJiffies();
  const cat = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  // The CLI's own launcher (its shebang sets the runtime flags).
  const child = spawn(BIN, ['-q', '--live', '--no-window-events'], { stdio: [cat.stdout, 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    // Keep the last complete line (the final report) and what follows it.
    const nl = out.lastIndexOf('\n', out.length - 2);
    if (nl >= 0) out = out.slice(nl + 1);
  });
  const samples: { t: number; rss: number }[] = [];
  let hwm = 0;
  const timer = setInterval(() => {
    const r = rssKiB(child.pid!);
    if (r !== null) {
      samples.push({ t: performance.now() - t0, rss: r.rss });
      hwm = Math.max(hwm, r.hwm);
    }
  }, 100);
  await new Promise<void>((res) => child.on('close', () => res()));
  clearInterval(timer);
  const ms = performance.now() - t0;
  const steal = stealPercent(jiffies, cpuJiffies());
  if (!keep) rmSync(file);
  const report = JSON.parse(out.trim().split('\n').pop()!) as { report: { input: { lines: number } } };
  const lines = report.report.input.lines;
  const half = ms / 2;
  const maxOf = (xs: { rss: number }[]) => Math.max(0, ...xs.map((x) => x.rss)) / 1024;
  const first = maxOf(samples.filter((x) => x.t < half));
  const second = maxOf(samples.filter((x) => x.t >= half));
  const rate = lines / (ms / 1000);
  console.log(
    `live through a pipe: ${lines.toLocaleString('en-US')} lines (${(size / 1048576).toFixed(0)} MiB) in ${(ms / 1000).toFixed(1)} s = ${Math.round(rate).toLocaleString('en-US')} lines/s; peak RSS ${(hwm / 1024).toFixed(0)} MiB; RSS max first half ${first.toFixed(0)} MiB, second half ${second.toFixed(0)} MiB${steal === null ? '' : `; host steal ${steal.toFixed(0)} %`}`,
  );
  console.log(`target ≥ 1,000,000 lines/s through a pipe: ${rate >= 1e6 ? 'met' : 'NOT met'}; RSS flat (second half ≤ first half + 10 %): ${second <= first * 1.1 ? 'met' : 'NOT met'}`);
}

export async function runLive(dir: string, o: { runs: number; lines: number; keep: boolean }): Promise<void> {
  console.log('');
  console.log('live mode');
  if (o.runs > 0) await latency(o.runs);
  if (o.lines > 0) await pipe(dir, o.lines, o.keep);
  console.log('');
}

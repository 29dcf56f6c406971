/**
 * Live cases of `npm run bench`:
 *
 *  latency     the CLI reads a pipe fed in real time (timestamps = now): background traffic
 *              with a real referrer, then a flood on one URL. Latency = from writing the
 *              first line of the step whose window makes the flood qualify to the `alert.open`
 *              event on the CLI's stdout; target ≤ step + 1 s at p99 over the runs. Run with a
 *              2 s step, 10 s window and no lateness so 20 runs take about two minutes; the
 *              latency is about step + lateness + the 250 ms flush at any step.
 *  pipe        `cat access.log | floodscope --live`: lines/s through a pipe, whole run and
 *              sustained; peak RSS, and RSS while 20-55 % and 55-90 % of the input was analyzed (flat);
 *              the backlog in the pipe (no growing lag); target ≥ 1,000,000 lines/s sustained.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchScenario, generateAccessLog } from '../src/generate/access-log.js';
import { cpuJiffies, stealPercent } from './steal.js';
import { LOG_CHUNK_BYTES } from '../src/framing/lines.js';
import { defaultThreads } from '../src/pipeline/analyze.js';

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

/** The pipe case writes the log 1 MiB at a time. */
const PIECE = 1 << 20;

/** A free TCP port on 127.0.0.1 (for the CLI's --metrics). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `floodscope_lines_total` from the CLI's metrics endpoint, or null (not up yet, or gone). */
function scrapeLines(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics', timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const m = /^floodscope_lines_total (\d+)/m.exec(body);
        resolve(m ? Number(m[1]) : null);
      });
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => req.destroy());
  });
}

/** The first mark at or past `lines`. */
function markAt<T extends { lines: number }>(marks: readonly T[], lines: number): T | undefined {
  return marks.find((m) => m.lines >= lines);
}

/**
 * The pipe case. The bench writes the log into the CLI's stdin itself, 1 MiB at a time, each
 * write waiting for the pipe to take it (so the CLI's backpressure paces it, as `cat` would be
 * paced), and reads the lines the CLI has analyzed from its --metrics endpoint four times a
 * second. Reported: the whole run (process start, worker warm-up and final report included),
 * the sustained rate (lines analyzed per second from 20 % to 90 % of the input: the steady
 * state a long-running `tail -F | floodscope` lives in), and the backlog (lines written into
 * the pipe and not yet analyzed), which must stay within the pipeline's bound (chunks in
 * flight and read ahead): no growing lag, where an unbounded queue would grow with time.
 */
interface PipeRun {
  lines: number;
  ms: number;
  /** Lines analyzed per second from 20 % to 90 % of the input. */
  sustained: number | null;
  steal: number | null;
}

async function pipe(dir: string, n: number, keep: boolean, runs: number): Promise<void> {
  const file = join(dir, 'live.log');
  const out = openSync(file, 'w');
  generateAccessLog(benchScenario(n), (s) => writeSync(out, s));
  closeSync(out);
  const size = statSync(file).size;
  // Lines up to the end of each 1 MiB piece, counted before the clock starts.
  const fd = openSync(file, 'r');
  const upTo: number[] = [];
  const piece = Buffer.allocUnsafe(PIECE);
  let total = 0;
  for (let pos = 0; pos < size; pos += PIECE) {
    const got = readSync(fd, piece, 0, PIECE, pos);
    for (let i = piece.indexOf(10, 0); i >= 0 && i < got; i = piece.indexOf(10, i + 1)) total++;
    upTo.push(total);
  }
  const results: PipeRun[] = [];
  try {
    for (let r = 0; r < runs; r++) results.push(await pipeRun(fd, size, upTo));
  } finally {
    closeSync(fd);
    if (!keep) rmSync(file);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // A run too short to scrape 20 % and 90 % of its input has no sustained rate (said as n/a, not 0).
  const rates = results.flatMap((r) => (r.sustained === null ? [] : [r.sustained]));
  const whole = results.map((r) => r.lines / (r.ms / 1000));
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(`live through a pipe, ${runs} runs: sustained median ${rates.length === 0 ? 'n/a' : `${f(median(rates))} lines/s`} (runs: ${results.map((r) => (r.sustained === null ? 'n/a' : f(r.sustained))).join(', ')}); whole run median ${f(median(whole))} lines/s`);
  console.log(`target ≥ 1,000,000 lines/s sustained through a pipe (median of the runs): ${rates.length > 0 && median(rates) >= 1e6 ? 'met' : 'NOT met'}`);
}

/** One run of the pipe case over the generated log (see pipe). */
async function pipeRun(fd: number, size: number, upTo: readonly number[]): Promise<PipeRun> {
  const port = await freePort();
  const t0 = performance.now();
  const jiffies = cpuJiffies();
  // The CLI's own launcher (its shebang sets the runtime flags).
  const child = spawn(BIN, ['-q', '--live', '--no-window-events', '--metrics', `127.0.0.1:${port}`], { stdio: ['pipe', 'pipe', 'inherit'] });
  let tail = '';
  child.stdout.on('data', (d: Buffer) => {
    tail += d.toString();
    // Keep the last complete line (the final report) and what follows it.
    const nl = tail.lastIndexOf('\n', tail.length - 2);
    if (nl >= 0) tail = tail.slice(nl + 1);
  });
  const closed = new Promise<void>((res) => child.on('close', () => res()));
  child.stdin.on('error', () => {});
  const written: { t: number; lines: number }[] = [];
  const analyzed: { t: number; lines: number }[] = [];
  const samples: { t: number; rss: number }[] = [];
  let hwm = 0;
  let scraping = false;
  const timer = setInterval(() => {
    const t = performance.now() - t0;
    const r = rssKiB(child.pid!);
    if (r !== null) {
      samples.push({ t, rss: r.rss });
      hwm = Math.max(hwm, r.hwm);
    }
    if (scraping) return;
    scraping = true;
    void scrapeLines(port).then((lines) => {
      scraping = false;
      if (lines !== null) analyzed.push({ t: performance.now() - t0, lines });
    });
  }, 250);
  const writer = async () => {
    for (let k = 0; k < upTo.length; k++) {
      const buf = Buffer.allocUnsafe(PIECE);
      const got = readSync(fd, buf, 0, PIECE, k * PIECE);
      const ok = await new Promise<boolean>((res) => child.stdin.write(buf.subarray(0, got), (e) => res(!e)));
      if (!ok) return;
      written.push({ t: performance.now() - t0, lines: upTo[k]! });
    }
    child.stdin.end();
  };
  await Promise.all([writer(), closed]);
  clearInterval(timer);
  const ms = performance.now() - t0;
  const steal = stealPercent(jiffies, cpuJiffies());
  const report = JSON.parse(tail.trim().split('\n').pop()!) as { report: { input: { lines: number } } };
  const lines = report.report.input.lines;
  const half = ms / 2;
  const maxOf = (xs: { rss: number }[]) => Math.max(0, ...xs.map((x) => x.rss)) / 1024;
  const first = maxOf(samples.filter((x) => x.t < half));
  const second = maxOf(samples.filter((x) => x.t >= half));
  const rate = lines / (ms / 1000);
  const a = markAt(analyzed, 0.2 * lines);
  const b = markAt(analyzed, 0.9 * lines);
  const sustained = a !== undefined && b !== undefined && b.t > a.t ? (b.lines - a.lines) / ((b.t - a.t) / 1000) : null;
  // Flat RSS is judged over the same steady part, split at 55 % of the input: RSS while 20-55 %
  // was analyzed against 55-90 %. Halves of the wall time (also printed) put the climb to the
  // working set (~3 s) in the first and the final report in the second, so a 7-s run sat on the
  // line whatever the input's length did (session 13: +8 to +12 % for two builds alike).
  const c = markAt(analyzed, 0.55 * lines);
  const steady =
    a !== undefined && b !== undefined && c !== undefined && c.t > a.t && b.t > c.t
      ? { first: maxOf(samples.filter((x) => x.t >= a.t && x.t < c.t)), second: maxOf(samples.filter((x) => x.t >= c.t && x.t <= b.t)) }
      : null;
  // Backlog at each scrape: lines the pipe had taken (the last write done before it) minus lines
  // analyzed. Both lists are in time order.
  let w = 0;
  const backlog = analyzed.map((s) => {
    while (w < written.length && written[w]!.t <= s.t) w++;
    return { t: s.t, n: Math.max(0, (w > 0 ? written[w - 1]!.lines : 0) - s.lines) };
  });
  const lastWrite = written.length > 0 ? written[written.length - 1]!.t : ms;
  const during = backlog.filter((x) => x.t <= lastWrite);
  // By design at most 2 × threads chunks are in flight, one more is read ahead and one framed,
  // plus what the pipe holds: beyond that the CLI stops reading and the writer waits.
  const bound = ((2 * defaultThreads() + 2) * LOG_CHUNK_BYTES + 65536) / (size / upTo[upTo.length - 1]!);
  const bMax = Math.max(0, ...during.map((x) => x.n));
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(
    `live through a pipe: ${f(lines)} lines (${(size / 1048576).toFixed(0)} MiB) in ${(ms / 1000).toFixed(1)} s = ${f(rate)} lines/s whole run (start-up and final report included); sustained (20-90 % of the input) ${sustained === null ? 'n/a' : f(sustained)} lines/s${steal === null ? '' : `; host steal ${steal.toFixed(0)} %`}`,
  );
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(
    `  peak RSS ${(hwm / 1024).toFixed(0)} MiB; max while 20-55 % of the input was analyzed ${steady === null ? 'n/a' : `${steady.first.toFixed(0)} MiB, 55-90 % ${steady.second.toFixed(0)} MiB (flat, ≤ +10 %: ${met(steady.second <= steady.first * 1.1)})`}; whole-run halves ${first.toFixed(0)} / ${second.toFixed(0)} MiB (start-up in the first, the final report in the second); backlog (lines in the pipe, read ahead or in flight, not yet analyzed) max ${f(bMax)}, bound ${f(bound)} (no growing lag: ${met(bMax <= bound)})`,
  );
  return { lines, ms, sustained, steal };
}

export async function runLive(dir: string, o: { runs: number; lines: number; pipeRuns: number; keep: boolean }): Promise<void> {
  console.log('');
  console.log('live mode');
  if (o.runs > 0) await latency(o.runs);
  if (o.lines > 0 && o.pipeRuns > 0) await pipe(dir, o.lines, o.keep, o.pipeRuns);
  console.log('');
}

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAccessLog, sampleScenario, type GroundTruth, type ScenarioOptions } from '../dist/src/index.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'dist/src/cli/bin.js');
export const CORPUS = resolve(ROOT, '../shared/corpus');
export const HAVE_CORPUS = existsSync(join(CORPUS, 'logs'));
export const NO_CORPUS_MESSAGE = `../shared/corpus not found beside the project (${CORPUS}): corpus tests skipped. They need the shared test corpus, present in CI and the team's checkouts.`;

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An epoch second as an access log's time, "20/Nov/2026:02:00:00 +0000" (the UTC clock, labelled `zone`). */
export function clf(t: number, zone = '+0000'): string {
  const d = new Date(t * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${zone}`;
}

/**
 * An hour of log from `t0`: background at 2 req/s, a flood of POST /x at 80 req/s from 2,000 addresses (answered 503)
 * over seconds [600, 3000), and nothing at all logged over the seconds [silent[0], silent[1]).
 */
export function silentLog(t0: number, silent: [number, number]): string {
  const out: string[] = [];
  let n = 0;
  for (let s = 0; s < 3600; s++) {
    if (s >= silent[0] && s < silent[1]) continue;
    for (let k = 0; k < 2; k++) out.push(`198.51.100.${(n++ % 50) + 1} - - [${clf(t0 + s)}] "GET /page${n % 9} HTTP/1.1" 200 10 "https://ex.org/" "Mozilla"`);
    if (s >= 600 && s < 3000) {
      for (let k = 0; k < 80; k++) {
        const i = n++ % 2000;
        out.push(`45.${10 + (i % 40)}.${Math.floor(i / 40)}.${(i % 200) + 1} - - [${clf(t0 + s)}] "POST /x HTTP/1.1" 503 10 "-" "bot"`);
      }
    }
  }
  return out.join('\n') + '\n';
}

/** A new temp dir, under the run's root (removed when the run ends: test/global-setup.ts). */
export function tmp(prefix = 'floodscope-test-'): string {
  return mkdtempSync(join(process.env.FLOODSCOPE_TEST_TMP ?? tmpdir(), prefix));
}

/** Write a generated log into a temp dir; returns its path and the ground truth. */
export function generated(opts: ScenarioOptions = sampleScenario(), name = 'access.log'): { path: string; truth: GroundTruth; text: string } {
  const parts: string[] = [];
  const truth = generateAccessLog(opts, (s) => parts.push(s));
  const text = parts.join('');
  const path = join(tmp(), name);
  writeFileSync(path, text);
  return { path, truth, text };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the real CLI as a subprocess. */
export function run(args: string[], opts: { stdin?: string | Buffer; env?: Record<string, string> } = {}): Promise<RunResult> {
  return new Promise((res, rej) => {
    // The binary itself, through its shebang line, as an operator runs it.
    const child = spawn(BIN, args, { env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

/**
 * Spawn the CLI with a pipe on stdin (live mode) and `-q`; collect its NDJSON events.
 * `waitFor` resolves with the first event matching, or fails after `ms`.
 */
export function spawnLive<E extends { type: string }>(args: string[] = []) {
  const child = spawn(BIN, ['-q', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const events: E[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, nl)) as E);
      buf = buf.slice(nl + 1);
    }
  });
  const exit = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const waitFor = async (pred: (e: E) => boolean, ms: number) => {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      const e = events.find(pred);
      if (e) return e;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no matching event within ${ms} ms; got ${events.map((e) => e.type).join(', ')}`);
  };
  return { child, events, exit, waitFor };
}

/**
 * A /login flood with visitors caught in it: 16 minutes of 6 req/s browsing from 300 addresses
 * in two /24s (81.2.0.0/24, 81.2.1.0/24), /login among the pages, every request with a referrer;
 * from minute 8 to 12, 200 bots request /login at 60 req/s without one. The visitors who loaded
 * /login meanwhile were the flood's sources too.
 */
export function visitorsLog(): { path: string; visitors: Set<string>; bots: string[] } {
  const rows: string[] = [];
  const visitors = new Set<string>();
  const bots = Array.from({ length: 200 }, (_, i) => `91.${200 + (i % 2)}.${(i * 37) % 250}.${(i % 250) + 1}`);
  for (let s = 0; s < 16 * 60; s++) {
    const t = `20/Nov/2026:10:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000`;
    const flood = s >= 8 * 60 && s < 12 * 60;
    for (let k = 0; k < 6; k++) {
      const n = (s * 7 + k * 13) % 300;
      const ip = `81.2.${Math.floor(n / 250)}.${(n % 250) + 1}`;
      const url = (s + k) % 9 === 0 ? '/login' : `/p/${(s * 3 + k) % 20}`;
      if (flood && url === '/login') visitors.add(ip);
      rows.push(`${ip} - - [${t}] "GET ${url} HTTP/1.1" 200 900 "https://example.org/p/${k}" "Mozilla/5.0 Firefox/118.0"`);
    }
    if (flood) for (let k = 0; k < 60; k++) rows.push(`${bots[(s * 60 + k) % 200]} - - [${t}] "GET /login HTTP/1.1" 200 1200 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"`);
  }
  const path = join(tmp(), 'visitors.log');
  writeFileSync(path, rows.join('\n') + '\n');
  return { path, visitors, bots };
}

/**
 * 30 minutes: 4 req/s of browsing from 100 addresses (pages and /list?page=1..5, with a
 * referrer); from minute 10 to 20 a cache-busting flood on "/" (a new query string on every
 * request; every fourth answered 503) at 60 req/s from 1,500 addresses, and beside it 40 req/s of one and the same search,
 * /search?q=same, from 800 others; neither sends a referrer.
 */
export function queryLog(): { path: string; busting: Set<string> } {
  const t0 = Date.UTC(2026, 10, 20, 3) / 1000;
  const rows: string[] = [];
  const busting = new Set<string>();
  let n = 0;
  for (let s = 0; s < 1800; s++) {
    const t = clf(t0 + s);
    for (let k = 0; k < 4; k++) {
      const url = k === 0 ? `/list?page=${(s % 5) + 1}` : `/page${(s + k) % 7}`;
      rows.push(`198.51.100.${(n++ % 100) + 1} - - [${t}] "GET ${url} HTTP/1.1" 200 900 "https://example.org/" "Mozilla/5.0 Firefox/118.0"`);
    }
    if (s < 600 || s >= 1200) continue;
    for (let k = 0; k < 60; k++) {
      const i = n++;
      const q = `${((i * 2654435761) >>> 0).toString(36)}=${i}`;
      busting.add(q);
      rows.push(`45.${10 + (i % 30)}.${Math.floor(i / 30) % 50}.${(i % 200) + 1} - - [${t}] "GET /?${q} HTTP/1.1" ${i % 4 === 0 ? 503 : 200} 5120 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"`);
    }
    for (let k = 0; k < 40; k++) {
      const i = n++ % 800;
      rows.push(`62.${20 + (i % 20)}.${Math.floor(i / 20)}.${(i % 250) + 1} - - [${t}] "GET /search?q=same HTTP/1.1" 200 700 "-" "python-requests/2.31"`);
    }
  }
  const path = join(tmp(), 'queries.log');
  writeFileSync(path, rows.join('\n') + '\n');
  return { path, busting };
}

const P0 = Date.UTC(2026, 10, 20, 2) / 1000;

/**
 * Half an hour of log: visitors at 2 req/s; a poller, 203.0.113.7, asking GET /feed 10 times a
 * second for the first minute of every five from minute 5 (over the 5 req/s source limit, then
 * silent: five episodes); a flood of POST /x with no referrer from 2,000 addresses over minutes
 * 10 to 15 (http.repeated-url and http.empty-referrer, the same requests), and from 203.0.113.50 at
 * 7.5 req/s (an http.source-rate finding, part of the flood).
 */
export function pollerLog(): string {
  const out: string[] = [];
  let n = 0;
  for (let s = 0; s < 1800; s++) {
    for (let k = 0; k < 2; k++) out.push(`198.51.100.${(n++ % 50) + 1} - - [${clf(P0 + s)}] "GET /page${n % 9} HTTP/1.1" 200 10 "https://ex.org/" "Mozilla"`);
    if (s >= 300 && s % 300 < 60) for (let k = 0; k < 10; k++) out.push(`203.0.113.7 - - [${clf(P0 + s)}] "GET /feed?since=${s} HTTP/1.1" 200 10 "-" "poller/1.0"`);
    if (s >= 600 && s < 900) {
      if (s % 2 === 0) for (let k = 0; k < 15; k++) out.push(`203.0.113.50 - - [${clf(P0 + s)}] "POST /x HTTP/1.1" 200 10 "-" "bot"`);
      for (let k = 0; k < 40; k++) {
        const i = n++ % 2000;
        out.push(`45.${10 + (i % 40)}.${Math.floor(i / 40)}.${(i % 200) + 1} - - [${clf(P0 + s)}] "POST /x HTTP/1.1" 200 10 "-" "bot"`);
      }
    }
  }
  return out.join('\n') + '\n';
}

/**
 * Twenty minutes of log: visitors at 2 req/s; from minute 5 to 8 a botnet of 50 addresses
 * (203.0.113.1–50), address i asking 6 + (i mod 10) requests a second (each over the 5 req/s
 * limit) for pages spread over 200 URLs, no referrer. Fifty `http.source-rate` findings.
 */
export function botnetLog(): string {
  const out: string[] = [];
  let n = 0;
  for (let s = 0; s < 1200; s++) {
    const t = clf(P0 + 3600 + s);
    for (let k = 0; k < 2; k++) out.push(`198.51.100.${(n++ % 50) + 1} - - [${t}] "GET /page${n % 9} HTTP/1.1" 200 10 "https://ex.org/" "Mozilla"`);
    if (s < 300 || s >= 480) continue;
    for (let i = 1; i <= 50; i++) {
      for (let k = 0; k < 6 + (i % 10); k++) out.push(`203.0.113.${i} - - [${t}] "GET /item/${n++ % 200} HTTP/1.1" 200 10 "-" "bot/${i}"`);
    }
  }
  return out.join('\n') + '\n';
}

/**
 * Twenty minutes of log: visitors at 10 req/s from 250 addresses; over minute 10 a botnet of
 * 1,200 addresses spread over the IPv4 space, each at 2 req/s on random pages, no referrer —
 * more addresses than a step's source summary holds (1,024).
 */
export function spreadBotnetLog(): string {
  const out: string[] = [];
  for (let s = 0; s < 1200; s++) {
    const t = clf(P0 + 7200 + s);
    for (let k = 0; k < 10; k++) out.push(`198.51.100.${((s * 10 + k) % 250) + 1} - - [${t}] "GET /page${k} HTTP/1.1" 200 900 "https://example.org/" "Mozilla/5.0"`);
    if (s < 600 || s >= 660) continue;
    for (let i = 0; i < 1200; i++) {
      for (let r = 0; r < 2; r++) out.push(`${20 + ((i * 7919) % 180)}.${(i * 104729) % 251}.${(i * 13) % 250}.${(i % 200) + 1} - - [${t}] "GET /item/${(i * 7 + r) % 500} HTTP/1.1" 200 900 "-" "bot/${i % 50}"`);
    }
  }
  return out.join('\n') + '\n';
}

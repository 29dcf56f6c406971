/**
 * A quiet log's chunks are cut at ~20 steps of log time (framing/time-cut.ts): the same pieces,
 * hence the same report, whether the workers read the plain file in ranges or the main thread
 * frames it (gzip, stdin); and a log written out of order loses no line as late for it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyzeLogs, type Report } from '../../dist/src/index.js';
import { Random } from '../../dist/src/util/random.js';
import { clf, run, tmp } from '../helpers.js';

const T0 = Date.UTC(2026, 10, 20, 6) / 1000;

/**
 * Three hours at 2 requests/s from 300 visitors, and a flood of /login without referrer from
 * 400 addresses at 60 requests/s over minutes 100–104. `shuffle`: each minute's lines in
 * random order, as a log merged from several servers or buffered writers is.
 */
function quietLog(shuffle: boolean): string {
  const rnd = new Random(5);
  const out: string[] = [];
  for (let m = 0; m < 180; m++) {
    const minute: string[] = [];
    for (let s = m * 60; s < (m + 1) * 60; s++) {
      const t = clf(T0 + s);
      for (let k = 0; k < 2; k++) {
        const v = rnd.int(300);
        minute.push(`81.2.${v >> 8}.${v & 255} - - [${t}] "GET /p/${rnd.int(40)} HTTP/1.1" 200 900 "https://example.org/" "Mozilla/5.0 Firefox/118.0"`);
      }
      if (m >= 100 && m < 104) for (let k = 0; k < 60; k++) minute.push(`198.18.${rnd.int(2)}.${rnd.int(200)} - - [${t}] "POST /login HTTP/1.1" 200 120 "-" "python-requests/2.31"`);
    }
    if (shuffle) {
      for (let i = minute.length - 1; i > 0; i--) {
        const j = rnd.int(i + 1);
        [minute[i], minute[j]] = [minute[j]!, minute[i]!];
      }
    }
    out.push(...minute);
  }
  return out.join('\n') + '\n';
}

const same = (r: Report) => JSON.stringify({ ...r, input: { ...r.input, files: null } });

describe('a quiet log', () => {
  it('gives the same report from the plain file, gzip and stdin, at any thread count', async () => {
    const text = quietLog(false);
    const dir = tmp();
    const path = join(dir, 'quiet.log');
    writeFileSync(path, text);
    writeFileSync(`${path}.gz`, gzipSync(text));
    const plain = await analyzeLogs({ inputs: [path], threads: 2 });
    const flood = plain.attacks.find((a) => a.signature === 'http.repeated-url' && a.target === '/login');
    expect(flood).toBeDefined();
    expect(flood!.start).toBe('2026-11-20T07:40:00+00:00');
    expect(flood!.requests).toBe(4 * 60 * 60);
    expect(plain.input.lines).toBe(180 * 60 * 2 + 4 * 60 * 60);
    expect(same(await analyzeLogs({ inputs: [path], threads: 1 }))).toBe(same(plain));
    expect(same(await analyzeLogs({ inputs: [`${path}.gz`], threads: 3 }))).toBe(same(plain));
    const piped = await run(['-', '--format', 'json'], { stdin: text });
    expect(piped.code).toBe(0);
    expect(same(JSON.parse(piped.stdout) as Report)).toBe(same(plain));
  });

  it('interrupted, folds every piece of each chunk it read: the lines it reports end where a chunk ends', async () => {
    const text = quietLog(false);
    const gz = join(tmp(), 'quiet.log.gz');
    writeFileSync(gz, gzipSync(text));
    const chunk = 1 << 20;
    const stop = new AbortController();
    const r = await analyzeLogs({ inputs: [gz], threads: 1, chunkSize: chunk, signal: stop.signal, onProgress: () => stop.abort() });
    expect(r.input.warnings.some((w) => w.startsWith('interrupted'))).toBe(true);
    // Chunk k ends with the line holding byte k·chunk - 1.
    const ends: number[] = [];
    for (let k = 1; k * chunk < text.length; k++) ends.push(text.slice(0, text.indexOf('\n', k * chunk - 1) + 1).split('\n').length - 1);
    expect(ends).toContain(r.input.lines);
    expect(r.input.lines).toBeLessThan(text.split('\n').length - 1);
  });

  it('written out of order by up to a minute, loses no line as late, however small its chunks', async () => {
    const path = join(tmp(), 'shuffled.log');
    writeFileSync(path, quietLog(true));
    for (const chunkSize of [64 * 1024, 256 * 1024, 4 << 20]) {
      const r = await analyzeLogs({ inputs: [path], threads: 2, chunkSize });
      expect(r.input.late).toBe(0);
      expect(r.attacks.find((a) => a.target === '/login')?.requests).toBe(4 * 60 * 60);
      expect(r.input.warnings.filter((w) => /out of time order/.test(w))).toEqual([]);
    }
    // Live mode keeps --lateness (its alert latency), and says what that cost and what takes it back.
    const out = join(tmp(), 'live.json');
    const live = await run(['--live', '-q', '--format', 'json', '-o', out], { stdin: quietLog(true) });
    expect(live.code).toBe(0);
    const r = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(r.input.late).toBeGreaterThan(0);
    const w = r.input.warnings.find((x) => /out of time order/.test(x));
    expect(w).toMatch(new RegExp(`^\\(stdin\\): ${r.input.late} of its ${r.input.parsed} requests .* the log runs up to (5\\d)s out of time order .*; --lateness \\1s takes them in$`));
  });

  it('joined newest first, says to give the files in time order, not to wait hours for its lines', async () => {
    const lines = quietLog(false).split('\n').filter(Boolean);
    const half = lines.length / 2;
    const path = join(tmp(), 'joined.log');
    writeFileSync(path, [...lines.slice(half), ...lines.slice(0, half)].join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [path], threads: 2, chunkSize: 256 * 1024 });
    expect(r.input.late).toBeGreaterThan(half * 0.9);
    expect(r.input.warnings).toContainEqual(expect.stringMatching(/the log goes back in time by up to \d+\.\d h at places .*: give the files by name, which are read oldest first, or in time order$/));
  });

  it("counts the input's top URLs and sources exactly, however many each step has", async () => {
    // 20 minutes at 10 requests/s over 200 pages from 2,000 addresses: ~80 distinct URLs a step,
    // of which each chunk details the 16 heaviest (the top URLs were once counted from those:
    // half the requests), and more addresses than the input's source summary once held (256:
    // each count a range as wide as 2–60).
    const rnd = new Random(9);
    const rows: string[] = [];
    const exact = new Map<string, number>();
    const bySource = new Map<string, number>();
    for (let s = 0; s < 1200; s++) {
      for (let k = 0; k < 10; k++) {
        const u = `/page/${rnd.int(200)}`;
        const ip = `81.2.${rnd.int(8)}.${rnd.int(250)}`;
        exact.set(u, (exact.get(u) ?? 0) + 1);
        bySource.set(ip, (bySource.get(ip) ?? 0) + 1);
        rows.push(`${ip} - - [${clf(T0 + s)}] "GET ${u} HTTP/1.1" 200 900 "https://example.org/" "Mozilla/5.0"`);
      }
    }
    const path = join(tmp(), 'pages.log');
    writeFileSync(path, rows.join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [path], threads: 2, chunkSize: 64 * 1024 });
    // Each its exact count, and the ten largest counts (ties in any order).
    expect(r.summary.topUrls.map((u) => u.count)).toEqual(r.summary.topUrls.map((u) => exact.get(u.value)));
    expect(r.summary.topUrls.map((u) => u.count)).toEqual([...exact.values()].sort((a, b) => b - a).slice(0, 10));
    expect(r.summary.topSources.map((x) => [x.count, x.minCount])).toEqual(r.summary.topSources.map((x) => [bySource.get(x.ip), undefined]));
    expect(r.summary.topSources.map((x) => x.count)).toEqual([...bySource.values()].sort((a, b) => b - a).slice(0, 10));
  });
});

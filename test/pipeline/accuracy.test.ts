import { gzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeLogs, type Report } from '../../dist/src/index.js';
import { generated, run, tmp } from '../helpers.js';
import type { GroundTruth } from '../../dist/src/index.js';

let report: Report;
let truth: GroundTruth;
let logPath: string;
let logText: string;
const STEP = 10;

beforeAll(async () => {
  const g = generated();
  truth = g.truth;
  logPath = g.path;
  logText = g.text;
  report = await analyzeLogs({ inputs: [logPath], threads: 2 });
});

describe('detection on the generated flood log (ground truth beside it)', () => {
  it('finds the HTTP flood on its URL, start and end within one step of the truth', () => {
    const flood = report.attacks.find((a) => a.signature === 'http.repeated-url' && a.target === truth.flood!.target);
    expect(flood).toBeDefined();
    expect(flood!.attack).toBe(true);
    expect(Math.abs(Date.parse(flood!.start) / 1000 - truth.flood!.startEpoch)).toBeLessThanOrEqual(STEP);
    expect(Math.abs(Date.parse(flood!.end) / 1000 - truth.flood!.endEpoch)).toBeLessThanOrEqual(STEP);
  });

  it('lists at least 95% of the flood sources and counts them within 5%', () => {
    const flood = report.attacks.find((a) => a.signature === 'http.repeated-url')!;
    const listed = new Set(flood.topSources.map((s) => s.ip));
    const found = truth.flood!.sources.filter((ip) => listed.has(ip)).length;
    expect(found / truth.flood!.sources.length).toBeGreaterThanOrEqual(0.95);
    expect(Math.abs(flood.distinctSources / truth.flood!.sources.length - 1)).toBeLessThanOrEqual(0.05);
    expect(flood.requests).toBeGreaterThanOrEqual(truth.flood!.requests * 0.95);
  });

  it('also flags the empty-referrer surge on the flooded URL', () => {
    const e = report.attacks.find((a) => a.signature === 'http.empty-referrer');
    expect(e?.target).toBe(truth.flood!.target);
  });

  it('reports the flash crowd at info level and never as an attack', () => {
    const onCrowd = report.attacks.filter((a) => a.target === truth.flashCrowd!.target);
    expect(onCrowd.length).toBeGreaterThan(0);
    for (const a of onCrowd) {
      expect(a.signature).toBe('http.flash-crowd');
      expect(a.severity).toBe('info');
      expect(a.attack).toBe(false);
    }
    expect(report.summary.infoFindings).toBeGreaterThan(0);
  });

  it('reports the hot single source with its time span', () => {
    const hot = report.attacks.find((a) => a.signature === 'http.source-rate' && a.target === truth.hotSource!.ip);
    expect(hot).toBeDefined();
    expect(Math.abs(Date.parse(hot!.start) / 1000 - truth.hotSource!.startEpoch)).toBeLessThanOrEqual(STEP);
    expect(Math.abs(Date.parse(hot!.end) / 1000 - truth.hotSource!.endEpoch)).toBeLessThanOrEqual(STEP);
    expect(hot!.requests).toBe(truth.hotSource!.requests);
  });

  it('finds the flood in 200 lines of it (tail -n taken during an attack): rates over the part of the window the input covers', async () => {
    // ~4 seconds of the flood, from its middle. Averaged over the 60 s window its URL was at
    // ~3 req/s, under every threshold: "no attack found".
    const lines = logText.split('\n');
    const first = lines.findIndex((l) => l.includes(truth.flood!.target));
    const slice = lines.slice(first + 6000, first + 6200);
    const r = await run(['--format', 'json', '-'], { stdin: slice.join('\n') + '\n' });
    const rep = JSON.parse(r.stdout) as Report;
    const flood = rep.attacks.find((a) => a.signature === 'http.repeated-url')!;
    expect(flood.target).toBe(truth.flood!.target);
    expect(Date.parse(flood.start)).toBeGreaterThanOrEqual(Date.parse(rep.input.start!));
    // Measured over one step (10 s, the least), not the minute.
    expect(flood.windowRate).toBeGreaterThan(10);
    expect(rep.attacks.filter((a) => a.attack).every((a) => a.target === truth.flood!.target || truth.flood!.sources.includes(a.target))).toBe(true);
  });

  it('says when the log begins or ends during an attack: a log rotated mid-flood, or read while it goes on', async () => {
    // Whole: the flood begins and ends inside the log.
    const flood = report.attacks.find((a) => a.signature === 'http.repeated-url')!;
    expect(flood.underWay).toBeUndefined();
    const lines = logText.split('\n');
    const at = (epoch: number) => lines.findIndex((l) => l !== '' && Date.parse(l.slice(l.indexOf('[') + 1, l.indexOf(']')).replace(/^(\d\d)\/(\w{3})\/(\d{4}):/, '$2 $1 $3 ')) / 1000 >= epoch);
    const mid = at(truth.flood!.startEpoch + 120);
    const p = `${tmp()}/rotated-mid-flood.log`;
    writeFileSync(p, lines.slice(mid).join('\n'));
    const after = await analyzeLogs({ inputs: [p], threads: 2 });
    const f = after.attacks.find((a) => a.signature === 'http.repeated-url')!;
    expect(f.start).toBe(after.input.start);
    expect(f.underWay).toEqual({ atStart: true, atEnd: false });
    expect(after.summary.verdict).toMatch(/\(under way when the input began: it began then or earlier\)$/);
    const q = `${tmp()}/read-mid-flood.log`;
    writeFileSync(q, lines.slice(0, mid).join('\n') + '\n');
    const before = await analyzeLogs({ inputs: [q], threads: 2 });
    expect(before.attacks.find((a) => a.signature === 'http.repeated-url')!.underWay).toEqual({ atStart: false, atEnd: true });
    const text = await run(['-q', q]);
    expect(text.stdout).toContain('  still under way when the log ends: it may go on');
  });

  it('raises nothing else: no attack on background traffic', () => {
    const targets = new Set([truth.flood!.target, truth.flashCrowd!.target, truth.hotSource!.ip]);
    expect(report.attacks.filter((a) => !targets.has(a.target))).toEqual([]);
  });

  it('keeps the log zone in every reported time and counts every line', () => {
    expect(report.input.timeZone).toBe('+0200');
    expect(report.attacks[0]!.start).toMatch(/\+02:00$/);
    expect(report.input.lines).toBe(truth.lines);
    expect(report.input.parsed).toBe(truth.lines);
    expect(report.summary.requests).toBe(truth.lines);
    expect(report.timeline.counts.reduce((a, b) => a + b, 0)).toBe(truth.lines);
  });

  it('gives the same report for --threads 1 and --threads 4, and for the gzipped log', async () => {
    const one = await analyzeLogs({ inputs: [logPath], threads: 1 });
    const four = await analyzeLogs({ inputs: [logPath], threads: 4 });
    expect(JSON.stringify(one)).toBe(JSON.stringify(report));
    expect(JSON.stringify(four)).toBe(JSON.stringify(report));
    const gz = `${logPath}.gz`;
    writeFileSync(gz, gzipSync(logText));
    const zipped = await analyzeLogs({ inputs: [gz], threads: 3 });
    expect(zipped.input.files[0]!.compressed).toBe(true);
    expect(JSON.stringify({ ...zipped, input: null })).toBe(JSON.stringify({ ...report, input: null }));
  });

  it('gives the same report when the chunks are small (chunk boundaries do not matter for detection)', async () => {
    const small = await analyzeLogs({ inputs: [logPath], threads: 2, chunkSize: 96 * 1024 });
    expect(small.attacks.map((a) => [a.signature, a.target, a.start, a.end])).toEqual(report.attacks.map((a) => [a.signature, a.target, a.start, a.end]));
    expect(small.summary.requests).toBe(report.summary.requests);
    // Framed on the main thread (gzip), the chunk buffers come back from the workers and are
    // filled again many times over: the same report as reading the plain file in ranges.
    const gz = `${logPath}.small.gz`;
    writeFileSync(gz, gzipSync(logText));
    const zipped = await analyzeLogs({ inputs: [gz], threads: 2, chunkSize: 96 * 1024 });
    expect(JSON.stringify({ ...zipped, input: null })).toBe(JSON.stringify({ ...small, input: null }));
    expect(zipped.input.lines).toBe(small.input.lines);
  });
});

describe('a flood that forges a referrer: a crowd in any one window, but the same sources keep coming back', () => {
  it('is http.repeated-url from its first second: the flash crowd it opened as is taken over, announced again', async () => {
    // 30 minutes of 5 req/s browsing from 300 addresses; from minute 12 to 22, 1,000 bots
    // each ask /search?q=… 3 times a minute (50 req/s) with "Referer: https://www.google.com/":
    // ~3 requests per source in a 60 s window (a flash crowd's few), 30 over the attack.
    const rows: string[] = [];
    const bots = Array.from({ length: 1000 }, (_, i) => `${11 + (i % 200)}.${(i * 7) % 256}.${(i * 13) % 256}.${(i % 250) + 1}`);
    let n = 0;
    for (let s = 0; s < 30 * 60; s++) {
      const t = `20/Nov/2026:10:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000`;
      for (let k = 0; k < 5; k++) {
        const v = (s * 7 + k * 13) % 300;
        rows.push(`81.2.${Math.floor(v / 250)}.${(v % 250) + 1} - - [${t}] "GET /p/${(s + k) % 20} HTTP/1.1" 200 900 "https://example.org/" "Mozilla/5.0 Firefox/118.0"`);
      }
      if (s >= 12 * 60 && s < 22 * 60)
        for (let k = 0; k < 50; k++, n++) rows.push(`${bots[(n * 17) % 1000]} - - [${t}] "GET /search?q=${n} HTTP/1.1" 200 1200 "https://www.google.com/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"`);
    }
    const p = `${tmp()}/forged-referrer.log`;
    writeFileSync(p, rows.join('\n') + '\n');
    const opened: [number, string][] = [];
    const r = await analyzeLogs({ inputs: [p], threads: 2, hooks: { onAlert: (type, a) => type === 'alert.open' && opened.push([a.id, a.signature]) } });
    const on = r.attacks.filter((a) => a.target === '/search');
    expect(on.map((a) => [a.signature, a.attack])).toEqual([['http.repeated-url', true]]);
    const a = on[0]!;
    expect(Math.abs(Date.parse(a.start) - Date.parse('2026-11-20T10:12:00Z'))).toBeLessThanOrEqual(STEP * 1000);
    expect(Math.abs(Date.parse(a.end) - Date.parse('2026-11-20T10:21:59Z'))).toBeLessThanOrEqual(STEP * 1000);
    expect(a.requests).toBe(30_000);
    expect(a.note).toMatch(/^opened as http\.flash-crowd .* ~30(\.\d)? requests each: not people following a link/);
    expect(a.evidence.requestsPerSourceOverall).toBeGreaterThan(5);
    expect(opened.filter(([id]) => id === a.id)).toEqual([
      [a.id, 'http.flash-crowd'],
      [a.id, 'http.repeated-url'],
    ]);
    expect(r.summary.infoFindings).toBe(0);
  });
});

describe('a log that records no referrer (Apache common)', () => {
  it('finds the flood and leaves the flash crowd at info, judged by requests per source, and says so', async () => {
    // The generated log without its referrer and user-agent fields: every request would look
    // like "-", and the crowd following a link to a blog post would be an "empty-referrer flood".
    const common = logText.replace(/ "[^"]*" "[^"]*"$/gm, '');
    expect(common.split('\n', 1)[0]).toMatch(/^\S+ - - \[[^\]]+\] "[^"]+" \d{3} \d+$/);
    const p = `${tmp()}/access_log`;
    writeFileSync(p, common);
    const r = await analyzeLogs({ inputs: [p], threads: 2 });
    expect(r.input.format).toBe('common');
    const flood = r.attacks.filter((a) => a.target === truth.flood!.target);
    expect(flood.map((a) => [a.signature, a.attack])).toEqual([['http.repeated-url', true]]);
    expect(Math.abs(Date.parse(flood[0]!.start) / 1000 - truth.flood!.startEpoch)).toBeLessThanOrEqual(STEP);
    expect(Math.abs(Date.parse(flood[0]!.end) / 1000 - truth.flood!.endEpoch)).toBeLessThanOrEqual(STEP);
    expect(flood[0]!.evidence.emptyReferrerShare).toBeUndefined();
    expect(flood[0]!.note).toBeUndefined();
    const crowd = r.attacks.filter((a) => a.target === truth.flashCrowd!.target);
    expect(crowd.map((a) => [a.signature, a.severity])).toEqual([['http.flash-crowd', 'info']]);
    expect(crowd[0]!.note).toMatch(/^the log records no referrer: judged a crowd by its few requests per source alone/);
    expect(r.attacks.some((a) => a.signature === 'http.empty-referrer')).toBe(false);
    expect(r.summary.emptyReferrerShare).toBeNull();
    expect(r.settings.referrers).toBe(false);
    expect(r.input.warnings.some((w) => w.startsWith('the log format (common) records no referrer'))).toBe(true);
  });
});

import { gzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeLogs, type Report } from '../../dist/src/index.js';
import { generated, run } from '../helpers.js';
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

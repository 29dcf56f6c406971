import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeLogs, generateCapture, writePcap } from '../../dist/src/index.js';
import { clf, run, silentLog, tmp } from '../helpers.js';

/** Background at 2 req/s; floods on /x as [fromSecond, toSecond) at 40 req/s from 100 sources. */
function log(t0: number, spans: [number, number][], end: number): string {
  const out: string[] = [];
  let n = 0;
  for (let s = 0; s < end; s++) {
    const flooding = spans.some(([a, b]) => s >= a && s < b);
    const active = flooding || s < 600 || (s > end - 900);
    if (!active) continue;
    for (let k = 0; k < 2; k++) out.push(`198.51.100.${(n++ % 50) + 1} - - [${clf(t0 + s)}] "GET /page${n % 9} HTTP/1.1" 200 10 "https://ex.org/" "Mozilla"`);
    if (flooding) for (let k = 0; k < 40; k++) out.push(`203.0.${(n % 4) + 1}.${(n++ % 25) + 1} - - [${clf(t0 + s)}] "GET /x HTTP/1.1" 200 10 "-" "bot"`);
  }
  return out.join('\n') + '\n';
}

describe('alert lifecycle over event time', () => {
  it('closes an alert after quiet windows, opens a new one for a later attack after a long gap', async () => {
    const t0 = Date.UTC(2024, 0, 1) / 1000;
    // Flood 1 at 05:00-08:00 (s 300-480); a silent gap of hours; flood 2 near the end.
    const end = 6 * 3600;
    const p = join(tmp(), 'two.log');
    writeFileSync(p, log(t0, [[300, 480], [end - 600, end - 420]], end));
    const r = await analyzeLogs({ inputs: [p], threads: 2 });
    const floods = r.attacks.filter((a) => a.signature === 'http.repeated-url');
    expect(floods.map((a) => [a.target, a.start, a.end])).toEqual([
      ['/x', '2024-01-01T00:05:00+00:00', '2024-01-01T00:07:59+00:00'],
      ['/x', '2024-01-01T05:50:00+00:00', '2024-01-01T05:52:59+00:00'],
    ]);
    expect(floods.map((a) => a.requests)).toEqual([7200, 7200]);
    // HyperLogLog estimates: within 2% of the 100 real sources.
    for (const f of floods) expect(Math.abs(f.distinctSources - 100)).toBeLessThanOrEqual(2);
    expect(floods[0]!.peakRate).toBe(40);
  });

  it('lets --window/--step change the resolution of start and end', async () => {
    const t0 = Date.UTC(2024, 0, 1) / 1000;
    const p = join(tmp(), 'one.log');
    writeFileSync(p, log(t0, [[303, 487]], 1500));
    const r = await analyzeLogs({ inputs: [p], threads: 1, detect: { window: 30, step: 5 } });
    const f = r.attacks.find((a) => a.signature === 'http.repeated-url')!;
    expect([f.start, f.end]).toEqual(['2024-01-01T00:05:03+00:00', '2024-01-01T00:08:06+00:00']);
    expect(r.settings.window).toBe(30);
  });
});

describe('an alert that closes and fires again within a window', () => {
  it('is the same alert, its sources and its visitors counted across the pause (a closed alert keeps them compactly)', async () => {
    // Background at 2 req/s with referrers; /x flooded at 40 req/s from 80 addresses without
    // one, s 300-359 and 375-434; a visitor loads /x with a referrer every 2 s throughout.
    const t0 = Date.UTC(2024, 2, 1) / 1000;
    const rows: string[] = [];
    let n = 0;
    let flood = 0;
    for (let s = 0; s < 600; s++) {
      for (let k = 0; k < 2; k++) rows.push(`198.51.100.${(n++ % 20) + 1} - - [${clf(t0 + s)}] "GET /p${n % 7} HTTP/1.1" 200 10 "https://example.org/" "Mozilla"`);
      if ((s >= 300 && s < 360) || (s >= 375 && s < 435)) {
        for (let k = 0; k < 40; k++, flood++) rows.push(`198.18.0.${(flood % 80) + 1} - - [${clf(t0 + s)}] "GET /x HTTP/1.1" 200 10 "-" "bot"`);
        if (s % 2 === 0) rows.push(`203.0.113.7 - - [${clf(t0 + s)}] "GET /x HTTP/1.1" 200 10 "https://example.org/" "Mozilla"`);
      }
    }
    const p = join(tmp(), 'pause.log');
    writeFileSync(p, rows.join('\n') + '\n');
    const events: string[] = [];
    const r = await analyzeLogs({
      inputs: [p],
      threads: 2,
      detect: { window: 10, step: 1 },
      hooks: { onAlert: (type, a) => (a.target === '/x' ? events.push(`${type} ${a.id} ${a.signature}`) : undefined) },
    });
    // Closed after the first half, opened again as the same alert for the second.
    const lifecycle = events.filter((e) => e.endsWith(' http.repeated-url') && !e.startsWith('alert.update'));
    expect(lifecycle.map((e) => e.split(' ')[0])).toEqual(['alert.open', 'alert.close', 'alert.open', 'alert.close']);
    expect(new Set(lifecycle.map((e) => e.split(' ')[1])).size).toBe(1);
    const x = r.attacks.filter((a) => a.signature === 'http.repeated-url' && a.target === '/x');
    expect(x).toHaveLength(1);
    const a = x[0]!;
    // Every request of both halves, each source's whole count: nothing lost or counted twice
    // when its sources were frozen at the close and taken up again.
    expect(a.requests).toBe(120 * 40 + 60);
    expect(a.topSources.reduce((sum, e) => sum + e.count, 0)).toBe(a.requests);
    expect(a.topSources.find((e) => e.ip === '203.0.113.7')?.count).toBe(60);
    expect(a.visitorSources).toEqual(['203.0.113.7']);
  });
});

describe('a log that falls silent (the server down, or not logging)', () => {
  const t0 = Date.UTC(2026, 10, 20, 2) / 1000;
  it('says when and for how long, and does not make one attack of the flood before and after it', async () => {
    const p = join(tmp(), 'down.log');
    writeFileSync(p, silentLog(t0, [1200, 2400]));
    const r = await analyzeLogs({ inputs: [p], threads: 2 });
    const silence = { start: '2026-11-20T02:20:00+00:00', end: '2026-11-20T02:39:59+00:00', seconds: 1200, rateBefore: 82 };
    expect(r.input.silences).toEqual([silence]);
    const floods = r.attacks.filter((a) => a.signature === 'http.repeated-url');
    // Seen: until the log fell silent, and again once it resumed; not forty minutes of flood.
    expect(floods.map((a) => [a.start, a.end])).toEqual([
      ['2026-11-20T02:10:00+00:00', '2026-11-20T02:19:59+00:00'],
      ['2026-11-20T02:40:00+00:00', '2026-11-20T02:49:59+00:00'],
    ]);
    expect(floods.map((a) => a.silences)).toEqual([[{ ...silence, where: 'after' }], [{ ...silence, where: 'before' }]]);
    const text = await run(['-q', p]);
    expect(text.stdout).toContain('Silent   2026-11-20 02:20:00 → 02:39:59 +0000 (20m 0s): nothing logged after 82 req/s — the server down or restarting, or its logging stopped?');
    expect(text.stdout).toContain('  the log falls silent at 02:20:00 for 20m 0s: not seen to end');
    expect(text.stdout).toContain('  under way when the log resumes after 20m 0s of silence (02:20:00 → 02:39:59): it began then or earlier');
  });

  it('says which inputs a silence falls between (a rotated file missing?)', async () => {
    const text = silentLog(t0, [1200, 2400]);
    const cut = text.indexOf(`[${clf(t0 + 2400)}]`);
    const at = text.lastIndexOf('\n', cut) + 1;
    const d = tmp();
    const [older, newer] = [join(d, 'access.log.1'), join(d, 'access.log')];
    writeFileSync(older, text.slice(0, at));
    writeFileSync(newer, text.slice(at));
    const r = await analyzeLogs({ inputs: [newer, older], threads: 2 });
    expect(r.input.silences).toEqual([{ start: '2026-11-20T02:20:00+00:00', end: '2026-11-20T02:39:59+00:00', seconds: 1200, rateBefore: 82, between: [older, newer] }]);
    const out = await run(['-q', older, newer]);
    expect(out.stdout).toContain(`(20m 0s): nothing logged between the end of ${older} and the start of ${newer}, after 82 req/s — a rotated file missing, or the server down?`);
  });

  it('a short silence inside an attack is said on it; quiet hours of a quiet log and the log\'s ends are no silence', async () => {
    const p = join(tmp(), 'blip.log');
    writeFileSync(p, silentLog(t0, [1200, 1290]));
    const r = await analyzeLogs({ inputs: [p], threads: 1 });
    const floods = r.attacks.filter((a) => a.signature === 'http.repeated-url');
    expect(floods.map((a) => [a.start, a.end])).toEqual([['2026-11-20T02:10:00+00:00', '2026-11-20T02:49:59+00:00']]);
    expect(floods[0]!.silences).toEqual([{ start: '2026-11-20T02:20:00+00:00', end: '2026-11-20T02:21:29+00:00', seconds: 90, rateBefore: 82, where: 'during' }]);
    // 2 req/s for ten minutes, hours without a line, then again: improbable, said. A line every
    // 5 minutes (too few to expect any in a gap), and a line from 1971 before the log: not.
    const q = join(tmp(), 'two.log');
    writeFileSync(q, log(t0, [], 6 * 3600));
    expect((await analyzeLogs({ inputs: [q], threads: 1 })).input.silences.map((x) => x.seconds)).toEqual([6 * 3600 - 1499]);
    // A window of 6 s: ten silent seconds inside a minute whose other records, after it, are no
    // part of the rate before it (50 req/s).
    const rows: string[] = [];
    for (let sec = 0; sec < 120; sec++) if (sec < 80 || sec >= 90) for (let k = 0; k < 50; k++) rows.push(`198.51.100.${k + 1} - - [${clf(t0 + sec)}] "GET /p HTTP/1.1" 200 10 "-" "Mozilla"`);
    writeFileSync(q, rows.join('\n') + '\n');
    const short = await analyzeLogs({ inputs: [q], threads: 1, detect: { window: 6, step: 1 } });
    expect(short.input.silences).toEqual([{ start: '2026-11-20T02:01:20+00:00', end: '2026-11-20T02:01:29+00:00', seconds: 10, rateBefore: 50 }]);
    const sparse = Array.from({ length: 30 }, (_, i) => `198.51.100.${i + 1} - - [${clf(t0 + i * 300)}] "GET /p HTTP/1.1" 200 10 "-" "Mozilla"`);
    const old = `198.51.100.9 - - [${clf(Date.UTC(1971, 2, 14) / 1000)}] "GET / HTTP/1.1" 200 10 "-" "Mozilla"`;
    writeFileSync(q, [old, ...sparse].join('\n') + '\n');
    expect((await analyzeLogs({ inputs: [q], threads: 1 })).input.silences).toEqual([]);
  });
});

describe('watermark and lateness', () => {
  // Each line in its own chunk (chunkSize below one line), so the engine seals between lines.
  const t0 = Date.UTC(2024, 0, 1) / 1000;
  const line = (s: number, n: number) => `198.51.100.${n} - - [${clf(t0 + s)}] "GET /p HTTP/1.1" 200 10 "-" "Mozilla"`;

  it('with --lateness 0, every line of a step\'s last second counts, however the lines are chunked', async () => {
    // Seconds 0..9 (step 0), then three more lines in second 9, then second 10 (step 1).
    const lines = [...Array.from({ length: 10 }, (_, s) => line(s, s + 1)), line(9, 20), line(9, 21), line(9, 22), line(10, 30)];
    const p = join(tmp(), 'last-second.log');
    writeFileSync(p, lines.join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [p], threads: 1, chunkSize: 16, detect: { step: 10, window: 60, lateness: 0 } });
    expect(r.input.parsed).toBe(14);
    expect(r.input.late).toBe(0);
  });

  it('a line more than --lateness older than the newest one is late', async () => {
    // Second 9 again after second 11 was seen: 2 s old, lateness 1 s.
    const lines = [line(0, 1), line(9, 2), line(11, 3), line(9, 4), line(12, 5)];
    const p = join(tmp(), 'late.log');
    writeFileSync(p, lines.join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [p], threads: 1, chunkSize: 16, detect: { step: 10, window: 60, lateness: 1 } });
    expect(r.input.late).toBe(1);
    // Exactly lateness old is on time: second 9 (end of step 0) after second 10.
    const onTime = [line(0, 1), line(10, 3), line(9, 4), line(12, 5)];
    writeFileSync(p, onTime.join('\n') + '\n');
    expect((await analyzeLogs({ inputs: [p], threads: 1, chunkSize: 16, detect: { step: 10, window: 60, lateness: 1 } })).input.late).toBe(0);
  });
});

describe('event time and a stray timestamp', () => {
  const t0 = Date.UTC(2024, 0, 1) / 1000;
  const decades = 75 * 365 * 86400;
  const key = (a: { signature: string; target: string; start: string; end: string }) => `${a.signature} ${a.target} ${a.start} ${a.end}`;

  it('a line stamped decades ahead does not make the rest late; it is reported and kept out of the span', async () => {
    const text = log(t0, [[300, 480]], 1500);
    const lines = text.split('\n');
    const stray = `198.51.100.9 - - [${clf(t0 + decades)}] "GET / HTTP/1.1" 200 10 "-" "Mozilla"`;
    const p = join(tmp(), 'stray.log');
    writeFileSync(p, [...lines.slice(0, 100), stray, ...lines.slice(100)].join('\n'));
    const q = join(tmp(), 'clean.log');
    writeFileSync(q, text);
    // Small chunks: the stray line's chunk is merged, then the rest of the log after it.
    const opts = { threads: 2, chunkSize: 64 * 1024 };
    const [r, clean] = await Promise.all([analyzeLogs({ inputs: [p], ...opts }), analyzeLogs({ inputs: [q], ...opts })]);
    expect(clean.attacks.some((a) => a.signature === 'http.repeated-url')).toBe(true);
    expect(r.input.late).toBe(0);
    expect(r.attacks.map(key)).toEqual(clean.attacks.map(key));
    expect([r.input.start, r.input.end]).toEqual([clean.input.start, clean.input.end]);
    expect(r.timeline.counts).toEqual(clean.timeline.counts);
    expect(r.summary.requests).toBe(clean.summary.requests + 1);
    expect(r.input.warnings).toHaveLength(1);
    expect(r.input.warnings[0]).toMatch(/^1 request stamped at 2098-12-\d\dT00:00:00\+00:00, more than 60s ahead of the requests around them, which went on at the earlier time/);
  });

  it('a line stamped two minutes ahead makes no line late once the input catches up with it', async () => {
    // 2 lines/s for 10 minutes, in chunks of ~1 KiB; the stray line comes early.
    const lines: string[] = [];
    for (let s = 0; s < 600; s++) for (let k = 0; k < 2; k++) lines.push(`198.51.100.${k + 1} - - [${clf(t0 + s)}] "GET /p HTTP/1.1" 200 10 "-" "Mozilla"`);
    lines.splice(41, 0, `198.51.100.9 - - [${clf(t0 + 20 + 120)}] "GET / HTTP/1.1" 200 10 "-" "Mozilla"`);
    const p = join(tmp(), 'ahead.log');
    writeFileSync(p, lines.join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [p], threads: 1, chunkSize: 1024 });
    expect(r.input.late).toBe(0);
    expect(r.input.warnings.filter((w) => w.includes('stamped'))).toEqual([]); // (two addresses carry it all: that warning)
    expect(r.summary.requests).toBe(1201);
  });

  it('a sparse log (a line every 5 minutes, each in its own chunk) is not taken for stray lines', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `198.51.100.${i + 1} - - [${clf(t0 + i * 300)}] "GET /p HTTP/1.1" 200 10 "-" "Mozilla"`);
    const p = join(tmp(), 'sparse.log');
    writeFileSync(p, lines.join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [p], threads: 1, chunkSize: 16 });
    expect(r.input.warnings).toEqual([]);
    expect(r.input.late).toBe(0);
    expect([r.input.start, r.input.end]).toEqual(['2024-01-01T00:00:00+00:00', '2024-01-01T02:25:00+00:00']);
    expect(r.timeline.counts.reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('keeps the timeline bounded however long the span: whole minutes per count (a line from 1971)', async () => {
    const old = `198.51.100.9 - - [${clf(Date.UTC(1971, 2, 14) / 1000)}] "GET / HTTP/1.1" 200 10 "-" "Mozilla"`;
    const p = join(tmp(), 'old.log');
    writeFileSync(p, [old, ...log(t0, [], 300).split('\n')].join('\n'));
    const r = await analyzeLogs({ inputs: [p], threads: 1 });
    expect(r.input.start).toBe('1971-03-14T00:00:00+00:00');
    expect(r.timeline.counts.length).toBeLessThanOrEqual(10_080);
    expect(r.timeline.resolution % 60).toBe(0);
    expect(r.timeline.resolution).toBeGreaterThan(60 * 2000);
    expect(r.timeline.counts.reduce((a, b) => a + b, 0)).toBe(r.summary.requests);
  });

  it('a packet stamped decades ahead in a capture does not make the rest late', async () => {
    const g = generateCapture(42, 0.25);
    const stray = { ...g.packets[100]!, time: g.packets[100]!.time + decades };
    const dir = tmp();
    const p = join(dir, 'stray.pcap');
    const q = join(dir, 'clean.pcap');
    writeFileSync(p, writePcap([...g.packets.slice(0, 101), stray, ...g.packets.slice(101)]));
    writeFileSync(q, writePcap(g.packets));
    const opts = { threads: 2, chunkSize: 64 * 1024 };
    const [r, clean] = await Promise.all([analyze({ inputs: [p], ...opts }), analyze({ inputs: [q], ...opts })]);
    if (r.kind !== 'capture' || clean.kind !== 'capture') throw new Error('not captures');
    expect(clean.attacks.some((a) => a.signature === 'tcp.syn-flood')).toBe(true);
    expect(r.input.late).toBe(0);
    expect(r.attacks.map(key)).toEqual(clean.attacks.map(key));
    expect([r.input.start, r.input.end]).toEqual([clean.input.start, clean.input.end]);
    expect(r.input.warnings.join('\n')).toMatch(/^1 packet stamped at 2\d\d\d-/m);
  });
});

describe('a long attack', () => {
  it('keeps its distinct-sources series bounded: neighbouring points merge past 720, the resolution says by how much', async () => {
    const t0 = Date.UTC(2024, 0, 1) / 1000;
    // 25 minutes of flood at a 1 s step: 1,500 steps, too many points for an alert.update event.
    const p = join(tmp(), 'long.log');
    writeFileSync(p, log(t0, [[600, 2100]], 2400));
    const short = await analyzeLogs({ inputs: [p], threads: 2, detect: { window: 10, step: 1 } });
    const a = short.attacks.find((x) => x.signature === 'http.repeated-url')!;
    expect([a.start, a.end]).toEqual(['2024-01-01T00:10:00+00:00', '2024-01-01T00:34:59+00:00']);
    // 1,500 points → 750 at 2 s (still > 720) → 375 at 4 s, each the larger of its steps.
    expect(a.sourcesResolution).toBe(4);
    expect(a.sourcesOverTime!.length).toBe(375);
    expect(a.sourcesOverTime![0]!.start).toBe(a.start);
    const starts = a.sourcesOverTime!.map((x) => Date.parse(x.start) / 1000);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(4);
    // 40 requests a second, each from another of 100 sources in turn: a step sees 40, and a
    // merged point holds the largest of its steps (a lower bound of their union).
    for (const x of a.sourcesOverTime!) expect(Math.abs(x.distinct - 40)).toBeLessThanOrEqual(2);
    // A short attack keeps a point per step.
    const r = await analyzeLogs({ inputs: [p], threads: 2 });
    const b = r.attacks.find((x) => x.signature === 'http.repeated-url')!;
    expect(b.sourcesResolution).toBe(10);
    expect(b.sourcesOverTime!.length).toBe(150);
  });
});

describe('zone offsets', () => {
  // 26 Oct 2025, Central Europe: 03:00 CEST (+0200) becomes 02:00 CET (+0100).
  const change = Date.UTC(2025, 9, 26, 1, 0, 0) / 1000;
  const line = (t: number, z: string, off: number) => `198.51.100.${(t % 50) + 1} - - [${clf(t + off, z)}] "GET / HTTP/1.1" 200 10 "-" "Mozilla"`;
  const summer: string[] = [];
  const winter: string[] = [];
  for (let t = change - 1800; t < change; t++) summer.push(line(t, '+0200', 7200));
  for (let t = change; t < change + 1800; t++) winter.push(line(t, '+0100', 3600));

  it('says when the timestamps change zone offset (daylight saving) and in which zone the report shows them', async () => {
    const p = join(tmp(), 'dst.log');
    writeFileSync(p, [...summer, ...winter].join('\n') + '\n');
    const a = join(tmp(), 'a.log');
    const b = join(tmp(), 'b.log');
    writeFileSync(a, summer.join('\n') + '\n');
    writeFileSync(b, winter.join('\n') + '\n');
    // One log across the change (the change inside a chunk), and the two halves as two
    // files (two chunks, each in one zone); the same warning, times still right.
    for (const inputs of [[p], [a, b]]) {
      const r = await analyzeLogs({ inputs, threads: 2 });
      expect(r.summary.requests).toBe(3600);
      expect(r.input.timeZone).toBe('+0200');
      expect(r.input.end).toBe('2025-10-26T03:29:59+02:00');
      expect(r.input.warnings).toEqual([
        "timestamps change zone offset (a daylight-saving change, or servers in other zones?): +0100 from 2025-10-26T02:00:00+01:00; every time in this report is shown in +0200, the first line's (--tz UTC or --tz ±HH:MM to choose)",
      ]);
    }
    const utc = await analyzeLogs({ inputs: [p], threads: 2, timeZone: 'UTC' });
    expect(utc.input.warnings).toEqual([]);
    expect(utc.input.end).toBe('2025-10-26T01:29:59+00:00');
  });
});

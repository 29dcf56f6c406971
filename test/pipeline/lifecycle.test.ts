import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../dist/src/index.js';
import { tmp } from '../helpers.js';

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function clf(t: number): string {
  const d = new Date(t * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

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

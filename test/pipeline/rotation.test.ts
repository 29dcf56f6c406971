/**
 * Inputs that change while floodscope reads them, as logrotate changes them at 3 a.m.: a log
 * removed, truncated in place (copytruncate), or rotated away before its turn. Driven through
 * the progress callback, which runs between chunks: the change lands mid-run, at a known point.
 */
import { copyFileSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeLogs, generateCapture, sampleScenario, writePcap } from '../../dist/src/index.js';
import { generated, tmp } from '../helpers.js';

// Many small ranges, so the change lands with most of the file still to read.
const CHUNK = 64 * 1024;

function newlinesIn(path: string, bytes: number): number {
  const b = readFileSync(path).subarray(0, bytes);
  let n = 0;
  for (const c of b) if (c === 10) n++;
  return n;
}

describe('inputs changed by log rotation while they are read', () => {
  const { path: original } = generated(sampleScenario(11, 0.5));

  it('reads a file removed mid-run to its end, as if nothing happened', async () => {
    const p = join(tmp(), 'access.log');
    copyFileSync(original, p);
    let removed = false;
    const r = await analyzeLogs({
      inputs: [p],
      threads: 1,
      chunkSize: CHUNK,
      onProgress: () => {
        if (!removed) unlinkSync(p);
        removed = true;
      },
    });
    const whole = await analyzeLogs({ inputs: [original], threads: 1, chunkSize: CHUNK });
    expect(removed).toBe(true);
    expect(r.input.errors).toEqual([]);
    expect(r.input.lines).toBe(whole.input.lines);
    expect(r.attacks).toEqual(whole.attacks);
  });

  it('keeps what was read of a file truncated in place mid-run, and says where it stopped', async () => {
    const p = join(tmp(), 'access.log');
    copyFileSync(original, p);
    const size = statSync(p).size;
    const total = newlinesIn(p, size);
    let cut = false;
    const r = await analyzeLogs({
      inputs: [p],
      threads: 1,
      chunkSize: CHUNK,
      onProgress: () => {
        if (!cut) truncateSync(p, Math.floor(size / 2));
        cut = true;
      },
    });
    const f = r.input.files[0]!;
    expect(f.damage).toMatch(/access\.log: it ends at byte \d+ now, and had \d+ bytes when the run started \(truncated while being read/);
    expect(f.damage).toMatch(/lines from byte \d+ on were not analyzed, the results so far are kept/);
    expect(r.input.errors).toEqual([f.damage]);
    // Whole ranges up to where it stopped: every line before that byte, none after.
    expect(f.bytes % CHUNK).toBe(0);
    expect(f.bytes).toBeLessThanOrEqual(size / 2);
    expect(f.bytes).toBeGreaterThan(size / 4);
    expect(f.lines).toBe(newlinesIn(original, f.bytes) + (readFileSync(original)[f.bytes - 1] === 10 ? 0 : 1));
    expect(f.lines).toBeLessThan(total);
    expect(f.damage).toContain(`lines from byte ${f.bytes} on`);
  });

  it('says which input was rotated away or replaced before its turn, and keeps the others', async () => {
    const d = tmp();
    // Three rotations of one log, oldest first in time: each waits for the one before.
    const lines = readFileSync(original, 'utf8').split('\n').filter(Boolean);
    const third = Math.floor(lines.length / 3);
    const [first, gone, replaced] = [join(d, 'access.log.2'), join(d, 'access.log.1'), join(d, 'access.log')];
    writeFileSync(first, lines.slice(0, third).join('\n') + '\n');
    writeFileSync(gone, lines.slice(third, 2 * third).join('\n') + '\n');
    writeFileSync(replaced, lines.slice(2 * third).join('\n') + '\n');
    let done = false;
    const r = await analyzeLogs({
      inputs: [first, gone, replaced],
      threads: 2,
      chunkSize: CHUNK,
      onProgress: () => {
        if (done) return;
        done = true;
        unlinkSync(gone);
        renameSync(replaced, join(d, 'access.log.0'));
        writeFileSync(replaced, lines.slice(0, 5).join('\n'));
      },
    });
    expect(r.input.errors).toEqual([
      `${gone}: removed since the run started (rotated away?): not analyzed; the results of the other inputs are kept`,
      `${replaced}: replaced by another file since the run started (rotated?): not analyzed; the results of the other inputs are kept`,
    ]);
    expect(r.input.files.map((f) => [f.lines, f.damage === null])).toEqual([
      [third, true],
      [0, false],
      [0, false],
    ]);
  });

  it('does the same for captures: one removed before its turn is named, the others are kept', async () => {
    const d = tmp();
    const first = join(d, 'a.pcap');
    const gone = join(d, 'b.pcap');
    const pcap = writePcap(generateCapture(5, 0.05).packets);
    writeFileSync(first, pcap);
    writeFileSync(gone, pcap);
    let done = false;
    const r = await analyze({
      inputs: [first, gone],
      threads: 1,
      chunkSize: CHUNK,
      onProgress: () => {
        if (!done) unlinkSync(gone);
        done = true;
      },
    });
    if (r.kind !== 'capture') throw new Error('not a capture');
    const whole = await analyze({ inputs: [first], threads: 1 });
    if (whole.kind !== 'capture') throw new Error('not a capture');
    expect(r.input.errors).toEqual([`${gone}: removed since the run started (rotated away?): not analyzed; the results of the other inputs are kept`]);
    expect(r.input.files.map((f) => f.packets)).toEqual([whole.input.packets, 0]);
  });

  it('reads inputs that overlap in time (two servers) side by side: the detection of the one log they were split from', async () => {
    const d = tmp();
    const lines = readFileSync(original, 'utf8').split('\n').filter(Boolean);
    const [web1, web2] = [join(d, 'web1.log'), join(d, 'web2.log')];
    writeFileSync(web1, lines.filter((_, i) => i % 3 !== 0).join('\n') + '\n');
    writeFileSync(web2, lines.filter((_, i) => i % 3 === 0).join('\n') + '\n');
    const attacks = (r: Awaited<ReturnType<typeof analyzeLogs>>) => r.attacks.map((a) => [a.signature, a.target, a.start, a.end, a.requests, a.peakRate]);
    const whole = await analyzeLogs({ inputs: [original], threads: 1, chunkSize: CHUNK });
    for (const threads of [1, 3]) {
      const r = await analyzeLogs({ inputs: [web1, web2], threads, chunkSize: CHUNK });
      expect(r.input.late).toBe(0);
      expect(r.input.files.map((f) => f.late)).toEqual([0, 0]);
      expect(r.input.warnings.filter((w) => w.includes('overlap'))).toEqual([]);
      expect(r.summary.peakRate).toBe(whole.summary.peakRate);
      expect(attacks(r)).toEqual(attacks(whole));
      expect(attacks(r).length).toBeGreaterThan(0);
    }
    // Rotated halves of one log follow each other: no overlap either.
    const [old, cur] = [join(d, 'access.log.1'), join(d, 'access.log')];
    const half = Math.floor(lines.length / 2);
    writeFileSync(old, lines.slice(0, half).join('\n') + '\n');
    writeFileSync(cur, lines.slice(half).join('\n') + '\n');
    const rot = await analyzeLogs({ inputs: [cur, old], threads: 1, chunkSize: CHUNK });
    expect(rot.input.late).toBe(0);
    expect(attacks(rot)).toEqual(attacks(whole));
  });

  it('says how much of an input came too late for detection when its first line misleads about its time', async () => {
    const d = tmp();
    const lines = readFileSync(original, 'utf8').split('\n').filter(Boolean);
    const [web1, web2] = [join(d, 'web1.log'), join(d, 'web2.log')];
    writeFileSync(web1, lines.filter((_, i) => i % 2 === 0).join('\n') + '\n');
    // web2 starts with its last line: it looks like it starts where web1 ends.
    const rest = lines.filter((_, i) => i % 2 === 1);
    writeFileSync(web2, [rest[rest.length - 1], ...rest.slice(0, -1)].join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [web1, web2], threads: 1 });
    const f2 = r.input.files[1]!;
    expect(r.input.files[0]!.late).toBe(0);
    expect(f2.late).toBe(r.input.late);
    expect(f2.late).toBeGreaterThan(f2.parsed * 0.9);
    expect(r.input.warnings).toContainEqual(
      `${web2}: ${f2.late} of its ${f2.parsed} requests (${((f2.late / f2.parsed) * 100).toFixed(1)} %) came for time already analyzed and are counted but left out of detection, which saw part of the traffic of that time: its records are far out of time order against the other inputs (a first line far from the rest?)`,
    );
  });

  it('reads captures that overlap in time (two taps) side by side: the findings of the one capture they were split from', async () => {
    const d = tmp();
    const { packets } = generateCapture(5, 0.1);
    const [whole, tap1, tap2] = [join(d, 'all.pcap'), join(d, 'tap1.pcap'), join(d, 'tap2.pcap')];
    writeFileSync(whole, writePcap(packets));
    writeFileSync(tap1, writePcap(packets.filter((_, i) => i % 3 !== 0)));
    writeFileSync(tap2, writePcap(packets.filter((_, i) => i % 3 === 0)));
    const attacks = (r: Awaited<ReturnType<typeof analyze>>) => (r.kind === 'capture' ? r.attacks.map((a) => [a.signature, a.target, a.start, a.end, a.packets]) : []);
    const one = await analyze({ inputs: [whole], threads: 1, chunkSize: CHUNK });
    expect(attacks(one).length).toBeGreaterThan(0);
    for (const threads of [1, 3]) {
      const r = await analyze({ inputs: [tap1, tap2], threads, chunkSize: CHUNK });
      if (r.kind !== 'capture') throw new Error('not a capture');
      expect(r.input.files.map((f) => f.late)).toEqual([0, 0]);
      expect(r.input.warnings.filter((w) => w.includes('time already analyzed'))).toEqual([]);
      expect(attacks(r)).toEqual(attacks(one));
    }
  });
});

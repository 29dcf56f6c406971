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
    const first = join(d, 'a.log');
    const gone = join(d, 'b.log');
    const replaced = join(d, 'c.log');
    for (const p of [first, gone, replaced]) copyFileSync(original, p);
    let done = false;
    const r = await analyzeLogs({
      inputs: [first, gone, replaced],
      threads: 2,
      chunkSize: CHUNK,
      onProgress: () => {
        if (done) return;
        done = true;
        unlinkSync(gone);
        renameSync(replaced, join(d, 'c.log.1'));
        writeFileSync(replaced, readFileSync(original).subarray(0, 1000));
      },
    });
    const whole = await analyzeLogs({ inputs: [original], threads: 1 });
    expect(r.input.errors).toEqual([
      `${gone}: removed since the run started (rotated away?): not analyzed; the results of the other inputs are kept`,
      `${replaced}: replaced by another file since the run started (rotated?): not analyzed; the results of the other inputs are kept`,
    ]);
    expect(r.input.files.map((f) => [f.lines, f.damage === null])).toEqual([
      [whole.input.lines, true],
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

  it('says when inputs overlap in time (two servers), how much of one was left out of detection, and stays quiet at a rotation boundary', async () => {
    const d = tmp();
    const lines = readFileSync(original, 'utf8').split('\n').filter(Boolean);
    const [web1, web2] = [join(d, 'web1.log'), join(d, 'web2.log')];
    writeFileSync(web1, lines.filter((_, i) => i % 2 === 0).join('\n') + '\n');
    writeFileSync(web2, lines.filter((_, i) => i % 2 === 1).join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [web1, web2], threads: 1 });
    const [f1, f2] = r.input.files;
    expect(f1!.late).toBe(0);
    expect(f2!.late).toBe(r.input.late);
    expect(f2!.late).toBeGreaterThan(f2!.parsed * 0.9);
    expect(r.input.warnings).toContainEqual(
      `${web2}: ${f2!.late} of its ${f2!.parsed} requests (${((f2!.late / f2!.parsed) * 100).toFixed(1)} %) are stamped within time already analyzed from the inputs before it — they overlap in time (several servers or taps?); those requests are counted but left out of detection, which saw part of the traffic of that time. Analyze overlapping inputs one at a time, or merged into one stream in time order.`,
    );
    // Rotated halves of one log: no overlap, no warning.
    const [old, cur] = [join(d, 'access.log.1'), join(d, 'access.log')];
    const half = Math.floor(lines.length / 2);
    writeFileSync(old, lines.slice(0, half).join('\n') + '\n');
    writeFileSync(cur, lines.slice(half).join('\n') + '\n');
    const rot = await analyzeLogs({ inputs: [cur, old], threads: 1 });
    expect(rot.input.warnings.filter((w) => w.includes('overlap'))).toEqual([]);
    expect(rot.input.late).toBe(0);
  });
});

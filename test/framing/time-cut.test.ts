import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameFrom, readFromIterable } from '../../src/framing/lines.js';
import { fileProbe, memoryProbe, timeCuts, type LineTime } from '../../src/framing/time-cut.js';
import { LogRecord, parseLine } from '../../src/parsers/access-log.js';
import { compileLogFormat, PRESETS } from '../../src/parsers/log-format.js';
import { Random } from '../../src/util/random.js';
import { clf, tmp } from '../helpers.js';

const plan = compileLogFormat(PRESETS.combined);
const rec = new LogRecord();
const lineTime: LineTime = (b, s, e) => (parseLine(plan, b, s, e, rec) ? rec.time : null);
const T0 = Date.UTC(2026, 10, 20) / 1000;
const SPAN = 200;
const MIN = 16 * 1024;
const CHUNK = 256 * 1024;

/**
 * `seconds` of log at `perSecond` lines a second, lines of many lengths, some out of order by
 * up to 30 s, CRLF endings here and there, a malformed line now and then and a few lines longer
 * than a probe looks at.
 */
function quietLog(seconds: number, perSecond: number, seed = 7): Buffer {
  const rnd = new Random(seed);
  const rows: string[] = [];
  for (let s = 0; s < seconds; s++) {
    for (let k = 0; k < perSecond; k++) {
      const r = rnd.next();
      const t = r < 0.05 ? s - Math.floor(rnd.next() * 30) : s;
      if (r > 0.995) rows.push('garbage that is no log line\n');
      const pad = r > 0.998 ? 'q'.repeat(9000) : 'p'.repeat(Math.floor(rnd.next() * 400));
      rows.push(`10.0.${k % 200}.${s % 250} - - [${clf(T0 + t)}] "GET /x?${pad} HTTP/1.1" 200 10 "-" "ua"${r > 0.97 ? '\r' : ''}\n`);
    }
  }
  return Buffer.from(rows.join(''));
}

/** The time-cut chunks of `bytes` as a plain file's ranges are cut: [from, to) offsets. */
function fileCuts(path: string, size: number): number[][] {
  const fd = openSync(path, 'r');
  try {
    const probe = fileProbe((into, from) => readSync(fd, into, 0, into.length, from), lineTime);
    const out: number[][] = [];
    for (let a = 0; a < size; a += CHUNK) out.push(timeCuts(a, Math.min(size, a + CHUNK), SPAN, probe, MIN));
    return out;
  } finally {
    closeSync(fd);
  }
}

/** The same, framed from a stream (gzip, stdin): probed in the chunk's bytes. */
async function streamCuts(bytes: Buffer, piece: number): Promise<number[][]> {
  async function* pieces() {
    for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
  }
  const out: number[][] = [];
  for await (const c of frameFrom(readFromIterable(pieces()), CHUNK, 65536)) {
    out.push(timeCuts(c.lo!, c.hi!, SPAN, memoryProbe(c.bytes, c.at!, lineTime), MIN));
  }
  return out;
}

/** Times of the lines whose first byte lies in [from, to) (the lines a piece owns). */
function ownedTimes(b: Buffer, from: number, to: number): number[] {
  const out: number[] = [];
  let s = from === 0 || b[from - 1] === 10 ? from : b.indexOf(10, from) + 1;
  while (s > 0 || (s === 0 && from === 0)) {
    if (s >= to || s >= b.length) break;
    const nl = b.indexOf(10, s);
    const e = nl < 0 ? b.length : nl;
    const t = lineTime(b, s, e > s && b[e - 1] === 13 ? e - 1 : e);
    if (t !== null) out.push(t);
    s = e + 1;
  }
  return out;
}

describe('time cuts of a log chunk (framing/time-cut.ts)', () => {
  it('cut a plain file read in ranges and the same bytes read as a stream at the same offsets', async () => {
    const bytes = quietLog(3 * 3600, 1);
    const path = join(tmp(), 'quiet.log');
    writeFileSync(path, bytes);
    const byFile = fileCuts(path, bytes.length);
    expect(byFile.flat().length).toBeGreaterThan(10);
    for (const piece of [bytes.length, 4096, 777]) expect(await streamCuts(bytes, piece)).toEqual(byFile);
  });

  it('leave each piece at most the span apart from its first line to its last, or at its least size', () => {
    const bytes = quietLog(3 * 3600, 1, 11);
    const path = join(tmp(), 'quiet.log');
    writeFileSync(path, bytes);
    const cuts = fileCuts(path, bytes.length);
    let pieces = 0;
    cuts.forEach((c, k) => {
      const ends = [k * CHUNK, ...c, Math.min(bytes.length, (k + 1) * CHUNK)];
      for (let i = 0; i + 1 < ends.length; i++) {
        pieces++;
        const ts = ownedTimes(bytes, ends[i]!, ends[i + 1]!);
        const width = ends[i + 1]! - ends[i]!;
        // The probes read the first and last lines with a time: a line written out of order
        // (here up to 30 s) may stretch a piece by as much.
        if (width >= 2 * MIN) expect(ts[ts.length - 1]! - ts[0]!).toBeLessThanOrEqual(SPAN + 30);
        expect(width).toBeGreaterThanOrEqual(MIN);
      }
    });
    expect(pieces).toBeGreaterThan(cuts.length * 2);
  });

  it('do not cut a busy log, whose chunk holds less than the span', () => {
    const bytes = quietLog(120, 40, 3);
    const path = join(tmp(), 'busy.log');
    writeFileSync(path, bytes);
    expect(bytes.length).toBeGreaterThan(4 * CHUNK);
    expect(fileCuts(path, bytes.length).flat()).toEqual([]);
  });

  it('do not cut where the probes find no time (a format that does not fit)', () => {
    const bytes = Buffer.from(Array.from({ length: 20000 }, (_, i) => `no time here ${i} ${'z'.repeat(i % 50)}\n`).join(''));
    const probe = memoryProbe(bytes, 0, lineTime);
    expect(timeCuts(0, bytes.length, SPAN, probe, MIN)).toEqual([]);
  });
});

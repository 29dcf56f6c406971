import { describe, expect, it } from 'vitest';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { frameFrom, frameLines, type ReadInto } from '../../src/framing/lines.js';
import { readOwnedLines } from '../../src/sources/file-range.js';
import { Random } from '../../src/util/random.js';
import { tmp } from '../helpers.js';

async function* pieces(text: string, size: number): AsyncGenerator<Uint8Array> {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function collect(text: string, piece: number, chunk: number, maxLine: number) {
  const out: { text: string; skipped: number; own: boolean }[] = [];
  for await (const c of frameLines(pieces(text, piece), chunk, maxLine)) {
    out.push({ text: Buffer.from(c.bytes).toString(), skipped: c.skippedLong, own: c.bytes.byteOffset === 0 });
  }
  return out;
}

describe('frameLines', () => {
  it('cuts only at newlines, loses no byte, whatever the input piece size', async () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(i % 37)}`).join('\n');
    for (const piece of [1, 7, 100, 4096]) {
      const chunks = await collect(text, piece, 256, 200);
      expect(chunks.map((c) => c.text).join('')).toBe(text);
      for (const c of chunks.slice(0, -1)) expect(c.text.endsWith('\n')).toBe(true);
      expect(chunks.every((c) => c.own)).toBe(true);
      expect(chunks.length).toBeGreaterThan(10);
    }
  });

  it('skips a line longer than the limit that crosses a chunk end, and counts it before the next chunk', async () => {
    const text = `a\n${'L'.repeat(1000)}\nb\nc`;
    const chunks = await collect(text, 64, 256, 100);
    expect(chunks.map((c) => c.text).join('')).toBe('a\nb\nc');
    expect(chunks.reduce((a, c) => a + c.skipped, 0)).toBe(1);
    const after = chunks.find((c) => c.skipped === 1)!;
    expect(after.text.startsWith('b\n')).toBe(true);
  });

  it('counts an overlong line at the very end of the input', async () => {
    const chunks = await collect(`a\n${'L'.repeat(5000)}`, 100, 256, 100);
    expect(chunks.map((c) => c.text).join('')).toBe('a\n');
    expect(chunks.reduce((a, c) => a + c.skipped, 0)).toBe(1);
  });

  it('yields nothing for empty input', async () => {
    expect(await collect('', 10, 256, 100)).toEqual([]);
  });

  it('frames exactly the lines that range readers of the same file own (plain and gzip give the same chunks)', async () => {
    const rnd = new Random(5);
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(rnd.next() < 0.01 ? 'X'.repeat(150 + rnd.int(400)) : `l${i} ${'y'.repeat(rnd.int(60))}`);
    const text = lines.join('\n') + (rnd.next() < 0.5 ? '\n' : '');
    const path = join(tmp(), 'r.txt');
    writeFileSync(path, text);
    const chunk = 512;
    const maxLine = 120;
    const framed = await collect(text, 333, chunk, maxLine);
    const scratch = Buffer.alloc(chunk + maxLine + 2);
    const owned: string[] = [];
    let overlong = 0;
    const fd = openSync(path, 'r');
    for (let start = 0; start < text.length; start += chunk) {
      const o = readOwnedLines(fd, start, Math.min(text.length, start + chunk), text.length, scratch, maxLine);
      if (o.bytes.length > 0) owned.push(Buffer.from(o.bytes).toString());
      overlong += o.overlongTail;
    }
    closeSync(fd);
    expect(framed.map((c) => c.text).filter((t) => t.length > 0)).toEqual(owned);
    expect(framed.reduce((a, c) => a + c.skipped, 0)).toBe(overlong);
    expect(overlong).toBeGreaterThan(5);
  });
});

describe('frameFrom on live input', () => {
  /** A reader that yields one line every 20 ms (never quiet long enough to be idle), `lines` times. */
  function steady(lines: number): { read: ReadInto; written: () => number } {
    let n = 0;
    return {
      written: () => n,
      read: async (target, offset) => {
        if (n >= lines) return 0;
        await new Promise((r) => setTimeout(r, 20));
        const b = Buffer.from(`line ${n++}\n`);
        target.set(b, offset);
        return b.length;
      },
    };
  }

  it('hands out steady traffic too slow to fill a chunk within about idleMs, not at the chunk size or the end', async () => {
    const src = steady(60); // 1.2 s of input
    const handed: { lines: number; at: number }[] = [];
    let total = 0;
    for await (const c of frameFrom(src.read, 1 << 20, 65536, 250)) {
      const k = Buffer.from(c.bytes).toString().split('\n').filter(Boolean).length;
      total += k;
      if (k > 0) handed.push({ lines: k, at: src.written() });
    }
    expect(total).toBe(60);
    // Several chunks while the input was still flowing, none holding more than ~250 ms of lines.
    expect(handed.filter((h) => h.at < 60).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...handed.map((h) => h.lines))).toBeLessThanOrEqual(20);
  });

  it('without idleMs (batch) keeps whole chunks', async () => {
    const src = steady(30);
    const sizes: number[] = [];
    for await (const c of frameFrom(src.read, 1 << 20, 65536, 0)) sizes.push(c.bytes.length);
    expect(sizes.length).toBe(1);
  });
});

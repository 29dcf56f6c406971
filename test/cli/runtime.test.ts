import { describe, expect, it } from 'vitest';
import { HeapGrowingRule } from '../../dist/src/cli/runtime.js';

describe("live mode's heap growing (cli/runtime.ts)", () => {
  /** Chunks as [steps, lines]. */
  const run = (chunks: [number, number][]) => {
    const rule = new HeapGrowingRule();
    return chunks.map(([s, l]) => rule.next(s, l));
  };

  it("gives V8's own factor back after four busy chunks in a row, and takes it back at a quiet one", () => {
    // The busy bench pipe: a 4 MiB chunk holds ~21,000 lines over 4-5 steps.
    const busy = (s: number): [number, number] => [s, 21_000];
    expect(run([busy(5), busy(4), busy(5), busy(5), busy(4), busy(5), [19, 2_000], busy(5)])).toEqual([null, null, null, 0, null, null, 50, null]);
  });

  it('keeps the batch setting for a quiet log piped in fast: pieces of ~20 steps, small chunks between', () => {
    // As a day at 10 req/s came through a pipe: 4 MiB chunks cut into pieces of ~256 KiB (~1,900
    // lines over ~19 steps), and small chunks flushed while the pipeline waited.
    const piece: [number, number] = [19, 1_900];
    const chunks: [number, number][] = [piece, piece, piece, piece, [11, 1_050], [5, 480], piece, piece, piece, piece, piece, [3, 200], piece];
    expect(run(chunks).every((x) => x === null)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { HeapGrowingRule } from '../../dist/src/cli/runtime.js';

describe("live mode's heap growing (cli/runtime.ts)", () => {
  const run = (steps: number[]) => {
    const rule = new HeapGrowingRule();
    return steps.map((s) => rule.next(s));
  };

  it("gives V8's own factor back after four busy chunks in a row, and takes it back at a quiet one", () => {
    // The busy bench pipe: a 4 MiB chunk holds 4-5 steps.
    expect(run([5, 4, 5, 5, 4, 5, 304, 5])).toEqual([null, null, null, 0, null, null, 50, null]);
  });

  it('keeps the batch setting for a quiet log piped in fast: full chunks of ~300 steps, small ones between', () => {
    // As a day at 10 req/s came through a pipe: the small chunks were flushed while the pipeline waited.
    expect(run([303, 304, 304, 304, 11, 5, 304, 304, 304, 304, 11, 5, 304, 252, 5, 6, 6, 304]).every((x) => x === null)).toBe(true);
  });
});

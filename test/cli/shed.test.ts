import { describe, expect, it } from 'vitest';
import { generated, run } from '../helpers.js';
import { sampleScenario } from '../../dist/src/index.js';

interface Ev {
  type: string;
  sampled?: number;
  report?: { input: { lines: number; warnings: string[]; shed?: { chunks: number; lines: number; ratio: number } } };
}

describe('--shed: overload skips whole chunks and says how much', () => {
  it('accounts for every line (analyzed + skipped), reports the share in the report and the window events', async () => {
    // ~100k lines, several 4 MiB chunks: one worker, still starting up while the whole log
    // arrives at once, so the pool is full.
    const { text } = generated(sampleScenario(20250314, 4));
    const total = text.split('\n').length - 1;
    const r = await run(['-q', '--shed', '--threads', '1'], { stdin: text });
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Ev);
    const input = events[events.length - 1]!.report!.input;
    expect(input.shed!.chunks).toBeGreaterThan(0);
    expect(input.lines + input.shed!.lines).toBe(total);
    expect(input.shed!.ratio).toBeCloseTo(input.lines / total, 3);
    expect(input.warnings.some((w) => w.startsWith(`--shed: analyzed ${input.lines} of ${total} lines`))).toBe(true);
    const sampled = events.filter((e) => e.type === 'window').map((e) => e.sampled!);
    expect(sampled.length).toBeGreaterThan(0);
    expect(sampled.every((s) => s > 0 && s <= 1)).toBe(true);
  });

  it('without --shed the pipe is held back instead and every line is analyzed', async () => {
    const { text } = generated();
    const r = await run(['-q', '--no-window-events', '--threads', '1'], { stdin: text });
    const input = (JSON.parse(r.stdout.trim().split('\n').pop()!) as Ev).report!.input;
    expect(input.lines).toBe(text.split('\n').length - 1);
    expect(input.shed).toBeUndefined();
  });

  it('is refused outside live mode (so is --update-interval)', async () => {
    const { path } = generated();
    const r = await run(['--shed', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shed drops input under overload: it is for live mode/);
    const u = await run(['--update-interval', '0', path]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--update-interval paces live alert.update events: it is for live mode/);
  });
});

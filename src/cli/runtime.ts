import { setFlagsFromString } from 'node:v8';

/**
 * Process settings the CLI starts with (its shebang line sets them; they must be set
 * before Node starts). Kept here too so the benchmark measures what users run.
 */
export const RUNTIME = {
  env: { MALLOC_ARENA_MAX: '2' },
  nodeFlags: ['--max-semi-space-size=4', '--no-concurrent-recompilation', '--v8-pool-size=1', '--heap-growing-percent=50'],
} as const;

/**
 * Lines a step of event time in a chunk below which a live log is a quiet one (see liveChunk):
 * a full 4 MiB chunk (~20,000 lines) of at most 20 steps, as the rule was first put.
 */
const BUSY_LINES_PER_STEP = 1000;

/**
 * After each chunk of a live log: V8's own heap growing while chunks hold few steps, the
 * batch setting (--heap-growing-percent=50, see bin.ts) while they hold many.
 *
 * A busy live pipe's bottleneck is the main thread — it reads and frames the input as well as
 * merging — and with the old generation allowed to grow by only half its live size (~11 MiB)
 * it ran a full GC every ~80 ms: ~100 on a 6M-line pipe, ~1 s of its time marking, against ~20
 * with V8's factor. The bench's pipe case, three runs each interleaved: sustained 0.73–0.80 →
 * 0.84–0.97 M lines/s, peak RSS 205–207 → 237–240 MiB, as flat; --heap-growing-percent=100
 * gained only ~3 %. But a quiet log piped in fast (`zcat access.log.1.gz | floodscope`) puts
 * ~300 steps in a 4 MiB chunk, each with its summaries on the main thread, and V8's factor let
 * that heap grow to several times its size: a day at 10 req/s peaked at ~470 MiB, ~280 with the
 * batch setting, ~320 with this rule. So the setting follows the chunks (a log starts on the
 * batch one). The flag is
 * read whenever V8 sizes a heap after a GC, so every thread follows. Since a quiet log's chunks
 * are cut at ~20 steps of log time (framing/time-cut.ts) the rule reads lines a step, not steps:
 * by steps, that day piped in fast got V8's factor again, 239–247 MiB in 4.4–4.8 s; by lines a
 * step, 191–197 MiB in 4.8–5.1 s.
 */
export function liveChunk(steps: number, lines: number): void {
  const want = liveGrowing.next(steps, lines);
  if (want !== null) setFlagsFromString(`--heap-growing-percent=${want}`);
}

/**
 * The rule of liveChunk: the heap growing percent a live log's chunks call for (0: V8's own),
 * given back after BUSY_CHUNKS chunks in a row of at least BUSY_LINES_PER_STEP lines a step —
 * a quiet log piped in fast comes as pieces of ~20 steps of a few thousand lines, with a few
 * small chunks between (flushed while the pipeline waited) — and taken back at the first chunk
 * of fewer.
 */
export class HeapGrowingRule {
  /** The setting now (the CLI starts with 50: bin.ts, RUNTIME). */
  private growing = 50;
  private busyRun = 0;

  /** After a chunk of `steps` steps: the new setting, or null when it stays. */
  next(steps: number, lines: number): number | null {
    this.busyRun = lines < steps * BUSY_LINES_PER_STEP ? 0 : this.busyRun + 1;
    const want = this.busyRun >= BUSY_CHUNKS ? 0 : 50;
    if (want === this.growing) return null;
    this.growing = want;
    return want;
  }
}

const BUSY_CHUNKS = 4;
const liveGrowing = new HeapGrowingRule();

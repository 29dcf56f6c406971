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
 * Live mode gives the heap back V8's own growing factor (--heap-growing-percent=50 is for
 * batch runs; see bin.ts). A live pipe's bottleneck is the main thread — it reads and frames
 * the input as well as merging — and with the old generation allowed to grow by only half its
 * live size (~11 MiB) it ran a full GC every ~80 ms: ~100 on a 6M-line pipe, ~1 s of its time
 * marking, against ~20 with V8's factor (0 here). The bench's pipe case, three runs each
 * interleaved: sustained 0.73–0.80 → 0.84–0.97 M lines/s, peak RSS 205–207 → 237–240 MiB, as
 * flat; --heap-growing-percent=100 gained only ~3 % (0.78–0.81 M, 204–208 MiB). The flag is
 * read whenever V8 sizes a heap after a GC, so setting it before the pool starts covers every
 * thread.
 */
export function liveRuntime(): void {
  setFlagsFromString('--heap-growing-percent=0');
}

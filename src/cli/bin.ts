#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 --no-concurrent-recompilation --v8-pool-size=1 --heap-growing-percent=50
// Runtime settings (same as RUNTIME in ./runtime.ts, which the bench uses): glibc keeps
// one malloc arena per worker thread and V8's default semi-spaces are large; together
// they made peak RSS creep with input length (212 → 241 MiB from 2M to 10M lines) with
// no speed gained. With these, 167 → 174 MiB at the same speed (npm run bench).
// --no-concurrent-recompilation: each worker's TurboFan compiles of the fold (~0.5 s of CPU
// a worker, a fixed cost) run on the worker itself instead of on V8's helper threads, where
// they competed with the workers for the two cores and cost more in all: 2M lines, 2
// threads, 4.40 → 4.12 s CPU, 2.41 → 2.33 s wall; 5M packets 8.0 → 7.3 s CPU, 4.4 → 4.1 s.
// --v8-pool-size=1: one V8 helper thread instead of four. The helpers run the isolates'
// parallel GC work; four of them beside two workers and the main thread on two cores cost
// more than they saved (interleaved runs, medians: 6M lines 6.13 → 5.85 s wall, 11.2 →
// 10.8 s CPU; 5M packets 4.20 → 3.88 s; each worker thread itself ~10 % less CPU).
// --heap-growing-percent=50: each isolate's old generation may grow by half its live size
// before a full GC, not by up to 4× (V8's factor for small, fast-collected heaps). What the
// main thread receives from workers survives a scavenge or two and dies in the old
// generation, so the slack was most of the peak RSS: 2M lines 195 → 172 MiB, 10M 224 →
// 188 MiB, a quiet day 315 → 230 MiB, for ~5 % more GC pause (10M lines: 1.32 → 1.38 s
// over the three isolates; the main thread's full GCs 35 → 106, its scavenges 242 → 207),
// no batch slowdown measured, but ~12 % on a pipe in live mode, where the main thread is the
// bottleneck (6M lines: 8.6 → 9.7 s, RSS 235–247 → 198–202 MiB; ~15–20 % by session 21):
// a live log of busy chunks gets V8's own factor back (liveChunk in ./runtime.ts).
import { EXIT, main } from './main.js';

// The reader of our output went away (`floodscope … | head`, a consumer of the live events
// that exited): stop quietly with 128 + SIGPIPE, the status a shell shows for a tool that
// SIGPIPE ended (Node ignores the signal and would instead throw EPIPE with a stack trace).
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(EXIT.PIPE);
  throw e;
});

const code = await main(process.argv.slice(2));
// Interrupted: the report is out; a read of a stalled pipe may still wait in the thread pool
// and would keep the process alive until its writer wrote or closed.
if (code === EXIT.INTERRUPTED) process.exit(code);
process.exitCode = code;

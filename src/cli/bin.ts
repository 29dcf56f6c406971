#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 --no-concurrent-recompilation
// Runtime settings (same as RUNTIME in ./runtime.ts, which the bench uses): glibc keeps
// one malloc arena per worker thread and V8's default semi-spaces are large; together
// they made peak RSS creep with input length (212 → 241 MiB from 2M to 10M lines) with
// no speed gained. With these, 167 → 174 MiB at the same speed (npm run bench).
// --no-concurrent-recompilation: each worker's TurboFan compiles of the fold (~0.5 s of CPU
// a worker, a fixed cost) run on the worker itself instead of on V8's helper threads, where
// they competed with the workers for the two cores and cost more in all: 2M lines, 2
// threads, 4.40 → 4.12 s CPU, 2.41 → 2.33 s wall; 5M packets 8.0 → 7.3 s CPU, 4.4 → 4.1 s.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));

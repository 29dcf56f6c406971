#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
// Runtime settings (same as RUNTIME in ./runtime.ts, which the bench uses): glibc keeps
// one malloc arena per worker thread and V8's default semi-spaces are large; together
// they made peak RSS creep with input length (212 → 241 MiB from 2M to 10M lines) with
// no speed gained. With these, 167 → 174 MiB at the same speed (npm run bench).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));

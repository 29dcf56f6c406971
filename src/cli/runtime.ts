/**
 * Process settings the CLI starts with (its shebang line sets them; they must be set
 * before Node starts). Kept here too so the benchmark measures what users run.
 */
export const RUNTIME = {
  env: { MALLOC_ARENA_MAX: '2' },
  nodeFlags: ['--max-semi-space-size=4', '--no-concurrent-recompilation', '--v8-pool-size=1', '--heap-growing-percent=50'],
} as const;

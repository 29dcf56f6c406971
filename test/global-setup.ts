/**
 * One temp root for the whole test run, removed at its end: every test's temp dirs (helpers.tmp)
 * go under it. Left in the system temp dir, they piled up run after run (about 50 MiB a run;
 * thirteen thousand of them had filled this machine's disk).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'floodscope-tests-'));
  process.env.FLOODSCOPE_TEST_TMP = root;
  return () => rmSync(root, { recursive: true, force: true });
}

/**
 * Inputs read side by side in time order (the logs of two servers, two capture taps): the
 * next chunk dispatched is the one, among all inputs, whose first record is oldest, and the
 * watermark may not pass the oldest of the unfinished inputs' own clocks — so inputs over the
 * same time are analyzed as one stream, and inputs that follow each other (rotations) are read
 * one after the other. analyze.ts (logs) and analyze-capture.ts (captures) keep one of these
 * per input.
 */
import type { InputError } from '../sources/errors.js';

/** The damage of an input removed or replaced before its turn (see InputSource.begin): the others go on. */
export function notAnalyzed(e: InputError): string {
  return `${e.message}: not analyzed; the results of the other inputs are kept`;
}

export interface SideBySide {
  state: 'waiting' | 'reading' | 'done';
  /** Its next chunk, read ahead (null: none left). */
  next: unknown;
  /** Time of the first record of `next`, or of the input if it has not started. */
  nextTime: number;
  /** Its chunks in flight, by the time of their first record, in input order. */
  queued: number[];
  /** Its newest record merged so far (its own event-time clock), once anything is merged. */
  clock: number;
  merged: boolean;
}

/** The input whose next chunk is oldest (ties: input order), or undefined when none is left. */
export function pickOldest<R extends SideBySide>(runs: readonly R[]): R | undefined {
  let best: R | undefined;
  for (const r of runs) {
    if (r.state === 'done' || (r.state === 'reading' && r.next === null)) continue;
    if (best === undefined || r.nextTime < best.nextTime) best = r;
  }
  return best;
}

/**
 * How far the watermark may go: the oldest unfinished input's clock, or the first record
 * still to come from one that has merged nothing yet. One input alone: no bound (the engine's
 * own watermark, as for a single input).
 */
export function watermarkBound(runs: readonly SideBySide[]): number {
  let b = Infinity;
  let unfinished = 0;
  for (const r of runs) {
    if (r.state === 'done') continue;
    unfinished++;
    const t = r.merged ? r.clock : r.queued.length > 0 ? r.queued[0]! : r.nextTime;
    if (t < b) b = t;
  }
  return unfinished >= 2 ? b : Infinity;
}

/** A chunk of this input was merged: `records` of them, the newest at `maxTime` (0 or less: none timed). */
export function noteMerged(run: SideBySide, records: number, maxTime: number): void {
  if (records === 0 || !(maxTime > 0)) return;
  if (!run.merged || maxTime > run.clock) run.clock = maxTime;
  run.merged = true;
}

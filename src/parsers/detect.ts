/**
 * Auto-detection of the log format from the first lines: every preset is tried on the
 * same sample and the one that parses the most lines wins (ties go to the more specific
 * preset, tried first). Comment and blank lines are not counted.
 */
import { LogRecord, parseLine } from './access-log.js';
import { DETECT_ORDER, PRESETS, compileLogFormat, type PresetName } from './log-format.js';

export interface Detection {
  preset: PresetName | null;
  matched: number;
  sampled: number;
  tried: readonly PresetName[];
}

export function sampleLines(head: Uint8Array, max = 50): [number, number][] {
  const out: [number, number][] = [];
  let pos = 0;
  while (pos < head.length && out.length < max) {
    let nl = head.indexOf(10, pos);
    if (nl < 0) nl = head.length;
    let e = nl;
    if (e > pos && head[e - 1] === 13) e--;
    if (e > pos && head[pos] !== 35 /* # */) out.push([pos, e]);
    pos = nl + 1;
  }
  return out;
}

export function detectFormat(head: Uint8Array): Detection {
  const lines = sampleLines(head);
  const rec = new LogRecord();
  let best: PresetName | null = null;
  let bestN = 0;
  for (const name of DETECT_ORDER) {
    const plan = compileLogFormat(PRESETS[name]);
    let n = 0;
    for (const [s, e] of lines) if (parseLine(plan, head, s, e, rec)) n++;
    if (n > bestN) {
      best = name;
      bestN = n;
    }
  }
  return { preset: best, matched: bestN, sampled: lines.length, tried: DETECT_ORDER };
}

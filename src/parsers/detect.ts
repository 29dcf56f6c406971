/**
 * Auto-detection of the log format from the first lines: every preset is tried on the
 * same sample and the one that parses the most lines wins (ties go to the more specific
 * preset, tried first). A log of JSON objects is tried with the format inferred from its
 * first line (json-format.ts). Comment and blank lines are not counted.
 */
import { LogRecord, parseLine } from './access-log.js';
import { inferJsonFormat } from './json-format.js';
import { DETECT_ORDER, PRESETS, compileLogFormat, FormatError } from './log-format.js';

export interface Detection {
  /** What was detected: a preset's name, or a format string inferred from a JSON line; null if nothing fits. */
  format: string | null;
  /** The format was inferred from the keys of a JSON line. */
  inferred: boolean;
  matched: number;
  sampled: number;
  tried: readonly string[];
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
  let best: string | null = null;
  let bestN = 0;
  const tried: string[] = [...DETECT_ORDER];
  const count = (format: string): number => {
    const plan = compileLogFormat(format);
    let n = 0;
    for (const [s, e] of lines) if (parseLine(plan, head, s, e, rec)) n++;
    return n;
  };
  for (const name of DETECT_ORDER) {
    const n = count(PRESETS[name]);
    if (n > bestN) {
      best = name;
      bestN = n;
    }
  }
  let inferred = false;
  const first = lines[0];
  if (first !== undefined && head[first[0]] === 123 /* { */) {
    tried.push('JSON keys');
    const json = inferJsonFormat(Buffer.from(head.subarray(first[0], first[1])).toString('utf8'));
    try {
      const n = json === null ? 0 : count(json);
      if (n > bestN) {
        best = json;
        bestN = n;
        inferred = true;
      }
    } catch (e) {
      if (!(e instanceof FormatError)) throw e; // keys that name no client, time or request
    }
  }
  return { format: best, inferred, matched: bestN, sampled: lines.length, tried };
}

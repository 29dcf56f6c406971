/**
 * Times written by a strftime pattern: Apache's `%{format}t` (`%{%Y-%m-%dT%H:%M:%S%z}t`,
 * or split over several fields as in Apache's own example `%{%d/%b/%Y %T}t.%{msec_frac}t
 * %{%z}t`) and nginx's `$time_iso8601`. A pattern is compiled once into an op list; a line is
 * read by walking it from the field's first byte (the pattern says where the time ends, so a
 * time with spaces inside needs no terminator). The parts read are kept here until the line
 * ends: `tfReset` before a line, `tfFinish` after it turns them into UTC seconds.
 */
import { daysFromCivil } from './timestamp.js';

const OP = {
  LIT: 0,
  YEAR: 1,
  YEAR2: 2,
  MONTH: 3,
  MONTH_NAME: 4,
  DAY: 5,
  HOUR: 6,
  HOUR12: 7,
  MINUTE: 8,
  SECOND: 9,
  AMPM: 10,
  ZONE: 11,
  ZONE_NAME: 12,
  WORD: 13,
  EPOCH: 14,
  DAY_OF_YEAR: 15,
  /** Optional `.123` / `,123` after the seconds (ISO 8601 times only). */
  FRACTION: 16,
} as const;

/** What each conversion reads; composite ones are spelt out in their parts. */
const CONV: Record<string, number | string> = {
  Y: OP.YEAR,
  y: OP.YEAR2,
  m: OP.MONTH,
  b: OP.MONTH_NAME,
  h: OP.MONTH_NAME,
  B: OP.MONTH_NAME,
  d: OP.DAY,
  e: OP.DAY,
  H: OP.HOUR,
  k: OP.HOUR,
  I: OP.HOUR12,
  l: OP.HOUR12,
  M: OP.MINUTE,
  S: OP.SECOND,
  p: OP.AMPM,
  P: OP.AMPM,
  z: OP.ZONE,
  Z: OP.ZONE_NAME,
  a: OP.WORD,
  A: OP.WORD,
  s: OP.EPOCH,
  j: OP.DAY_OF_YEAR,
  T: '%H:%M:%S',
  F: '%Y-%m-%d',
  D: '%m/%d/%y',
  R: '%H:%M',
  r: '%I:%M:%S %p',
  n: '\n',
  t: '\t',
};

/**
 * Compile a strftime pattern into [op, arg] pairs. Throws an Error naming the conversion
 * it cannot read back (week numbers, locale forms such as %c and %x).
 */
export function compileStrftime(pattern: string): Int32Array {
  const ops: number[] = [];
  const walk = (p: string): void => {
    for (let i = 0; i < p.length; i++) {
      const c = p[i]!;
      if (c !== '%') {
        const bytes = Buffer.from(c, 'utf8');
        for (const x of bytes) ops.push(OP.LIT, x);
        continue;
      }
      i++;
      // glibc flags and modifiers (%-d, %_H, %Ey) change padding or the locale's digits.
      while (i < p.length && '-_0^#EO'.includes(p[i]!)) i++;
      const d = p[i];
      if (d === '%') {
        ops.push(OP.LIT, 37);
        continue;
      }
      const conv = d === undefined ? undefined : CONV[d];
      if (conv === undefined) throw new Error(d === undefined ? `time pattern ${JSON.stringify(pattern)} ends with %` : `%${d} in time pattern ${JSON.stringify(pattern)} cannot be read back (supported: %Y %y %m %b %B %d %e %H %k %I %l %M %S %p %z %Z %a %A %s %j %T %F %D %R %r)`);
      if (typeof conv === 'string') walk(conv);
      else ops.push(conv, 0);
    }
  };
  walk(pattern);
  return Int32Array.from(ops);
}

/**
 * ISO 8601 as nginx's $time_iso8601 writes it (`2025-03-14T09:15:00+02:00`), also with a
 * fraction of a second and `Z`, as JSON loggers write it.
 */
export function compileIso8601(): Int32Array {
  const date = compileStrftime('%Y-%m-%dT%H:%M:%S');
  const out = new Int32Array(date.length + 4);
  out.set(date);
  out.set([OP.FRACTION, 0, OP.ZONE, 0], date.length);
  return out;
}

/** True when the pattern reads a date (or an epoch): alone, a time of day or a zone is a part. */
export function strftimeHasDate(ops: Int32Array): boolean {
  for (let i = 0; i < ops.length; i += 2) {
    const o = ops[i]!;
    if (o === OP.YEAR || o === OP.YEAR2 || o === OP.EPOCH) return true;
  }
  return false;
}

/**
 * Numeric conversions: digits read (at most), the range a value must be in, and the part it
 * sets (a slot of `part`, by op). %Y must have all four digits.
 */
const NUM: readonly (readonly [digits: number, lo: number, hi: number] | undefined)[] = (() => {
  const t: ([number, number, number] | undefined)[] = [];
  t[OP.YEAR] = [4, 0, 9999];
  t[OP.YEAR2] = [2, 0, 99];
  t[OP.MONTH] = [2, 1, 12];
  t[OP.DAY] = [2, 1, 31];
  t[OP.HOUR] = [2, 0, 23];
  t[OP.HOUR12] = [2, 1, 12];
  t[OP.MINUTE] = [2, 0, 59];
  t[OP.SECOND] = [2, 0, 60];
  t[OP.DAY_OF_YEAR] = [3, 1, 366];
  t[OP.EPOCH] = [12, 0, Number.MAX_SAFE_INTEGER];
  return t;
})();

/** The parts read on the current line, by op (-1: not read); MONTH_NAME sets MONTH, AMPM 0/1. */
const part = new Float64Array(OP.FRACTION + 1);
let zone = 0;
let hasZone = false;

/** UTC seconds, zone offset (minutes) and whether the line had a zone, after tfFinish. */
export let tfSeconds = 0;
export let tfZoneMinutes = 0;
export let tfHasZone = false;

export function tfReset(): void {
  part.fill(-1);
  zone = 0;
  hasZone = false;
}

/** 1–`max` digits at pos (one leading space allowed: %e, %k, %l pad with it). */
let numEnd = 0;
function num(b: Uint8Array, pos: number, end: number, max: number): number {
  if (pos < end && b[pos] === 32 && pos + 1 < end && b[pos + 1]! >= 48 && b[pos + 1]! <= 57) pos++;
  let v = 0;
  let n = 0;
  while (n < max && pos < end) {
    const x = b[pos]! - 48;
    if (x < 0 || x > 9) break;
    v = v * 10 + x;
    pos++;
    n++;
  }
  numEnd = pos;
  return n === 0 ? -1 : v;
}

/** End of the run of ASCII letters at pos (pos when there is none): a month, day or zone name. */
function letters(b: Uint8Array, pos: number, end: number): number {
  while (pos < end) {
    const c = b[pos]!;
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) break;
    pos++;
  }
  return pos;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Read a time written by `ops` from bytes[pos, end). Returns the position after it, or -1
 * when the bytes do not fit the pattern. Parts land in this module's state (see tfFinish).
 */
export function parseStrftime(ops: Int32Array, b: Uint8Array, pos: number, end: number): number {
  for (let k = 0; k < ops.length; k += 2) {
    const op = ops[k]!;
    switch (op) {
      case OP.LIT:
        if (pos >= end || b[pos] !== ops[k + 1]) return -1;
        pos++;
        continue;
      case OP.MONTH_NAME: {
        const e = letters(b, pos, end);
        if (e - pos < 3) return -1;
        const m = MONTHS.indexOf(String.fromCharCode(b[pos]! | 32, b[pos + 1]! | 32, b[pos + 2]! | 32));
        if (m < 0) return -1;
        part[OP.MONTH] = m + 1;
        numEnd = e;
        break;
      }
      case OP.AMPM: {
        if (pos + 2 > end || (b[pos + 1]! | 32) !== 109) return -1;
        const a = b[pos]! | 32;
        if (a !== 97 && a !== 112) return -1;
        part[OP.AMPM] = a === 112 ? 1 : 0;
        numEnd = pos + 2;
        break;
      }
      case OP.ZONE: {
        // +hhmm (strftime), +hh:mm (ISO 8601, nginx $time_iso8601), or Z.
        if (pos < end && b[pos] === 90) {
          zone = 0;
          hasZone = true;
          numEnd = pos + 1;
          break;
        }
        const sign = b[pos];
        if (pos + 5 > end || (sign !== 43 && sign !== 45)) return -1;
        const h = num(b, pos + 1, Math.min(end, pos + 3), 2);
        if (h < 0 || numEnd !== pos + 3 || h > 23) return -1;
        let p = pos + 3;
        if (b[p] === 58) p++;
        const m = num(b, p, Math.min(end, p + 2), 2);
        if (m < 0 || numEnd !== p + 2 || m > 59) return -1;
        zone = (h * 60 + m) * (sign === 45 ? -1 : 1);
        hasZone = true;
        break;
      }
      case OP.ZONE_NAME: {
        // A zone's name says its offset only for UTC; any other name leaves the time local.
        const e = letters(b, pos, end);
        if (e === pos) return -1;
        const n = e - pos;
        const utc = (n === 3 && ((b[pos]! | 32) === 117 || (b[pos]! | 32) === 103)) || (n === 1 && (b[pos]! | 32) === 122);
        if (utc) {
          zone = 0;
          hasZone = true;
        }
        numEnd = e;
        break;
      }
      case OP.FRACTION: {
        let e = pos;
        if (e < end && (b[e] === 46 || b[e] === 44)) {
          e++;
          while (e < end && b[e]! >= 48 && b[e]! <= 57) e++;
        }
        numEnd = e;
        break;
      }
      case OP.WORD: {
        numEnd = letters(b, pos, end);
        if (numEnd === pos) return -1;
        break;
      }
      default: {
        const spec = NUM[op];
        if (spec === undefined) return -1;
        const v = num(b, pos, end, spec[0]);
        if (v < spec[1] || v > spec[2] || (op === OP.YEAR && numEnd - pos !== 4)) return -1;
        part[op] = v;
      }
    }
    pos = numEnd;
  }
  return pos;
}

/**
 * The parts read on this line as UTC seconds (into tfSeconds, tfZoneMinutes, tfHasZone).
 * False when they make no date: no year, or neither month and day nor a day of the year.
 */
export function tfFinish(): boolean {
  const epoch = part[OP.EPOCH]!;
  if (epoch >= 0) {
    tfSeconds = epoch;
    tfZoneMinutes = hasZone ? zone : 0;
    tfHasZone = true;
    return true;
  }
  const y2 = part[OP.YEAR2]!;
  const year = part[OP.YEAR]! >= 0 ? part[OP.YEAR]! : y2 >= 0 ? (y2 < 69 ? 2000 + y2 : 1900 + y2) : -1; // POSIX strptime's pivot
  if (year < 0) return false;
  const month = part[OP.MONTH]!;
  const day = part[OP.DAY]!;
  const dayOfYear = part[OP.DAY_OF_YEAR]!;
  let days: number;
  if (month > 0 && day > 0) days = daysFromCivil(year, month, day);
  else if (dayOfYear > 0) days = daysFromCivil(year, 1, 1) + dayOfYear - 1;
  else return false;
  const pm = part[OP.AMPM]!;
  let h = Math.max(0, part[OP.HOUR]!, part[OP.HOUR12]!);
  if (pm >= 0) h = (h % 12) + (pm === 1 ? 12 : 0);
  tfSeconds = days * 86400 + h * 3600 + Math.max(0, part[OP.MINUTE]!) * 60 + Math.min(59, Math.max(0, part[OP.SECOND]!)) - zone * 60;
  tfZoneMinutes = zone;
  tfHasZone = hasZone;
  return true;
}

/** `--format json`: the report object as JSON (schema in the README). */
import type { Report } from '../report/report.js';
import type { PacketReport } from '../report/packet-report.js';

export function renderJson(report: Report | PacketReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * renderJson's text in pieces — a top-level key each, an element of a top-level array each (a
 * finding of `attacks`) — so a report of thousands of findings is never one string: a four-day
 * log with a flood every quarter hour (1,920 findings, 97 MB of JSON) peaked at 586 MiB written
 * as one string, at ~400 in pieces. Joined, the pieces are renderJson's text, byte for byte.
 */
export function* jsonPieces(report: Report | PacketReport): Generator<string> {
  const obj = report as unknown as Record<string, unknown>;
  // The keys JSON.stringify writes: own enumerable ones whose value has a JSON form.
  const keys = Object.keys(obj).filter((k) => hasJson(obj[k]));
  if (keys.length === 0) {
    yield '{}\n';
    return;
  }
  yield '{\n';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = obj[k];
    const end = i + 1 < keys.length ? ',\n' : '\n';
    if (Array.isArray(v) && v.length > 0) {
      yield `  ${JSON.stringify(k)}: [\n`;
      for (let j = 0; j < v.length; j++) yield `    ${indented(JSON.stringify(v[j], null, 2) ?? 'null', '    ')}${j + 1 < v.length ? ',\n' : '\n'}`;
      yield `  ]${end}`;
    } else {
      yield `  ${JSON.stringify(k)}: ${indented(JSON.stringify(v, null, 2)!, '  ')}${end}`;
    }
  }
  yield '}\n';
}

function hasJson(v: unknown): boolean {
  return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
}

/** A value's JSON nested `pad` deeper (JSON text holds no raw newline inside a string). */
function indented(json: string, pad: string): string {
  return json.replace(/\n/g, `\n${pad}`);
}

/** The same as JSON.stringify(report) (no spaces, no newline: an NDJSON event's field), in pieces. */
export function* compactJsonPieces(report: Report | PacketReport): Generator<string> {
  const obj = report as unknown as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => hasJson(obj[k]));
  yield '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = obj[k];
    const sep = i > 0 ? ',' : '';
    if (Array.isArray(v) && v.length > 0) {
      yield `${sep}${JSON.stringify(k)}:[`;
      for (let j = 0; j < v.length; j++) yield `${j > 0 ? ',' : ''}${JSON.stringify(v[j]) ?? 'null'}`;
      yield ']';
    } else yield `${sep}${JSON.stringify(k)}:${JSON.stringify(v)!}`;
  }
  yield '}';
}

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
export function jsonPieces(report: Report | PacketReport): Generator<string> {
  return pieces(report, true);
}

/** The same as JSON.stringify(report) (no spaces, no newline: an NDJSON event's field), in pieces. */
export function compactJsonPieces(report: Report | PacketReport): Generator<string> {
  return pieces(report, false);
}

/** JSON.stringify(report, null, pretty ? 2 : undefined), with renderJson's final newline when pretty, in pieces. */
function* pieces(report: Report | PacketReport, pretty: boolean): Generator<string> {
  const obj = report as unknown as Record<string, unknown>;
  const nl = pretty ? '\n' : '';
  const colon = pretty ? ': ' : ':';
  const [pad1, pad2] = pretty ? ['  ', '    '] : ['', ''];
  const json = (v: unknown): string | undefined => (pretty ? JSON.stringify(v, null, 2) : JSON.stringify(v));
  // The keys JSON.stringify writes: own enumerable ones whose value has a JSON form.
  const keys = Object.keys(obj).filter((k) => hasJson(obj[k]));
  if (keys.length === 0) {
    yield `{}${nl}`;
    return;
  }
  yield `{${nl}`;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = obj[k];
    const sep = i + 1 < keys.length ? ',' : '';
    if (Array.isArray(v) && v.length > 0) {
      yield `${pad1}${JSON.stringify(k)}${colon}[${nl}`;
      for (let j = 0; j < v.length; j++) yield `${pad2}${indented(json(v[j]) ?? 'null', pad2)}${j + 1 < v.length ? ',' : ''}${nl}`;
      yield `${pad1}]${sep}${nl}`;
    } else {
      yield `${pad1}${JSON.stringify(k)}${colon}${indented(json(v)!, pad1)}${sep}${nl}`;
    }
  }
  yield `}${nl}`;
}

function hasJson(v: unknown): boolean {
  return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
}

/** A value's JSON nested `pad` deeper (JSON text holds no raw newline inside a string; compact JSON none at all). */
function indented(json: string, pad: string): string {
  return pad === '' ? json : json.replace(/\n/g, `\n${pad}`);
}

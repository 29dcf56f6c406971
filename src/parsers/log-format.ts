/**
 * Apache `LogFormat` strings compiled once into a parse plan (GoAccess keeps its formats
 * as strings the same way). A plan is a flat list of steps: literal bytes to match, or a
 * field to capture, each field knowing how it ends (a closing quote, a bracket, or the
 * first byte of the literal that follows it).
 *
 * Supported directives: %h %a %{c}a (client), %l %u (ident, user), %t (time, with its
 * brackets), %{sec}t %{msec}t %{usec}t (epoch), %r (request line), %m %U %q %H (its parts),
 * %>s %<s %s (status), %b %B %O %I (bytes), %D (µs) %T (s), %v %V (virtual host), %p %P
 * %k %L %R %X %e %f %l (captured and ignored), %{Header}i with Referer, User-Agent and
 * X-Forwarded-For understood, other headers ignored; %% is a literal percent.
 */

export const F = {
  CLIENT: 1,
  IGNORE: 2,
  TIME_CLF: 3,
  TIME_EPOCH_S: 4,
  TIME_EPOCH_MS: 5,
  TIME_EPOCH_US: 6,
  REQUEST: 7,
  METHOD: 8,
  PATH: 9,
  QUERY: 10,
  PROTO: 11,
  STATUS: 12,
  BYTES: 13,
  DURATION_US: 14,
  DURATION_S: 15,
  VHOST: 16,
  REFERER: 17,
  UA: 18,
  XFF: 19,
} as const;
export type FieldKind = (typeof F)[keyof typeof F];

export interface Step {
  /** 0 for a literal, else a field kind. */
  kind: 0 | FieldKind;
  /** Literal bytes (kind 0). */
  lit: Uint8Array;
  /** Field is enclosed in double quotes (the quotes belong to the neighbouring literals). */
  quoted: boolean;
  /** Byte that ends an unquoted field: first byte of the next literal, or -1 (space or end). */
  term: number;
  /** Directive text, for messages. */
  name: string;
}

export interface Plan {
  format: string;
  steps: Step[];
  has: Set<FieldKind>;
  /** Accept and ignore bytes after the last step (nginx appends fields to combined). */
  allowTrailing: boolean;
  /** A stock layout with a hand-written parser (see STOCK), else 0. */
  stock: number;
}

/**
 * Stock layouts parsed by straight-line code instead of walking the steps (same results:
 * access-log.ts falls back to the steps for any line the straight path does not accept).
 */
export const STOCK = { NONE: 0, COMBINED: 1, COMMON: 2, VHOST_COMBINED: 3 } as const;

export class FormatError extends Error {
  readonly code = 'FS_BAD_LOG_FORMAT';
}

const SIMPLE: Record<string, FieldKind> = {
  h: F.CLIENT,
  a: F.CLIENT,
  l: F.IGNORE,
  u: F.IGNORE,
  t: F.TIME_CLF,
  r: F.REQUEST,
  m: F.METHOD,
  U: F.PATH,
  q: F.QUERY,
  H: F.PROTO,
  s: F.STATUS,
  b: F.BYTES,
  B: F.BYTES,
  O: F.BYTES,
  I: F.BYTES,
  S: F.BYTES,
  D: F.DURATION_US,
  T: F.DURATION_S,
  v: F.VHOST,
  V: F.VHOST,
  p: F.IGNORE,
  P: F.IGNORE,
  k: F.IGNORE,
  L: F.IGNORE,
  R: F.IGNORE,
  X: F.IGNORE,
  e: F.IGNORE,
  f: F.IGNORE,
  n: F.IGNORE,
  o: F.IGNORE,
  C: F.IGNORE,
  A: F.IGNORE,
};

const enc = new TextEncoder();

/**
 * Compile an Apache LogFormat string. Throws FormatError with the offending position.
 * Extra fields after the last one are accepted only when the format ends with a closing
 * quote (nginx appends quoted fields to combined); a format ending in a bare field such
 * as common's %b must match the whole line, or it would swallow combined lines.
 */
export function compileLogFormat(format: string, allowTrailing?: boolean): Plan {
  const raw: { kind: 0 | FieldKind; text: string; name: string }[] = [];
  let lit = '';
  const pushLit = () => {
    if (lit) raw.push({ kind: 0, text: lit, name: JSON.stringify(lit) });
    lit = '';
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '\\' && i + 1 < format.length) {
      // Apache config escapes: \" \t \n
      const n = format[++i]!;
      lit += n === 't' ? '\t' : n === 'n' ? '\n' : n;
      continue;
    }
    if (c !== '%') {
      lit += c;
      continue;
    }
    const start = i;
    i++;
    if (format[i] === '%') {
      lit += '%';
      continue;
    }
    // Modifiers: status conditions (!200,304 or 400,501), < and >.
    while (i < format.length && /[<>!,0-9]/.test(format[i]!)) i++;
    let arg: string | null = null;
    if (format[i] === '{') {
      const close = format.indexOf('}', i);
      if (close < 0) throw new FormatError(`unterminated %{…} at column ${start + 1} of log format ${JSON.stringify(format)}`);
      arg = format.slice(i + 1, close);
      i = close + 1;
    }
    const d = format[i];
    if (d === undefined) throw new FormatError(`log format ends inside a directive at column ${start + 1}`);
    let kind: FieldKind | undefined;
    if (d === 'i') {
      const h = (arg ?? '').toLowerCase();
      kind = h === 'referer' || h === 'referrer' ? F.REFERER : h === 'user-agent' ? F.UA : h === 'x-forwarded-for' ? F.XFF : F.IGNORE;
    } else if (d === 't' && arg !== null) {
      kind = arg === 'sec' ? F.TIME_EPOCH_S : arg === 'msec' ? F.TIME_EPOCH_MS : arg === 'usec' ? F.TIME_EPOCH_US : undefined;
      if (kind === undefined) {
        throw new FormatError(`%{${arg}}t is not supported (use %t, %{sec}t, %{msec}t or %{usec}t) at column ${start + 1}`);
      }
    } else if (arg !== null && (d === 'o' || d === 'e' || d === 'n' || d === 'C' || d === 'p' || d === 'P' || d === 'T' || d === 'a')) {
      kind = d === 'a' ? F.CLIENT : d === 'T' ? F.DURATION_S : F.IGNORE;
    } else {
      kind = SIMPLE[d];
    }
    if (kind === undefined) throw new FormatError(`unknown log format directive %${d} at column ${start + 1} of ${JSON.stringify(format)}`);
    pushLit();
    raw.push({ kind, text: '', name: format.slice(start, i + 1) });
  }
  pushLit();

  const steps: Step[] = [];
  const has = new Set<FieldKind>();
  for (let k = 0; k < raw.length; k++) {
    const r = raw[k]!;
    if (r.kind === 0) {
      steps.push({ kind: 0, lit: enc.encode(r.text), quoted: false, term: -1, name: r.name });
      continue;
    }
    const prev = raw[k - 1];
    const next = raw[k + 1];
    if (next !== undefined && next.kind !== 0 && !(r.kind === F.PATH && next.kind === F.QUERY)) {
      throw new FormatError(`fields ${r.name} and ${next.name} are not separated by anything; cannot tell where one ends`);
    }
    const quoted = prev !== undefined && prev.kind === 0 && prev.text.endsWith('"') && next !== undefined && next.kind === 0 && next.text.startsWith('"');
    const term = next !== undefined && next.kind === 0 ? next.text.charCodeAt(0) : r.kind === F.PATH && next?.kind === F.QUERY ? 63 : -1;
    steps.push({ kind: r.kind, lit: new Uint8Array(0), quoted, term, name: r.name });
    has.add(r.kind);
  }
  if (!has.has(F.CLIENT) && !has.has(F.XFF)) throw new FormatError(`log format has no client address (%h or %a): ${JSON.stringify(format)}`);
  if (!has.has(F.TIME_CLF) && !has.has(F.TIME_EPOCH_S) && !has.has(F.TIME_EPOCH_MS) && !has.has(F.TIME_EPOCH_US)) {
    throw new FormatError(`log format has no time (%t): ${JSON.stringify(format)}`);
  }
  if (!has.has(F.REQUEST) && !has.has(F.PATH)) throw new FormatError(`log format has no request (%r or %U): ${JSON.stringify(format)}`);
  const last = raw[raw.length - 1];
  const endsQuoted = last !== undefined && last.kind === 0 && last.text.endsWith('"');
  const trailing = allowTrailing ?? endsQuoted;
  const stock =
    trailing !== endsQuoted
      ? STOCK.NONE
      : format === PRESETS.combined
        ? STOCK.COMBINED
        : format === PRESETS.common
          ? STOCK.COMMON
          : format === PRESETS.vhost_combined
            ? STOCK.VHOST_COMBINED
            : STOCK.NONE;
  return { format, steps, has, allowTrailing: trailing, stock };
}

/** Named formats: Apache's stock LogFormat nicknames and nginx's defaults. */
export const PRESETS = {
  /** nginx `log_format main` from the stock nginx.conf: combined + "$http_x_forwarded_for". */
  nginx_main: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i"',
  /** Apache's vhost_combined is `%v:%p %h …`; %v here also takes host:port and a bare host. */
  vhost_combined: '%v %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
  combined: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
  /** nginx's built-in `combined` is Apache combined; extra trailing fields are accepted. */
  nginx: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
  common: '%h %l %u %t "%r" %>s %b',
} as const;
export type PresetName = keyof typeof PRESETS;

/** Order tried by auto-detection: most specific first, so ties go to the richer format. */
export const DETECT_ORDER: readonly PresetName[] = ['nginx_main', 'vhost_combined', 'combined', 'common'];

export function resolveFormat(nameOrFormat: string): Plan {
  const preset = (PRESETS as Record<string, string>)[nameOrFormat];
  return compileLogFormat(preset ?? nameOrFormat);
}

/**
 * Log format strings compiled once into a parse plan (GoAccess keeps its formats as strings
 * the same way): Apache `LogFormat` strings, or nginx `log_format` strings (`$remote_addr -
 * $remote_user [$time_local] "$request" …`, told apart by their `$variables`). A plan is a flat
 * list of steps: literal bytes to match, or a field to capture, each field knowing how it ends
 * (a closing quote, a bracket, the first byte of the literal that follows it, or, for a
 * strftime time, its own pattern).
 *
 * Apache directives: %h %a %{c}a (client), %l %u (ident, user), %t (time, with its brackets),
 * %{sec}t %{msec}t %{usec}t (epoch), %{strftime}t (Apache's extended time, also split over
 * several fields, with begin:/end: and %{msec_frac}t %{usec_frac}t), %r (request line), %m
 * %U %q %H (its parts), %>s %<s %s (status), %b %B %O %I (bytes), %D (µs) %T (s), %v %V
 * (virtual host), %p %P %k %L %R %X %e %f %l (captured and ignored), %{Header}i with Referer,
 * User-Agent and X-Forwarded-For understood, other headers ignored; %% is a literal percent.
 * nginx variables: see NGINX.
 */
import { compileIso8601, compileStrftime, strftimeHasDate } from './strftime.js';

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
  /** A time written by a strftime pattern (Step.tf), or a part of one (a zone alone). */
  TIME_FMT: 20,
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
  /** TIME_FMT: the compiled strftime pattern (see strftime.ts), else null. */
  tf: Int32Array | null;
}

export interface Plan {
  format: string;
  steps: Step[];
  has: Set<FieldKind>;
  /** Accept and ignore bytes after the last step (nginx appends fields to combined). */
  allowTrailing: boolean;
  /** A stock layout with a hand-written parser (see STOCK), else 0. */
  stock: number;
  /** Some field is a strftime time (its parts are put together when the line ends). */
  timeFmt: boolean;
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

/** nginx variables floodscope reads; any other `$variable` is a field captured and ignored. */
const NGINX: Record<string, FieldKind> = {
  remote_addr: F.CLIENT,
  realip_remote_addr: F.CLIENT,
  time_local: F.TIME_CLF,
  time_iso8601: F.TIME_FMT,
  msec: F.TIME_EPOCH_S,
  request: F.REQUEST,
  request_method: F.METHOD,
  request_uri: F.PATH,
  uri: F.PATH,
  document_uri: F.PATH,
  args: F.QUERY,
  query_string: F.QUERY,
  server_protocol: F.PROTO,
  status: F.STATUS,
  body_bytes_sent: F.BYTES,
  bytes_sent: F.BYTES,
  request_time: F.DURATION_S,
  host: F.VHOST,
  http_host: F.VHOST,
  server_name: F.VHOST,
  http_referer: F.REFERER,
  http_user_agent: F.UA,
  http_x_forwarded_for: F.XFF,
};

interface Raw {
  kind: 0 | FieldKind;
  text: string;
  name: string;
  tf: Int32Array | null;
}

/** An nginx log_format string: `$variables` and no Apache `%` directive. */
export function isNginxFormat(format: string): boolean {
  return /\$\{?[A-Za-z_]/.test(format) && !/%[<>!,0-9]*(\{[^}]*\})?[a-zA-Z]/.test(format);
}

/** Literal text of a format, to match as it is. */
const literal = (text: string): Raw => ({ kind: 0, text, name: JSON.stringify(text), tf: null });

/** Split an Apache LogFormat string into literals and fields. */
function apacheRaw(format: string): Raw[] {
  const raw: Raw[] = [];
  let lit = '';
  const pushLit = () => {
    if (lit) raw.push(literal(lit));
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
    let tf: Int32Array | null = null;
    if (d === 'i') {
      const h = (arg ?? '').toLowerCase();
      kind = h === 'referer' || h === 'referrer' ? F.REFERER : h === 'user-agent' ? F.UA : h === 'x-forwarded-for' ? F.XFF : F.IGNORE;
    } else if (d === 't' && arg !== null) {
      // begin: / end: say which moment of the request the time is; either is its second.
      const t = arg.replace(/^(begin|end):/, '');
      kind = t === 'sec' ? F.TIME_EPOCH_S : t === 'msec' ? F.TIME_EPOCH_MS : t === 'usec' ? F.TIME_EPOCH_US : t === 'msec_frac' || t === 'usec_frac' ? F.IGNORE : F.TIME_FMT;
      if (kind === F.TIME_FMT) {
        try {
          tf = compileStrftime(t);
        } catch (e) {
          throw new FormatError(`${format.slice(start, i + 1)} at column ${start + 1}: ${(e as Error).message}`);
        }
      }
    } else if (arg !== null && (d === 'o' || d === 'e' || d === 'n' || d === 'C' || d === 'p' || d === 'P' || d === 'T' || d === 'a')) {
      kind = d === 'a' ? F.CLIENT : d === 'T' ? F.DURATION_S : F.IGNORE;
    } else {
      kind = SIMPLE[d];
    }
    if (kind === undefined) throw new FormatError(`unknown log format directive %${d} at column ${start + 1} of ${JSON.stringify(format)}`);
    pushLit();
    raw.push({ kind, text: '', name: format.slice(start, i + 1), tf });
  }
  pushLit();
  return raw;
}

/**
 * `$uri$is_args$args` (also with $document_uri or $query_string): the path, then "?" and the
 * query when there is one — written as $request_uri is, so read as one such field (three
 * variables with nothing between them could not be told apart otherwise).
 */
const URI_WITH_ARGS = /\$\{?(?:uri|document_uri)\}?\$\{?is_args\}?\$\{?(?:args|query_string)\}?(?![A-Za-z0-9_])/g;

/** Split an nginx log_format string (`$name` or `${name}` variables) into literals and fields. */
function nginxRaw(given: string): Raw[] {
  const format = given.replace(URI_WITH_ARGS, '$request_uri');
  const raw: Raw[] = [];
  let lit = '';
  const re = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/y;
  for (let i = 0; i < format.length; ) {
    const c = format[i]!;
    if (c === '\\' && i + 1 < format.length) {
      // nginx string escapes (\" inside a double-quoted format, \t, \n).
      const n = format[i + 1]!;
      lit += n === 't' ? '\t' : n === 'n' ? '\n' : n;
      i += 2;
      continue;
    }
    re.lastIndex = i;
    const m = c === '$' ? re.exec(format) : null;
    if (m === null) {
      lit += c;
      i++;
      continue;
    }
    if (lit) raw.push(literal(lit));
    lit = '';
    const v = (m[1] ?? m[2]!).toLowerCase();
    const kind = NGINX[v] ?? F.IGNORE;
    raw.push({ kind, text: '', name: m[0], tf: kind === F.TIME_FMT ? compileIso8601() : null });
    i = re.lastIndex;
  }
  if (lit) raw.push(literal(lit));
  return raw;
}

interface Compiled {
  steps: Step[];
  has: Set<FieldKind>;
  allowTrailing: boolean;
  endsQuoted: boolean;
}

function compileSteps(format: string, allowTrailing: boolean | undefined): Compiled {
  const nginx = isNginxFormat(format);
  const raw = nginx ? nginxRaw(format) : apacheRaw(format);
  const steps: Step[] = [];
  const has = new Set<FieldKind>();
  let dated = false;
  for (let k = 0; k < raw.length; k++) {
    const r = raw[k]!;
    if (r.kind === 0) {
      steps.push({ kind: 0, lit: enc.encode(r.text), quoted: false, term: -1, name: r.name, tf: null });
      continue;
    }
    const prev = raw[k - 1];
    const next = raw[k + 1];
    // A strftime time ends where its pattern does, so a field may follow it directly.
    if (next !== undefined && next.kind !== 0 && r.kind !== F.TIME_FMT && !(r.kind === F.PATH && next.kind === F.QUERY)) {
      throw new FormatError(`fields ${r.name} and ${next.name} are not separated by anything; cannot tell where one ends`);
    }
    const quoted = prev !== undefined && prev.kind === 0 && prev.text.endsWith('"') && next !== undefined && next.kind === 0 && next.text.startsWith('"');
    const term = next !== undefined && next.kind === 0 ? next.text.charCodeAt(0) : r.kind === F.PATH && next?.kind === F.QUERY ? 63 : -1;
    steps.push({ kind: r.kind, lit: new Uint8Array(0), quoted, term, name: r.name, tf: r.tf });
    has.add(r.kind);
    if (r.kind === F.TIME_CLF || r.kind === F.TIME_EPOCH_S || r.kind === F.TIME_EPOCH_MS || r.kind === F.TIME_EPOCH_US) dated = true;
    if (r.tf !== null && strftimeHasDate(r.tf)) dated = true;
  }
  const q = JSON.stringify(format);
  if (!has.has(F.CLIENT) && !has.has(F.XFF)) throw new FormatError(`log format has no client address (${nginx ? '$remote_addr' : '%h or %a'}): ${q}`);
  if (!dated) throw new FormatError(`log format has no time (${nginx ? '$time_local, $time_iso8601 or $msec' : '%t, or a %{…}t with a date'}): ${q}`);
  if (!has.has(F.REQUEST) && !has.has(F.PATH)) throw new FormatError(`log format has no request (${nginx ? '$request or $request_uri' : '%r or %U'}): ${q}`);
  const last = raw[raw.length - 1];
  const endsQuoted = last !== undefined && last.kind === 0 && last.text.endsWith('"');
  return { steps, has, allowTrailing: allowTrailing ?? endsQuoted, endsQuoted };
}

/** What a parse does with a plan's steps: equal for equal layouts however spelt (%h, %a, $remote_addr). */
function layout(c: Compiled): string {
  return c.steps.map((s) => (s.kind === 0 ? JSON.stringify(Buffer.from(s.lit).toString('latin1')) : `${s.kind}${s.quoted ? 'q' : ''}`)).join(' ') + (c.allowTrailing ? ' …' : '');
}

let stockLayouts: Map<string, number> | null = null;

/**
 * The stock layout a compiled format is, spelt any way (Apache's own string, %a for %h, %O
 * for %b, nginx's `$remote_addr - $remote_user [$time_local] …`), else STOCK.NONE.
 */
function stockOf(c: Compiled): number {
  if (c.allowTrailing !== c.endsQuoted) return STOCK.NONE;
  stockLayouts ??= new Map([
    [layout(compileSteps(PRESETS.combined, undefined)), STOCK.COMBINED],
    [layout(compileSteps(PRESETS.common, undefined)), STOCK.COMMON],
    [layout(compileSteps(PRESETS.vhost_combined, undefined)), STOCK.VHOST_COMBINED],
  ]);
  return stockLayouts.get(layout(c)) ?? STOCK.NONE;
}

/**
 * Compile an Apache LogFormat or nginx log_format string. Throws FormatError with the
 * offending position. Extra fields after the last one are accepted only when the format ends
 * with a closing quote (nginx appends quoted fields to combined); a format ending in a bare
 * field such as common's %b must match the whole line, or it would swallow combined lines.
 */
export function compileLogFormat(format: string, allowTrailing?: boolean): Plan {
  const c = compileSteps(format, allowTrailing);
  return { format, steps: c.steps, has: c.has, allowTrailing: c.allowTrailing, stock: stockOf(c), timeFmt: c.has.has(F.TIME_FMT) };
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

/**
 * The hot path for logs: one line of bytes → one LogRecord, by walking a compiled Plan.
 * No strings are made: fields are kept as offsets into the chunk, numbers are parsed
 * digit by digit, the client address lands in four words. The record object is reused
 * for every line (allocation-free); a failed line leaves an error code and the step it
 * failed at, and only a sampled failure is turned into a message (`describeError`).
 */
import { F, STOCK, type Plan, type Step } from './log-format.js';
import { ipWords, parseIp } from './ip.js';
import { parseClfTime, tsHasZone, tsSeconds, tsZoneMinutes } from './timestamp.js';
import { parseStrftime, tfFinish, tfHasZone, tfReset, tfSeconds, tfZoneMinutes } from './strftime.js';

export const E = {
  OK: 0,
  LITERAL: 1,
  QUOTE: 2,
  TIME: 3,
  CLIENT: 4,
  STATUS: 5,
  NUMBER: 6,
  TRAILING: 7,
  SHORT: 8,
  BINARY: 9,
  LONG: 10,
  NO_CLIENT: 11,
  COMMENT: 12,
  /** The client field is a host name (Apache with HostnameLookups On logs names in %h). */
  HOSTNAME: 13,
} as const;
export type ErrorCode = (typeof E)[keyof typeof E];

export class LogRecord {
  hasClient = false;
  w0 = 0;
  w1 = 0;
  w2 = 0;
  w3 = 0;
  time = 0;
  zoneMinutes = 0;
  hasZone = true;
  methodS = 0;
  methodE = 0;
  pathS = 0;
  pathE = 0;
  queryS = 0;
  queryE = 0;
  status = 0;
  bytes = 0;
  refS = 0;
  refE = 0;
  uaS = 0;
  uaE = 0;
  vhostS = 0;
  vhostE = 0;
  xffS = 0;
  xffE = 0;
  /** A client field that held a host name instead of an address (hasClient stays false). */
  hostS = 0;
  hostE = 0;
  hostStep = -1;
  error: ErrorCode = E.OK;
  errorStep = -1;
  errorPos = 0;

  reset(): void {
    this.hasClient = false;
    this.methodS = this.methodE = this.pathS = this.pathE = this.queryS = this.queryE = 0;
    this.refS = this.refE = this.uaS = this.uaE = this.vhostS = this.vhostE = this.xffS = this.xffE = 0;
    this.hostS = this.hostE = 0;
    this.status = 0;
    this.bytes = 0;
    this.hasZone = true;
    this.zoneMinutes = 0;
    this.error = E.OK;
    this.errorStep = -1;
  }
}

function fail(r: LogRecord, code: ErrorCode, step: number, pos: number): boolean {
  if (r.hostE > r.hostS) {
    // A line that does not fit and starts with a word ("garbage here") is not a host-named
    // request: its first fault is the client that is no address.
    code = E.CLIENT;
    step = r.hostStep;
    pos = r.hostS;
  }
  r.error = code;
  r.errorStep = step;
  r.errorPos = pos;
  return false;
}

function digits(b: Uint8Array, s: number, e: number): number {
  if (e - s === 1 && b[s] === 45) return 0; // "-"
  if (s === e) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Split a request line "METHOD URL PROTO" into the record's ranges. */
function splitRequest(b: Uint8Array, s: number, e: number, r: LogRecord): void {
  let sp1 = -1;
  for (let i = s; i < e; i++) {
    if (b[i] === 32) {
      sp1 = i;
      break;
    }
  }
  if (sp1 < 0) {
    // "-", garbage, or a bare path: the whole field is the target.
    r.methodS = r.methodE = s;
    r.pathS = s;
    r.pathE = e;
    r.queryS = r.queryE = e;
    return;
  }
  r.methodS = s;
  r.methodE = sp1;
  let us = sp1 + 1;
  while (us < e && b[us] === 32) us++;
  let ue = e;
  for (let i = e - 1; i > us; i--) {
    if (b[i] === 32) {
      ue = i;
      break;
    }
  }
  splitUrl(b, us, ue, r);
}

function splitUrl(b: Uint8Array, s: number, e: number, r: LogRecord): void {
  r.pathS = s;
  for (let i = s; i < e; i++) {
    if (b[i] === 63) {
      r.pathE = i;
      r.queryS = i;
      r.queryE = e;
      return;
    }
  }
  r.pathE = e;
  r.queryS = r.queryE = e;
}

/**
 * End of a quoted field starting at pos: the next double quote not escaped by an odd run of
 * backslashes, or -1 when the line has none. memchr (Buffer#indexOf) for the search: user
 * agents run to 100+ bytes, where a JS byte loop is ~3x slower.
 */
function quoteEnd(b: Uint8Array, pos: number, end: number): number {
  let fe = b.indexOf(34, pos);
  while (fe >= 0 && fe < end && b[fe - 1] === 92) {
    let bs = 1;
    while (fe - 1 - bs >= pos && b[fe - 1 - bs] === 92) bs++;
    if ((bs & 1) === 0) break;
    fe = b.indexOf(34, fe + 1);
  }
  return fe >= 0 && fe < end ? fe : -1;
}

/** At pos, ` "` and a quoted field (starting at pos + 2): its closing quote, or -1. */
function spaceQuoted(b: Uint8Array, pos: number, end: number): number {
  if (pos + 2 > end || b[pos] !== 32 || b[pos + 1] !== 34) return -1;
  return quoteEnd(b, pos + 2, end);
}

/** Position of the first space at or after pos, or end. */
function spaceFrom(b: Uint8Array, pos: number, end: number): number {
  while (pos < end && b[pos] !== 32) pos++;
  return pos;
}

/**
 * Straight-line parse of the stock layouts (`%h %l %u %t "%r" %>s %b` and its combined and
 * vhost_combined extensions): the same fields as walking the plan, without the per-step
 * dispatch (parse 360 → 276 ns a line on the bench log). Returns false for anything
 * irregular; the caller then walks the plan, which accepts or rejects the line and says
 * why, so results never differ between the two (tested on mutated lines).
 */
function parseStock(stock: number, b: Uint8Array, start: number, end: number, r: LogRecord): boolean {
  let pos = start;
  let fe: number;
  if (stock === STOCK.VHOST_COMBINED) {
    fe = spaceFrom(b, pos, end);
    if (fe >= end) return false;
    r.vhostS = pos;
    r.vhostE = fe;
    pos = fe + 1;
  }
  fe = spaceFrom(b, pos, end);
  if (fe >= end || !parseIp(b, pos, fe)) return false;
  r.hasClient = true;
  r.w0 = ipWords[0]!;
  r.w1 = ipWords[1]!;
  r.w2 = ipWords[2]!;
  r.w3 = ipWords[3]!;
  pos = spaceFrom(b, fe + 1, end) + 1; // %l
  pos = spaceFrom(b, pos, end) + 1; // %u
  if (pos >= end || b[pos] !== 91) return false;
  fe = pos + 1;
  while (fe < end && b[fe] !== 93) fe++;
  if (fe >= end || !parseClfTime(b, pos + 1, fe)) return false;
  r.time = tsSeconds;
  r.zoneMinutes = tsZoneMinutes;
  r.hasZone = tsHasZone;
  pos = fe + 1;
  fe = spaceQuoted(b, pos, end);
  if (fe < 0) return false;
  splitRequest(b, pos + 2, fe, r);
  pos = fe + 1;
  if (pos >= end || b[pos] !== 32) return false;
  pos++;
  fe = spaceFrom(b, pos, end);
  const status = digits(b, pos, fe);
  if (status < 0 || status > 999 || fe >= end) return false;
  r.status = status;
  pos = fe + 1;
  fe = spaceFrom(b, pos, end);
  const bytes = digits(b, pos, fe);
  if (bytes < 0) return false;
  r.bytes = bytes;
  if (stock === STOCK.COMMON) return fe === end;
  pos = fe;
  fe = spaceQuoted(b, pos, end);
  if (fe < 0) return false;
  r.refS = pos + 2;
  r.refE = fe;
  pos = fe + 1;
  fe = spaceQuoted(b, pos, end);
  if (fe < 0) return false;
  r.uaS = pos + 2;
  r.uaE = fe;
  return true; // the closing quote ends the layout; anything after it is accepted (nginx)
}

/**
 * Parse bytes[start, end) (no newline; a trailing CR already stripped) with `plan`.
 * Returns true on success; on failure r.error says why.
 */
export function parseLine(plan: Plan, b: Uint8Array, start: number, end: number, r: LogRecord): boolean {
  r.reset();
  if (plan.stock !== STOCK.NONE) {
    if (parseStock(plan.stock, b, start, end, r)) return true;
    r.reset();
  }
  const steps = plan.steps;
  let pos = start;
  let sawTime = false;
  if (plan.timeFmt) tfReset();
  for (let k = 0; k < steps.length; k++) {
    const st: Step = steps[k]!;
    if (st.kind === 0) {
      const lit = st.lit;
      if (pos + lit.length > end) return fail(r, E.SHORT, k, pos);
      for (let j = 0; j < lit.length; j++) if (b[pos + j] !== lit[j]) return fail(r, E.LITERAL, k, pos + j);
      pos += lit.length;
      continue;
    }
    if (st.tf !== null) {
      // A strftime time ends where its pattern does (it may hold spaces); its parts are put
      // together when the line ends (the zone may come in a field of its own).
      const p = parseStrftime(st.tf, b, pos, end);
      if (p < 0) return fail(r, E.TIME, k, pos);
      pos = p;
      continue;
    }
    let fs = pos;
    let fe: number;
    if (st.kind === F.TIME_CLF && b[pos] === 91) {
      fs = pos + 1;
      fe = fs;
      while (fe < end && b[fe] !== 93) fe++;
      if (fe === end) return fail(r, E.TIME, k, pos);
      pos = fe + 1;
    } else if (st.quoted) {
      fe = quoteEnd(b, pos, end);
      if (fe < 0) return fail(r, E.QUOTE, k, pos);
      pos = fe;
    } else {
      const term = st.term < 0 ? 32 : st.term;
      fe = pos;
      while (fe < end && b[fe] !== term) fe++;
      pos = fe;
    }
    switch (st.kind) {
      case F.CLIENT:
        if (!r.hasClient) {
          if (!parseIp(b, fs, fe)) {
            // A host name parses as a line of this format (so detection and the line's other
            // fields still work) but gives no client; the caller names the reason.
            if (!isHostName(b, fs, fe)) return fail(r, E.CLIENT, k, fs);
            if (r.hostE === r.hostS) {
              r.hostS = fs;
              r.hostE = fe;
              r.hostStep = k;
            }
            break;
          }
          r.hasClient = true;
          r.w0 = ipWords[0]!;
          r.w1 = ipWords[1]!;
          r.w2 = ipWords[2]!;
          r.w3 = ipWords[3]!;
        }
        break;
      case F.TIME_CLF:
        if (!parseClfTime(b, fs, fe)) return fail(r, E.TIME, k, fs);
        r.time = tsSeconds;
        r.zoneMinutes = tsZoneMinutes;
        r.hasZone = tsHasZone;
        sawTime = true;
        break;
      case F.TIME_EPOCH_S:
      case F.TIME_EPOCH_MS:
      case F.TIME_EPOCH_US: {
        let v = 0;
        let i = fs;
        for (; i < fe && b[i] !== 46; i++) {
          const d = b[i]! - 48;
          if (d < 0 || d > 9) return fail(r, E.TIME, k, fs);
          v = v * 10 + d;
        }
        if (i === fs) return fail(r, E.TIME, k, fs);
        r.time = Math.floor(st.kind === F.TIME_EPOCH_S ? v : st.kind === F.TIME_EPOCH_MS ? v / 1e3 : v / 1e6);
        r.zoneMinutes = 0;
        r.hasZone = true;
        sawTime = true;
        break;
      }
      case F.REQUEST:
        splitRequest(b, fs, fe, r);
        break;
      case F.METHOD:
        r.methodS = fs;
        r.methodE = fe;
        break;
      case F.PATH:
        splitUrl(b, fs, fe, r);
        break;
      case F.QUERY:
        r.queryS = fs;
        r.queryE = fe;
        break;
      case F.STATUS: {
        const v = digits(b, fs, fe);
        if (v < 0 || v > 999) return fail(r, E.STATUS, k, fs);
        r.status = v;
        break;
      }
      case F.BYTES: {
        const v = digits(b, fs, fe);
        if (v < 0) return fail(r, E.NUMBER, k, fs);
        r.bytes = v;
        break;
      }
      case F.REFERER:
        r.refS = fs;
        r.refE = fe;
        break;
      case F.UA:
        r.uaS = fs;
        r.uaE = fe;
        break;
      case F.XFF:
        r.xffS = fs;
        r.xffE = fe;
        break;
      case F.VHOST:
        r.vhostS = fs;
        r.vhostE = fe;
        break;
      default:
        break; // PROTO, durations, ignored fields: boundaries checked, values unused
    }
  }
  if (pos < end && !plan.allowTrailing) return fail(r, E.TRAILING, steps.length, pos);
  if (plan.timeFmt) {
    if (!tfFinish()) return fail(r, E.TIME, -1, start);
    r.time = tfSeconds;
    r.zoneMinutes = tfZoneMinutes;
    r.hasZone = tfHasZone;
    sawTime = true;
  }
  if (!sawTime) return fail(r, E.TIME, -1, start);
  return true;
}

/**
 * True for a DNS name as Apache's HostnameLookups writes it into %h: letters, digits, '-',
 * '_' and '.', with at least one letter and not just "-" (an absent field).
 */
function isHostName(b: Uint8Array, s: number, e: number): boolean {
  if (e - s < 1 || e - s > 253) return false;
  let letter = false;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) letter = true;
    else if (!((c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95)) return false;
  }
  return letter;
}

/** True when the referrer field is absent or "-" (what floods send). */
export function isEmptyReferrer(b: Uint8Array, r: LogRecord): boolean {
  const n = r.refE - r.refS;
  return n === 0 || (n === 1 && b[r.refS] === 45);
}

function printable(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e && out.length < 40; i++) {
    const c = b[i]!;
    out += c >= 32 && c < 127 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** A one-line reason for a failed line; only called for sampled failures. */
export function describeError(plan: Plan, r: LogRecord, b: Uint8Array, lineStart: number, lineEnd: number): string {
  const st = r.errorStep >= 0 ? plan.steps[r.errorStep] : undefined;
  const col = r.errorPos - lineStart + 1;
  const near = printable(b, r.errorPos, Math.min(lineEnd, r.errorPos + 24));
  switch (r.error) {
    case E.LITERAL:
      return `expected ${st?.name ?? 'literal'} at column ${col}, found "${near}"`;
    case E.SHORT:
      return `line ends early: expected ${st?.name ?? 'more fields'} at column ${col}`;
    case E.QUOTE:
      return `unterminated quoted field ${st?.name ?? ''} starting at column ${col}`;
    case E.TIME:
      return st ? `bad timestamp for ${st.name} at column ${col}: "${near}"` : 'no timestamp';
    case E.CLIENT:
      return `client ${st?.name ?? ''} is not an IP address: "${near}"`;
    case E.NO_CLIENT:
      return 'no client address (X-Forwarded-For empty and no %h)';
    case E.HOSTNAME:
      return `client is a host name, not an address: "${printable(b, r.hostS, r.hostE)}" (Apache HostnameLookups On? %a logs the address)`;
    case E.STATUS:
      return `bad status ${st?.name ?? ''} at column ${col}: "${near}"`;
    case E.NUMBER:
      return `bad number for ${st?.name ?? ''} at column ${col}: "${near}"`;
    case E.TRAILING:
      return `unexpected data after the last field at column ${col}: "${near}"`;
    case E.BINARY:
      return 'binary data (NUL bytes) in line';
    case E.LONG:
      return 'line over 64 KiB, skipped';
    case E.COMMENT:
      return 'comment line (starts with #)';
    default:
      return 'unparsed';
  }
}

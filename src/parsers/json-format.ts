/**
 * JSON access logs (nginx `log_format … escape=json '{"time":"$time_iso8601",…}'`, one object
 * per line, keys in a fixed order) read without being told their format: the first line is
 * turned back into the nginx log_format that wrote it, each value replaced by the variable its
 * key and value say it is (an ISO or CLF time, an address under a client-like key, a request
 * line, a status, a referrer, a user agent …; anything else a field passed over). The result
 * is an ordinary format string: detection checks it on the sample like any preset, and the
 * notice shows it, so an operator can correct it with --log-format.
 */
import { parseIpString } from './ip.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([.,]\d+)?(Z|[+-]\d\d:?\d\d)$/;
const CLF = /^\d\d\/[A-Za-z]{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$/;
const EPOCH = /^\d{10}(\.\d+)?$/;
const REQUEST = /^[A-Z]+ \S+ HTTP\/\d(\.\d)?$/;

/** Client-address keys, best first; keys naming another address are never the client. */
const CLIENT_KEYS = ['remote_addr', 'client_ip', 'clientip', 'client_addr', 'client_host', 'remote_ip', 'realip_remote_addr', 'client', 'ip', 'src_ip', 'source_ip', 'c_ip', 'remoteaddr', 'remote'];
const NOT_CLIENT = /forward|server|upstream|host|dst|dest|proxy|local/;

interface Member {
  key: string;
  /** Value as written: a string's contents (still JSON-escaped) or a bare token. */
  raw: string;
  quoted: boolean;
  /** Offsets of the value's contents in the line. */
  s: number;
  e: number;
}

/** Top-level members of a flat JSON object line, or null (not an object, nested values, bad JSON). */
function members(line: string): Member[] | null {
  const out: Member[] = [];
  let i = 0;
  const ws = () => {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  };
  const str = (): [number, number] | null => {
    if (line[i] !== '"') return null;
    const s = ++i;
    while (i < line.length && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
    if (i >= line.length) return null;
    return [s, i++];
  };
  ws();
  if (line[i++] !== '{') return null;
  for (;;) {
    ws();
    const k = str();
    if (k === null) return null;
    ws();
    if (line[i++] !== ':') return null;
    ws();
    let m: Member;
    if (line[i] === '"') {
      const v = str();
      if (v === null) return null;
      m = { key: line.slice(k[0], k[1]), raw: line.slice(v[0], v[1]), quoted: true, s: v[0], e: v[1] };
    } else {
      const s = i;
      while (i < line.length && line[i] !== ',' && line[i] !== '}' && line[i] !== ' ') i++;
      if (i === s || line[s] === '{' || line[s] === '[') return null;
      m = { key: line.slice(k[0], k[1]), raw: line.slice(s, i), quoted: false, s, e: i };
    }
    out.push(m);
    ws();
    const c = line[i++];
    if (c === '}') break;
    if (c !== ',') return null;
  }
  ws();
  return i === line.length ? out : null;
}

function unescape(m: Member): string {
  if (!m.quoted) return m.raw;
  try {
    return JSON.parse(`"${m.raw}"`) as string;
  } catch {
    return m.raw;
  }
}

/** A key as snake_case: "RequestMethod", "request-method" and "request_method" alike. */
const norm = (k: string) =>
  k
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_');

/**
 * The nginx log_format string that writes `line`, or null when the line is no flat JSON object
 * or its keys and values do not say where the client, the time and the request are.
 */
export function inferJsonFormat(line: string): string | null {
  const ms = members(line);
  if (ms === null || ms.some((m) => m.key.includes('$') || m.key.includes('\\'))) return null;
  const vars: (string | null)[] = ms.map(() => null);
  const take = (v: string, pick: (key: string, value: string) => boolean): boolean => {
    for (let j = 0; j < ms.length; j++) {
      if (vars[j] === null && pick(norm(ms[j]!.key), unescape(ms[j]!))) {
        vars[j] = v;
        return true;
      }
    }
    return false;
  };
  if (!take('time_iso8601', (_k, v) => ISO.test(v)) && !take('time_local', (_k, v) => CLF.test(v))) {
    take('msec', (k, v) => /time|msec|^ts$|epoch/.test(k) && EPOCH.test(v));
  }
  const isIp = (v: string) => parseIpString(v) !== null;
  for (const name of CLIENT_KEYS) if (take('remote_addr', (k, v) => k === name && isIp(v))) break;
  if (!vars.includes('remote_addr')) take('remote_addr', (k, v) => !NOT_CLIENT.test(k) && isIp(v));
  take('http_x_forwarded_for', (k) => k.includes('forwarded'));
  if (!take('request', (_k, v) => REQUEST.test(v))) {
    take('request_method', (k) => k === 'method' || k === 'request_method' || k === 'verb');
    take('request_uri', (k) => k === 'request_uri' || k === 'uri' || k === 'url' || k === 'path' || k === 'request_path');
  }
  take('status', (k, v) => /^(status|status_code|response|response_code|code|response_status|downstream_status)$/.test(k) && /^[1-5]\d\d$/.test(v));
  take('body_bytes_sent', (k, v) => /^(body_bytes_sent|bytes_sent|bytes|size|response_size|bytes_out|body_bytes)$/.test(k) && /^\d+$/.test(v));
  take('http_referer', (k) => k.includes('refer') || k === 'ref');
  take('http_user_agent', (k) => k.includes('agent') || k === 'ua');
  take('host', (k) => k === 'host' || k === 'http_host' || k === 'server_name' || k === 'vhost' || k === 'virtual_host');
  let out = '';
  let at = 0;
  ms.forEach((m, j) => {
    out += line.slice(at, m.s) + '$' + (vars[j] ?? 'other');
    at = m.e;
  });
  return out + line.slice(at);
}

import { describe, expect, it } from 'vitest';
import { compileLogFormat, PRESETS, resolveFormat } from '../../src/parsers/log-format.js';
import { describeError, isEmptyReferrer, LogRecord, parseLine } from '../../src/parsers/access-log.js';
import { formatIp, parseCidr, cidrContains, parseIpString } from '../../src/parsers/ip.js';
import { isoWithOffset } from '../../src/parsers/timestamp.js';
import { inferJsonFormat } from '../../src/parsers/json-format.js';
import { Random } from '../../src/util/random.js';

const rec = new LogRecord();
function parse(format: string, line: string): { ok: boolean; b: Buffer; plan: ReturnType<typeof compileLogFormat> } {
  const plan = resolveFormat(format);
  const b = Buffer.from(line, 'latin1');
  return { ok: parseLine(plan, b, 0, b.length, rec), b, plan };
}
const str = (b: Buffer, s: number, e: number) => b.toString('latin1', s, e);

describe('access-log line parser', () => {
  it('parses an Apache combined line into fields, honouring the zone offset', () => {
    const { ok, b } = parse(
      'combined',
      '192.168.1.7 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08"',
    );
    expect(ok).toBe(true);
    expect(formatIp(rec.w0, rec.w1, rec.w2, rec.w3)).toBe('192.168.1.7');
    expect(new Date(rec.time * 1000).toISOString()).toBe('2000-10-10T20:55:36.000Z');
    expect(rec.zoneMinutes).toBe(-420);
    expect(isoWithOffset(rec.time, rec.zoneMinutes)).toBe('2000-10-10T13:55:36-07:00');
    expect(str(b, rec.methodS, rec.methodE)).toBe('GET');
    expect(str(b, rec.pathS, rec.pathE)).toBe('/apache_pb.gif');
    expect(str(b, rec.queryS, rec.queryE)).toBe('?x=1');
    expect(rec.status).toBe(200);
    expect(rec.bytes).toBe(2326);
    expect(str(b, rec.refS, rec.refE)).toBe('http://www.example.com/start.html');
    expect(str(b, rec.uaS, rec.uaE)).toBe('Mozilla/4.08');
    expect(isEmptyReferrer(b, rec)).toBe(false);
  });

  it('normalises ::ffff:a.b.c.d to IPv4 and compresses IPv6 for display', () => {
    parse('common', '::ffff:10.1.2.3 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 -');
    expect(formatIp(rec.w0, rec.w1, rec.w2, rec.w3)).toBe('10.1.2.3');
    parse('common', '2001:0db8:85a3:0000:0000:8a2e:0370:7334 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 -');
    expect(formatIp(rec.w0, rec.w1, rec.w2, rec.w3)).toBe('2001:db8:85a3::8a2e:370:7334');
    expect(rec.bytes).toBe(0);
  });

  it('handles escaped quotes, empty referrers, garbage request lines and nginx trailing fields', () => {
    const { ok, b } = parse(
      'combined',
      '1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] "\\x16\\x03\\x01\\"x" 400 150 "-" "a \\"quoted\\" agent" "-"',
    );
    expect(ok).toBe(true);
    expect(isEmptyReferrer(b, rec)).toBe(true);
    expect(str(b, rec.pathS, rec.pathE)).toBe('\\x16\\x03\\x01\\"x');
    expect(str(b, rec.uaS, rec.uaE)).toBe('a \\"quoted\\" agent');
    expect(parse('combined', '1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] "GET / HTTP/1.1" 200 1 "" ""').ok).toBe(true);
  });

  it('reads a timestamp without a zone as UTC and flags it', () => {
    expect(parse('common', '1.2.3.4 - - [31/Jan/2015:14:29:44 ] "GET / HTTP/1.1" 200 1').ok).toBe(true);
    expect(rec.hasZone).toBe(false);
    expect(new Date(rec.time * 1000).toISOString()).toBe('2015-01-31T14:29:44.000Z');
  });

  it('compiles any LogFormat with %m %U%q %H, %D, %v and epoch time', () => {
    const { ok, b } = parse('%v %a %{sec}t "%m %U%q %H" %>s %B %D "%{User-Agent}i"', 'example.com 10.0.0.1 1700000000 "POST /login?next=/ HTTP/2.0" 302 0 1234 "curl/8"');
    expect(ok).toBe(true);
    expect(rec.time).toBe(1_700_000_000);
    expect(str(b, rec.vhostS, rec.vhostE)).toBe('example.com');
    expect(str(b, rec.pathS, rec.pathE)).toBe('/login');
    expect(str(b, rec.queryS, rec.queryE)).toBe('?next=/');
    expect(str(b, rec.methodS, rec.methodE)).toBe('POST');
  });

  it("reads Apache's %{strftime}t times, also split over fields, and nginx log_format strings", () => {
    const iso = () => isoWithOffset(rec.time, rec.zoneMinutes);
    expect(parse('%{%Y-%m-%dT%H:%M:%S%z}t %h "%r" %>s', '2025-03-14T09:15:00+0200 10.0.0.1 "GET /a HTTP/1.1" 200').ok).toBe(true);
    expect(iso()).toBe('2025-03-14T09:15:00+02:00');
    // Apache's documented example: the date, the milliseconds and the zone in three fields.
    expect(parse('[%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t] %a "%r" %>s', '[14/Mar/2025 23:59:59.123 -0530] 10.0.0.1 "GET / HTTP/1.1" 200').ok).toBe(true);
    expect(iso()).toBe('2025-03-14T23:59:59-05:30');
    expect(new Date(rec.time * 1000).toISOString()).toBe('2025-03-15T05:29:59.000Z');
    // ctime-like, space-padded day, 12-hour clock, begin:/end: prefixes; no zone: UTC, flagged.
    expect(parse('%{end:%a %b %e %I:%M:%S %p %Y}t %h "%r" %>s', 'Tue Mar  4 09:15:00 PM 2025 10.0.0.1 "GET / HTTP/1.1" 200').ok).toBe(true);
    expect(iso()).toBe('2025-03-04T21:15:00+00:00');
    expect(rec.hasZone).toBe(false);
    // A line whose time does not fit the pattern is malformed, and says which field.
    const bad = parse('%{%Y-%m-%dT%H:%M:%S%z}t %h "%r" %>s', '2025-13-14T09:15:00+0200 10.0.0.1 "GET /a HTTP/1.1" 200');
    expect(bad.ok).toBe(false);
    expect(describeError(bad.plan, rec, bad.b, 0, bad.b.length)).toMatch(/bad timestamp for %\{%Y-%m-%dT%H:%M:%S%z\}t at column 1/);

    // nginx: a log_format with escape=json, ISO times with a colon in the zone, "" for no referrer.
    const json = '{"time":"$time_iso8601","ip":"$remote_addr","req":"$request","status":$status,"ref":"$http_referer","ua":"$http_user_agent","rt":$request_time}';
    const j = parse(json, '{"time":"2025-03-14T09:15:00+02:00","ip":"2001:db8::1","req":"GET /a?b=\\"c HTTP/1.1","status":503,"ref":"","ua":"Mozilla \\"x\\"","rt":0.001}');
    expect(j.ok).toBe(true);
    expect(iso()).toBe('2025-03-14T09:15:00+02:00');
    expect(formatIp(rec.w0, rec.w1, rec.w2, rec.w3)).toBe('2001:db8::1');
    expect(str(j.b, rec.pathS, rec.pathE)).toBe('/a');
    expect(rec.status).toBe(503);
    expect(str(j.b, rec.uaS, rec.uaE)).toBe('Mozilla \\"x\\"');
    expect(isEmptyReferrer(j.b, rec)).toBe(true);
    // A custom format with unknown variables, ${braces} and $msec.
    const c = parse('$msec ${remote_addr} "$request" $status rt=$request_time uct="$upstream_connect_time" $host', '1741936500.123 10.0.0.2 "GET /b HTTP/1.1" 200 rt=0.1 uct="0.000" shop.example');
    expect(c.ok).toBe(true);
    expect(rec.time).toBe(1_741_936_500);
    expect(str(c.b, rec.vhostS, rec.vhostE)).toBe('shop.example');
    // $uri$is_args$args: the path and, when there is one, "?" and the query — read as $request_uri.
    const args = '$remote_addr - - [$time_local] "$request_method $uri$is_args$args $server_protocol" $status';
    const q = parse(args, '10.0.0.3 - - [14/Mar/2025:09:15:00 +0000] "GET /s?q=x&p=2 HTTP/1.1" 200');
    expect(q.ok).toBe(true);
    expect([str(q.b, rec.pathS, rec.pathE), str(q.b, rec.queryS, rec.queryE)]).toEqual(['/s', '?q=x&p=2']);
    const d = parse(args.replace('$uri$is_args$args', '${document_uri}${is_args}${query_string}'), '10.0.0.3 - - [14/Mar/2025:09:15:00 +0000] "HEAD /doc HTTP/1.1" 200');
    expect(d.ok).toBe(true);
    expect([str(d.b, rec.pathS, rec.pathE), rec.queryE - rec.queryS]).toEqual(['/doc', 0]);
    // nginx's combined, and Debian's Apache combined (%O), read as the stock layout or not.
    expect(compileLogFormat(PRESETS.combined.replace('%b', '%O')).stock).toBeGreaterThan(0);
    expect(() => compileLogFormat('$remote_user [$time_local] "$request"')).toThrow(/no client address \(\$remote_addr\)/);
    expect(() => compileLogFormat('%h %{%H:%M:%S}t "%r"')).toThrow(/no time/);
    expect(() => compileLogFormat('%h %{%Y week %U}t "%r"')).toThrow(/%U in time pattern .* cannot be read back/);
  });

  it('infers the nginx log_format of a JSON log from the keys and values of a line', () => {
    // The json_combined format found in most nginx guides (quoted status, "http_referrer").
    const line = '{"time_local":"14/Mar/2025:09:15:00 +0200","remote_addr":"10.0.0.3","remote_user":"","request":"GET /x HTTP/1.1","status": "404","body_bytes_sent":"153","request_time":"0.000","http_referrer":"-","http_user_agent":"curl/8"}';
    const f = inferJsonFormat(line)!;
    expect(f).toBe('{"time_local":"$time_local","remote_addr":"$remote_addr","remote_user":"$other","request":"$request","status": "$status","body_bytes_sent":"$body_bytes_sent","request_time":"$other","http_referrer":"$http_referer","http_user_agent":"$http_user_agent"}');
    const p = parse(f, line);
    expect(p.ok).toBe(true);
    expect(rec.status).toBe(404);
    expect(isoWithOffset(rec.time, rec.zoneMinutes)).toBe('2025-03-14T09:15:00+02:00');
    // Method and path apart, an epoch time, the client under "client_ip" beside the server's address.
    expect(inferJsonFormat('{"ts":1741936500.25,"server_addr":"10.0.0.1","client_ip":"2001:db8::5","method":"POST","uri":"/login","code":503}')).toBe(
      '{"ts":$msec,"server_addr":"$other","client_ip":"$remote_addr","method":"$request_method","uri":"$request_uri","code":$status}',
    );
    // camelCase keys, an ISO time with nanoseconds and Z.
    const camel = '{"clientHost":"10.0.0.4","startUTC":"2025-03-14T07:15:00.123456789Z","requestMethod":"GET","requestPath":"/x","downstreamStatus":404}';
    expect(inferJsonFormat(camel)).toBe('{"clientHost":"$remote_addr","startUTC":"$time_iso8601","requestMethod":"$request_method","requestPath":"$request_uri","downstreamStatus":$status}');
    expect(parse(inferJsonFormat(camel)!, camel).ok).toBe(true);
    expect(isoWithOffset(rec.time, rec.zoneMinutes)).toBe('2025-03-14T07:15:00+00:00');
    // Nested objects (Caddy) and lines that are no JSON object are not guessed at.
    expect(inferJsonFormat('{"ts":1741936500.25,"request":{"remote_ip":"10.0.0.1","uri":"/"}}')).toBeNull();
    expect(inferJsonFormat('10.0.0.1 - - [14/Mar/2025:09:15:00 +0200] "GET / HTTP/1.1" 200 1')).toBeNull();
  });

  it('says where and why a line fails', () => {
    const r = parse('combined', '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "truncated agent');
    expect(r.ok).toBe(false);
    expect(describeError(r.plan, rec, r.b, 0, r.b.length)).toMatch(/unterminated quoted field %\{User-Agent\}i/);
    const s = parse('combined', 'not a log line at all');
    expect(s.ok).toBe(false);
    expect(describeError(s.plan, rec, s.b, 0, s.b.length)).toMatch(/client %h is not an IP address/);
    const t = parse('combined', '1.2.3.4 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-"');
    expect(describeError(t.plan, rec, t.b, 0, t.b.length)).toMatch(/bad timestamp for %t/);
  });

  it('rejects format strings it cannot parse, with the column', () => {
    expect(() => compileLogFormat('%h %Z %t "%r"')).toThrow(/unknown log format directive %Z at column 4/);
    expect(() => compileLogFormat('%h%u %t "%r"')).toThrow(/not separated/);
    expect(() => compileLogFormat('%h %u "%r"')).toThrow(/no time/);
    expect(Object.keys(PRESETS)).toContain('vhost_combined');
  });

  it('matches CIDRs for IPv4 and IPv6', () => {
    const c4 = parseCidr('10.0.0.0/8')!;
    const a = parseIpString('10.9.8.7')!;
    expect(cidrContains(c4, a[0]!, a[1]!, a[2]!, a[3]!)).toBe(true);
    const c6 = parseCidr('2001:db8::/32')!;
    const v6 = parseIpString('2001:db8:1::5')!;
    expect(cidrContains(c6, v6[0]!, v6[1]!, v6[2]!, v6[3]!)).toBe(true);
    expect(cidrContains(c4, v6[0]!, v6[1]!, v6[2]!, v6[3]!)).toBe(false);
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    // Prefix lengths that end inside, at and past a 32-bit word, and the whole space.
    const has = (cidr: string, ip: string) => {
      const w = parseIpString(ip)!;
      return cidrContains(parseCidr(cidr)!, w[0]!, w[1]!, w[2]!, w[3]!);
    };
    expect([has('10.0.0.1/32', '10.0.0.1'), has('10.0.0.1/32', '10.0.0.2'), has('10.0.0.0/31', '10.0.0.1')]).toEqual([true, false, true]);
    expect([has('2001:db8::/33', '2001:db8:7fff::1'), has('2001:db8::/33', '2001:db8:8000::1')]).toEqual([true, false]);
    expect([has('2001:db8::1/128', '2001:db8::1'), has('2001:db8::1/128', '2001:db8::2'), has('::/0', '192.0.2.1')]).toEqual([true, false, true]);
    expect([has('2001:db8::/96', '2001:db8::ffff:ffff'), has('2001:db8::/96', '2001:db8::1:0:0')]).toEqual([true, false]);
  });
});

describe('straight-line parser of the stock layouts', () => {
  // The same layouts, their plans walked step by step (stock cleared).
  const pairs = [
    ['combined', PRESETS.combined.replace('%h', '%a')],
    ['common', PRESETS.common.replace('%h', '%a')],
    ['vhost_combined', PRESETS.vhost_combined.replace('%h', '%a')],
  ] as const;
  const FIELDS = ['hasClient', 'w0', 'w1', 'w2', 'w3', 'time', 'zoneMinutes', 'hasZone', 'methodS', 'methodE', 'pathS', 'pathE', 'queryS', 'queryE', 'status', 'bytes', 'refS', 'refE', 'uaS', 'uaE', 'vhostS', 'vhostE', 'error', 'errorStep', 'errorPos'] as const;
  const seeds = [
    '192.168.1.7 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08"',
    '2001:db8::1 - - [01/Jan/2024:00:00:00 +0000] "POST /wp-login.php HTTP/1.1" 403 - "-" "curl/8.0 \\"quoted\\" x"',
    'www.example.com:443 10.0.0.1 - - [01/Jan/2024:00:00:00 +0100] "GET / HTTP/2.0" 200 512 "-" "-"',
    '::ffff:10.1.2.3 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 304 0',
    '10.0.0.9 - - [01/Jan/2024:00:00:00 +0000] "-" 408 0 "-" "-" "extra nginx field"',
  ];
  const ALPHABET = ' "[]-\\/:0a.\t';

  it('gives the same record, or the same error, as walking the plan, on mutated lines', () => {
    const rnd = new Random(9);
    const lines: string[] = [];
    for (const s of seeds) {
      lines.push(s);
      for (let k = 0; k < 400; k++) {
        let m = s;
        for (let e = 0, n = 1 + rnd.int(3); e < n; e++) {
          const at = rnd.int(m.length);
          const op = rnd.int(3);
          const c = ALPHABET[rnd.int(ALPHABET.length)]!;
          m = op === 0 ? m.slice(0, at) + m.slice(at + 1) : op === 1 ? m.slice(0, at) + c + m.slice(at + 1) : m.slice(0, at) + c + m.slice(at);
        }
        lines.push(m);
      }
    }
    let accepted = 0;
    for (const [stock, walked] of pairs) {
      const fast = resolveFormat(stock);
      const spelt = compileLogFormat(walked);
      // Spelt with %a instead of %h, the layout is still recognised as the stock one.
      expect(fast.stock).toBeGreaterThan(0);
      expect(spelt.stock).toBe(fast.stock);
      const slow = { ...spelt, stock: 0 };
      for (const line of lines) {
        const b = Buffer.from(line, 'latin1');
        const a = new LogRecord();
        const w = new LogRecord();
        const okA = parseLine(fast, b, 0, b.length, a);
        const okW = parseLine(slow, b, 0, b.length, w);
        expect({ line, ok: okA }).toEqual({ line, ok: okW });
        if (okA) accepted++;
        for (const f of FIELDS) if (okA || f.startsWith('error')) expect({ line, f, v: a[f] }).toEqual({ line, f, v: w[f] });
      }
    }
    // The mutations leave plenty of lines each layout still accepts, and plenty it rejects.
    expect(accepted).toBeGreaterThan(300);
    expect(accepted).toBeLessThan(pairs.length * lines.length - 300);
  });
});

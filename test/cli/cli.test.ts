import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { BIN, generated, run, tmp, ROOT } from '../helpers.js';
import { analyze, analyzeLogs, generateCapture, renderJson, VERSION, writePcap, type Report } from '../../dist/src/index.js';
import { compactJsonPieces, jsonPieces } from '../../dist/src/sinks/json.js';

interface J {
  schema: string;
  input: { lines: number; parsed: number; format: string; formatSource: string; files: { name: string }[]; timeZone: string; start: string };
  summary: { attacks: number; requests: number };
  attacks: { signature: string; severity: string; target: string; start: string; end: string; peakRate: number; requests: number; distinctSources: number; topSources: { ip: string; count: number }[] }[];
}
let sample: { path: string; text: string };
let dir: string;

beforeAll(() => {
  const g = generated();
  sample = { path: g.path, text: g.text };
  dir = tmp();
});

describe('floodscope CLI', () => {
  it('prints a text report with input summary, timeline and each finding', async () => {
    const r = await run([sample.path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Input {4}.*access\.log: [\d.]+ MiB, 25,869 lines, 25,869 parsed, 0 malformed/m);
    expect(r.stdout).toMatch(/^Span {5}2025-03-14 09:00:00 → 2025-03-14 09:39:59 \+0200 \(40m 0s\)/m);
    expect(r.stdout).toMatch(/^Requests per minute \(\+0200\)/m);
    expect(r.stdout).toMatch(/^09:16 +█+/m);
    expect(r.stdout).toMatch(/^HIGH +http\.repeated-url +\/wp-login\.php/m);
    expect(r.stdout).toMatch(/^ {2}2025-03-14 09:15:00 → 09:18:59 \+0200 +\(4m 0s\)/m);
    expect(r.stdout).toMatch(/top sources:\n( {4}\S+ +[A-Z]{2} +[\d,]+\n){10}/); // address, country, count
    expect(r.stdout).toMatch(/^ {2}countries: US \d+% \(\d+\)/m);
    expect(r.stdout).toMatch(/^IP geolocation by DB-IP \(https:\/\/db-ip\.com\), CC BY 4\.0$/m);
    expect(r.stdout).toMatch(/INFO +http\.flash-crowd .*\(not an attack\)/);
    expect(r.stderr).toMatch(/format: combined \(detected/);
    expect(r.stderr).not.toMatch(/\r/); // no progress bar when stderr is not a terminal
  });

  it('writes the documented JSON schema, to -o FILE', async () => {
    const out = join(dir, 'report.json');
    const r = await run(['--format', 'json', '-o', out, '-q', sample.path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const j = JSON.parse(readFileSync(out, 'utf8')) as J;
    expect(j.schema).toBe('floodscope.report/v1');
    const a = j.attacks.find((x) => x.signature === 'http.repeated-url')!;
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['signature', 'severity', 'target', 'start', 'end', 'peakRate', 'requests', 'distinctSources', 'topSources']));
    expect(a.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect(['info', 'low', 'medium', 'high']).toContain(a.severity);
    expect(a.topSources[0]).toEqual({ ip: expect.any(String), count: expect.any(Number), country: expect.stringMatching(/^[A-Z]{2}$/) });
    expect(j.input).toMatchObject({ lines: 25869, parsed: 25869, format: 'combined', formatSource: 'detected' });
  });

  it('writes the JSON a finding at a time, byte for byte what one JSON.stringify writes', async () => {
    const logs = await analyzeLogs({ inputs: [sample.path], threads: 1 });
    const c = join(dir, 'syn.pcap');
    writeFileSync(c, writePcap(generateCapture(4, 0.2).packets));
    const capture = await analyze({ inputs: [c], threads: 1 });
    for (const r of [logs, capture, { ...logs, attacks: [], note: undefined, hook: () => 1 } as unknown as Report]) {
      const pieces = [...jsonPieces(r)];
      expect(pieces.join('')).toBe(renderJson(r));
      // And without spaces, as the final NDJSON event of live mode carries it.
      expect([...compactJsonPieces(r)].join('')).toBe(JSON.stringify(r));
      if (r.attacks.length > 0) expect(pieces.length).toBeGreaterThan(r.attacks.length);
    }
    const out = join(dir, 'pieces.json');
    expect((await run(['--format', 'json', '-o', out, '-q', sample.path])).code).toBe(0);
    const piped = await run(['--format', 'json', '-q', sample.path]);
    expect(piped.stdout).toBe(readFileSync(out, 'utf8'));
    expect(JSON.parse(piped.stdout)).toMatchObject({ schema: 'floodscope.report/v1', input: { lines: 25869 } });
  });

  it('exits 3 with --fail-on-attack when an attack is found, 0 when only info findings or none', async () => {
    expect((await run(['--fail-on-attack', '-q', sample.path])).code).toBe(3);
    const calm = join(dir, 'calm.log');
    // Background only: the hot scraper starts at 09:05, about 1,200 lines in.
    writeFileSync(calm, sample.text.split('\n').slice(0, 1000).join('\n'));
    expect((await run(['--fail-on-attack', '-q', calm])).code).toBe(0);
  });

  it('reads stdin when piped and with "-", gzip included', async () => {
    const a = await run(['--format', 'json', '-q'], { stdin: sample.text });
    const b = await run(['--format', 'json', '-q', '-'], { stdin: gzipSync(sample.text) });
    const ja = JSON.parse(a.stdout) as J;
    const jb = JSON.parse(b.stdout) as J;
    expect(ja.input.files[0]!.name).toBe('(stdin)');
    expect(ja.summary.requests).toBe(25869);
    expect(ja.attacks).toEqual(jb.attacks);
  });

  it('reads rotated files given newest first (a glob) oldest first, and says so', async () => {
    const lines = sample.text.split('\n').filter(Boolean);
    const d = tmp();
    const third = Math.floor(lines.length / 3);
    writeFileSync(join(d, 'access.log.2.gz'), gzipSync(lines.slice(0, third).join('\n') + '\n'));
    writeFileSync(join(d, 'access.log.1'), lines.slice(third, 2 * third).join('\n') + '\n');
    writeFileSync(join(d, 'access.log'), lines.slice(2 * third).join('\n') + '\n');
    const r = await run(['--format', 'json', join(d, 'access.log*')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/reading inputs oldest first: .*access\.log\.2\.gz, .*access\.log\.1, .*access\.log\b/);
    const j = JSON.parse(r.stdout) as J;
    const whole = JSON.parse((await run(['--format', 'json', '-q', sample.path])).stdout) as J;
    expect(j.input.files.map((f) => f.name.split('/').pop())).toEqual(['access.log', 'access.log.1', 'access.log.2.gz']);
    // Same attacks; only sketch-derived extras such as the "before" country shares may differ
    // slightly, since file boundaries move chunk boundaries.
    const core = (r: J) => r.attacks.map((a) => [a.signature, a.severity, a.target, a.start, a.end, a.peakRate, a.requests, a.distinctSources, a.topSources]);
    expect(core(j)).toEqual(core(whole));
  });

  it('reads more files than it may hold open at once (ulimit -n 64, 120 files, a third gzipped)', () => {
    const d = tmp();
    const lines = sample.text.split('\n').slice(0, 2400);
    for (let i = 0; i < 120; i++) {
      const part = lines.slice(i * 20, i * 20 + 20).join('\n') + '\n';
      const name = join(d, `part-${String(i).padStart(3, '0')}.log`);
      if (i % 3 === 0) writeFileSync(`${name}.gz`, gzipSync(part));
      else writeFileSync(name, part);
    }
    // Every input used to be opened up front (format detection, oldest-first order): EMFILE.
    const r = spawnSync('sh', ['-c', 'ulimit -n 64 && exec "$0" "$@"', BIN, '-q', '--format', 'json', join(d, 'part-*')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as J;
    expect(j.input.files).toHaveLength(120);
    expect(j.input.lines).toBe(2400);
  });

  it('parses any Apache LogFormat given with --log-format', async () => {
    const p = join(dir, 'custom.log');
    const rows: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const t = 1_700_000_000 + Math.floor(i / 30);
      rows.push(`shop.example 203.0.113.${(i % 200) + 1} ${t} "GET /cart?i=${i} HTTP/1.1" 200 512 1234 "-"`);
    }
    writeFileSync(p, rows.join('\n') + '\n');
    const r = await run(['--format', 'json', '-q', '--log-format', '%v %a %{sec}t "%r" %>s %B %D "%{Referer}i"', '--url-min-sources', '5', p]);
    const j = JSON.parse(r.stdout) as J;
    expect(j.input.parsed).toBe(3000);
    expect(j.input.timeZone).toBe('+0000');
    expect(j.attacks.some((a) => a.signature === 'http.repeated-url' && a.target === 'shop.example /cart')).toBe(true);
  });

  it('reads an nginx JSON log (log_format escape=json), given its log_format string or not', async () => {
    // Background: 40 visitors with a referrer for 10 minutes; from minute 4 to 7, 300
    // addresses ask /login 50 times a second with no referrer. Times in +02:00, ISO 8601.
    const p = join(dir, 'nginx.json.log');
    const t0 = Date.UTC(2025, 2, 14, 7, 0, 0) / 1000; // 09:00:00 +02:00
    const iso = (t: number) => new Date((t + 7200) * 1000).toISOString().slice(0, 19) + '+02:00';
    const rows: string[] = [];
    for (let s = 0; s < 600; s++) {
      for (let v = 0; v < 4; v++) rows.push(`{"time":"${iso(t0 + s)}","ip":"198.51.100.${(s * 4 + v) % 40}","req":"GET /page/${s % 7} HTTP/1.1","status":200,"ref":"https://example.org/","ua":"Mozilla/5.0","rt":0.004}`);
      if (s >= 240 && s < 420) for (let k = 0; k < 50; k++) rows.push(`{"time":"${iso(t0 + s)}","ip":"203.0.113.${(s * 50 + k) % 250}","req":"POST /login HTTP/1.1","status":503,"ref":"","ua":"python-requests/2.31","rt":0.000}`);
    }
    writeFileSync(p, rows.join('\n') + '\n');
    const fmt = '{"time":"$time_iso8601","ip":"$remote_addr","req":"$request","status":$status,"ref":"$http_referer","ua":"$http_user_agent","rt":$request_time}';
    const r = await run(['--format', 'json', '-q', '--log-format', fmt, p]);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout) as J;
    expect(j.input.parsed).toBe(rows.length);
    expect(j.input.timeZone).toBe('+0200');
    const flood = j.attacks.find((a) => a.signature === 'http.repeated-url' && a.target === '/login');
    expect(flood).toBeDefined();
    expect(Date.parse(flood!.start) / 1000).toBeGreaterThanOrEqual(t0 + 240 - 10);
    expect(Date.parse(flood!.start) / 1000).toBeLessThanOrEqual(t0 + 240 + 10);
    expect(flood!.start).toMatch(/\+02:00$/);
    expect(flood!.distinctSources).toBeGreaterThan(240);

    // Not told the format, floodscope infers it from the first line's keys, and finds the same.
    const d = await run(['--format', 'json', p]);
    expect(d.stderr).toContain(`format: JSON, read as the nginx log_format '${fmt.replace('$request_time', '$other')}'`);
    const dj = JSON.parse(d.stdout) as J;
    expect(dj.input.formatSource).toBe('detected');
    expect(dj.attacks).toEqual(j.attacks);
  });

  it('takes the client from X-Forwarded-For with --client-ip xff, skipping trusted proxies', async () => {
    const p = join(dir, 'xff.log');
    const rows: string[] = [];
    for (let i = 0; i < 900; i++) {
      const t = `01/Jan/2024:00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} +0000`;
      rows.push(`10.0.0.5 - - [${t}] "GET /x HTTP/1.1" 200 1 "-" "curl" "198.51.100.7, 10.1.2.3"`);
    }
    writeFileSync(p, rows.join('\n') + '\n');
    const plain = JSON.parse((await run(['--format', 'json', '-q', '--source-rate', '0.5', p])).stdout) as J;
    expect(plain.attacks.find((a) => a.signature === 'http.source-rate')?.target).toBe('10.0.0.5');
    const viaXff = JSON.parse((await run(['--format', 'json', '-q', '--source-rate', '0.5', '--client-ip', 'xff', '--trusted-proxies', '10.0.0.0/8', p])).stdout) as J;
    expect(viaXff.input.format).toBe('nginx_main');
    expect(viaXff.attacks.find((a) => a.signature === 'http.source-rate')?.target).toBe('198.51.100.7');

    // Hops with ports, as some balancers write them; the client sent a forged hop before its own.
    const q = join(dir, 'xff-ports.log');
    const hops = ['203.0.113.66, 198.51.100.7:51234, 10.1.2.3', '203.0.113.66, [2001:db8::7]:443', '[2001:db8::8]', ' 198.51.100.9:8080 '];
    writeFileSync(q, hops.map((h, i) => `10.0.0.5 - - [01/Jan/2024:00:00:0${i} +0000] "GET /x HTTP/1.1" 200 1 "-" "curl" "${h}"`).join('\n') + '\n');
    const ports = JSON.parse((await run(['--format', 'json', '-q', '--client-ip', 'xff', '--trusted-proxies', '10.0.0.0/8', q])).stdout) as J & { summary: { topSources: { ip: string }[] } };
    expect(ports.summary.topSources.map((s) => s.ip).sort()).toEqual(['198.51.100.7', '198.51.100.9', '2001:db8::7', '2001:db8::8']);
  });

  it('shows times in another zone with --tz', async () => {
    const j = JSON.parse((await run(['--format', 'json', '-q', '--tz', 'UTC', sample.path])).stdout) as J;
    expect(j.input.timeZone).toBe('+0000');
    expect(j.input.start).toBe('2025-03-14T07:00:00+00:00');
    const east = JSON.parse((await run(['--format', 'json', '-q', '--tz', '+14:00', sample.path])).stdout) as J;
    expect(east.input.start).toBe('2025-03-14T21:00:00+14:00');
    // A negative offset as its own argument (node's parseArgs alone calls it ambiguous).
    for (const args of [['--tz', '-05:00'], ['--tz=-05:00']]) {
      const west = JSON.parse((await run(['--format', 'json', '-q', ...args, sample.path])).stdout) as J;
      expect(west.input.start).toBe('2025-03-14T02:00:00-05:00');
    }
    for (const tz of ['+25:00', '-12:60', 'Europe/Berlin']) {
      const r = await run(['-q', '--tz', tz, sample.path]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`floodscope: --tz must be 'log', 'UTC' or an offset ±HH:MM up to ±14:00; got ${tz}\n`);
    }
  });

  it('never prints the log\'s control bytes: a URL or user agent holding ESC sequences is shown escaped', async () => {
    // An attacker's request line that would clear the operator's screen and retitle the
    // terminal, and a user agent that would turn the rest red.
    const rows: string[] = [];
    for (let s = 0; s < 300; s++) {
      const t = `01/Jun/2025:00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000`;
      for (let k = 0; k < 40; k++) rows.push(`45.83.${k}.${(s % 200) + 1} - - [${t}] "GET /a\x1b[2J\x1b]0;pwned\x07 HTTP/1.1" 200 10 "-" "UA\x1b[31mRED\u202e"`);
    }
    const p = join(dir, 'escapes.log');
    writeFileSync(p, rows.join('\n') + '\n');
    const r = await run(['--blocklist', 'route=-', p]);
    expect(r.code).toBe(0);
    // The report (on stderr with a block list on stdout), its notices, and the block list (a shell script).
    // eslint-disable-next-line no-control-regex -- control bytes are what this test looks for
    for (const out of [r.stdout, r.stderr]) expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(r.stderr).toMatch(/^HIGH {3}http\.repeated-url {2}\/a\\x1b\[2J\\x1b\]0;pwned\\x07$/m);
    expect(r.stderr).toContain('UA\\x1b[31mRED\\u202e');
    expect(r.stdout).toContain('/a\\x1b[2J\\x1b]0;pwned\\x07: ');
    // JSON keeps the bytes (escaped by JSON itself).
    const j = JSON.parse((await run(['-q', '--format', 'json', p])).stdout) as J;
    expect(j.attacks.find((a) => a.signature === 'http.repeated-url')!.target).toBe('/a\x1b[2J\x1b]0;pwned\x07');
  });

  it('prints help and its version', async () => {
    const h = await run(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Exit codes: 0 ok, 1 internal error, 2 usage or unreadable input, 3 attack found/);
    expect((await run(['--version'])).stdout.trim()).toBe(VERSION);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version).toBe(VERSION);
  });
});

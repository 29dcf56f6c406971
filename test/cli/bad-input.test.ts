import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync, chmodSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generated, run, tmp, ROOT } from '../helpers.js';

const LINE = (ip: string, t: string, path = '/') => `${ip} - - [${t} +0000] "GET ${path} HTTP/1.1" 200 100 "-" "curl/8"`;
let dir: string;
let sample: { path: string; text: string };

beforeAll(() => {
  dir = tmp();
  const g = generated();
  sample = { path: g.path, text: g.text };
});

function json(stdout: string) {
  return JSON.parse(stdout) as {
    input: { lines: number; parsed: number; malformed: number; blank: number; overlong: number; errors: string[]; malformedSamples: { file: string; line: number; reason: string }[]; files: { damage: string | null }[] };
    attacks: { signature: string; target: string }[];
    summary: { requests: number };
  };
}

describe('CLI on bad input: a clear message, nothing lost', () => {
  it('names a missing file in one line and exits 2', async () => {
    const r = await run(['/nonexistent/access.log']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['floodscope: /nonexistent/access.log: no such file']);
    expect(r.stdout).toBe('');
  });

  it('keeps and prints the results of a truncated gzip, names the file and offset, exits 4', async () => {
    const gz = gzipSync(sample.text);
    const cut = join(dir, 'cut.log.gz');
    writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const r = await run(['--format', 'json', cut]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/cut\.log\.gz: truncated gzip data at compressed byte offset \d+/);
    const rep = json(r.stdout);
    expect(rep.input.errors[0]).toMatch(/cut\.log\.gz: truncated gzip/);
    expect(rep.input.parsed).toBeGreaterThan(5000);
    expect(rep.summary.requests).toBe(rep.input.parsed);
  });

  it('reads every member before trailing garbage in a gzip file and says it ignored the garbage, exit 0 (as gzip does)', async () => {
    const total = sample.text.split('\n').length - 1;
    const half = sample.text.indexOf('\n', sample.text.length / 2) + 1;
    const members = Buffer.concat([gzipSync(sample.text.slice(0, half)), gzipSync(sample.text.slice(half))]);
    for (const [name, bytes, garbage] of [
      ['garbage.log.gz', Buffer.concat([gzipSync(sample.text), Buffer.from('appended by mistake\n')]), 20],
      ['members.log.gz', Buffer.concat([members, Buffer.from([0x1f, 0x8b]), Buffer.from(' but no more')]), 14],
      ['zeros.log.gz', Buffer.concat([members, Buffer.alloc(512)]), 0],
    ] as const) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      const r = await run(['-q', '--format', 'json', p]);
      expect(r.code).toBe(0);
      const rep = json(r.stdout) as ReturnType<typeof json> & { input: { warnings: string[] } };
      expect(rep.input.lines).toBe(total);
      expect(rep.input.malformed).toBe(0);
      expect(rep.input.errors).toEqual([]);
      expect(rep.input.warnings).toEqual(
        garbage === 0 ? [] : [`${p}: ${garbage} bytes after the last gzip member (at compressed byte offset ${bytes.length - garbage}) are not gzip data: ignored, as gzip does; everything before them was read`],
      );
    }
  });

  it('a JSON log read by its inferred format: a truncated line, one missing a key and a bad time are counted and sampled; keys naming no client are no format', async () => {
    const row = (s: number, ip: string) => `{"time":"2025-03-14T09:00:${String(s).padStart(2, '0')}+02:00","ip":"${ip}","req":"GET /a HTTP/1.1","status":200}`;
    const p = join(dir, 'json-bad.log');
    const lines = [row(0, '10.0.0.1'), row(1, '10.0.0.2').slice(0, 40), '{"time":"2025-03-14T09:00:02+02:00","req":"GET /a HTTP/1.1","status":200}', row(3, '10.0.0.3').replace('09:00:03', '09:61:03'), row(4, '10.0.0.4')];
    writeFileSync(p, lines.join('\n') + '\n');
    const r = await run(['--format', 'json', '-q', p]);
    expect(r.code).toBe(0);
    const rep = json(r.stdout);
    expect([rep.input.lines, rep.input.parsed, rep.input.malformed]).toEqual([5, 2, 3]);
    expect(rep.input.malformedSamples.map((s) => [s.file, s.line])).toEqual([
      [p, 2],
      [p, 3],
      [p, 4],
    ]);
    expect(rep.input.malformedSamples[0]!.reason).toMatch(/^line ends early: expected "\\",\\"ip\\":\\"" at column 35/);
    expect(rep.input.malformedSamples[2]!.reason).toMatch(/bad timestamp for \$time_iso8601/);
    // Keys that say where the time and the request are, but no client: no format fits, exit 2.
    const q = join(dir, 'json-no-client.log');
    writeFileSync(q, '{"time":"2025-03-14T09:00:00+02:00","req":"GET /a HTTP/1.1","status":200}\n');
    const n = await run(['-q', q]);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/no known log format fits its first 1 lines \(tried nginx_main, vhost_combined, combined, common, JSON keys\)/);
  });

  it('detects gzip by magic bytes, not by name', async () => {
    const p = join(dir, 'plain-name.log');
    writeFileSync(p, gzipSync(sample.text));
    const r = await run(['--format', 'json', '-q', p]);
    expect(r.code).toBe(0);
    expect(json(r.stdout).input.lines).toBe(sample.text.split('\n').length - 1);
  });

  it('counts and samples malformed lines with file:line, and --strict makes the first fatal', async () => {
    const p = join(dir, 'mixed.log');
    const lines = [LINE('10.0.0.1', '01/Jan/2024:00:00:00'), 'garbage here', LINE('10.0.0.2', '01/Jan/2024:00:00:01'), '# a comment', LINE('10.0.0.3', '01/Jan/2024:00:00:02')];
    writeFileSync(p, lines.join('\n') + '\n');
    const r = await run(['--format', 'json', '-q', p]);
    expect(r.code).toBe(0);
    const rep = json(r.stdout);
    expect([rep.input.lines, rep.input.parsed, rep.input.malformed]).toEqual([5, 3, 2]);
    expect(rep.input.malformedSamples.map((s) => `${s.line}`)).toEqual(['2', '4']);
    expect(rep.input.malformedSamples[0]!.file).toBe(p);
    expect(rep.input.malformedSamples[1]!.reason).toMatch(/comment/);
    const t = await run([p]);
    expect(t.stdout).toContain(`${p}:2: client %h is not an IP address`);
    const s = await run(['--strict', p]);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain(`${p}:2:`);
    expect(s.stderr).toContain('--strict');
  });

  it('names a host name logged as the client (HostnameLookups On), and a no-attack verdict says how much was not analyzed', async () => {
    const p = join(dir, 'hostnames.log');
    const lines = [LINE('crawl-66-249-66-1.googlebot.com', '01/Jan/2024:00:00:00'), LINE('10.0.0.2', '01/Jan/2024:00:00:01'), LINE('Host_7.example.NET', '01/Jan/2024:00:00:02')];
    for (let i = 0; i < 20; i++) lines.push(LINE(`h${i}.example.net`, '01/Jan/2024:00:00:03'));
    writeFileSync(p, lines.join('\n') + '\n');
    // A log of host names is still recognised as combined (it was "no known log format fits").
    const r = await run([p]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('format: combined (detected: 23 of the first 23 lines');
    expect(r.stdout).toContain(`${p}:1: client is a host name, not an address: "crawl-66-249-66-1.googlebot.com" (Apache HostnameLookups On? %a logs the address)`);
    expect(r.stdout).toContain(`${p}:3: client is a host name, not an address: "Host_7.example.NET"`);
    expect(r.stdout).toContain('Verdict: no attack found in the 1 of 23 lines that parsed (96 % malformed, not analyzed)');
    const rep = json((await run(['--format', 'json', '-q', p])).stdout);
    expect([rep.input.parsed, rep.input.malformed]).toEqual([1, 22]);
    // Garbage that is no name stays "not an IP address"; the address in a later %a is used.
    const q = join(dir, 'host-and-addr.log');
    writeFileSync(q, 'gw.example.net 10.0.0.7 [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5\nfoo/bar 10.0.0.8 [01/Jan/2024:00:00:01 +0000] "GET / HTTP/1.1" 200 5\n');
    const both = json((await run(['--format', 'json', '-q', '--log-format', '%h %a %t "%r" %>s %b', q])).stdout);
    expect([both.input.parsed, both.input.malformed]).toEqual([1, 1]);
    expect(both.input.malformedSamples[0]!.reason).toMatch(/client %h is not an IP address: "foo\/bar/);
  });

  it('shows at most 10 malformed samples but counts them all', async () => {
    const p = join(dir, 'many-bad.log');
    const lines = [LINE('10.0.0.1', '01/Jan/2024:00:00:00')];
    for (let i = 0; i < 25; i++) lines.push(`bad ${i}`);
    writeFileSync(p, lines.join('\n'));
    const rep = json((await run(['--format', 'json', '-q', '--log-format', 'combined', p])).stdout);
    expect(rep.input.malformed).toBe(25);
    expect(rep.input.malformedSamples).toHaveLength(10);
  });

  it('handles CRLF, no final newline, blank lines and binary garbage', async () => {
    const p = join(dir, 'crlf.log');
    const body = [LINE('10.0.0.1', '01/Jan/2024:00:00:00'), '', LINE('10.0.0.2', '01/Jan/2024:00:00:01')].join('\r\n');
    writeFileSync(p, Buffer.concat([Buffer.from(body + '\r\n'), Buffer.from([0, 1, 2, 255, 254, 10]), Buffer.from(LINE('10.0.0.3', '01/Jan/2024:00:00:02'))]));
    const r = await run(['--format', 'json', '-q', p]);
    expect(r.code).toBe(0);
    const rep = json(r.stdout);
    expect([rep.input.lines, rep.input.parsed, rep.input.malformed, rep.input.blank]).toEqual([5, 3, 1, 1]);
    expect(rep.input.malformedSamples[0]).toMatchObject({ line: 4, reason: 'binary data (NUL bytes) in line' });
  });

  it('skips and counts lines over 64 KiB, inside a chunk and across chunks, with their line numbers', async () => {
    const p = join(dir, 'long.log');
    const long = `10.0.0.9 - - [01/Jan/2024:00:00:00 +0000] "GET /${'a'.repeat(70_000)} HTTP/1.1" 200 1 "-" "x"`;
    const huge = `10.0.0.9 - - [01/Jan/2024:00:00:00 +0000] "GET /${'b'.repeat(3_000_000)} HTTP/1.1" 200 1 "-" "x"`;
    writeFileSync(p, [LINE('10.0.0.1', '01/Jan/2024:00:00:00'), long, LINE('10.0.0.2', '01/Jan/2024:00:00:01'), huge, LINE('10.0.0.3', '01/Jan/2024:00:00:02')].join('\n') + '\n');
    const rep = json((await run(['--format', 'json', '-q', p])).stdout);
    expect([rep.input.lines, rep.input.parsed, rep.input.malformed, rep.input.overlong]).toEqual([5, 3, 2, 2]);
    expect(rep.input.malformedSamples.map((s) => [s.line, s.reason])).toEqual([
      [2, 'line over 64 KiB, skipped'],
      [4, 'line over 64 KiB, skipped'],
    ]);
  });

  it('reports an empty file as empty, not as an error', async () => {
    const p = join(dir, 'empty.log');
    writeFileSync(p, '');
    const r = await run(['--format', 'json', '-q', p]);
    expect(r.code).toBe(0);
    const rep = json(r.stdout);
    expect(rep.input.lines).toBe(0);
    expect(rep.attacks).toEqual([]);
    const t = await run([p]);
    expect(t.stdout).toContain('Verdict: no requests parsed');
  });

  it('says what it tried when no format fits, exit 2', async () => {
    const p = join(dir, 'error.log');
    writeFileSync(p, '2021/12/02 10:00:00 [error] 12#12: *1 limiting requests, excess: 5.1 by zone "one", client: ::1\n');
    const r = await run([p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no known log format fits its first 1 lines \(tried nginx_main, vhost_combined, combined, common\)/);
    expect(r.stderr).toMatch(/--log-format/);
  });

  it('rejects a bad --log-format with the column of the problem', async () => {
    const r = await run(['--log-format', '%h %Q %t "%r"', sample.path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown log format directive %Q at column 4/);
  });

  it('names an unreadable file', async () => {
    if (process.getuid?.() === 0) return; // root reads everything; nothing to test here
    const p = join(dir, 'secret.log');
    writeFileSync(p, 'x\n');
    chmodSync(p, 0o000);
    const r = await run([p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${p}: permission denied`);
  });

  it('names a directory given as input', async () => {
    const r = await run([ROOT]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a directory');
  });

  it('rejects bad options with a usage message, exit 2', async () => {
    expect((await run(['--window', 'abc', sample.path])).stderr).toMatch(/--window: expected a duration/);
    expect((await run(['--window', '65s', sample.path])).stderr).toMatch(/--window must be a multiple of --step/);
    expect((await run(['--bogus'])).code).toBe(2);
  });

  it('rejects thresholds that would fire on everything or never, and block-list settings without a block list', async () => {
    for (const [args, msg] of [
      [['--source-rate', '-5'], '--source-rate must be above 0; got -5'],
      [['--syn-rate', '0'], '--syn-rate must be above 0; got 0'],
      [['--url-share', '2'], '--url-share is a share of all requests, above 0 and at most 1 (0.2 = 20 %); got 2'],
      [['--quiet', '1.5'], '--quiet must be a whole number, at least 1; got 1.5'],
      [['--bandwidth', '0'], '--bandwidth must be above 0; got 0'],
      [['--allow', '10.0.0.0/33'], '--allow shapes the block list: give --blocklist FORMAT[=FILE] or --dry-run with it'],
      [['--dry-run', '--allow', '10.0.0.0/33'], '--allow: not an address or CIDR: 10.0.0.0/33'],
      [['--block-prefix', '16'], '--block-prefix shapes the block list: give --blocklist FORMAT[=FILE] or --dry-run with it'],
    ] as const) {
      const r = await run(['-q', ...args, sample.path]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`floodscope: ${msg}\n`);
    }
  });

  it('refuses to write a report or block list over one of its inputs, and leaves the input as it was', async () => {
    const log = join(dir, 'same.log');
    writeFileSync(log, sample.text);
    const link = join(dir, 'same-link.log');
    symlinkSync(log, link);
    for (const args of [[log, '-o', log], [log, '--html', link], [join(dir, 'same.*'), '--blocklist', `plain=${log}`]]) {
      const r = await run(['-q', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/: is the input .*same\.log; writing it would replace the log with the report/);
      expect(readFileSync(log, 'utf8')).toBe(sample.text);
    }
  });

  it('says an output it cannot write before reading anything, and a write that fails at the end is an error, not exit 0', async () => {
    for (const [args, why] of [
      [['-o', '/nonexistent/dir/report.json'], 'no directory /nonexistent/dir'],
      [['--html', dir], 'it is a directory'],
      [['--blocklist', 'nft=/nonexistent/block.nft'], 'no directory /nonexistent'],
    ] as const) {
      const r = await run(['-q', sample.path, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`floodscope: ${args[0]} ${args[1].replace(/^nft=/, '')}: cannot be written (${why}); nothing was read\n`);
      expect(r.stdout).toBe('');
    }
    // /dev/full: writable, every write fails (ENOSPC), as a full disk does.
    const full = await run(['-q', sample.path, '-o', '/dev/full']);
    expect(full.code).toBe(2);
    expect(full.stderr).toMatch(/^floodscope: \/dev\/full: cannot write \(ENOSPC/);
  });

  it('ends the text report with a newline, so the shell prompt starts on its own line', async () => {
    for (const input of [sample.path, '/dev/null']) {
      const r = await run(['-q', input]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/[^\n]\n$/);
    }
  });

  it('keeps the sample files intact (sanity)', () => {
    expect(readFileSync(sample.path, 'utf8')).toBe(sample.text);
  });
});

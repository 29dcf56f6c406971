import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../dist/src/index.js';
import { BIN, generated, tmp } from '../helpers.js';

describe('on a terminal', () => {
  // util-linux `script` gives the CLI a real pseudo-terminal (bsdutils is in every Debian).
  it.skipIf(!existsSync('/usr/bin/script'))('draws a progress bar on stderr and colours the report', () => {
    const { path } = generated();
    const out = execFileSync('/usr/bin/script', ['-qec', `${BIN} ${path}`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '' } });
    expect(out).toMatch(/\r\[#*-*\] +\d+% [\d.]+ MiB\/[\d.]+ MiB [\d,]+ lines/);
    expect(out).toContain('\x1b[1;31mHIGH'); // severity in colour
    expect(out).toMatch(/http\.repeated-url/);
  });
});

describe('http.prefix-rate', () => {
  it('flags a /24 spread over many addresses, each below the per-source limit', async () => {
    const MON = 'Jan';
    const rows: string[] = [];
    for (let s = 0; s < 600; s++) {
      const t = `01/${MON}/2024:00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000`;
      rows.push(`198.51.100.${(s % 50) + 1} - - [${t}] "GET /p${s % 7} HTTP/1.1" 200 1 "https://ex.org/" "Mozilla"`);
      // 20 addresses of 203.0.113.0/24 at 0.75 req/s each: 15 req/s for the prefix.
      if (s >= 120 && s < 420) for (let k = 0; k < 15; k++) rows.push(`203.0.113.${((s * 15 + k) % 20) + 1} - - [${t}] "GET /p${k % 7} HTTP/1.1" 200 1 "-" "bot"`);
    }
    const p = join(tmp(), 'prefix.log');
    writeFileSync(p, rows.join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [p], threads: 1 });
    const pre = r.attacks.filter((a) => a.signature === 'http.prefix-rate');
    expect(pre.map((a) => [a.target, a.start, a.end])).toEqual([['203.0.113.0/24', '2024-01-01T00:02:00+00:00', '2024-01-01T00:06:59+00:00']]);
    expect(pre[0]!.distinctSources).toBe(20);
    expect(pre[0]!.topSources).toHaveLength(20);
    expect(r.attacks.filter((a) => a.signature === 'http.source-rate')).toEqual([]);
  });

  it('flags an IPv6 /64 the same way, its members told apart by their last 64 bits', async () => {
    const rows: string[] = [];
    for (let s = 0; s < 600; s++) {
      const t = `01/Jan/2024:00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000`;
      rows.push(`2001:db8:aa::${(s % 50) + 1} - - [${t}] "GET /p${s % 7} HTTP/1.1" 200 1 "https://ex.org/" "Mozilla"`);
      // 20 addresses of 2001:db8:1:2::/64 (differing in both of their last two words) at 0.75 req/s each.
      if (s >= 120 && s < 420)
        for (let k = 0; k < 15; k++) {
          const m = ((s * 15 + k) % 20) + 1;
          rows.push(`2001:db8:1:2:${m % 2}::${m} - - [${t}] "GET /p${k % 7} HTTP/1.1" 200 1 "-" "bot"`);
        }
    }
    const p = join(tmp(), 'prefix6.log');
    writeFileSync(p, rows.join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [p], threads: 1 });
    const pre = r.attacks.filter((a) => a.signature === 'http.prefix-rate');
    expect(pre.map((a) => [a.target, a.start, a.end])).toEqual([['2001:db8:1:2::/64', '2024-01-01T00:02:00+00:00', '2024-01-01T00:06:59+00:00']]);
    expect(pre[0]!.distinctSources).toBe(20);
    expect(pre[0]!.topSources).toHaveLength(20);
  });
});

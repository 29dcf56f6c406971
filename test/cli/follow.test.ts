import { appendFileSync, copyFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { spawnLive, tmp } from '../helpers.js';

let n = 0;
function lines(count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = n++;
    out.push(`198.51.100.${(s % 200) + 1} - - [01/Jan/2024:00:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000] "GET /p${s % 7} HTTP/1.1" 200 10 "-" "curl"`);
  }
  return out.join('\n') + '\n';
}
const settle = () => new Promise((r) => setTimeout(r, 700));

interface ReportEvent {
  type: string;
  report: { input: { lines: number; parsed: number } };
}

/** `floodscope --follow …` in the background; `stop()` sends SIGTERM and returns the exit code and the last event (the report). */
function follow(args: string[]) {
  const l = spawnLive<ReportEvent>(['--no-window-events', '--follow', ...args]);
  let stderr = '';
  l.child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    async stop() {
      l.child.kill('SIGTERM');
      const code = await l.exit;
      return { code, report: l.events[l.events.length - 1]!, stderr };
    },
  };
}

describe('--follow: tail -F through rotation', () => {
  it('counts every line exactly once through rename+create, copytruncate, delete+recreate, from a file that did not exist yet', async () => {
    const d = tmp();
    const f = join(d, 'access.log');
    const fw = follow([f]);
    await settle();
    writeFileSync(f, lines(100)); // created after floodscope started
    await settle();
    appendFileSync(f, lines(50));
    await settle();
    // logrotate create: rename, the server still writes to the old file, then a new file appears.
    renameSync(f, `${f}.1`);
    appendFileSync(`${f}.1`, lines(20));
    await settle();
    writeFileSync(f, lines(30));
    await settle();
    // logrotate copytruncate: copy, then empty the file in place, then new lines.
    copyFileSync(f, `${f}.2`);
    truncateSync(f, 0);
    await settle();
    appendFileSync(f, lines(40));
    await settle();
    // Deleted and recreated.
    rmSync(f);
    await settle();
    writeFileSync(f, lines(25));
    await settle();
    const { code, report, stderr } = await fw.stop();
    expect(code).toBe(0);
    // Quiet (-q) and no warning: ~60 polls each waited on the abort signal (a listener left
    // behind by each made Node warn of a leak after 10).
    expect(stderr).toBe('');
    expect(report.type).toBe('report');
    expect(report.report.input.lines).toBe(100 + 50 + 20 + 30 + 40 + 25);
    expect(report.report.input.parsed).toBe(265);
  });

  it('starts at the end of an existing file, or reads it first with --from-start', async () => {
    const d = tmp();
    const f = join(d, 'access.log');
    writeFileSync(f, lines(500));
    const tail = follow([f]);
    await settle();
    appendFileSync(f, lines(10));
    await settle();
    expect((await tail.stop()).report.report.input.lines).toBe(10);
    const all = follow(['--from-start', f]);
    await settle();
    appendFileSync(f, lines(10));
    await settle();
    expect((await all.stop()).report.report.input.lines).toBe(520);
  });

  it('refuses a directory or a gzip file at once (they never grow as a log), exit 2', async () => {
    const d = tmp();
    const gz = join(d, 'access.log.1.gz');
    writeFileSync(gz, gzipSync(lines(10)));
    for (const [path, why] of [
      [d, 'is a directory'],
      [gz, 'is gzip-compressed'],
    ] as const) {
      const l = spawnLive<ReportEvent>(['--follow', path]);
      let stderr = '';
      l.child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      expect(await l.exit).toBe(2);
      expect(stderr).toContain(`--follow ${path}: ${why}`);
    }
  });
});

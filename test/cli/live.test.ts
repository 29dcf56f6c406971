import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../dist/src/index.js';
import { clf, generated, run, spawnLive, tmp } from '../helpers.js';

interface Event {
  type: string;
  alert?: { id: number; signature: string; severity: string; target: string; start: string; end: string; peakRate: number };
  report?: { attacks: { signature: string; target: string; start: string }[]; summary: { requests: number } };
}

/** The CLI in live mode with a pipe on stdin, its NDJSON events collected. */
const live = (args: string[] = []) => spawnLive<Event>(args);

describe('live mode: tail -F access.log | floodscope', () => {
  it('emits alert.open while the input is still open, and the final report after SIGINT (exit 0)', async () => {
    const { text } = generated();
    const lines = text.split('\n');
    const l = live();
    // Up to 09:17 — the flood is under way; the pipe stays open.
    l.child.stdin.write(lines.slice(0, 14_000).join('\n') + '\n');
    const open = await l.waitFor((e) => e.type === 'alert.open' && e.alert!.signature === 'http.repeated-url', 20_000);
    expect(open.alert!.target).toBe('/wp-login.php');
    expect(open.alert!.start).toBe('2025-03-14T09:15:00+02:00');
    expect(l.events.some((e) => e.type === 'window')).toBe(true);
    l.child.kill('SIGINT');
    expect(await l.exit).toBe(0);
    const last = l.events[l.events.length - 1]!;
    expect(last.type).toBe('report');
    expect(last.report!.summary.requests).toBe(14_000);
    // Every alert opened was closed before the report.
    const opened = l.events.filter((e) => e.type === 'alert.open').length;
    expect(l.events.filter((e) => e.type === 'alert.close').length).toBe(opened);
  });

  it('writes --blocklist and --html files when it ends, as batch mode does; a block list on stdout (the events) is refused', async () => {
    const { text, truth } = generated();
    const dir = tmp();
    const ipset = join(dir, 'live.ipset');
    const html = join(dir, 'live.html');
    const lines = text.split('\n');
    const l = live(['--no-window-events', '--blocklist', `ipset=${ipset}`, '--html', html]);
    l.child.stdin.write(lines.slice(0, 14_000).join('\n') + '\n');
    await l.waitFor((e) => e.type === 'alert.open' && e.alert!.signature === 'http.repeated-url', 20_000);
    l.child.kill('SIGINT');
    expect(await l.exit).toBe(0);
    expect(l.events[l.events.length - 1]!.type).toBe('report');
    // The events ended with the report; the block list holds the flood's sources (here by /24).
    const blocked = readFileSync(ipset, 'utf8');
    const listed = truth.flood!.sources.filter((ip) => blocked.includes(`add floodscope_v4 ${ip}`) || blocked.includes(`add floodscope_v4 ${ip.replace(/\.\d+$/, '.0/24')}`));
    expect(listed.length / truth.flood!.sources.length).toBeGreaterThan(0.9);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
    // With -o FILE the report goes there, and SIGINT is still the normal end (exit 0, not 130).
    const out = join(dir, 'report.json');
    const o = live(['--live', '--format', 'json', '-o', out]);
    o.child.stdin.write(lines.slice(0, 2000).join('\n') + '\n');
    await new Promise((r) => setTimeout(r, 3000));
    o.child.kill('SIGINT');
    expect(await o.exit).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { summary: { requests: number } }).summary.requests).toBe(2000);
    const refused = await run(['--live', '--blocklist', 'plain=-'], { stdin: lines.slice(0, 100).join('\n') + '\n' });
    expect([refused.code, refused.stdout, refused.stderr]).toEqual([2, '', 'floodscope: --blocklist FORMAT=-: stdout carries the live events (NDJSON); write the block list to a file (--blocklist FORMAT=FILE)\n']);
  });

  it('finds the same alerts as batch mode on the same input', async () => {
    const { path, text } = generated();
    const l = live(['--no-window-events']);
    const lines = text.split('\n');
    // Written in pieces with pauses, so chunks are cut by idle flushes, not by size.
    for (let i = 0; i < lines.length; i += 5000) {
      l.child.stdin.write(lines.slice(i, i + 5000).join('\n') + (i + 5000 < lines.length ? '\n' : ''));
      await new Promise((r) => setTimeout(r, 300));
    }
    l.child.stdin.end();
    expect(await l.exit).toBe(0);
    expect(l.events.some((e) => e.type === 'window')).toBe(false);
    const report = l.events[l.events.length - 1]!.report!;
    const batch = await analyzeLogs({ inputs: [path], threads: 2 });
    const key = (a: { signature: string; target: string; start: string }) => `${a.signature} ${a.target} ${a.start}`;
    expect(report.attacks.map(key)).toEqual(batch.attacks.map(key));
  });

  it('says when the log falls silent after a rate that makes it improbable (the server down), and when lines come again', async () => {
    const t0 = Date.UTC(2026, 10, 20, 2) / 1000;
    // 50 req/s over seconds [from, to).
    const rows = (from: number, to: number) => {
      const out: string[] = [];
      for (let s = from; s < to; s++) for (let k = 0; k < 50; k++) out.push(`198.51.100.${k + 1} - - [${clf(t0 + s)}] "GET /p${k % 7} HTTP/1.1" 200 10 "https://ex.org/" "Mozilla"`);
      return out.join('\n') + '\n';
    };
    // A window of 6 s: silent for a window after 50 req/s (300 requests expected) is said.
    const l = live(['--window', '6', '--step', '1', '--no-window-events']);
    l.child.stdin.write(rows(0, 60));
    const silent = (await l.waitFor((e) => e.type === 'log.silent', 30_000)) as Event & { silence: Record<string, unknown> };
    expect(silent.silence.start).toBe('2026-11-20T02:01:00+00:00');
    expect(silent.silence.rateBefore).toBe(50);
    expect(silent.silence.seconds).toBeGreaterThanOrEqual(6);
    expect(l.events.filter((e) => e.type === 'log.silent')).toHaveLength(1);
    // The server back two minutes after the last line.
    l.child.stdin.end(rows(180, 200));
    expect(await l.exit).toBe(0);
    const resumed = l.events.filter((e) => e.type === 'log.resumed') as (Event & { silence: unknown })[];
    expect(resumed.map((e) => e.silence)).toEqual([{ start: '2026-11-20T02:01:00+00:00', end: '2026-11-20T02:02:59+00:00', seconds: 120, rateBefore: 50 }]);
    const report = l.events[l.events.length - 1]!.report as unknown as { input: { silences: unknown[] } };
    expect(report.input.silences).toEqual([resumed[0]!.silence]);
  });

  it('sends an alert.update at most once a minute of event time unless the alert grew (--update-interval)', async () => {
    const { text } = generated();
    const events = async (args: string[]) => {
      const l = live(['--no-window-events', ...args]);
      l.child.stdin.end(text);
      expect(await l.exit).toBe(0);
      return l.events;
    };
    const every = await events(['--update-interval', '0']);
    const throttled = await events([]);
    const lifecycle = (ev: Event[]) => ev.filter((e) => e.type === 'alert.open' || e.type === 'alert.close').map((e) => `${e.type} ${e.alert!.signature} ${e.alert!.target} ${e.alert!.start}`);
    expect(lifecycle(throttled)).toEqual(lifecycle(every));
    expect(throttled[throttled.length - 1]).toEqual(every[every.length - 1]); // the same final report
    const updates = (ev: Event[]) => ev.filter((e) => e.type === 'alert.update').length;
    expect(updates(every)).toBeGreaterThan(20);
    expect(updates(throttled)).toBeLessThan(updates(every) / 2);
    // Between two events about one alert: a minute of event time, or a rise it is worth saying.
    const RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3 };
    const last = new Map<number, NonNullable<Event['alert']>>();
    for (const e of throttled) {
      if (e.type !== 'alert.open' && e.type !== 'alert.update') continue;
      const a = e.alert!;
      const prev = last.get(a.id);
      if (e.type === 'alert.update' && prev !== undefined) {
        const gap = (Date.parse(a.end) - Date.parse(prev.end)) / 1000;
        expect(gap >= 60 || RANK[a.severity]! > RANK[prev.severity]! || a.peakRate >= prev.peakRate * 1.25).toBe(true);
      }
      last.set(a.id, a);
    }
  });

  it('--format text into a file or pipe: a line per alert event, then the text report', async () => {
    const { text } = generated();
    const r = await run(['--live', '--format', 'text'], { stdin: text });
    expect(r.code).toBe(0);
    const cut = r.stdout.indexOf('\n\n');
    const [events, report] = [r.stdout.slice(0, cut), r.stdout.slice(cut + 2)];
    // The same alert events as NDJSON, each as a line.
    const l = live(['--no-window-events']);
    l.child.stdin.end(text);
    expect(await l.exit).toBe(0);
    const ndjson = l.events.filter((e) => e.type !== 'report');
    const lines = events.split('\n');
    expect(lines).toHaveLength(ndjson.length);
    const VERB: Record<string, string> = { 'alert.open': 'open', 'alert.update': 'update', 'alert.close': 'closed' };
    const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    ndjson.forEach((e, i) => {
      const a = e.alert!;
      const at = `${a.end.slice(0, 19).replace('T', ' ')} ${a.end.slice(19).replace(':', '')}`;
      expect(lines[i]).toMatch(new RegExp(`^${esc(at)}  ${VERB[e.type]} +#${a.id} +${a.severity.toUpperCase()} +${esc(a.signature)}  ${esc(a.target)}  `));
    });
    expect(lines.find((x) => x.includes('closed') && x.includes('http.repeated-url'))).toMatch(/ 09:15:\d\d → 09:1\d:\d\d \(\d+m \d+s\), peak \d+ req\/s, [\d,]+ requests from ~\d+ sources; top [\d.]+ \(\d+\)/);
    expect(report).toMatch(/^floodscope \S+ — access-log analysis\n/);
    expect(report).toContain('Verdict: ');
    expect(r.stdout).not.toContain('{"type"');
  });

  it('stops quietly with 141 when the reader of its events goes away (| head)', async () => {
    const { text } = generated();
    const l = live();
    l.child.stdin.write(text.split('\n').slice(0, 5_000).join('\n') + '\n');
    await l.waitFor((e) => e.type === 'window', 20_000);
    let stderr = '';
    l.child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The reader closes its end; the rest of the input makes more events to write.
    l.child.stdout.destroy();
    l.child.stdin.on('error', () => {}); // it may exit before reading all of this
    l.child.stdin.end(text.split('\n').slice(5_000).join('\n'));
    expect(await l.exit).toBe(141);
    expect(stderr).toBe('');
  });
});

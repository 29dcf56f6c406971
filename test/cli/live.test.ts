import { describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../dist/src/index.js';
import { generated, spawnLive } from '../helpers.js';

interface Event {
  type: string;
  alert?: { signature: string; target: string; start: string; end: string };
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
});

/**
 * Findings that belong together, linked so the reports say one thing once: the episodes of one
 * signature on one target (a rate going over its limit, under, over again), and findings on the
 * same traffic (a URL flood found by two signatures; a poller's requests found on its address and
 * on the URL it polls).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeLogs, type AttackReport, type Report } from '../../dist/src/index.js';
import { pollerLog, run, tmp } from '../helpers.js';

describe('findings that belong together', () => {
  let path: string;
  let report: Report;
  const find = (sig: string, target: string) => report.attacks.filter((a) => a.signature === sig && a.target === target);

  beforeAll(async () => {
    path = join(tmp(), 'access.log');
    writeFileSync(path, pollerLog());
    report = await analyzeLogs({ inputs: [path], threads: 2 });
  });

  it('lists the episodes of one signature on one target under the first, and points the others to it', () => {
    const poller = find('http.source-rate', '203.0.113.7');
    expect(poller.map((a) => a.start.slice(11, 19))).toEqual(['02:05:00', '02:10:00', '02:15:00', '02:20:00', '02:25:00']);
    const [first, ...rest] = poller as [AttackReport, ...AttackReport[]];
    expect(first.episodes!.map((e) => [e.id, e.start, e.end, e.count, e.severity])).toEqual(poller.map((a) => [a.id, a.start, a.end, 600, a.severity]));
    expect(first.episodeOf).toBeUndefined();
    for (const a of rest) {
      expect(a.episodeOf).toBe(first.id);
      expect(a.episodes).toBeUndefined();
    }
    // A finding alone has neither.
    const flood = find('http.repeated-url', '/x');
    expect(flood).toHaveLength(1);
    expect([flood[0]!.episodes, flood[0]!.episodeOf, flood[0]!.sameTrafficAs]).toEqual([undefined, undefined, undefined]);
  });

  it('links a finding on the same traffic to the first: two signatures on one URL, a URL polled by one address', () => {
    const [flood] = find('http.repeated-url', '/x');
    expect(find('http.empty-referrer', '/x').map((a) => a.sameTrafficAs)).toEqual([flood!.id]);
    const [poller] = find('http.source-rate', '203.0.113.7');
    const feed = find('http.empty-referrer', '/feed');
    expect(feed[0]!.sameTrafficAs).toBe(poller!.id);
    expect(feed[0]!.episodes!.length).toBe(feed.length);
    expect(report.summary.verdict).toBe('12 attack findings on 4 targets; largest: http.repeated-url on /x from 2026-11-20T02:10:00+00:00 to 2026-11-20T02:14:59+00:00');
  });

  it('says of an address over its limit that it was one of a flood\'s sources, and how much of it it sent', () => {
    const [flood] = find('http.repeated-url', '/x');
    const bot = find('http.source-rate', '203.0.113.50');
    expect(bot.map((a) => [a.requests, a.partOf])).toEqual([[2250, { id: flood!.id, count: 2250 }]]);
    // Linked once: the poller's address is the /feed finding's same traffic, not a part of it.
    expect(find('http.source-rate', '203.0.113.7')[0]!.partOf).toBeUndefined();
    expect(report.attacks.filter((a) => a.partOf !== undefined)).toHaveLength(1);
  });

  it('gives the same links for any thread count', async () => {
    const one = await analyzeLogs({ inputs: [path], threads: 1 });
    expect(one.attacks).toEqual(report.attacks);
  });

  it('marks a live alert that is the same signature on the same target again, as the final report does, and tells --on-alert', async () => {
    const d = tmp();
    const r = await run(['-q', '--no-window-events', '--on-alert', `echo "$FLOODSCOPE_TARGET $FLOODSCOPE_EPISODE_OF" > "${d}/$$.env"`], { stdin: readFileSync(path) });
    expect(r.code).toBe(0);
    type Ev = { type: string; alert?: AttackReport; report?: Report };
    const evs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Ev);
    const opened = evs.filter((e) => e.type === 'alert.open' && e.alert!.signature === 'http.source-rate' && e.alert!.target === '203.0.113.7').map((e) => e.alert!);
    expect(opened).toHaveLength(5);
    expect(opened.map((a) => a.episodeOf)).toEqual([undefined, ...Array(4).fill(opened[0]!.id)]);
    const final = evs.find((e) => e.type === 'report')!.report!;
    expect(final.attacks.filter((a) => a.signature === 'http.source-rate' && a.target === '203.0.113.7').map((a) => a.episodeOf)).toEqual(opened.map((a) => a.episodeOf));
    const env = readdirSync(d).map((f) => readFileSync(join(d, f), 'utf8').trim()).filter((l) => l.startsWith('203.0.113.7'));
    expect(env.sort()).toEqual(['203.0.113.7', ...Array(4).fill(`203.0.113.7 ${opened[0]!.id}`)]);
  });

  it('prints one block per group, the episodes as lines, and the sources of the same traffic once', async () => {
    const r = await run([path]);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out.match(/^MEDIUM http\.source-rate {2}203\.0\.113\.7$/gm)).toHaveLength(1);
    expect(out).toContain(
      [
        '  5 episodes, 2026-11-20 02:05:00 → 02:25:59 +0000, 3,000 requests in all:',
        '    02:05:00 → 02:05:59 (1m 0s)            600',
        '    02:10:00 → 02:10:59 (1m 0s)            600',
      ].join('\n'),
    );
    expect(out).toContain('  the first in detail (each in --format json):\n  2026-11-20 02:05:00 → 02:05:59 +0000  (1m 0s)\n');
    const block = (head: RegExp) => out.slice(out.search(head)).split('\n\n')[0]!;
    const xRef = block(/^HIGH {3}http\.empty-referrer {2}\/x$/m);
    expect(xRef).toContain('  the same traffic as http.repeated-url on /x above: its sources, countries and texts are listed there');
    expect(xRef).not.toContain('top sources');
    const feed = block(/^LOW {4}http\.empty-referrer {2}\/feed$/m);
    expect(feed).toContain('  the same traffic as http.source-rate on 203.0.113.7 above');
    // What is its own stays: the poller's query strings are on the URL finding alone.
    expect(feed).toContain('  query strings: on 100 % of its requests, ~60 distinct');
    expect(out.match(/^ {2}top sources:$/gm)).toHaveLength(3);
    expect(block(/^\w+ +http\.source-rate {2}203\.0\.113\.50$/m)).toContain('  part of http.repeated-url on /x: 2,250 of its 14,250 requests came from this address');
  });
});

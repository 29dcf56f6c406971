/**
 * A botnet whose every address is over the per-address limit makes a finding per address: the
 * reports show the most severe and heaviest ten in full and list the rest one line each.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeLogs, type AttackReport, type Report } from '../../dist/src/index.js';
import { attacksVerdict } from '../../dist/src/report/report.js';
import { botnetLog, run, tmp } from '../helpers.js';

const RANK = { info: 0, low: 1, medium: 2, high: 3 };

describe('many addresses, each over its limit', () => {
  let path: string;
  let report: Report;
  let sources: AttackReport[];

  beforeAll(async () => {
    path = join(tmp(), 'botnet.log');
    writeFileSync(path, botnetLog());
    report = await analyzeLogs({ inputs: [path], threads: 2 });
    sources = report.attacks.filter((a) => a.signature === 'http.source-rate');
  });

  it('keeps every finding in the report, ten of them shown in full: the most severe, then the heaviest', () => {
    expect(sources.map((a) => a.target).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `203.0.113.${i + 1}`).sort());
    const shown = sources.filter((a) => a.inBrief === undefined);
    const brief = sources.filter((a) => a.inBrief === true);
    expect([shown.length, brief.length]).toEqual([10, 40]);
    const key = (a: AttackReport) => RANK[a.severity] * 1e9 + a.requests;
    const least = Math.min(...shown.map(key));
    for (const a of brief) expect(key(a)).toBeLessThanOrEqual(least);
    // The ten heaviest are the five addresses at 15 req/s and the five at 14.
    expect(shown.map((a) => Number(a.target.split('.')[3]) % 10).sort()).toEqual([8, 8, 8, 8, 8, 9, 9, 9, 9, 9]);
    // Each address's requests over the attack, exactly: 6 + (i mod 10) a second for 180 s. A step
    // split between two chunks once counted only what the chunks that detailed the address sent.
    for (const a of sources) expect(a.requests).toBe((6 + (Number(a.target.split('.')[3]) % 10)) * 180);
    // … from its first second to its last, to the second: where a step's detail of an address
    // is partial, the seconds not detailed are the step's (they were its last detailed second).
    expect(new Set(sources.map((a) => `${a.start} ${a.end}`))).toEqual(new Set(['2026-11-20T03:05:00+00:00 2026-11-20T03:07:59+00:00']));
    // No other finding is in brief.
    expect(report.attacks.filter((a) => a.inBrief && a.signature !== 'http.source-rate')).toEqual([]);
  });

  it('prints ten in full and the rest one line each, heaviest first, in the text report', async () => {
    const { stdout, code } = await run([path]);
    expect(code).toBe(0);
    const blocks = stdout.split('\n').filter((l) => /^\S+\s+http\.source-rate {2}203\.0\.113\.\d+$/.test(l));
    expect(blocks).toHaveLength(10);
    const head = stdout.split('\n').findIndex((l) => /http\.source-rate {2}40 more addresses, one line each \(\+0000\): the 10 most severe and heaviest are above/.test(l));
    expect(head).toBeGreaterThan(0);
    const rows = stdout.split('\n').slice(head + 1, head + 31);
    expect(rows.every((l) => /^ {4}203\.0\.113\.\d+ +2026-11-20 03:05:00 → 03:07:5\d +peak \d+\/s +[\d,]+ requests$/.test(l))).toBe(true);
    const counts = rows.map((l) => Number(/([\d,]+) requests$/.exec(l)![1]!.replace(/,/g, '')));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(stdout.split('\n')[head + 31]).toBe('    … 10 more listed in --format json');
  });

  it('counts thousands of findings with separators in the verdict', () => {
    const top = { signature: 'http.request-surge', target: '*', start: '2026-11-20T04:10:00+00:00', end: '2026-11-20T04:11:59+00:00' };
    expect(attacksVerdict(2678, top, 2675)).toBe('2,678 attack findings on 2,675 targets; largest: http.request-surge on * from 2026-11-20T04:10:00+00:00 to 2026-11-20T04:11:59+00:00');
    expect(report.summary.verdict).toMatch(/^5\d attack findings; largest: /);
  });

  it('is the same for any number of threads', async () => {
    const one = await analyzeLogs({ inputs: [path], threads: 1 });
    expect(one.attacks.map((a) => [a.id, a.inBrief])).toEqual(report.attacks.map((a) => [a.id, a.inBrief]));
  });
});

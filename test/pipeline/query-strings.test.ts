import { describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../dist/src/index.js';
import { queryLog, run } from '../helpers.js';

describe('query strings of a URL under attack', () => {
  const { path, busting } = queryLog();

  it('tells a cache-busting flood (a new query string on every request) from one repeated request', async () => {
    const r = await analyzeLogs({ inputs: [path], threads: 2 });
    const root = r.attacks.find((a) => a.signature === 'http.repeated-url' && a.target === '/')!;
    const search = r.attacks.find((a) => a.signature === 'http.repeated-url' && a.target === '/search')!;
    expect(root.queries!.cacheBusting).toBe(true);
    expect(root.queries!.share).toBeGreaterThanOrEqual(0.99);
    // 36,000 distinct, estimated (HyperLogLog, p = 10: ~3 %).
    expect(Math.abs(root.queries!.distinct - busting.size) / busting.size).toBeLessThan(0.06);
    expect(root.queries!.examples).toHaveLength(3);
    for (const e of root.queries!.examples) expect(busting.has(e)).toBe(true);
    expect(search.queries).toEqual({ share: 1, distinct: 1, cacheBusting: false, examples: ['q=same'] });
    // Every attack on a URL without query strings, and every other kind, has none.
    for (const a of r.attacks) if (a.target !== '/' && a.target !== '/search') expect(a.queries).toBeUndefined();
  });

  it("splits the share of 5xx answers during a URL flood: its own requests', the rest of the site's", async () => {
    const r = await analyzeLogs({ inputs: [path], threads: 2 });
    const root = r.attacks.find((a) => a.signature === 'http.repeated-url' && a.target === '/')!;
    const search = r.attacks.find((a) => a.signature === 'http.repeated-url' && a.target === '/search')!;
    // 36,000 requests on / (9,000 answered 503) among 62,400 in those minutes; none before.
    expect(root.serverErrors).toEqual({ share: 0.144, before: 0, target: 0.25, rest: 0 });
    // /search's own 24,000 all answered; the rest of the site's 38,400 hold the 9,000.
    expect(search.serverErrors).toEqual({ share: 0.144, before: 0, target: 0, rest: 0.234 });
    const { stdout } = await run([path]);
    expect(stdout).toContain("server errors (5xx): 14 % of all requests meanwhile (25 % of its own, 0 % of the rest of the site's), 0 % in the hour before");
  });

  it('is the same for any number of threads, and said in the text report', async () => {
    const one = await analyzeLogs({ inputs: [path], threads: 1 });
    const three = await analyzeLogs({ inputs: [path], threads: 3 });
    expect(three.attacks.map((a) => a.queries)).toEqual(one.attacks.map((a) => a.queries));
    const { stdout, code } = await run([path]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/query strings: on 100 % of its requests, ~3\d,\d{3} distinct: a different one on nearly every request — cache-busting/);
    expect(stdout).toContain('query strings: on 100 % of its requests, 1 distinct; e.g. ?q=same');
  });
});

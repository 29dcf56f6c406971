/**
 * The HTML report in a real browser: Debian's Chromium driven by playwright-core. Skips,
 * saying why, only where Chromium is not installed (.ci/run installs it).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { generateCapture, writePcap } from '../../dist/src/index.js';
import { ROOT, botnetLog, generated, pollerLog, queryLog, run, silentLog, tmp, visitorsLog } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
if (!HAVE) console.warn(`floodscope: ${CHROMIUM} not found: the browser tests of the HTML report are skipped (.ci/run installs Debian's chromium)`);
const OUT = join(ROOT, 'test-output');

describe.skipIf(!HAVE)('HTML report in Chromium', () => {
  let browser: Browser;
  const pages: Record<string, string> = {};

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const d = tmp();
    const log = generated();
    pages.log = join(d, 'log.html');
    expect((await run(['-q', '--format', 'html', '-o', pages.log, '--blocklist', `plain=${join(d, 'b.txt')}`, log.path])).code).toBe(0);
    const cap = join(d, 'syn.pcap');
    writeFileSync(cap, writePcap(generateCapture(42, 0.25).packets));
    pages.capture = join(d, 'capture.html');
    expect((await run(['-q', '--html', pages.capture, '--format', 'json', '-o', join(d, 'c.json'), cap])).code).toBe(0);
    mkdirSync(OUT, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it.each(['log', 'capture'])('the %s report renders without console errors, with a drawn timeline, a section and a shaded span per attack', async (kind) => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    // No network: every request the page makes other than its own file fails the test.
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) requests.push(r.url());
    });
    await page.goto(`file://${pages[kind]}`);
    await page.waitForSelector('#timeline canvas');
    const box = await page.locator('#timeline canvas').first().boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(box!.height).toBeGreaterThan(100);
    const report = JSON.parse((await page.locator('#report').textContent())!) as { attacks: { id: number; attack: boolean; signature: string; episodeOf?: number }[] };
    expect(report.attacks.length).toBeGreaterThan(0);
    for (const a of report.attacks) {
      // A later episode of a finding is a row of the first's section.
      await expect(page.locator(`#attack-${a.episodeOf ?? a.id}`).count()).resolves.toBe(1);
      if (a.attack) {
        const span = await page.locator(`.span[data-attack="${a.id}"]`).boundingBox();
        expect(span!.width).toBeGreaterThan(1);
      }
    }
    expect(await page.locator('#verdict').textContent()).toMatch(/attack finding/);
    await page.screenshot({ path: join(OUT, `html-${kind}.png`), fullPage: true });
    // Dark theme renders too.
    await page.click('#theme');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.screenshot({ path: join(OUT, `html-${kind}-dark.png`) });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('sorts a table when its header is clicked', async () => {
    const page = await browser.newPage();
    await page.goto(`file://${pages.log}`);
    const table = page.locator('section.attack[data-signature="http.repeated-url"] table').first();
    const counts = async () => (await table.locator('tbody tr td:nth-child(2)').allTextContents()).map((x) => Number(x.replace(/,/g, '')));
    await table.locator('th', { hasText: 'requests' }).click(); // numbers sort descending first
    const desc = await counts();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await table.locator('th', { hasText: 'requests' }).click();
    const asc = await counts();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    expect(asc[0]).toBeLessThan(asc[asc.length - 1]!);
    await page.close();
  });

  it('shows block list entries with a copy button, countries and the DB-IP attribution', async () => {
    const page = await browser.newPage();
    await page.goto(`file://${pages.log}`);
    const flood = page.locator('section.attack[data-signature="http.repeated-url"]');
    expect(await flood.locator('.blocklist textarea').inputValue()).toMatch(/\/24 # http\./);
    await flood.locator('button.copy').click();
    await expect(flood.locator('button.copy').textContent()).resolves.toBe('copied');
    expect(await flood.locator('.countries').textContent()).toMatch(/%/);
    // The flood's two attacking /24s, each dense enough to show as its /16 too.
    expect(await flood.locator('.dense').textContent()).toMatch(/\.0\.0\/16.*sources.*\.0\.0\/16/);
    expect(await page.textContent('body')).toMatch(/IP geolocation by DB-IP/);
    await page.close();
  });

  it('marks the top sources the block list leaves out: visitors caught in the flood', async () => {
    const { path, visitors, bots } = visitorsLog();
    const html = join(tmp(), 'visitors.html');
    expect((await run(['-q', '--html', html, '--format', 'json', '-o', join(tmp(), 'v.json'), path])).code).toBe(0);
    const page = await browser.newPage();
    await page.goto(`file://${html}`);
    const table = page.locator('section.attack[data-signature="http.repeated-url"] table').first();
    const head = await table.locator('thead th').allTextContents();
    const col = head.findIndex((h) => h.startsWith('not blocked')) + 1;
    expect(col).toBeGreaterThan(0);
    const rows = await table.locator('tbody tr').evaluateAll((trs, c) => trs.map((tr) => [tr.children[0]!.textContent, tr.children[c - 1]!.textContent]), col);
    expect(rows.length).toBe(bots.length + visitors.size);
    for (const [ip, note] of rows) expect([ip, note]).toEqual([ip, visitors.has(ip!) ? 'visitor' : '']);
    await page.close();
  });

  it('says when an attack was under way as the input began (a log rotated mid-flood)', async () => {
    const g = generated();
    const lines = g.text.split('\n');
    const from = lines.findIndex((l) => l.includes('/wp-login.php') && l.includes(':09:17:'));
    expect(from).toBeGreaterThan(0);
    const p = join(tmp(), 'mid.log');
    writeFileSync(p, lines.slice(from).join('\n'));
    const html = join(tmp(), 'mid.html');
    expect((await run(['-q', '--html', html, '--format', 'json', '-o', join(tmp(), 'm.json'), p])).code).toBe(0);
    const page = await browser.newPage();
    await page.goto(`file://${html}`);
    const flood = page.locator('section.attack[data-signature="http.repeated-url"]').first();
    expect(await flood.textContent()).toContain('under way when the input begins: it began then or earlier');
    await page.close();
  });

  it('says when the log is silent (the server down) under the timeline and on the attacks at its edges', async () => {
    const p = join(tmp(), 'down.log');
    writeFileSync(p, silentLog(Date.UTC(2026, 10, 20, 2) / 1000, [1200, 2400]));
    const html = join(tmp(), 'down.html');
    expect((await run(['-q', '--html', html, '--format', 'json', '-o', join(tmp(), 'd.json'), p])).code).toBe(0);
    const page = await browser.newPage();
    await page.goto(`file://${html}`);
    expect(await page.locator('#silences').textContent()).toBe(
      'log silent 2026-11-20T02:20:00+00:00 → 2026-11-20T02:39:59+00:00 (1,200 s): nothing logged after 82 req/s — the server down or restarting, or its logging stopped?',
    );
    // The flood before and after the silence: two episodes of one finding, in one section; the
    // second's edge beside it in the episodes table.
    const floods = page.locator('section.attack[data-signature="http.repeated-url"]');
    expect(await floods.count()).toBe(1);
    expect(await floods.locator('p.failing').first().textContent()).toBe('the log falls silent at 2026-11-20T02:20:00+00:00 for 1,200 s: not seen to end');
    const second = floods.locator('table').first().locator('tbody tr').nth(1);
    expect(await second.locator('td').last().textContent()).toBe('under way when the log resumes after 1,200 s of silence (2026-11-20T02:20:00+00:00 → 2026-11-20T02:39:59+00:00): it began then or earlier');
    await page.close();
  });

  it('says what the query strings of a URL under attack are (a new one on every request is cache-busting), and its 5xx apart from the rest of the site\'s', async () => {
    const { path, busting } = queryLog();
    const html = join(tmp(), 'queries.html');
    expect((await run(['-q', '--html', html, '--format', 'json', '-o', join(tmp(), 'q.json'), path])).code).toBe(0);
    const page = await browser.newPage();
    await page.goto(`file://${html}`);
    const floods = page.locator('section.attack[data-signature="http.repeated-url"] p.queries');
    const [root, search] = [(await floods.nth(0).textContent())!, (await floods.nth(1).textContent())!];
    expect(root).toMatch(/^query strings: on 100 % of its requests, ~3\d,\d{3} distinct: a different one on nearly every request — cache-busting/);
    expect(busting.has(root.split('e.g. ?')[1]!.split(',')[0]!)).toBe(true);
    expect(await floods.nth(0).getAttribute('class')).toBe('queries failing');
    expect(search).toBe('query strings: on 100 % of its requests, 1 distinct; e.g. ?q=same');
    // Its 5xx answers apart from the rest of the site's.
    expect(await page.locator('section.attack[data-signature="http.repeated-url"]').nth(0).textContent()).toContain(
      "server errors (5xx): 14.4 % of all requests meanwhile (25 % of its own, 0 % of the rest of the site's), 0 % in the hour before",
    );
    await page.close();
  });

  it('shows the episodes of a finding as a table in one section, and points a finding on the same traffic, or part of it, to the first', async () => {
    const log = join(tmp(), 'poller.log');
    writeFileSync(log, pollerLog());
    const html = join(tmp(), 'poller.html');
    const json = join(tmp(), 'poller.json');
    expect((await run(['-q', '--html', html, '--format', 'json', '-o', json, log])).code).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8')) as { attacks: { id: number; signature: string; target: string; episodeOf?: number }[] };
    const ids = (sig: string, target: string) => r.attacks.filter((a) => a.signature === sig && a.target === target).map((a) => a.id);
    const page = await browser.newPage();
    await page.goto(`file://${html}`);
    const [first, ...later] = ids('http.source-rate', '203.0.113.7');
    const poller = page.locator(`#attack-${first}`);
    expect(await poller.locator('p.episodes').textContent()).toBe('5 episodes, 3,000 requests in all; the first in detail below');
    expect(await poller.locator('table').first().locator('tbody tr').count()).toBe(5);
    for (const id of later) expect(await page.locator(`#attack-${id}`).count()).toBe(0);
    const [flood] = ids('http.repeated-url', '/x');
    const [same] = ids('http.empty-referrer', '/x');
    const sec = page.locator(`#attack-${same}`);
    expect(await sec.locator('p.same-traffic').textContent()).toBe('the same traffic as http.repeated-url on /x: its sources, countries and texts are listed there');
    expect(await sec.locator('p.same-traffic a').getAttribute('href')).toBe(`#attack-${flood}`);
    expect(await sec.locator('table').count()).toBe(0);
    expect(await page.locator(`#attack-${flood} table`).count()).toBe(1);
    const [bot] = ids('http.source-rate', '203.0.113.50');
    const part = page.locator(`#attack-${bot} p.part-of`);
    expect(await part.textContent()).toBe('part of http.repeated-url on /x: 2,250 of its 14,250 requests came from this address');
    expect(await part.locator('a').getAttribute('href')).toBe(`#attack-${flood}`);
    await page.close();
  });

  it('shows the ten most severe and heaviest of many addresses over their limit in full, the rest one row each', async () => {
    const log = join(tmp(), 'botnet.log');
    writeFileSync(log, botnetLog());
    const html = join(tmp(), 'botnet.html');
    const json = join(tmp(), 'botnet.json');
    expect((await run(['-q', '--html', html, '--format', 'json', '-o', json, log])).code).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8')) as { attacks: { id: number; signature: string; target: string; requests: number; inBrief?: true }[] };
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`file://${html}`);
    const shown = r.attacks.filter((a) => a.signature === 'http.source-rate' && !a.inBrief);
    const brief = r.attacks.filter((a) => a.inBrief);
    expect([shown.length, brief.length]).toEqual([10, 40]);
    for (const a of shown) expect(await page.locator(`#attack-${a.id}`).count()).toBe(1);
    for (const a of brief.slice(0, 5)) expect(await page.locator(`#attack-${a.id}`).count()).toBe(0);
    const sec = page.locator('section.brief[data-signature="http.source-rate"]');
    expect(await sec.locator('h3').textContent()).toBe('http.source-rate — 40 more addresses, one row each');
    const rows = sec.locator('tbody tr');
    expect(await rows.count()).toBe(40);
    // Heaviest first: the first row is a brief finding with the most requests.
    const top = Math.max(...brief.map((a) => a.requests));
    expect(brief.filter((a) => a.requests === top).map((a) => a.target)).toContain(await rows.first().locator('td').first().textContent());
    expect(errors).toEqual([]);
    await page.close();
  });

  it('is readable on a phone-sized screen', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`file://${pages.capture}`);
    await page.waitForSelector('#timeline canvas');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(OUT, 'html-capture-phone.png'), fullPage: true });
    await page.close();
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../dist/src/index.js';
import { NO_REQUEST_NOTE } from '../../dist/src/report/report.js';
import { run, tmp } from '../helpers.js';

/**
 * 16 minutes of 4 req/s browsing from 300 addresses; from minute 8 to 12 two addresses hold
 * connections open without sending a request (Slowloris), which the server closes at its
 * timeout: 20 lines a second each with no request line — `"-" 408` (Apache) or `"" 400`
 * (nginx) — and, its workers taken, it answers half of the visitors' requests 503.
 */
function slowLog(noRequest: string): string {
  const rows: string[] = [];
  for (let s = 0; s < 16 * 60; s++) {
    const t = `20/Nov/2026:10:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000`;
    const attack = s >= 8 * 60 && s < 12 * 60;
    for (let k = 0; k < 4; k++) {
      const n = (s * 7 + k * 13) % 300;
      const status = attack && k % 2 === 0 ? '503 299' : '200 900';
      rows.push(`81.2.${Math.floor(n / 250)}.${(n % 250) + 1} - - [${t}] "GET /p/${(s + k) % 20} HTTP/1.1" ${status} "https://example.org/" "Mozilla/5.0 Firefox/118.0"`);
    }
    if (attack) for (const a of ['45.9.20.7', '45.9.31.23']) for (let k = 0; k < 20; k++) rows.push(`${a} - - [${t}] ${noRequest} "-" "-"`);
  }
  const p = join(tmp(), 'slow.log');
  writeFileSync(p, rows.join('\n') + '\n');
  return p;
}

describe('connections that sent no request (Slowloris): said for what they are', () => {
  it.each([
    ['Apache', '"-" 408 -', '-'],
    ['nginx', '"" 400 0', ''],
  ])('%s: the findings on the empty request line and on its sources carry the note', async (_server, line, target) => {
    const p = slowLog(line);
    const r = await analyzeLogs({ inputs: [p], threads: 2 });
    const noted = r.attacks.filter((a) => a.note !== undefined).map((a) => [a.signature, a.target]);
    expect(noted.sort()).toEqual([
      ['http.empty-referrer', target],
      ['http.source-rate', '45.9.20.7'],
      ['http.source-rate', '45.9.31.23'],
    ]);
    for (const a of r.attacks) if (a.note !== undefined) expect(a.note).toBe(NO_REQUEST_NOTE);
    const text = await run([p]);
    expect(text.stdout).toContain(`  note: ${NO_REQUEST_NOTE}`);
    expect(text.stdout).toMatch(new RegExp(`^(LOW|MEDIUM|HIGH) +http\\.empty-referrer  ${target === '' ? '""' : '-'}$`, 'm'));
  });

  it('says how much the server failed (5xx) each minute and during each attack, and names no proxy: the heavy addresses are the attackers', async () => {
    const p = slowLog('"-" 408 -');
    const r = await analyzeLogs({ inputs: [p], threads: 2 });
    // 120 of the 2,640 requests of each attack minute were answered 503; none before or after.
    expect(r.timeline.serverErrors).toEqual(r.timeline.counts.map((_, m) => (m >= 8 && m < 12 ? 120 : 0)));
    expect(r.timeline.counts.slice(7, 9)).toEqual([240, 2640]);
    // On the URL alert ("-": the connections, answered 408), split: none of its own, half of the
    // rest of the site's — the visitors are the ones failing.
    for (const a of r.attacks) expect(a.serverErrors).toEqual(a.targetKind === 'url' ? { share: 0.045, before: 0, target: 0, rest: 0.5 } : { share: 0.045, before: 0 });
    // The two attackers carried 71 % of the requests, but the findings name them: no proxy warning.
    expect(r.input.warnings).toEqual([]);
    const text = (await run([p])).stdout;
    expect(text).toContain('Requests per minute (+0000), with the share the server answered 5xx\n');
    expect(text).toMatch(/^10:08 {2}\S+ 2,640 {2}5xx 4\.5 %$/m);
    expect(text).toMatch(/^10:07 {2}\S+ 240$/m);
    expect(text).toContain('  server errors (5xx): 4.5 % of all requests meanwhile, 0 % in the hour before\n');
  });

  it('a URL flood has no such note', async () => {
    const rows: string[] = [];
    for (let s = 0; s < 16 * 60; s++) {
      const t = `20/Nov/2026:10:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0000`;
      rows.push(`81.2.0.${(s % 250) + 1} - - [${t}] "GET /p/${s % 20} HTTP/1.1" 200 900 "https://example.org/" "Mozilla/5.0 Firefox/118.0"`);
      if (s >= 8 * 60 && s < 12 * 60) for (let k = 0; k < 30; k++) rows.push(`45.9.${k}.${(s % 200) + 1} - - [${t}] "GET /login HTTP/1.1" 200 100 "-" "curl/8.0"`);
    }
    const p = join(tmp(), 'flood.log');
    writeFileSync(p, rows.join('\n') + '\n');
    const r = await analyzeLogs({ inputs: [p], threads: 2 });
    expect(r.attacks.map((a) => a.target)).toContain('/login');
    expect(r.attacks.filter((a) => a.note !== undefined)).toEqual([]);
  });
});

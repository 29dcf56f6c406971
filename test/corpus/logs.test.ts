/**
 * Every real third-party log in ../shared/corpus/logs (see its SOURCES.md): no crash,
 * line/parsed/malformed counts as recorded here (cross-checked against the counts in
 * SOURCES.md), and the detection outcomes the corpus is known for.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeLogs, type Report } from '../../dist/src/index.js';
import { CORPUS, HAVE_CORPUS, NO_CORPUS_MESSAGE, run } from '../helpers.js';

type Expect = { format: string; lines: number; parsed: number; malformed: number; blank: number } | { exit: number };

const EXPECTED: [string, Expect][] = [
  ['crowdsec-hub_apache-http-probing.log', { format: 'common', lines: 77, parsed: 77, malformed: 0, blank: 0 }],
  ['crowdsec-hub_apache2-logs.log', { format: 'combined', lines: 9, parsed: 4, malformed: 5, blank: 0 }],
  ['crowdsec-hub_apache2-malformed.log', { format: 'combined', lines: 11, parsed: 11, malformed: 0, blank: 0 }],
  ['crowdsec-hub_calibre-web-logs-ipv6.log', { format: 'combined', lines: 16, parsed: 16, malformed: 0, blank: 0 }],
  ['crowdsec-hub_http-dos-invalid-http-versions.log', { format: 'combined', lines: 6, parsed: 6, malformed: 0, blank: 0 }],
  ['crowdsec-hub_http-dos-switching-ua.log', { format: 'combined', lines: 15, parsed: 15, malformed: 0, blank: 0 }],
  ['crowdsec-hub_http_dos_bypass_cache.log', { format: 'combined', lines: 356, parsed: 356, malformed: 0, blank: 0 }],
  ['crowdsec-hub_http_dos_random_uri.log', { format: 'combined', lines: 66, parsed: 66, malformed: 0, blank: 0 }],
  ['crowdsec-hub_ipv6-postoverflow.log', { format: 'combined', lines: 2, parsed: 2, malformed: 0, blank: 0 }],
  ['crowdsec-hub_nginx-http-malformed.log', { format: 'combined', lines: 12, parsed: 12, malformed: 0, blank: 0 }],
  ['crowdsec-hub_nginx_http-logs.log', { format: 'combined', lines: 9, parsed: 4, malformed: 5, blank: 0 }],
  // An nginx error log, not an access log: refused with what was tried.
  ['crowdsec-hub_nginx_req_limit_exceeded.log', { exit: 2 }],
  ['ddoser_test_data_access.log', { format: 'combined', lines: 858, parsed: 858, malformed: 0, blank: 0 }],
  ['dottxt-demos_access-10k.log', { format: 'nginx_main', lines: 10000, parsed: 10000, malformed: 0, blank: 0 }],
  ['elastic-examples_apache_logs', { format: 'combined', lines: 10000, parsed: 9999, malformed: 1, blank: 0 }],
  ['fail2ban_apache-badbots.log', { format: 'combined', lines: 11, parsed: 3, malformed: 5, blank: 3 }],
  ['fail2ban_apache-fakegooglebot.log', { format: 'vhost_combined', lines: 7, parsed: 1, malformed: 6, blank: 0 }],
  ['fail2ban_apache-pass.log', { format: 'combined', lines: 2, parsed: 1, malformed: 1, blank: 0 }],
  ['fail2ban_nginx-bad-request.log', { format: 'nginx_main', lines: 23, parsed: 8, malformed: 8, blank: 7 }],
  ['fail2ban_nginx-botsearch.log', { format: 'nginx_main', lines: 43, parsed: 8, malformed: 21, blank: 14 }],
  ['fail2ban_nginx-limit-req.log', { exit: 2 }],
  ['fail2ban_php-url-fopen.log', { format: 'combined', lines: 2, parsed: 1, malformed: 1, blank: 0 }],
  ['fail2ban_traefik-auth.log', { format: 'combined', lines: 23, parsed: 6, malformed: 10, blank: 7 }],
  ['lnav_logfile_access_log.0', { format: 'combined', lines: 3, parsed: 3, malformed: 0, blank: 0 }],
  ['lnav_logfile_bad_access_log.0', { format: 'combined', lines: 3, parsed: 2, malformed: 1, blank: 0 }],
  ['webserver_attack_clasification_access.log', { format: 'combined', lines: 1791, parsed: 1791, malformed: 0, blank: 0 }],
];

const logs = (name: string) => join(CORPUS, 'logs', name);

describe.skipIf(!HAVE_CORPUS)('corpus logs', () => {
  it('has an expectation for every file in the corpus', () => {
    expect(readdirSync(join(CORPUS, 'logs')).sort()).toEqual(EXPECTED.map(([n]) => n).sort());
  });

  it.each(EXPECTED)('%s', async (name, exp) => {
    const r = await run(['--format', 'json', '-q', '--threads', '2', logs(name)]);
    if ('exit' in exp) {
      expect(r.code).toBe(exp.exit);
      expect(r.stderr).toMatch(/no known log format fits .* \(tried nginx_main, vhost_combined, combined, common\)/);
      return;
    }
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as Report;
    const f = rep.input.files[0]!;
    expect({ format: rep.input.format, lines: f.lines, parsed: f.parsed, malformed: f.malformed, blank: f.blank }).toEqual(exp);
    expect(rep.input.malformedSamples.length).toBe(Math.min(10, f.malformed));
  });

  it('elastic-examples_apache_logs (3 days of a real site) yields no attack; its truncated line 8899 is sampled', async () => {
    const rep = await analyzeLogs({ inputs: [logs('elastic-examples_apache_logs')] });
    expect(rep.attacks).toEqual([]);
    expect(rep.summary.verdict).toBe('no attack found');
    expect(rep.input.malformedSamples).toEqual([{ file: logs('elastic-examples_apache_logs'), line: 8899, reason: expect.stringMatching(/unterminated quoted field %\{User-Agent\}i/) }]);
    // It holds one minute of every hour (:05): the other 59 are silences, said in one line.
    expect(rep.input.silences).toHaveLength(83);
    expect(rep.input.silences.every((x) => ['05', '06'].includes(x.start.slice(14, 16)) && x.seconds >= 3540 && x.seconds < 3600)).toBe(true);
    const text = await run(['-q', logs('elastic-examples_apache_logs')]);
    expect(text.stdout.split('\n').filter((l) => l.startsWith('Silent'))).toEqual([
      'Silent   83 times, 81h 37m 25s in all (98 % of the span), the longest 59m 2s from 2015-05-17 16:06:00: a log with gaps (sampled or filtered?), or a server often down; each in --format json',
    ]);
  });

  it('ddoser_test_data_access.log yields an alert naming 192.236.195.162', async () => {
    const rep = await analyzeLogs({ inputs: [logs('ddoser_test_data_access.log')] });
    const named = rep.attacks.filter((a) => a.attack && (a.target === '192.236.195.162' || a.topSources[0]?.ip === '192.236.195.162'));
    expect(named.length).toBeGreaterThan(0);
    const src = rep.attacks.find((a) => a.signature === 'http.source-rate')!;
    expect(src.target).toBe('192.236.195.162');
    expect(src.requests).toBe(655);
    expect(src.start).toBe('2023-07-18T13:44:16+00:00');
    // Its heaviest source, not another attack: linked to the flood on / it sent most of.
    const flood = rep.attacks.find((a) => a.signature === 'http.empty-referrer' && a.target === '/')!;
    expect(rep.attacks.filter((a) => a.signature === 'http.source-rate').map((a) => [a.target, a.partOf])).toEqual([
      ['192.236.195.162', { id: flood.id, count: 655 }],
      ['192.236.195.112', { id: flood.id, count: 102 }],
      ['192.236.194.162', { id: flood.id, count: 99 }],
    ]);
  });

  it("CrowdSec's HTTP DoS fixtures, a second or two of a flood each, are found (rates over the part of the window they cover)", async () => {
    const cache = await analyzeLogs({ inputs: [logs('crowdsec-hub_http_dos_bypass_cache.log')] });
    // Cache-busting query strings ("/?8890121518") are one URL: the path.
    expect(cache.attacks.find((a) => a.signature === 'http.repeated-url')).toMatchObject({ target: '/', requests: 356, distinctSources: 14 });
    const random = await analyzeLogs({ inputs: [logs('crowdsec-hub_http_dos_random_uri.log')] });
    expect(random.attacks.map((a) => [a.signature, a.target, a.requests])).toEqual([['http.source-rate', '127.0.0.1', 66]]);
  });

  it('dottxt (40 minutes of a busy real shop, heavy crawlers) yields no attack, same for any thread count', async () => {
    const one = await analyzeLogs({ inputs: [logs('dottxt-demos_access-10k.log')], threads: 1 });
    const four = await analyzeLogs({ inputs: [logs('dottxt-demos_access-10k.log')], threads: 4 });
    expect(one.summary.attacks).toBe(0);
    expect(one.input.timeZone).toBe('+0330');
    expect(JSON.stringify(four)).toBe(JSON.stringify(one));
  });

  it('reads timestamps without a zone as UTC, with one warning', async () => {
    const rep = await analyzeLogs({ inputs: [logs('fail2ban_apache-pass.log')] });
    expect(rep.input.warnings).toEqual(['1 timestamp has no zone offset; read as UTC']);
    expect(rep.input.start).toBe('2013-06-27T11:55:44+00:00');
  });

  it('normalises IPv6 clients', async () => {
    const rep = await analyzeLogs({ inputs: [logs('crowdsec-hub_ipv6-postoverflow.log')], detect: { sourceRate: 0.01 } });
    expect(rep.summary.topSources[0]!.ip).toBe('2001:db8:85a3::8a2e:370:7334');
  });
});

if (!HAVE_CORPUS) {
  console.warn(`floodscope: ${NO_CORPUS_MESSAGE}`);
  describe('corpus logs', () => {
    it.skip(NO_CORPUS_MESSAGE, () => {});
  });
}

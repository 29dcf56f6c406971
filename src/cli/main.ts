/**
 * argv → options → library call → output. The only place that decides exit codes:
 *
 *   0  success (attacks found or not, unless --fail-on-attack)
 *   1  internal error (a bug: please report it)
 *   2  usage error, or an input that cannot be read at all (missing file, format that
 *      fits nothing, a malformed line under --strict)
 *   3  --fail-on-attack and at least one attack (info findings do not count)
 *   4  an input ended damaged (truncated or corrupt gzip, read error): the report of
 *      everything read is still printed
 */
import { accessSync, constants, existsSync, fstatSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { analyze, defaultThreads, resolveInputs, type AnalyzeOptions, type LiveEvent, type Progress } from '../pipeline/analyze.js';
import type { AttackReport, Report } from '../report/report.js';
import type { PacketAttackReport, PacketReport } from '../report/packet-report.js';
import { describeExclusion, parseAllow } from '../geo/blocklist.js';
import { printable } from '../report/printable.js';
import { applyHint, BLOCKLIST_FORMATS, renderBlocklist, type BlocklistFormat } from '../sinks/blocklist.js';
import { InputError } from '../sources/errors.js';
import { compactJsonPieces, jsonPieces } from '../sinks/json.js';
import { renderText } from '../sinks/text.js';
import { renderPacketText } from '../sinks/packet-text.js';
import { renderHtml } from '../sinks/html.js';
import { eventLine, silenceEventText } from '../sinks/event-text.js';
import { DEFAULT_DETECT, type DetectConfig } from '../detectors/config.js';
import { DEFAULT_PACKET_DETECT, type PacketDetectConfig } from '../detectors/packet.js';
import { AlertActions } from '../live/actions.js';
import { Metrics, parseListen } from '../live/metrics.js';
import { VERSION } from '../version.js';
import { liveChunk } from './runtime.js';

/** Block-list exclusions said on stderr; the rest are in the file's comments and the JSON. */
const MAX_EXCLUSION_NOTICES = 10;

export const EXIT = { OK: 0, INTERNAL: 1, USAGE: 2, ATTACK: 3, DAMAGED: 4, INTERRUPTED: 130, PIPE: 141 } as const;

const HELP = `floodscope ${VERSION} — what is being attacked, by whom, since when: DDoS analysis of access logs and packet captures

Usage:
  floodscope [options] [FILE|GLOB|-]...     analyze logs or captures (plain or gzip; stdin when piped or "-")
  floodscope bench [--lines N]              detection throughput benchmark (also: npm run bench)

Input:
  --log-format FMT     preset (combined, common, vhost_combined, nginx, nginx_main), an Apache
                       LogFormat string, e.g. '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
                       or an nginx log_format string, e.g. '$remote_addr [$time_iso8601] "$request" $status'
                       (default: detected from the first lines; a JSON log's from its keys)
  --client-ip MODE     remote (default) or xff: the right-most X-Forwarded-For address
                       that is not in --trusted-proxies
  --trusted-proxies L  comma-separated addresses/CIDRs of your own proxies
  --strict             a malformed line is fatal (exit 2)

Detection (rates are requests per second averaged over the window):
  --window D           sliding window width (default ${DEFAULT_DETECT.window}s)
  --step D             window step and bucket width (default ${DEFAULT_DETECT.step}s)
  --lateness D         event-time lateness allowed before a step is sealed (default ${DEFAULT_DETECT.lateness}s)
  --quiet N            steps without firing before an alert closes (default ${DEFAULT_DETECT.quiet})
  --url-min-rate R     http.repeated-url: minimum rate on one URL (default ${DEFAULT_DETECT.urlMinRate})
  --url-factor F       … times above its baseline (default ${DEFAULT_DETECT.urlFactor})
  --url-share S        … share of all requests (default ${DEFAULT_DETECT.urlMinShare})
  --url-min-sources N  … distinct sources (default ${DEFAULT_DETECT.urlMinSources})
  --source-rate R      http.source-rate: one address above R req/s (default ${DEFAULT_DETECT.sourceRate})
  --prefix-rate R      http.prefix-rate: one /24 or /64 above R req/s (default ${DEFAULT_DETECT.prefixRate})

Captures (pcap / pcapng, plain or gzip; rates are per second of the window's traffic):
  --syn-rate R         tcp.syn-flood: SYNs/s to one ip:port (default ${DEFAULT_PACKET_DETECT.synRate}), ≥ ${DEFAULT_PACKET_DETECT.halfOpenShare * 100}% left half-open
  --udp-rate R         udp.flood: UDP packets/s to one address (default ${DEFAULT_PACKET_DETECT.udpRate})
  --icmp-rate R        icmp.flood: ICMP/ICMPv6 packets/s to one address (default ${DEFAULT_PACKET_DETECT.icmpRate})
  --bandwidth BPS      net.bandwidth: bits/s to one address (default ${DEFAULT_PACKET_DETECT.bandwidthBps / 1e6}M)
  --amp-rate R         udp.amplification: reflected datagrams/s (default ${DEFAULT_PACKET_DETECT.ampRate})
  --connections N      tcp.conn-flood: concurrent connections from one source (default ${DEFAULT_PACKET_DETECT.connections})

Where from, and what to block:
  --geoip-db FILE      MaxMind-format country or city database (default: bundled DB-IP country lite)
  --asn-db FILE        MaxMind-format ASN database (AS number and organisation on each source)
  --no-geo             no geolocation
  --blocklist F[=FILE] write a block list: plain, ipset, nft, iptables or route (repeatable);
                       FILE "-" is stdout (the report then goes to stderr); default ./floodscope.F;
                       each file's header says how to load it (iptables: iptables-restore --noflush)
  --block-prefix P     auto (default: /24 when ≥ 4 of its addresses attack, /16 when ≥ 8 such /24s;
                       IPv6 /64 and /48), or 32|24|16 (IPv6 128|64|48)
  --block-ttl D        timeout of ipset and nft entries (default 1h)
  --allow L            never block these: a file of addresses/CIDRs (one per line) or a
                       comma-separated list; a prefix holding one is split into its members
  --block-private      also block private, loopback and other special-purpose addresses
  --block-info         also block sources of info findings (flash crowd, port scan)
  --block-regular      also block the site's regular sources (a tenth or more of the requests
                       before the attack, from the start: a proxy or CDN in front of the server,
                       a NAT, a crawler)
  --dry-run            say what would be blocked and what was left out, write no block list
  --suggest-limits     per-source rate limits (iptables hashlimit, nginx limit_req) from the
                       normal traffic, with how many attack and normal sources they would hit

Live (tail -F access.log | floodscope):
  --live               analyze as records arrive: piped stdin is live by default when no --format
                       or -o is given. stdout a terminal: a view refreshed each step; otherwise
                       NDJSON events (alert.open, alert.update, alert.close, window), or with
                       --live --format text a line per alert event; SIGINT or SIGTERM: flush,
                       print the final report (a last "report" event), exit 0
  --no-window-events   no per-step "window" events in NDJSON
  --update-interval D  an open alert's alert.update goes out when its severity rises, its peak
                       rate grew by a quarter, or D of event time passed since its last event
                       (default 60s; 0: every step)
  --shed               when input comes faster than it can be analyzed, skip whole chunks instead
                       of blocking the pipe (the default); the report and window events give the
                       share analyzed ("sampled") and the error it implies (logs)
  --follow             tail -F the files given (live): survives logrotate's rename+create and
                       copytruncate, deleted and recreated files, files that do not exist yet;
                       SIGHUP looks at the files again
  --from-start         with --follow, read what the files already hold first
  --on-alert CMD       run CMD (by /bin/sh -c) for each opened alert, the alert JSON on its stdin and
                       FLOODSCOPE_SIGNATURE, _TARGET, _SEVERITY, _START in its environment; its
                       output goes to stderr; at most 4 at a time, a failure is reported, never waited on
  --webhook URL        POST every alert event (alert.open/update/close) as JSON to URL, in order,
                       retried up to 3 times (5xx, 408, 429, no answer) with backoff
  --action-timeout D   time limit of one --on-alert run or one --webhook attempt (default 10s)
  --metrics [ADDR:]PORT  serve Prometheus metrics at http://ADDR:PORT/metrics (ADDR 127.0.0.1
                       unless given): lines and packets in, parse errors, lines shed, chunks in flight,
                       event-time lag, open alerts by signature, process metrics

Output:
  --format F           text (default), json or html (a self-contained page with charts)
  --html FILE          also write the HTML report to FILE, next to any other output
  -o, --output FILE    write the report to FILE instead of stdout
  --tz Z               zone for times: log (the log's own offset, default), UTC, or ±HH:MM
  --threads N          worker threads (default: available cores, here ${defaultThreads()})
  --fail-on-attack     exit 3 when an attack is found
  --no-progress        no progress bar on stderr
  -q, --quiet          no notices on stderr
  -h, --help           this help
  --version            print the version

Exit codes: 0 ok, 1 internal error, 2 usage or unreadable input, 3 attack found (--fail-on-attack),
4 input damaged (report of what was read still printed), 130 interrupted (Ctrl-C on a batch run:
report of what was read still printed; a second Ctrl-C quits at once), 141 stdout closed by its reader.
`;

/**
 * An output that cannot be written (a typo in its directory, no permission, a directory) is
 * said before the analysis, not after minutes of it, with the report nowhere.
 */
function checkOutputsWritable(outputs: { option: string; path: string }[]): void {
  for (const o of outputs) {
    if (o.path === '-') continue;
    const fail = (why: string) => {
      throw new InputError('FS_OUTPUT', o.path, `${o.option} ${o.path}: cannot be written (${why}); nothing was read`);
    };
    let st;
    try {
      st = statSync(o.path);
    } catch {
      st = null;
    }
    if (st?.isDirectory()) fail('it is a directory');
    try {
      accessSync(st !== null ? o.path : dirname(resolve(o.path)), constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      fail(code === 'ENOENT' ? `no directory ${dirname(resolve(o.path))}` : code === 'EROFS' ? 'read-only file system' : code === 'EACCES' ? 'permission denied' : (e as Error).message);
    }
  }
}

/**
 * An output file that is also an input (`floodscope access.log -o access.log`, a typo at
 * 3 a.m.) would replace the log being analyzed with its report: refuse before reading.
 * Compared by device and inode, so links and other spellings of the path count too.
 */
function refuseInputAsOutput(inputs: string[], outputs: { option: string; path: string }[]): void {
  const ids = new Map<string, string>();
  for (const spec of resolveInputs(inputs)) {
    if (spec.path === null) continue;
    try {
      const st = statSync(spec.path);
      ids.set(`${st.dev}:${st.ino}`, spec.name);
    } catch {
      // Missing inputs are reported when they are opened.
    }
  }
  for (const o of outputs) {
    if (o.path === '-') continue;
    let st;
    try {
      st = statSync(o.path);
    } catch {
      continue; // not there yet: cannot be an input
    }
    const input = ids.get(`${st.dev}:${st.ino}`);
    if (input !== undefined) throw new InputError('FS_OUTPUT_IS_INPUT', o.path, `${o.option} ${o.path}: is the input ${input}; writing it would replace the log with the report. Choose another file.`);
  }
}

const OPTIONS = {
  'log-format': { type: 'string' },
  'client-ip': { type: 'string' },
  'trusted-proxies': { type: 'string' },
  strict: { type: 'boolean' },
  window: { type: 'string' },
  step: { type: 'string' },
  lateness: { type: 'string' },
  quiet: { type: 'string' },
  'url-min-rate': { type: 'string' },
  'url-factor': { type: 'string' },
  'url-share': { type: 'string' },
  'url-min-sources': { type: 'string' },
  'source-rate': { type: 'string' },
  'prefix-rate': { type: 'string' },
  'syn-rate': { type: 'string' },
  'udp-rate': { type: 'string' },
  'icmp-rate': { type: 'string' },
  bandwidth: { type: 'string' },
  'amp-rate': { type: 'string' },
  connections: { type: 'string' },
  'geoip-db': { type: 'string' },
  'asn-db': { type: 'string' },
  'no-geo': { type: 'boolean' },
  blocklist: { type: 'string', multiple: true },
  'block-prefix': { type: 'string' },
  'block-ttl': { type: 'string' },
  allow: { type: 'string' },
  'block-private': { type: 'boolean' },
  'block-info': { type: 'boolean' },
  'block-regular': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'suggest-limits': { type: 'boolean' },
  format: { type: 'string' },
  html: { type: 'string' },
  live: { type: 'boolean' },
  'update-interval': { type: 'string' },
  follow: { type: 'boolean' },
  'from-start': { type: 'boolean' },
  'on-alert': { type: 'string' },
  webhook: { type: 'string' },
  'action-timeout': { type: 'string' },
  metrics: { type: 'string' },
  shed: { type: 'boolean' },
  'no-window-events': { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  tz: { type: 'string' },
  threads: { type: 'string' },
  'fail-on-attack': { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  quiet_: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

/**
 * `--tz -05:00`: a value that starts with a dash and a digit is the option's value (node's
 * parseArgs calls it ambiguous and asks for `--tz=-05:00`, which nobody types at 3 a.m.).
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    const next = argv[i + 1];
    if (name !== null && (OPTIONS as Record<string, { type: string }>)[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** Write the pieces to a stream, each after the one before has drained. */
async function writeAll(out: NodeJS.WriteStream, pieces: Iterable<string>): Promise<void> {
  for (const p of pieces) await new Promise<void>((resolve) => out.write(p, () => resolve()));
}

/** The final NDJSON event, JSON.stringify({ type: 'report', report }) in pieces (see jsonPieces). */
function* reportEvent(report: Report | PacketReport): Generator<string> {
  yield '{"type":"report","report":';
  yield* compactJsonPieces(report);
  yield '}\n';
}

function* prepend(first: string, rest: Iterable<string>): Generator<string> {
  yield first;
  yield* rest;
}

async function writeOut(path: string, text: string | Iterable<string>): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (e) {
    throw new InputError('FS_OUTPUT', path, `${path}: cannot write (${(e as Error).message})`);
  }
}

function actionTimeout(v: { 'action-timeout'?: string | undefined }): number {
  return v['action-timeout'] !== undefined ? parseDuration(v['action-timeout'], '--action-timeout') * 1000 : 10_000;
}

/** `--on-alert` and `--webhook`: they act on alerts as they open, so they need live mode. */
function alertActions(v: { 'on-alert'?: string | undefined; webhook?: string | undefined; 'action-timeout'?: string | undefined }, live: boolean, warn: (m: string) => void): AlertActions | null {
  if (v['on-alert'] === undefined && v.webhook === undefined) return null;
  const which = v['on-alert'] !== undefined ? '--on-alert' : '--webhook';
  if (!live) throw new InputError('FS_BAD_OPTION', '', `${which} acts on alerts as they open: use it in live mode (a pipe on stdin, --follow or --live)`);
  if (v.webhook !== undefined) {
    let u: URL;
    try {
      u = new URL(v.webhook);
    } catch {
      throw new InputError('FS_BAD_OPTION', '', `--webhook: not a URL: ${JSON.stringify(v.webhook)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InputError('FS_BAD_OPTION', '', `--webhook: http or https URL expected; got ${u.protocol}`);
  }
  return new AlertActions({ onAlert: v['on-alert'], webhook: v.webhook, timeoutMs: actionTimeout(v), warn });
}

/** "60", "60s", "2m", "1h" → seconds. */
export function parseDuration(s: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(s.trim());
  if (!m) throw new InputError('FS_BAD_OPTION', '', `${name}: expected a duration like 60s, 2m or 1h; got ${JSON.stringify(s)}`);
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
}

/** "100M", "1.5G", "200000" bits per second. */
function parseBps(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(s.trim());
  if (!m) throw new InputError('FS_BAD_OPTION', '', `--bandwidth: expected bits per second like 100M or 1G; got ${JSON.stringify(s)}`);
  const unit = m[2]!.toLowerCase();
  const bps = Number(m[1]) * (unit === 'g' ? 1e9 : unit === 'm' ? 1e6 : unit === 'k' ? 1e3 : 1);
  if (bps <= 0) throw new InputError('FS_BAD_OPTION', '', `--bandwidth must be above 0; got ${s}`);
  return bps;
}

function num(s: string, name: string): number {
  const v = Number(s);
  if (!Number.isFinite(v) || s.trim() === '') throw new InputError('FS_BAD_OPTION', '', `${name}: expected a number; got ${JSON.stringify(s)}`);
  return v;
}

/** A rate or factor: above 0 (0 or less would fire on everything). */
function positive(s: string, name: string): number {
  const v = num(s, name);
  if (v <= 0) throw new InputError('FS_BAD_OPTION', '', `${name} must be above 0; got ${s}`);
  return v;
}

/** A count: a whole number, at least 1. */
function count(s: string, name: string): number {
  const v = num(s, name);
  if (!Number.isInteger(v) || v < 1) throw new InputError('FS_BAD_OPTION', '', `${name} must be a whole number, at least 1; got ${s}`);
  return v;
}

class ProgressBar {
  private last = 0;
  private shown = false;
  constructor(private readonly stream: NodeJS.WriteStream) {}
  update(p: Progress): void {
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const mb = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
    let line: string;
    if (p.totalBytes) {
      const f = Math.min(1, p.rawBytes / p.totalBytes);
      const w = 30;
      const done = Math.round(f * w);
      line = `[${'#'.repeat(done)}${'-'.repeat(w - done)}] ${(f * 100).toFixed(0).padStart(3)}% ${mb(p.rawBytes)}/${mb(p.totalBytes)} ${p.lines.toLocaleString('en-US')} lines`;
    } else {
      line = `${mb(p.rawBytes)} read, ${p.lines.toLocaleString('en-US')} lines`;
    }
    this.stream.write(`\r${line}\x1b[K`);
    this.shown = true;
  }
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
  }
}

/** The live view on a terminal: redrawn each step, like top. */
class LiveView {
  private readonly open = new Map<number, AttackReport | PacketAttackReport>();
  private last: Extract<LiveEvent, { type: 'window' }> | null = null;
  private readonly log: string[] = [];
  event(e: LiveEvent): void {
    if (e.type === 'window') {
      this.last = e;
      this.draw();
      return;
    }
    if (e.type === 'log.silent' || e.type === 'log.resumed') {
      this.log.push(silenceEventText(e));
      this.draw();
      return;
    }
    if (e.type === 'alert.close') this.open.delete(e.alert.id);
    else this.open.set(e.alert.id, e.alert);
    if (e.type !== 'alert.update') this.log.push(`${e.alert.end.slice(11, 19)} ${e.type === 'alert.open' ? 'OPEN ' : 'CLOSE'} ${e.alert.severity.padEnd(6)} ${e.alert.signature} ${printable(e.alert.target)}`);
    this.draw();
  }
  private draw(): void {
    const w = this.last;
    const lines = [
      `floodscope live — ${w ? `${w.end}: ${w.rate} ${w.packets !== undefined ? 'packets' : 'req'}/s over the window, ${w.openAlerts} open alert(s), lag ${w.lagSeconds}s` : 'waiting for data'}   (Ctrl-C: final report)`,
      '',
      ...[...this.open.values()].flatMap((a) => [
        `${a.severity.toUpperCase().padEnd(6)} ${a.signature} ${printable(a.target)}  since ${a.start.slice(11, 19)}, peak ${a.peakRate}/s, ${'requests' in a ? `${a.requests} requests` : `${a.packets} packets`}, ~${a.distinctSources} sources`,
        ...a.topSources.slice(0, 3).map((t) => `         ${t.ip} ${t.country ?? ''} ${t.count}`),
      ]),
      '',
      ...this.log.slice(-10),
    ];
    process.stdout.write(`\x1b[H\x1b[2J${lines.join('\n')}\n`);
  }
  close(): void {
    process.stdout.write('\n');
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'bench') {
    const { runBench } = await import('../../bench/run.js');
    return runBench(argv.slice(1));
  }
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), allowPositionals: true, options: OPTIONS });
  } catch (e) {
    process.stderr.write(`floodscope: ${(e as Error).message}\nTry 'floodscope --help'.\n`);
    return EXIT.USAGE;
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(HELP);
    return EXIT.OK;
  }
  if (v.version) {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.OK;
  }
  const quietNotices = v.quiet_ === true;
  const notice = (m: string) => {
    if (!quietNotices) process.stderr.write(`floodscope: ${printable(m)}\n`);
  };
  try {
    const format = v.format ?? 'text';
    if (format !== 'text' && format !== 'json' && format !== 'html') throw new InputError('FS_BAD_OPTION', '', `--format must be text, json or html; got ${format}`);
    const clientIp = v['client-ip'] ?? 'remote';
    if (clientIp !== 'remote' && clientIp !== 'xff') throw new InputError('FS_BAD_OPTION', '', `--client-ip must be remote or xff; got ${clientIp}`);
    const detect: { [K in keyof DetectConfig]?: DetectConfig[K] } = {};
    if (v.window !== undefined) detect.window = parseDuration(v.window, '--window');
    if (v.step !== undefined) detect.step = parseDuration(v.step, '--step');
    if (v.lateness !== undefined) detect.lateness = parseDuration(v.lateness, '--lateness');
    if (v.quiet !== undefined) detect.quiet = count(v.quiet, '--quiet');
    if (v['url-min-rate'] !== undefined) detect.urlMinRate = positive(v['url-min-rate'], '--url-min-rate');
    if (v['url-factor'] !== undefined) detect.urlFactor = positive(v['url-factor'], '--url-factor');
    if (v['url-share'] !== undefined) {
      detect.urlMinShare = num(v['url-share'], '--url-share');
      if (!(detect.urlMinShare > 0 && detect.urlMinShare <= 1)) throw new InputError('FS_BAD_OPTION', '', `--url-share is a share of all requests, above 0 and at most 1 (0.2 = 20 %); got ${v['url-share']}`);
    }
    if (v['url-min-sources'] !== undefined) detect.urlMinSources = count(v['url-min-sources'], '--url-min-sources');
    if (v['source-rate'] !== undefined) detect.sourceRate = positive(v['source-rate'], '--source-rate');
    if (v['prefix-rate'] !== undefined) detect.prefixRate = positive(v['prefix-rate'], '--prefix-rate');
    const packetDetect: { [K in keyof PacketDetectConfig]?: PacketDetectConfig[K] } = {};
    if (detect.window !== undefined) packetDetect.window = detect.window;
    if (detect.step !== undefined) packetDetect.step = detect.step;
    if (detect.lateness !== undefined) packetDetect.lateness = detect.lateness;
    if (detect.quiet !== undefined) packetDetect.quiet = detect.quiet;
    if (v['syn-rate'] !== undefined) packetDetect.synRate = positive(v['syn-rate'], '--syn-rate');
    if (v['udp-rate'] !== undefined) packetDetect.udpRate = positive(v['udp-rate'], '--udp-rate');
    if (v['icmp-rate'] !== undefined) packetDetect.icmpRate = positive(v['icmp-rate'], '--icmp-rate');
    if (v.bandwidth !== undefined) packetDetect.bandwidthBps = parseBps(v.bandwidth);
    if (v['amp-rate'] !== undefined) packetDetect.ampRate = positive(v['amp-rate'], '--amp-rate');
    if (v.connections !== undefined) packetDetect.connections = count(v.connections, '--connections');
    const lists = (v.blocklist ?? []).map((b) => {
      const eq = b.indexOf('=');
      const format = eq < 0 ? b : b.slice(0, eq);
      if (!(BLOCKLIST_FORMATS as readonly string[]).includes(format)) {
        throw new InputError('FS_BAD_OPTION', '', `--blocklist: format must be one of ${BLOCKLIST_FORMATS.join(', ')}; got ${format}`);
      }
      return { format: format as BlocklistFormat, file: eq < 0 ? `floodscope.${format}` : b.slice(eq + 1) };
    });
    let block: AnalyzeOptions['block'];
    if (lists.length === 0 && !v['dry-run']) {
      // Block-list settings without a block list did nothing, silently (an allowlist typo went unseen).
      const shaping = (['allow', 'block-prefix', 'block-ttl', 'block-private', 'block-info', 'block-regular'] as const).find((k) => v[k] !== undefined);
      if (shaping !== undefined) throw new InputError('FS_BAD_OPTION', '', `--${shaping} shapes the block list: give --blocklist FORMAT[=FILE] or --dry-run with it`);
    } else {
      const bp = v['block-prefix'] ?? 'auto';
      const prefix = bp === 'auto' ? 'auto' : Number(bp);
      if (prefix !== 'auto' && ![32, 24, 16, 128, 64, 48].includes(prefix)) throw new InputError('FS_BAD_OPTION', '', `--block-prefix must be auto, 32, 24, 16, 128, 64 or 48; got ${bp}`);
      // Each entry with where it came from, for the message when one is no address.
      let allow: { text: string; where: string }[] = [];
      if (v.allow !== undefined) {
        const file = v.allow;
        allow = existsSync(file)
          ? readFileSync(file, 'utf8')
              .split(/\r?\n/)
              .map((l, i) => ({ text: l.replace(/#.*/, '').trim(), where: `${file}:${i + 1}: ` }))
              .filter((x) => x.text !== '')
          : file
              .split(',')
              .map((x) => ({ text: x.trim(), where: '' }))
              .filter((x) => x.text !== '');
      }
      const allowCidrs = [];
      for (const a of allow) {
        try {
          allowCidrs.push(...parseAllow([a.text]));
        } catch (e) {
          const hint = a.where === '' && /[/.]/.test(a.text) && !/^[\d.:a-f/]+$/i.test(a.text) ? ' (and no such file)' : /[a-z]{2,}\.[a-z]/i.test(a.text) ? ' (host names are not resolved)' : '';
          throw new InputError('FS_BAD_OPTION', '', `--allow: ${a.where}${(e as Error).message}${hint}`);
        }
      }
      block = {
        prefix,
        ttlSeconds: v['block-ttl'] !== undefined ? parseDuration(v['block-ttl'], '--block-ttl') : 3600,
        allow: allowCidrs,
        blockPrivate: v['block-private'] === true,
        includeInfo: v['block-info'] === true,
        blockRegular: v['block-regular'] === true,
      };
    }
    const blockToStdout = lists.some((l) => l.file === '-');
    const inputs = parsed.positionals;
    const outputs = [
      ...(v.output !== undefined ? [{ option: '-o', path: v.output }] : []),
      ...(v.html !== undefined ? [{ option: '--html', path: v.html }] : []),
      ...lists.map((l) => ({ option: '--blocklist', path: l.file })),
    ];
    // An iptables list's IPv6 part goes beside it, as FILE.v6.
    refuseInputAsOutput(inputs, [...outputs, ...lists.map((l) => ({ option: '--blocklist', path: `${l.file}.v6` }))]);
    checkOutputsWritable(outputs);
    if (inputs.length === 0 && process.stdin.isTTY && !v.follow) {
      throw new InputError('FS_NO_INPUT', '', 'no input: give a log file (plain or .gz), or pipe one in. Try --help.');
    }
    const stdinIsPipe = (() => {
      try {
        return fstatSync(0).isFIFO() || fstatSync(0).isSocket();
      } catch {
        return false;
      }
    })();
    const onStdin = inputs.length === 0 || (inputs.length === 1 && inputs[0] === '-');
    const live = v.live === true || v.follow === true || (onStdin && stdinIsPipe && v.format === undefined && v.output === undefined);
    const liveView = live && process.stdout.isTTY === true;
    // --live --format text into a file or pipe: a line of text per alert event, then the text report.
    const liveLines = live && !liveView && v.output === undefined && v.format === 'text';
    if (live && !liveView && v.output === undefined && blockToStdout) {
      throw new InputError('FS_BAD_OPTION', '', `--blocklist FORMAT=-: stdout carries the live events (${liveLines ? 'text' : 'NDJSON'}); write the block list to a file (--blocklist FORMAT=FILE)`);
    }
    const abort = new AbortController();
    {
      // Live: the input ends and the final report follows. Batch: reading stops at the next
      // chunk and the report of what was read is printed (exit 130). A second signal is not
      // caught: it ends the process at once.
      const stop = () => {
        if (!live && !abort.signal.aborted) notice('interrupted: printing the report of what was read (again to quit at once)');
        abort.abort();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    if (v.shed && !live) throw new InputError('FS_BAD_OPTION', '', '--shed drops input under overload: it is for live mode (a pipe on stdin, --follow or --live)');
    if (v['update-interval'] !== undefined && !live) throw new InputError('FS_BAD_OPTION', '', '--update-interval paces live alert.update events: it is for live mode (a pipe on stdin, --follow or --live)');
    const view = liveView ? new LiveView() : null;
    const actions = alertActions(v, live, (m) => process.stderr.write(`floodscope: ${printable(m)}\n`));
    const metrics = v.metrics !== undefined ? new Metrics() : null;
    if (metrics !== null) {
      const { host, port } = parseListen(v.metrics!);
      notice(`metrics at ${await metrics.listen(host, port)}`);
    }
    const bar = !live && !v['no-progress'] && process.stderr.isTTY ? new ProgressBar(process.stderr) : null;
    let report;
    try {
      report = await analyze({
        inputs,
        format: v['log-format'],
        threads: v.threads !== undefined ? num(v.threads, '--threads') : undefined,
        detect,
        packetDetect,
        geo: v['no-geo'] ? false : { ...(v['geoip-db'] !== undefined ? { countryDb: v['geoip-db'] } : {}), ...(v['asn-db'] !== undefined ? { asnDb: v['asn-db'] } : {}) },
        block,
        suggestLimits: v['suggest-limits'] === true,
        follow: v.follow ? { fromStart: v['from-start'] === true, onReopen: (reopen) => process.on('SIGHUP', reopen) } : undefined,
        live: live
          ? {
              idleMs: 250,
              signal: abort.signal,
              shed: v.shed === true,
              ...(v['update-interval'] !== undefined ? { updateInterval: parseDuration(v['update-interval'], '--update-interval') } : {}),
              windowEvents: (!v['no-window-events'] && !liveLines) || view !== null || metrics !== null,
              onChunk: liveChunk,
              onEvent: (e) => {
                if (view !== null) view.event(e);
                else if (liveLines) {
                  const line = eventLine(e);
                  if (line !== null) process.stdout.write(`${line}\n`);
                } else if (e.type !== 'window' || !v['no-window-events']) process.stdout.write(`${JSON.stringify(e)}\n`);
                if (actions !== null && 'alert' in e) actions.event(e);
                metrics?.event(e);
              },
            }
          : undefined,
        clientIp,
        trustedProxies: v['trusted-proxies'] ? v['trusted-proxies'].split(',').map((s) => s.trim()).filter(Boolean) : [],
        strict: v.strict === true,
        timeZone: v.tz,
        signal: live ? undefined : abort.signal,
        onProgress:
          bar !== null || metrics !== null
            ? (p) => {
                bar?.update(p);
                metrics?.progress(p);
              }
            : undefined,
        onNotice: (m) => {
          bar?.clear();
          notice(m);
        },
      });
    } finally {
      bar?.clear();
      await metrics?.close();
    }
    if (actions !== null) await actions.drain(actionTimeout(v) + 5000);
    if (live && view === null && v.output === undefined && !liveLines) {
      // NDJSON: the final report is the last event (block lists and the HTML report are still written).
      await writeAll(process.stdout, reportEvent(report));
    } else {
      view?.close();
      const toFile = v.output !== undefined;
      const color = !toFile && process.stdout.isTTY === true && !process.env.NO_COLOR;
      // JSON in pieces (a finding each): a report of thousands of findings is never one string.
      const rendered: Iterable<string> =
        format === 'json' ? jsonPieces(report) : [format === 'html' ? renderHtml(report) : report.kind === 'capture' ? renderPacketText(report, { color }) : renderText(report, { color })];
      // After the event lines, the report on its own.
      const text = liveLines ? prepend('\n', rendered) : rendered;
      if (toFile) await writeOut(v.output!, text);
      else await writeAll(blockToStdout ? process.stderr : process.stdout, text);
    }
    if (v.html !== undefined) {
      await writeOut(v.html, renderHtml(report));
      notice(`HTML report written to ${v.html}`);
    }
    const plan = report.blocklist ?? null;
    if (plan !== null) {
      for (const ex of plan.excluded.slice(0, MAX_EXCLUSION_NOTICES)) notice(`block list: left out ${describeExclusion(ex)}`);
      if (plan.excluded.length > MAX_EXCLUSION_NOTICES) {
        notice(`block list: left out ${plan.excluded.length - MAX_EXCLUSION_NOTICES} more (every one is in the block list's comments and the JSON report's blocklist.excluded)`);
      }
      if (v['dry-run']) {
        notice(`block list (dry run, nothing written): ${plan.entries.length} entries`);
        for (const e of plan.entries) notice(`  would block ${e.cidr}  # ${e.comment}`);
      } else {
        for (const l of lists) {
          const r = renderBlocklist(plan, l.format);
          if (l.file === '-') {
            await new Promise<void>((resolve) => process.stdout.write(r.text, () => resolve()));
            // Two tools' files on one stream would not load in either.
            if (r.extra !== null) notice(`block list: ${r.extra.entries} IPv6 entries not written: ip6tables-restore needs its own file (--blocklist ${l.format}=FILE writes FILE${r.extra.suffix})`);
            continue;
          }
          await writeOut(l.file, r.text);
          if (r.extra !== null) await writeOut(l.file + r.extra.suffix, r.extra.text);
          const also = r.extra !== null ? `, ${r.extra.entries} IPv6 entries to ${l.file}${r.extra.suffix}` : '';
          notice(`block list: ${r.entries} entries written to ${l.file}${also} (${l.format}); load: ${applyHint(l.format, l.file, r.extra !== null ? l.file + r.extra.suffix : undefined)}`);
        }
      }
    }
    // Live mode ends by SIGINT or SIGTERM: its normal end, not an interruption.
    if (abort.signal.aborted && !live) return EXIT.INTERRUPTED;
    if (report.input.errors.length > 0) return EXIT.DAMAGED;
    if (v['fail-on-attack'] && report.summary.attacks > 0) return EXIT.ATTACK;
    return EXIT.OK;
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`floodscope: ${printable(e.message)}\n`);
      return EXIT.USAGE;
    }
    process.stderr.write(`floodscope: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.INTERNAL;
  }
}

/**
 * Live events as one line of text each, for `--live --format text` when stdout is not a
 * terminal (a log file, the journal, `| tee`): what an operator reads in `tail -f`, where the
 * NDJSON events are for programs. Alert and silence events; `window` events are not printed.
 *
 *   2026-11-20 10:12:07 +0000  open    #2   HIGH   http.repeated-url  /login  since 10:12:00, peak 152 req/s, 5,087 requests from ~190 sources; top 91.200.177.240 (225), …
 */
import type { LiveEvent } from '../pipeline/analyze.js';
import type { AttackReport } from '../report/report.js';
import type { PacketAttackReport } from '../report/packet-report.js';
import { bps } from './packet-text.js';
import { clip, countText, duration, fmt, rateBefore, when } from './text.js';

const VERB = { 'alert.open': 'open', 'alert.update': 'update', 'alert.close': 'closed' } as const;

/** "+02:00" of an ISO time → "+0200", as the text report prints zones. */
const zoneOf = (iso: string) => iso.slice(19).replace(':', '') || '+0000';

/** A log.silent or log.resumed event's words: "log silent since 02:20:00 (1m 0s so far) after 82 req/s — …". */
export function silenceEventText(e: Extract<LiveEvent, { type: 'log.silent' | 'log.resumed' }>): string {
  const x = e.silence;
  return e.type === 'log.silent'
    ? `log silent since ${when(x.start).slice(11)} (${duration(x.seconds)} so far) after ${rateBefore(x)} — the server down or restarting, or its logging stopped?`
    : `log resumed after ${duration(x.seconds)} of silence (${when(x.start).slice(11)} → ${when(x.end).slice(11)})`;
}

export function eventLine(e: LiveEvent): string | null {
  if (e.type === 'window') return null;
  if (e.type === 'log.silent' || e.type === 'log.resumed') return `${when(e.silence.end)} ${zoneOf(e.silence.end)}  ${silenceEventText(e)}`;
  const a = e.alert;
  const cap = 'packets' in a;
  const unit = cap ? 'packets' : 'requests';
  const count = cap ? (a as PacketAttackReport).packets : (a as AttackReport).requests;
  const peak = cap && a.signature === 'net.bandwidth' ? bps((a as PacketAttackReport).peakBps) : `${fmt(a.peakRate)} ${cap ? 'packets' : 'req'}/s`;
  const span = e.type === 'alert.close' ? `${when(a.start).slice(11)} → ${when(a.end).slice(11)} (${duration(a.durationSeconds)})` : `since ${when(a.start).slice(11)}`;
  const top = a.topSources
    .slice(0, 3)
    .map((s) => `${s.ip} (${countText(s)})`)
    .join(', ');
  const head = `${when(a.end)} ${zoneOf(a.end)}  ${VERB[e.type].padEnd(7)} ${`#${a.id}`.padEnd(4)} ${a.severity.toUpperCase().padEnd(6)} ${a.signature}  ${clip(a.target || '""', 80)}`;
  return `${head}  ${span}, peak ${peak}, ${fmt(count)} ${unit} from ~${fmt(a.distinctSources)} sources${top ? `; top ${top}` : ''}${a.attack ? '' : ' (not an attack)'}`;
}

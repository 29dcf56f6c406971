/** Live NDJSON events, built the same way for logs and captures. */
import type { AttackReport, EventAlertOptions } from '../report/report.js';
import type { PacketAttackReport } from '../report/packet-report.js';
import { isoWithOffset } from '../parsers/timestamp.js';
import type { LiveEvent } from '../pipeline/analyze.js';
import { SEVERITY_RANK, type Severity } from '../detectors/finding.js';
import type { GeoIp } from '../geo/geoip.js';
import { decodeCountry } from '../geo/country-code.js';

/** An alert event: the alert built with eventAlertOptions (the JSON report's object, sources with their country). */
export function alertEvent(type: 'alert.open' | 'alert.update' | 'alert.close', alert: AttackReport | PacketAttackReport): LiveEvent {
  return { type, alert };
}

/**
 * Live alerts of one signature on one target after the first (a rate over its limit again, a
 * flood back after a pause): marked with the first's id, as the final report's `episodeOf`, so
 * a receiver of the events (a blocking script, a chat hook) knows it is the same thing again.
 */
export class EpisodeIndex {
  private readonly first = new Map<string, number>();

  mark<T extends { id: number; signature: string; target: string; targetKind?: string; episodeOf?: number }>(a: T): T {
    const k = `${a.signature}|${a.targetKind ?? ''}|${a.target}`;
    const f = this.first.get(k);
    if (f === undefined) this.first.set(k, a.id);
    else if (f !== a.id) a.episodeOf = f;
    return a;
  }
}

/** Live alerts' sources get their country from the numeric lookup (no strings parsed back). */
export function eventAlertOptions(geo: GeoIp | null): EventAlertOptions {
  return { country: geo === null ? null : (w0, w1, w2, w3) => decodeCountry(geo.code(w0, w1, w2, w3)) };
}

/** A `window` event: `count` requests (logs) or packets (captures) over a window of `seconds` ending at `end` (epoch s). */
export function windowEvent(end: number, zone: number, unit: 'requests' | 'packets', count: number, seconds: number, openAlerts: number): Extract<LiveEvent, { type: 'window' }> {
  return {
    type: 'window',
    end: isoWithOffset(end, zone),
    [unit]: count,
    rate: Math.round((count / seconds) * 100) / 100,
    openAlerts,
    lagSeconds: Math.max(0, Math.round(Date.now() / 1000 - end)),
  };
}

/** Default `--update-interval`: a minute of event time. */
export const DEFAULT_UPDATE_INTERVAL = 60;

/**
 * Which alert events go out. The engine updates an open alert every step it keeps firing
 * (every 10 s of event time by default, but hundreds of times a second while a backlog is
 * read), and each event carries the whole alert. So an `alert.update` goes out only when the
 * severity rises, the peak rate has grown by a quarter, or `intervalSeconds` of event time
 * have passed since the last event about that alert (0: every step). Opens and closes always
 * go out; the final report is not affected. Decided on event time only, so the same input
 * gives the same events however fast it arrives.
 */
export class UpdateThrottle {
  private readonly last = new Map<number, { severity: Severity; peak: number; end: number }>();

  constructor(private readonly intervalSeconds: number) {}

  pass(type: 'alert.open' | 'alert.update' | 'alert.close', a: { id: number; severity: Severity; peakRate: number; end: number }): boolean {
    if (type === 'alert.close') {
      this.last.delete(a.id);
      return true;
    }
    const prev = this.last.get(a.id);
    if (type === 'alert.update' && prev !== undefined) {
      const material = SEVERITY_RANK[a.severity] > SEVERITY_RANK[prev.severity] || a.peakRate >= prev.peak * 1.25;
      if (!material && a.end - prev.end < this.intervalSeconds) return false;
    }
    this.last.set(a.id, { severity: a.severity, peak: a.peakRate, end: a.end });
    return true;
  }
}

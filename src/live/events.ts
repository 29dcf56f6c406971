/** Live NDJSON events, built the same way for logs and captures. */
import type { AttackReport } from '../report/report.js';
import type { PacketAttackReport } from '../report/packet-report.js';
import { isoWithOffset } from '../parsers/timestamp.js';
import type { LiveEvent } from '../pipeline/analyze.js';

/** An alert event: the JSON report's alert object without the fields only the report builder uses. */
export function alertEvent(type: 'alert.open' | 'alert.update' | 'alert.close', alert: AttackReport | PacketAttackReport): LiveEvent {
  delete alert.before;
  delete alert.countryCounts;
  delete alert.countryBefore;
  return { type, alert };
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

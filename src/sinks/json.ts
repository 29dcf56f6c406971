/** `--format json`: the report object as JSON (schema in the README). */
import type { Report } from '../report/report.js';
import type { PacketReport } from '../report/packet-report.js';

export function renderJson(report: Report | PacketReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** `--format json`: the report object as JSON (schema in the README). */
import type { Report } from '../report/report.js';

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

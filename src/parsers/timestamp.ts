/**
 * Apache/nginx `%t` timestamps, parsed from bytes: `10/Oct/2000:13:55:36 -0700`.
 * Result: UTC epoch seconds in `tsSeconds`, the zone offset in minutes in `tsZoneMinutes`,
 * and `tsHasZone` false when the zone is missing (read as UTC; the caller warns once).
 */

export let tsSeconds = 0;
export let tsZoneMinutes = 0;
export let tsHasZone = true;

/** Month from its three letters, case-insensitive, keyed by a packed 15-bit code. */
const MONTHS = new Int8Array(32768).fill(-1);
['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].forEach((m, i) => {
  MONTHS[((m.charCodeAt(0) & 31) << 10) | ((m.charCodeAt(1) & 31) << 5) | (m.charCodeAt(2) & 31)] = i;
});

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function d2(b: Uint8Array, i: number): number {
  const a = b[i]! - 48;
  const c = b[i + 1]! - 48;
  return a >= 0 && a <= 9 && c >= 0 && c <= 9 ? a * 10 + c : -1;
}

/**
 * Parse `DD/Mon/YYYY:HH:MM:SS[ ±HHMM]` in bytes[start, end) (no brackets).
 * Returns false if the bytes are not such a timestamp.
 */
export function parseClfTime(b: Uint8Array, start: number, end: number): boolean {
  if (end - start < 20) return false;
  const i = start;
  const day = d2(b, i);
  if (day < 1 || day > 31 || b[i + 2] !== 47 || b[i + 6] !== 47 || b[i + 11] !== 58) return false;
  const mon = MONTHS[((b[i + 3]! & 31) << 10) | ((b[i + 4]! & 31) << 5) | (b[i + 5]! & 31)]!;
  if (mon < 0) return false;
  const y1 = d2(b, i + 7);
  const y2 = d2(b, i + 9);
  if (y1 < 0 || y2 < 0) return false;
  const hh = d2(b, i + 12);
  const mm = d2(b, i + 15);
  const ss = d2(b, i + 18);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 || b[i + 14] !== 58 || b[i + 17] !== 58) return false;
  let j = i + 20;
  // Optional fractional seconds (some custom formats), ignored.
  if (j < end && (b[j] === 46 || b[j] === 44)) {
    j++;
    while (j < end && b[j]! >= 48 && b[j]! <= 57) j++;
  }
  while (j < end && b[j] === 32) j++;
  let zone = 0;
  let has = false;
  if (j < end) {
    const sign = b[j];
    if ((sign === 43 || sign === 45) && end - j >= 5) {
      const zh = d2(b, j + 1);
      const zm = d2(b, j + 3);
      if (zh < 0 || zm < 0 || zh > 23 || zm > 59) return false;
      zone = (zh * 60 + zm) * (sign === 45 ? -1 : 1);
      has = true;
    } else if (sign === 90 /* Z */) {
      has = true;
    } else return false;
  }
  const days = daysFromCivil(y1 * 100 + y2, mon + 1, day);
  tsSeconds = days * 86400 + hh * 3600 + mm * 60 + Math.min(ss, 59) - zone * 60;
  tsZoneMinutes = zone;
  tsHasZone = has;
  return true;
}

/** ISO 8601 with the given offset, e.g. 2023-07-18T13:44:16+03:30. */
export function isoWithOffset(epochSeconds: number, zoneMinutes: number): string {
  const d = new Date((epochSeconds + zoneMinutes * 60) * 1000);
  const base = d.toISOString().slice(0, 19);
  const sign = zoneMinutes < 0 ? '-' : '+';
  const abs = Math.abs(zoneMinutes);
  return `${base}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** "+0330" style label of a zone offset. */
export function zoneLabel(zoneMinutes: number): string {
  const sign = zoneMinutes < 0 ? '-' : '+';
  const abs = Math.abs(zoneMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

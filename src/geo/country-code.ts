/**
 * Countries as small integers, the same in every worker, so per-step histograms can be
 * typed arrays: 0 unknown, 1–7 special-purpose labels, 16 + (c1−'A')·26 + (c2−'A') for an
 * ISO 3166-1 alpha-2 code. 692 codes in all.
 */
export const COUNTRY_CODES = 16 + 26 * 26;

const LABELS = ['unknown', 'private', 'loopback', 'link-local', 'cgnat', 'documentation', 'multicast', 'reserved'];

export function encodeCountry(country: string): number {
  const special = LABELS.indexOf(country);
  if (special >= 0) return special;
  if (/^[A-Z]{2}$/.test(country)) return 16 + (country.charCodeAt(0) - 65) * 26 + (country.charCodeAt(1) - 65);
  return 0;
}

export function decodeCountry(code: number): string {
  if (code < 16) return LABELS[code] ?? 'unknown';
  const i = code - 16;
  return String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26));
}

/** Sparse histogram: codes present and their counts (what crosses threads). */
export interface CountryHist {
  codes: Uint16Array;
  counts: Float64Array;
}

export function addHist(into: Map<number, number>, h: CountryHist): void {
  for (let i = 0; i < h.codes.length; i++) into.set(h.codes[i]!, (into.get(h.codes[i]!) ?? 0) + h.counts[i]!);
}

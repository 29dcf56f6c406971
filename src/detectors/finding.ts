/** What a detector returns for one window: a signature firing on a target. */
export type Severity = 'info' | 'low' | 'medium' | 'high';
export type Signature = 'http.repeated-url' | 'http.empty-referrer' | 'http.flash-crowd' | 'http.request-surge' | 'http.source-rate' | 'http.prefix-rate';
/** 'site': every URL (http.request-surge, target "*"). */
export type TargetKind = 'url' | 'site' | 'source' | 'prefix';

export interface Finding {
  signature: Signature;
  severity: Severity;
  kind: TargetKind;
  /** Lookup key of the target in buckets (URL hash key or IP/prefix words key). */
  key: string;
  /** URL hash (w0, w1) or IP / prefix words. */
  words: [number, number, number, number];
  /** Human-readable target: the URL, the address, or the prefix in CIDR form. */
  target: string;
  /** Window rate, req/s. */
  rate: number;
  /** A second counts as part of the attack when the target gets at least this many requests in it. */
  level: number;
  /** The numbers that made it fire. */
  evidence: Record<string, number | string>;
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3 };

/** Severity from how far a rate is above the level that fires: ×4 high, ×2 medium, else low. */
export function severityFor(rate: number, trigger: number): Severity {
  const r = rate / trigger;
  return r >= 4 ? 'high' : r >= 2 ? 'medium' : 'low';
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

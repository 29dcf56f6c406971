import { readFileSync } from 'node:fs';

export interface Jiffies {
  total: number;
  steal: number;
}

/**
 * The machine's CPU counters (/proc/stat, first line): all jiffies and those stolen by the
 * hypervisor. On a shared VM a case can lose a good part of its cores to other guests; the
 * bench prints that share beside each case so figures from different runs can be judged.
 */
export function cpuJiffies(): Jiffies | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { total: f.slice(0, 8).reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
  } catch {
    return null;
  }
}

/** Percent of the machine's CPU time stolen between two readings, or null. */
export function stealPercent(a: Jiffies | null, b: Jiffies | null): number | null {
  if (a === null || b === null || b.total <= a.total) return null;
  return (100 * (b.steal - a.steal)) / (b.total - a.total);
}


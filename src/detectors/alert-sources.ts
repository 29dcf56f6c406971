/**
 * An alert's sources: a space-saving summary while the alert is open; once closed, only
 * the top list a report shows, so closed alerts cost little memory however many there are.
 */
import { SpaceSaving, type TopEntry } from '../sketches/space-saving.js';
import { ipKey } from '../windows/bucket.js';

export const FROZEN_SOURCES = 1000;

const keyOf = (e: TopEntry) => ipKey(e.w0, e.w1, e.w2, e.w3);

export class AlertSources {
  private ss: SpaceSaving;
  private frozen: TopEntry[] | null = null;
  /**
   * Of each source's traffic, the part a legitimate client's would be (made when first asked
   * for): URL alerts, its requests with a referrer; SYN floods, its completed handshakes.
   */
  private legitSs: SpaceSaving | null = null;
  private frozenLegit: Map<string, TopEntry> | null = null;

  constructor(private readonly capacity: number) {
    this.ss = new SpaceSaving(capacity, 64);
  }

  /** The live summary (absorb adds to it while the alert is open). */
  get summary(): SpaceSaving {
    return this.ss;
  }

  /** The live summary of that part. */
  get legitSummary(): SpaceSaving {
    this.legitSs ??= new SpaceSaving(this.capacity, 64);
    return this.legitSs;
  }

  freeze(): void {
    if (this.frozen !== null) return;
    this.frozen = this.ss.top(FROZEN_SOURCES);
    this.ss = new SpaceSaving(1);
    if (this.legitSs !== null) {
      const legit = this.legitSs;
      this.frozenLegit = new Map();
      for (const e of this.frozen) {
        const count = legit.countOf(e.w0, e.w1, e.w2, e.w3);
        if (count > 0) this.frozenLegit.set(keyOf(e), { ...e, count, error: 0 });
      }
      this.legitSs = null;
    }
  }

  thaw(): void {
    if (this.frozen === null) return;
    this.ss = new SpaceSaving(this.capacity);
    for (const e of this.frozen) this.ss.add(e.w0, e.w1, e.w2, e.w3, e.count, e.error);
    this.frozen = null;
    if (this.frozenLegit !== null) {
      this.legitSs = new SpaceSaving(this.capacity);
      for (const e of this.frozenLegit.values()) this.legitSs.add(e.w0, e.w1, e.w2, e.w3, e.count, e.error);
      this.frozenLegit = null;
    }
  }

  /** That part of a source's traffic (0 when not tracked: a lower bound). */
  legit(e: TopEntry): number {
    if (this.frozenLegit !== null) return this.frozenLegit.get(keyOf(e))?.count ?? 0;
    return this.legitSs?.countOf(e.w0, e.w1, e.w2, e.w3) ?? 0;
  }

  top(n: number): TopEntry[] {
    return this.frozen !== null ? this.frozen.slice(0, n) : this.ss.top(n);
  }
}

/**
 * An alert's sources: a space-saving summary while the alert is open; once closed, only
 * the top list a report shows, so closed alerts cost little memory however many there are.
 */
import { SpaceSaving, type TopEntry } from '../sketches/space-saving.js';

export const FROZEN_SOURCES = 1000;

const keyOf = (e: TopEntry) => `${e.w0},${e.w1},${e.w2},${e.w3}`;

export class AlertSources {
  private ss: SpaceSaving;
  private frozen: TopEntry[] | null = null;
  /**
   * Of each source's traffic, the part a legitimate client's would be (made when first asked
   * for): URL alerts, its requests with a referrer; SYN floods, its completed handshakes.
   */
  private ref: SpaceSaving | null = null;
  private frozenRef: Map<string, TopEntry> | null = null;

  constructor(private readonly capacity: number) {
    this.ss = new SpaceSaving(capacity);
  }

  /** The live summary (absorb adds to it while the alert is open). */
  get summary(): SpaceSaving {
    return this.ss;
  }

  /** The live summary of that part. */
  get legitSummary(): SpaceSaving {
    this.ref ??= new SpaceSaving(this.capacity);
    return this.ref;
  }

  freeze(): void {
    if (this.frozen !== null) return;
    this.frozen = this.ss.top(FROZEN_SOURCES);
    this.ss = new SpaceSaving(1);
    if (this.ref !== null) {
      const ref = this.ref;
      this.frozenRef = new Map();
      for (const e of this.frozen) {
        const count = ref.countOf(e.w0, e.w1, e.w2, e.w3);
        if (count > 0) this.frozenRef.set(keyOf(e), { ...e, count, error: 0 });
      }
      this.ref = null;
    }
  }

  thaw(): void {
    if (this.frozen === null) return;
    this.ss = new SpaceSaving(this.capacity);
    for (const e of this.frozen) this.ss.add(e.w0, e.w1, e.w2, e.w3, e.count, e.error);
    this.frozen = null;
    if (this.frozenRef !== null) {
      this.ref = new SpaceSaving(this.capacity);
      for (const e of this.frozenRef.values()) this.ref.add(e.w0, e.w1, e.w2, e.w3, e.count);
      this.frozenRef = null;
    }
  }

  /** That part of a source's traffic (0 when not tracked: a lower bound). */
  legit(e: TopEntry): number {
    if (this.frozenRef !== null) return this.frozenRef.get(keyOf(e))?.count ?? 0;
    return this.ref?.countOf(e.w0, e.w1, e.w2, e.w3) ?? 0;
  }

  top(n: number): TopEntry[] {
    return this.frozen !== null ? this.frozen.slice(0, n) : this.ss.top(n);
  }
}

/**
 * An alert's sources: a space-saving summary while the alert is open; once closed, only
 * the top list a report shows, so closed alerts cost little memory however many there are.
 */
import { SpaceSaving, type TopEntry } from '../sketches/space-saving.js';

export const FROZEN_SOURCES = 1000;

export class AlertSources {
  private ss: SpaceSaving;
  private frozen: TopEntry[] | null = null;

  constructor(private readonly capacity: number) {
    this.ss = new SpaceSaving(capacity);
  }

  /** The live summary (absorb adds to it while the alert is open). */
  get summary(): SpaceSaving {
    return this.ss;
  }

  freeze(): void {
    if (this.frozen !== null) return;
    this.frozen = this.ss.top(FROZEN_SOURCES);
    this.ss = new SpaceSaving(1);
  }

  thaw(): void {
    if (this.frozen === null) return;
    this.ss = new SpaceSaving(this.capacity);
    for (const e of this.frozen) this.ss.add(e.w0, e.w1, e.w2, e.w3, e.count, e.error);
    this.frozen = null;
  }

  top(n: number): TopEntry[] {
    return this.frozen !== null ? this.frozen.slice(0, n) : this.ss.top(n);
  }
}

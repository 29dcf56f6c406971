/**
 * An alert's sources: a space-saving summary while the alert is open; once closed, only
 * the top list a report shows, in typed arrays (32 bytes a source; as objects, with their
 * address words boxed past 2^31, ~80), so closed alerts cost little memory however many there
 * are: a live run keeps every alert it closed for its final report.
 */
import { SpaceSaving, type TopEntry, type TopList } from '../sketches/space-saving.js';
import { ipKey } from '../windows/bucket.js';

export const FROZEN_SOURCES = 1000;

const keyOf = (e: TopEntry) => ipKey(e.w0, e.w1, e.w2, e.w3);

export class AlertSources {
  private ss: SpaceSaving;
  private frozen: TopList | null = null;
  /**
   * Of each source's traffic, the part a legitimate client's would be (made when first asked
   * for): URL alerts, its requests with a referrer; SYN floods, its completed handshakes.
   */
  private legitSs: SpaceSaving | null = null;
  /** Of the frozen sources, the legitimate part of those that had one, by ipKey. */
  private frozenLegit: Map<string, number> | null = null;

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
    const frozen = this.ss.sorted(FROZEN_SOURCES);
    this.frozen = frozen;
    this.ss = new SpaceSaving(1);
    if (this.legitSs !== null) {
      const legit = this.legitSs;
      this.frozenLegit = new Map();
      const w = frozen.words;
      for (let i = 0; i < frozen.length; i++) {
        const count = legit.countOf(w[i * 4]!, w[i * 4 + 1]!, w[i * 4 + 2]!, w[i * 4 + 3]!);
        if (count > 0) this.frozenLegit.set(ipKey(w[i * 4]!, w[i * 4 + 1]!, w[i * 4 + 2]!, w[i * 4 + 3]!), count);
      }
      this.legitSs = null;
    }
  }

  thaw(): void {
    if (this.frozen === null) return;
    const frozen = this.frozen;
    this.ss = new SpaceSaving(this.capacity);
    this.ss.addTop(frozen);
    this.frozen = null;
    if (this.frozenLegit !== null) {
      // In the frozen list's order, as the legitimate parts were added before.
      this.legitSs = new SpaceSaving(this.capacity);
      const w = frozen.words;
      for (let i = 0; i < frozen.length; i++) {
        const count = this.frozenLegit.get(ipKey(w[i * 4]!, w[i * 4 + 1]!, w[i * 4 + 2]!, w[i * 4 + 3]!));
        if (count !== undefined) this.legitSs.add(w[i * 4]!, w[i * 4 + 1]!, w[i * 4 + 2]!, w[i * 4 + 3]!, count, 0);
      }
      this.frozenLegit = null;
    }
  }

  /** That part of a source's traffic (0 when not tracked: a lower bound). */
  legit(e: TopEntry): number {
    if (this.frozenLegit !== null) return this.frozenLegit.get(keyOf(e)) ?? 0;
    return this.legitSs?.countOf(e.w0, e.w1, e.w2, e.w3) ?? 0;
  }

  top(n: number): TopEntry[] {
    return this.frozen !== null ? this.frozen.head(n).entries() : this.ss.top(n);
  }
}

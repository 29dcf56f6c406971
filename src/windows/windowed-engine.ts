/**
 * What the log and the packet engines share: step buckets keyed by step index, the
 * event-time watermark, sealing steps in order (long gaps skipped in one jump), and the
 * alert lifecycle — open on the first window that fires, update while windows fire,
 * close after `quiet` silent steps, and reopen (instead of flapping) when the same target
 * fires again within one window of closing.
 *
 *   watermark = max event time seen − lateness
 *   step s is sealed once the watermark has passed it: (s+1)·step ≤ watermark
 *
 * so a record `lateness` seconds older than the newest one is still on time, whatever
 * second of its step it falls in (sealing at "last second ≤ watermark" made the rest of a
 * step's last second late the moment its first record came, with `--lateness 0`).
 *
 * Subclasses say what a window detects and what an alert is; hooks cover the rest
 * (totals, baselines, events).
 */
export interface Timing {
  window: number;
  step: number;
  lateness: number;
  quiet: number;
}

export interface LifecycleFinding {
  signature: string;
  key: string;
}

export interface LifecycleAlert<B, F> {
  state: 'open' | 'closed';
  quietSteps: number;
  closedStep: number;
  absorb(b: B): void;
  update(f: F, step: number): void;
  freeze(): void;
  thaw(): void;
}

export type AlertEvent = 'alert.open' | 'alert.update' | 'alert.close';

export abstract class WindowedEngine<B extends { index: number }, F extends LifecycleFinding, A extends LifecycleAlert<B, F>> {
  protected readonly buckets = new Map<number, B>();
  protected sealedThrough = -Infinity;
  protected readonly k: number;
  maxTime = -Infinity;
  minTime = Infinity;
  readonly alerts: A[] = [];
  protected readonly open = new Map<string, A>();
  private readonly recentlyClosed = new Map<string, A>();
  protected nextId = 1;

  constructor(protected readonly timing: Timing) {
    this.k = timing.window / timing.step;
  }

  /** What the window ending at step s finds (its buckets, oldest first). */
  protected abstract detect(inWindow: B[], s: number): F[];
  /** A new alert for a finding, with the window's buckets absorbed. */
  protected abstract newAlert(f: F, s: number, inWindow: B[]): A;
  /** Step s is being sealed and has a bucket: fold it into whole-input totals. */
  protected onSeal(_b: B): void {}
  /** The window ending at s has been evaluated. */
  protected afterWindow(_s: number, _inWindow: B[]): void {}
  /** A bucket leaves the window for good. */
  protected retire(_b: B): void {}
  /** `steps` steps without any traffic were skipped. */
  protected onGap(_steps: number): void {}
  protected emit(_type: AlertEvent, _a: A): void {}

  /** Records for this step would be late: it is already sealed. */
  protected isSealed(index: number): boolean {
    return index <= this.sealedThrough;
  }

  openAlerts(): A[] {
    return [...this.open.values()];
  }

  private idleCredit = 0;

  /**
   * Live input has been quiet for `seconds` of wall time: let event time move on by as much,
   * so the windows of a finished attack close and its alert ends even with no new records.
   */
  idle(seconds: number): void {
    if (this.maxTime === -Infinity) return;
    this.idleCredit += seconds;
    const whole = Math.floor(this.idleCredit);
    if (whole < 1) return;
    this.idleCredit -= whole;
    this.maxTime += whole;
    this.advance();
  }

  /** Seal every step the watermark has passed. */
  advance(): void {
    const wm = this.maxTime - this.timing.lateness;
    this.sealThrough(Math.floor(wm / this.timing.step) - 1);
  }

  /** End of input: seal everything and close open alerts. */
  finish(): void {
    if (this.maxTime > -Infinity) this.sealThrough(Math.floor(this.maxTime / this.timing.step) + this.k);
    for (const a of [...this.open.values()]) this.close(a);
  }

  private sealThrough(target: number): void {
    if (this.sealedThrough === -Infinity) {
      if (this.buckets.size === 0) return;
      this.sealedThrough = Math.min(...this.buckets.keys()) - 1;
    }
    let s = this.sealedThrough + 1;
    while (s <= target) {
      if (this.open.size === 0 && !this.windowHasData(s)) {
        // Nothing in the window and nothing open: jump to just before the next bucket.
        let next = Infinity;
        for (const i of this.buckets.keys()) if (i >= s && i < next) next = i;
        const jumpTo = Math.min(next - 1, target);
        if (jumpTo >= s) {
          this.onGap(jumpTo - s + 1);
          this.sealedThrough = jumpTo;
          s = jumpTo + 1;
          continue;
        }
      }
      this.seal(s);
      s++;
    }
  }

  private windowHasData(s: number): boolean {
    for (let i = s - this.k + 1; i <= s; i++) if (this.buckets.has(i)) return true;
    return false;
  }

  private seal(s: number): void {
    const cur = this.buckets.get(s);
    if (cur !== undefined) this.onSeal(cur);
    const inWindow: B[] = [];
    for (let i = s - this.k + 1; i <= s; i++) {
      const b = this.buckets.get(i);
      if (b !== undefined) inWindow.push(b);
    }
    const fired = new Set<string>();
    for (const f of this.detect(inWindow, s)) {
      const id = `${f.signature}|${f.key}`;
      fired.add(id);
      const a = this.open.get(id);
      const reopen = a === undefined ? this.recentlyClosed.get(id) : undefined;
      if (reopen !== undefined) {
        // A rate hovering around its limit would otherwise flap open/closed every few steps.
        this.recentlyClosed.delete(id);
        reopen.state = 'open';
        reopen.thaw();
        reopen.update(f, s);
        for (const b of inWindow) reopen.absorb(b);
        this.open.set(id, reopen);
        this.emit('alert.open', reopen);
      } else if (a === undefined) {
        const made = this.newAlert(f, s, inWindow);
        this.open.set(id, made);
        this.alerts.push(made);
        this.emit('alert.open', made);
      } else {
        a.update(f, s);
        if (cur !== undefined) a.absorb(cur);
        this.emit('alert.update', a);
      }
    }
    for (const [id, a] of this.open) {
      if (fired.has(id)) continue;
      if (cur !== undefined) a.absorb(cur);
      if (++a.quietSteps >= this.timing.quiet) this.close(a);
    }
    this.afterWindow(s, inWindow);
    for (const [id, a] of this.recentlyClosed) if (s - a.closedStep >= this.k) this.recentlyClosed.delete(id);
    const leaving = this.buckets.get(s - this.k + 1);
    if (leaving !== undefined) {
      this.retire(leaving);
      this.buckets.delete(leaving.index);
    }
    this.sealedThrough = s;
  }

  protected close(a: A): void {
    a.state = 'closed';
    a.freeze();
    a.closedStep = this.sealedThrough + 1;
    for (const [id, x] of this.open) {
      if (x !== a) continue;
      this.open.delete(id);
      this.recentlyClosed.set(id, a);
      break;
    }
    this.emit('alert.close', a);
  }
}

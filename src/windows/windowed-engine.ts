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
 * "Max event time seen" is the event-time clock, and it only follows what is corroborated:
 * a record stamped more than one window after the clock (a server clock glitch, a line of
 * another server's log) is held apart until a later record, of another second, comes no more
 * than `lateness` before it — the input went on from there. A stray line is followed by
 * records back at the old time and stays apart: one bogus line from 2099 used to make
 * everything after it late (thrown out of detection) and stretched the timeline over 74
 * years. A real gap (a quiet night, a sparse log) is corroborated by the next record.
 * Records passed over by later input are reported as outliers (`outliers`); they are still
 * counted and analyzed at the end of the input. The input's last records, with nothing after
 * them, harm nothing and simply end the span.
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
  /** The same attack, recognised as another signature (see WindowedEngine.continues). */
  retitle(f: F): void;
  freeze(): void;
  thaw(): void;
  /** Closed a window ago: it can no longer reopen (see forgetClosed). */
  settle(): void;
}

export type AlertEvent = 'alert.open' | 'alert.update' | 'alert.close';

/** Far-ahead seconds held at most; past that the earliest are accepted (bounded memory). */
const MAX_AHEAD = 1024;

/** Records stamped far ahead of the input around them, which went on at the earlier time (see WindowedEngine). */
export interface Outliers {
  records: number;
  first: number;
  last: number;
}

export abstract class WindowedEngine<B extends { index: number }, F extends LifecycleFinding, A extends LifecycleAlert<B, F>> {
  protected readonly buckets = new Map<number, B>();
  protected sealedThrough = -Infinity;
  protected readonly k: number;
  /** Newest and oldest record times seen, outliers and late records included. */
  maxTime = -Infinity;
  minTime = Infinity;
  /** The event-time clock: the newest corroborated record time, moved on by idle wall time. */
  private clock = -Infinity;
  /** Newest corroborated and oldest on-time record: the input's time span. */
  private spanEnd = -Infinity;
  private spanStart = Infinity;
  /** Seconds of the Partial being merged (note), then held far-ahead ones (time → records). */
  private notedT: number[] = [];
  private notedN: number[] = [];
  private readonly ahead = new Map<number, number>();
  /** Held seconds that later input did not corroborate: outliers if still held at the end. */
  private readonly passedOver = new Set<number>();
  readonly alerts: A[] = [];
  protected readonly open = new Map<string, A>();
  private readonly recentlyClosed = new Map<string, A>();
  protected nextId = 1;

  constructor(readonly timing: Timing) {
    this.k = timing.window / timing.step;
  }

  /** What the window ending at step s finds (its buckets, oldest first). */
  protected abstract detect(inWindow: B[], s: number): F[];
  /** A new alert for a finding, with the window's buckets absorbed. */
  protected abstract newAlert(f: F, s: number, inWindow: B[]): A;
  /**
   * The id of an open alert that finding `f` (of another signature) continues: the same
   * traffic, now recognised for what it is. That alert takes f's signature, keeps its start
   * and what it absorbed, and is announced again with alert.open (an --on-alert runs for it).
   */
  protected continues(_f: F): string | undefined {
    return undefined;
  }
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

  /**
   * Subclasses: `n` records at second `t` of the Partial being merged (`late`: its step was
   * sealed already). The clock takes them in at the next `advance`.
   */
  protected note(t: number, n: number, late: boolean): void {
    if (t < this.minTime) this.minTime = t;
    if (t > this.maxTime) this.maxTime = t;
    if (late) return;
    if (t < this.spanStart) this.spanStart = t;
    this.notedT.push(t);
    this.notedN.push(n);
  }

  /** Move the clock over the noted seconds, holding far-ahead ones until corroborated. */
  private takeNoted(): void {
    const ts = this.notedT;
    const ns = this.notedN;
    if (ts.length === 0) return;
    const heldBefore = [...this.ahead.keys()];
    // Seconds in time order (a Partial's records are grouped by second: its input order
    // within a chunk is not kept, so "later" means later in time there, later in input
    // order between Partials).
    const order = ts.map((_, i) => i).sort((a, b) => ts[a]! - ts[b]!);
    if (this.clock === -Infinity) {
      // The first clock reading: the median record time, so a bogus first line cannot set it.
      let total = 0;
      for (const n of ns) total += n;
      let acc = 0;
      for (const i of order) {
        acc += ns[i]!;
        if (acc * 2 >= total) {
          this.clock = ts[i]!;
          break;
        }
      }
    }
    const reach = this.timing.window;
    for (const i of order) {
      const t = ts[i]!;
      // A record of another second at most `lateness` before a held time corroborates it: the
      // input went on from there instead of going back (what a stray line is followed by).
      // Not sooner: taking a held time in when the input merely came within a window of it
      // would make the records between late.
      if (this.ahead.size > 0) {
        for (const h of [...this.ahead.keys()]) {
          if (h !== t && h - this.timing.lateness <= t) this.release(h);
        }
      }
      if (t <= this.clock + reach) this.trust(t);
      else this.ahead.set(t, (this.ahead.get(t) ?? 0) + ns[i]!);
    }
    ts.length = 0;
    ns.length = 0;
    // Held from before and still held: these records came after them and went back.
    for (const h of heldBefore) if (this.ahead.has(h)) this.passedOver.add(h);
    if (this.ahead.size <= MAX_AHEAD) return;
    // Bounded memory: past MAX_AHEAD held seconds, the earliest are taken as they are.
    const held = [...this.ahead.keys()].sort((a, b) => a - b);
    for (let i = 0; i < held.length - MAX_AHEAD; i++) this.release(held[i]!);
  }

  private release(h: number): void {
    this.trust(h);
    this.ahead.delete(h);
    this.passedOver.delete(h);
  }

  private trust(t: number): void {
    if (t > this.clock) this.clock = t;
    if (t > this.spanEnd) this.spanEnd = t;
  }

  /** The event-time clock (see `clock`): -Infinity before the first record. */
  protected get now(): number {
    return this.clock;
  }

  /** The input's time span (oldest on-time to newest corroborated record), or null. */
  span(): { start: number; end: number } | null {
    if (this.maxTime === -Infinity) return null;
    const start = this.spanStart < Infinity ? this.spanStart : this.minTime;
    const end = this.spanEnd > -Infinity ? this.spanEnd : this.maxTime;
    return { start, end };
  }

  /** Far-ahead records that later input passed over without corroborating (after `finish`), or null. */
  outliers(): Outliers | null {
    if (this.ahead.size === 0) return null;
    let records = 0;
    let first = Infinity;
    let last = -Infinity;
    for (const [t, n] of this.ahead) {
      records += n;
      if (t < first) first = t;
      if (t > last) last = t;
    }
    return { records, first, last };
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
    this.takeNoted();
    if (this.clock === -Infinity) return;
    this.idleCredit += seconds;
    const whole = Math.floor(this.idleCredit);
    if (whole < 1) return;
    this.idleCredit -= whole;
    // Wall time moves the clock, not the span: the input's end stays its newest record.
    this.clock += whole;
    // Held times the clock has now passed are ordinary records (live input that paused).
    for (const h of [...this.ahead.keys()]) if (h <= this.clock) this.release(h);
    this.advance();
  }

  /**
   * Take in the Partial just merged and seal every step the watermark has passed. `bound`:
   * with inputs read side by side, the oldest of their own clocks (pipeline/side-by-side.ts);
   * the watermark does not pass it, so the records still to come from them are not late.
   */
  advance(bound = Infinity, behind = false): void {
    this.takeNoted();
    // `behind`: more of the input is on its way (a batch run, a pipe read ahead of the
    // analysis), so seal only as far as the clock stood at the previous Partial: a line
    // written out of order a chunk later (each minute's lines shuffled, a slow request logged
    // at its end) is late only past a whole chunk, whatever the chunk's size (see
    // framing/time-cut.ts). The steps of one chunk more are held, no more.
    const clock = behind ? this.clockBefore : this.clock;
    this.clockBefore = this.clock;
    const wm = Math.min(clock, bound) - Math.max(this.timing.lateness, this.disorder);
    this.sealThrough(Math.floor(wm / this.timing.step) - 1);
  }

  /** The most seconds the input's lines ran backwards so far (noteDisorder), up to a window. */
  private disorder = 0;

  /**
   * A batch run: lines of the input came up to `seconds` after lines stamped later (each
   * minute's lines shuffled, a log merged from several servers, slow requests logged when they
   * end). The lateness allowed grows to that, up to one window, so such a log loses no line as
   * late whatever its chunks; a log in time order keeps the configured lateness.
   */
  noteDisorder(seconds: number): void {
    if (seconds > this.disorder) this.disorder = Math.min(seconds, this.timing.window);
  }

  /** The clock as it stood after the previous advance (see advance). */
  private clockBefore = -Infinity;

  /** End of input: seal everything (outliers too) and close open alerts. */
  finish(): void {
    this.takeNoted();
    // Held records that nothing came after (the input's last ones) harm nothing: they are
    // the end of the span. Only those that later input passed over stay outliers.
    for (const h of [...this.ahead.keys()]) if (!this.passedOver.has(h)) this.release(h);
    const last = Math.max(this.clock, this.maxTime);
    if (last > -Infinity) this.sealThrough(Math.floor(last / this.timing.step) + this.k);
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
          // The steps jumped over count towards forgetting closed alerts as sealed ones do: a
          // flood on /login, a silent log for twenty minutes (the server down), the flood again
          // was one alert across the silence, as if it had merely flapped.
          this.forgetClosed(jumpTo);
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
      const taken = a === undefined && reopen === undefined ? this.takeContinued(f) : undefined;
      if (reopen !== undefined) {
        // A rate hovering around its limit would otherwise flap open/closed every few steps.
        this.recentlyClosed.delete(id);
        reopen.state = 'open';
        reopen.thaw();
        reopen.update(f, s);
        for (const b of inWindow) reopen.absorb(b);
        this.open.set(id, reopen);
        this.emit('alert.open', reopen);
      } else if (taken !== undefined) {
        taken.retitle(f);
        taken.update(f, s);
        if (cur !== undefined) taken.absorb(cur);
        this.open.set(id, taken);
        this.emit('alert.open', taken);
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
    this.forgetClosed(s);
    const leaving = this.buckets.get(s - this.k + 1);
    if (leaving !== undefined) {
      this.retire(leaving);
      this.buckets.delete(leaving.index);
    }
    this.sealedThrough = s;
  }

  /** Closed alerts a finding at step s no longer reopens: closed a window or more before it. */
  private forgetClosed(s: number): void {
    for (const [id, a] of this.recentlyClosed) {
      if (s - a.closedStep < this.k) continue;
      a.settle();
      this.recentlyClosed.delete(id);
    }
  }

  /** The open alert finding `f` continues (see continues), out of `open` to take f's id; or none. */
  private takeContinued(f: F): A | undefined {
    const prev = this.continues(f);
    if (prev === undefined) return undefined;
    const was = this.open.get(prev);
    if (was !== undefined) this.open.delete(prev);
    return was;
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

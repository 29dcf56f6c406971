/** Ctrl-C on a batch run: the report of what was read says where reading stopped. */

/** Where an input stopped: a file offset (compressed bytes for gzip) of its size, if known. */
export interface StopPoint {
  name: string;
  offset: number;
  size: number | null;
  compressed: boolean;
}

/** What an interrupted run did not read: collected while it stops, said as one warning. */
export class Interruption {
  private at: StopPoint | null = null;
  private readonly unread: string[] = [];

  /** Some input was stopped before its end. */
  get stopped(): boolean {
    return this.at !== null;
  }

  /** An input not started. */
  notRead(name: string): void {
    this.unread.push(name);
  }

  /** An input stopped before its end: the first is where the run stopped, the others are not read from there on. */
  stoppedIn(at: StopPoint): void {
    if (this.at === null) this.at = at;
    else this.unread.push(`${at.name} from ${at.compressed ? 'compressed ' : ''}byte ${at.offset}`);
  }

  /** The warning, or null if nothing was left unread. */
  warning(): string | null {
    if (this.at === null && this.unread.length === 0) return null;
    const at = this.at;
    const where =
      at === null
        ? 'between inputs'
        : `in ${at.name} at ${at.compressed ? 'compressed ' : ''}byte ${at.offset}${at.size !== null && at.size > 0 ? ` of ${at.size} (${Math.floor((at.offset / at.size) * 100)} %)` : ''}`;
    const u = this.unread;
    const rest = u.length === 0 ? '' : `; not read: ${u.slice(0, 5).join(', ')}${u.length > 5 ? ` and ${u.length - 5} more` : ''}`;
    return `interrupted ${where}: this report covers what was read before${rest}`;
  }
}

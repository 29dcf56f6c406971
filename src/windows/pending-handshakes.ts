/**
 * Handshakes whose SYN was seen in one chunk and whose ACK may come in a later one:
 * 32-bit 4-tuple hash → (step, service id), in typed arrays with bounded memory.
 *
 * Two generations of open-addressing tables: new entries go into `cur`; when it is half
 * full, `old` is dropped and `cur` becomes `old`. An entry that ages out this way was
 * never completed — exactly what "half-open" means — so dropping it is the right answer,
 * not an approximation. Memory: 2 × capacity × 12 bytes (6 MiB by default: 256k handshakes
 * per generation outlive any real round trip even at 100k SYN/s).
 */
/** Bits in each table's filter: 2^20 (128 KiB), ~12 % set at the 128k entries a generation holds. */
const FILTER_BITS = 20;

class Table {
  readonly keys: Uint32Array;
  readonly steps: Int32Array;
  readonly services: Int32Array;
  /**
   * One bit per key, from other bits of the key's hash than its slot: nearly every lookup
   * misses (a chunk's first ACK of a tuple whose SYN was in no earlier chunk), and the bit
   * answers most misses without reading the 1 MiB key array at a random place.
   */
  private readonly filter = new Int32Array(1 << (FILTER_BITS - 5));
  size = 0;
  constructor(readonly cap: number) {
    this.keys = new Uint32Array(cap);
    this.steps = new Int32Array(cap);
    this.services = new Int32Array(cap);
  }
  private static bit(k: number): number {
    return Math.imul(k, 0x85ebca6b) >>> (32 - FILTER_BITS);
  }
  private slot(k: number): number {
    let i = Math.imul(k, 0x9e3779b1) >>> 0;
    i &= this.cap - 1;
    for (;;) {
      const v = this.keys[i]!;
      if (v === 0 || v === k) return i;
      i = (i + 1) & (this.cap - 1);
    }
  }
  set(k: number, step: number, service: number): void {
    const b = Table.bit(k);
    this.filter[b >>> 5]! |= 1 << (b & 31);
    const i = this.slot(k);
    if (this.keys[i] === 0) this.size++;
    this.keys[i] = k;
    this.steps[i] = step;
    this.services[i] = service;
  }
  /** Empty the table for reuse (a zero key marks a free slot; the other columns are overwritten on set). */
  clear(): void {
    this.keys.fill(0);
    this.filter.fill(0);
    this.size = 0;
  }
  /** Index of k or -1. Entries are never deleted (a matched entry is marked service -1). */
  find(k: number): number {
    const b = Table.bit(k);
    if (((this.filter[b >>> 5]! >>> (b & 31)) & 1) === 0) return -1;
    const i = this.slot(k);
    return this.keys[i] === k ? i : -1;
  }
}

export class PendingHandshakes {
  private cur: Table;
  private old: Table;
  private readonly serviceIds = new Map<string, number>();
  private readonly serviceKeys: string[] = [];

  constructor(private readonly capacity = 1 << 18) {
    this.cur = new Table(capacity);
    this.old = new Table(capacity);
  }

  /** The id of a service key, for addId (made once per service, not per SYN). */
  id(service: string): number {
    let id = this.serviceIds.get(service);
    if (id === undefined) {
      id = this.serviceKeys.length;
      this.serviceIds.set(service, id);
      this.serviceKeys.push(service);
    }
    return id;
  }

  /** A SYN left open: its 4-tuple hash, step, and service (an id from id()). */
  addId(hash: number, step: number, serviceId: number): void {
    const k = hash >>> 0 || 1;
    if (this.cur.size * 2 >= this.capacity) {
      // The old generation is dropped and its arrays reused (a spoofed flood turns them over
      // every 128k SYNs: a fresh 3 MiB each time was garbage for the main thread's GC).
      const reuse = this.old;
      reuse.clear();
      this.old = this.cur;
      this.cur = reuse;
    }
    this.cur.set(k, step, serviceId);
  }

  /**
   * Service ids only grow; when there are very many, start over (rare: the pending
   * handshakes are dropped with them). Call between chunks, never while holding ids.
   */
  trimServices(): void {
    if (this.serviceKeys.length <= 100_000) return;
    this.serviceIds.clear();
    this.serviceKeys.length = 0;
    this.cur = new Table(this.capacity);
    this.old = new Table(this.capacity);
  }

  /**
   * The pending handshake of this hash, removed; or null. Called for every first ACK of a
   * chunk whose SYN was not in it — on a busy link nearly every packet of a chunk — so a
   * miss allocates nothing.
   */
  take(hash: number): { step: number; service: string } | null {
    const k = hash >>> 0 || 1;
    return this.takeFrom(this.cur, k) ?? this.takeFrom(this.old, k);
  }

  private takeFrom(t: Table, k: number): { step: number; service: string } | null {
    if (t.size === 0) return null;
    const i = t.find(k);
    if (i < 0 || t.services[i]! < 0) return null;
    const out = { step: t.steps[i]!, service: this.serviceKeys[t.services[i]!]! };
    t.services[i] = -1;
    return out;
  }
}

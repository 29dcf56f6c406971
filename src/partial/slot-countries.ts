/**
 * Countries of the addresses interned in a folder's KeyTable (4 words a slot): each slot is
 * looked up at most once per chunk, and [slot, count, …] lists become country histograms.
 * Shared by the log and the packet folder.
 */
import { GeoIp } from '../geo/geoip.js';
import { COUNTRY_CODES, type CountryHist } from '../geo/country-code.js';
import { GrowableI32 } from './growable.js';
import type { KeyTable } from './tables.js';

export class SlotCountries {
  private readonly geo: GeoIp;
  private readonly scratch = new Float64Array(COUNTRY_CODES);
  private readonly seen = new Uint16Array(COUNTRY_CODES);
  /** Country per slot in this chunk (-1: not yet looked up). */
  private readonly bySlot = new GrowableI32(8192, -1);

  /** `countryBytes`: the country database, shared by the pool (else read from disk). */
  constructor(
    private readonly table: KeyTable,
    geo: { countryDb?: string },
    countryBytes?: Uint8Array,
  ) {
    this.geo = new GeoIp({ ...(geo.countryDb !== undefined ? { countryDb: geo.countryDb } : {}), ...(countryBytes ? { countryBytes } : {}) });
  }

  /** Call before the table is cleared for a new chunk: its slots will hold other addresses. */
  reset(): void {
    this.bySlot.a.fill(-1, 0, Math.min(this.bySlot.a.length, this.table.size));
  }

  /** Counts by country over a flat [slot, count, …] list, codes ascending. */
  histogram(pairs: ArrayLike<number>, n = pairs.length): CountryHist {
    const h = this.scratch;
    const seen = this.seen;
    let nSeen = 0;
    const k = this.table.keys;
    const bySlot = this.bySlot.ensure(this.table.size);
    for (let q = 0; q < n; q += 2) {
      const slot = pairs[q]!;
      let c = bySlot[slot]!;
      if (c < 0) {
        const s = slot * 4;
        c = bySlot[slot] = this.geo.code(k[s]!, k[s + 1]!, k[s + 2]!, k[s + 3]!);
      }
      if (h[c] === 0) seen[nSeen++] = c;
      h[c]! += pairs[q + 1]!;
    }
    // Only the codes present are read back and cleared (a histogram holds a few dozen of 692).
    const codes = seen.slice(0, nSeen).sort();
    const counts = new Float64Array(nSeen);
    for (let i = 0; i < nSeen; i++) {
      counts[i] = h[codes[i]!]!;
      h[codes[i]!] = 0;
    }
    return { codes, counts };
  }
}

/**
 * The site's regular sources: addresses that carried a large share of the traffic before the
 * first attack alert opened (the buckets that had left the window by then). They are the
 * server's own infrastructure or its heaviest legitimate users — a reverse proxy, load
 * balancer or CDN whose address the log or capture holds, a NAT, a crawler — and a block list
 * of them takes the site down.
 *
 * Only the first attack counts: later alerts' "before" holds earlier attacks (a source that
 * flooded alone first would be "regular" by the time a URL flood began). So an address whose
 * own alert came first is never regular: a busy CDN address over the per-source rate from the
 * first window, or a load balancer holding its hundred connections from the capture's first
 * second, is not recognised (the logs report warns when a few addresses carry most requests).
 */
import { formatIp } from '../parsers/ip.js';
import type { AlertBase } from './alert-base.js';

/** A regular source carried at least this share of the requests (packets) before the attack … */
export const REGULAR_MIN_SHARE = 0.1;
/** … of at least this many. */
export const REGULAR_MIN_COUNT = 200;

export interface RegularSource {
  ip: string;
  count: number;
  /** Of the requests (packets) before the attack. */
  share: number;
}

/**
 * The regular sources by an engine's alerts so far. Fixed once an attack alert has opened
 * (its "before" does not change), and kept from then on.
 */
export class RegularSources {
  private fixed: RegularSource[] | null = null;

  of<A extends AlertBase<unknown>>(alerts: readonly A[]): RegularSource[] {
    if (this.fixed !== null) return this.fixed;
    let first: A | undefined;
    for (const a of alerts) if (a.isAttack && (first === undefined || a.id < first.id)) first = a;
    if (first === undefined) return [];
    const total = first.beforeRequests;
    this.fixed =
      total < REGULAR_MIN_COUNT
        ? []
        : first.before
            .filter((e) => e.count >= REGULAR_MIN_SHARE * total)
            .map((e) => ({ ip: formatIp(e.w0, e.w1, e.w2, e.w3), count: e.count, share: Math.round((e.count / total) * 1000) / 1000 }));
    return this.fixed;
  }
}

import { describe, expect, it } from 'vitest';
import { SpaceSaving } from '../../src/sketches/space-saving.js';
import { Random } from '../../src/util/random.js';

function stream(n: number, keys: number, seed: number): Int32Array {
  const rnd = new Random(seed);
  const cdf = Random.zipfCdf(keys, 1.0);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rnd.fromCdf(cdf);
  return out;
}

describe('SpaceSaving', () => {
  it('returns every key above 1% of the stream, with count - error ≤ true ≤ count', () => {
    const items = stream(300_000, 50_000, 7);
    const truth = new Map<number, number>();
    const ss = new SpaceSaving(200);
    for (const k of items) {
      truth.set(k, (truth.get(k) ?? 0) + 1);
      ss.add(k, 0, 0, 0);
    }
    const top = ss.top();
    const present = new Set(top.map((e) => e.w0));
    let heavy = 0;
    for (const [k, c] of truth) {
      if (c > items.length / 100) {
        heavy++;
        expect(present.has(k)).toBe(true);
      }
    }
    expect(heavy).toBeGreaterThan(3);
    for (const e of top) {
      const t = truth.get(e.w0) ?? 0;
      expect(e.count).toBeGreaterThanOrEqual(t);
      expect(e.count - e.error).toBeLessThanOrEqual(t);
      expect(e.error).toBeLessThanOrEqual(items.length / ss.capacity);
    }
  });

  it('grown from a few slots, is the same summary as one allocated whole (through evictions and serialization)', () => {
    const items = stream(100_000, 20_000, 11);
    const whole = new SpaceSaving(1024);
    const grown = new SpaceSaving(1024, 8);
    for (let i = 0; i < items.length; i++) {
      const k = items[i]!;
      whole.add(k, 1, 0xffff, k * 7, 1 + (i % 3));
      grown.add(k, 1, 0xffff, k * 7, 1 + (i % 3));
      if (i === 500) expect(grown.top()).toEqual(whole.top());
    }
    expect(grown.size).toBe(1024);
    expect(grown.minCount).toBeGreaterThan(0);
    expect(grown.top()).toEqual(whole.top());
    expect(grown.countOf(items[0]!, 1, 0xffff, items[0]! * 7)).toBe(whole.countOf(items[0]!, 1, 0xffff, items[0]! * 7));
    expect(grown.toBytes()).toEqual(whole.toBytes());
  });

  it('reserved for lists of keys, is the same summary as one grown key by key (byCount order too, through evictions)', () => {
    const items = stream(60_000, 9_000, 13);
    const plain = new SpaceSaving(4096, 64);
    const reserved = new SpaceSaving(4096, 64);
    // Lists of distinct keys, as a worker sends a step's sources: reserve once per list.
    for (let from = 0; from < items.length; from += 3_000) {
      const list = [...new Set(items.subarray(from, from + 3_000))];
      reserved.reserve(list.length);
      for (const k of list) {
        plain.add(k, 2, 0, k ^ 0x5bd1e995, 1 + (k % 5));
        reserved.add(k, 2, 0, k ^ 0x5bd1e995, 1 + (k % 5));
      }
      if (from === 0) expect(reserved.size).toBe(list.length);
    }
    expect(reserved.size).toBe(4096);
    expect(reserved.byCount()).toEqual(plain.byCount());
    expect(reserved.toBytes()).toEqual(plain.toBytes());
    expect(reserved.estimate(items[7]!, 2, 0, items[7]! ^ 0x5bd1e995)).toBe(plain.estimate(items[7]!, 2, 0, items[7]! ^ 0x5bd1e995));
  });

  it('lists its entries by count, ties by key, whatever the keys (IPv4 sources, IPv6 ones, a mix, fractional counts)', () => {
    const rnd = new Random(5);
    const sorted = (ss: SpaceSaving) =>
      [...ss.top()].sort((a, b) => b.count - a.count || a.w0 - b.w0 || a.w1 - b.w1 || a.w2 - b.w2 || a.w3 - b.w3);
    const cases: [string, (i: number) => [number, number, number, number, number]][] = [
      ['IPv4', (i) => [0, 0, 0xffff, (0xc0000000 + (((i * 2654435761) >>> 0) % 5000)) >>> 0, 1 + (i % 4)]],
      ['IPv6', (i) => [0x20010db8, i % 7, 0, i % 300, 1 + (i % 3)]],
      ['mixed', (i) => (i % 5 === 0 ? [0x20010db8, 0, 0, i % 50, 2] : [0, 0, 0xffff, 0xc0000000 + (i % 400), 1])],
      ['fractional', (i) => [0, 0, 0xffff, i % 300, 0.5]],
    ];
    for (const [name, key] of cases) {
      const ss = new SpaceSaving(256, 16);
      for (let i = 0; i < 20_000; i++) {
        const [w0, w1, w2, w3, c] = key(Math.floor(rnd.next() * 1e6));
        ss.add(w0, w1, w2, w3, c);
      }
      const want = sorted(ss);
      expect(new Set(want.map((e) => e.count)).size, name).toBeLessThan(want.length); // ties present
      expect(ss.top(), name).toEqual(want);
      expect(ss.sorted(10).entries(), name).toEqual(want.slice(0, 10));
    }
  });


  it('byCount lists entries by count, ties in the order the keys came, for small, huge and fractional counts', () => {
    // Small counts take the uint32 sort, counts past 2^18 with 14-bit slots the float one,
    // fractional ones the comparator: all must give the same order.
    const cases: [string, number, (i: number) => number][] = [
      ['small', 10_000, (i) => 1 + (i % 5)],
      ['huge', 10_000, (i) => (i % 3 === 0 ? 5_000_000 + (i % 2) : 1 + (i % 5))],
      ['fractional', 3_000, (i) => 0.5 * (1 + (i % 4))],
      ['one', 1, () => 7],
    ];
    for (const [name, keys, count] of cases) {
      const ss = new SpaceSaving(16384, 64);
      const arrival: number[] = [];
      const truth = new Map<number, number>();
      const rnd = new Random(11);
      for (let i = 0; i < keys * 2; i++) {
        const k = (0xc0000000 + Math.floor(rnd.next() * keys) * 7919) >>> 0;
        if (!truth.has(k)) arrival.push(k);
        truth.set(k, (truth.get(k) ?? 0) + count(i));
        ss.add(0, 0, 0xffff, k, count(i));
      }
      const want = arrival.map((k, at) => ({ k, at, c: truth.get(k)! })).sort((a, b) => b.c - a.c || a.at - b.at);
      const got = ss.byCount();
      expect(got.length, name).toBe(want.length);
      expect(Array.from(got.counts), name).toEqual(want.map((e) => e.c));
      expect(Array.from({ length: got.length }, (_, i) => got.words[i * 4 + 3]), name).toEqual(want.map((e) => e.k));
    }
  });
  it('merges two halves into a summary that still holds every key above 1%', () => {
    const items = stream(200_000, 20_000, 11);
    const a = new SpaceSaving(150);
    const b = new SpaceSaving(150);
    const truth = new Map<number, number>();
    items.forEach((k, i) => {
      truth.set(k, (truth.get(k) ?? 0) + 1);
      (i % 3 === 0 ? a : b).add(k, 1, 2, 3);
    });
    a.merge(b);
    expect(a.total).toBe(items.length);
    const present = new Map(a.top().map((e) => [e.w0, e]));
    for (const [k, c] of truth) {
      if (c > items.length / 100) {
        const e = present.get(k);
        expect(e).toBeDefined();
        expect(e!.count).toBeGreaterThanOrEqual(c);
        expect(e!.count - e!.error).toBeLessThanOrEqual(c);
      }
    }
  });

  it('keeps 4-word keys (IPv6) intact, orders ties deterministically, round-trips bytes', () => {
    const ss = new SpaceSaving(4);
    ss.add(0x20010db8, 0, 0, 1, 5);
    ss.add(0x20010db8, 0, 0, 2, 5);
    ss.add(0, 0, 0xffff, 0x7f000001, 9);
    const top = ss.top();
    expect(top.map((e) => [e.w3, e.count])).toEqual([
      [0x7f000001, 9],
      [1, 5],
      [2, 5],
    ]);
    expect(SpaceSaving.fromBytes(ss.toBytes()).top()).toEqual(top);
    expect(() => ss.merge(ss)).toThrow(/itself/);
    expect(() => ss.merge(new SpaceSaving(5))).toThrow(/k=5 into k=4/);
  });

  it('survives heavy eviction churn with a consistent index', () => {
    const ss = new SpaceSaving(16);
    const rnd = new Random(3);
    for (let i = 0; i < 100_000; i++) ss.add(rnd.int(5000), 0, 0, 0);
    ss.add(123_456, 0, 0, 0, 1_000_000);
    expect(ss.top(1)[0]!.w0).toBe(123_456);
    expect(ss.size).toBe(16);
  });
});

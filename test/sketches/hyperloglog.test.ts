import { describe, expect, it } from 'vitest';
import { HyperLogLog } from '../../src/sketches/hyperloglog.js';
import { hash64, hashWords } from '../../src/sketches/hash.js';
import { SketchError } from '../../src/sketches/errors.js';

function addRange(h: HyperLogLog, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    hashWords(i, 0x1234, 0, 0, 7);
    h.add(hash64[0]!, hash64[1]!);
  }
}

describe('HyperLogLog', () => {
  it('estimates 1e6 distinct keys within 2% (p = 14)', () => {
    const h = new HyperLogLog(14);
    addRange(h, 0, 1_000_000);
    // Adding the same keys again changes nothing.
    addRange(h, 0, 100_000);
    expect(Math.abs(h.estimate() / 1_000_000 - 1)).toBeLessThan(0.02);
  });

  it('is exact-ish for small sets while sparse, and estimates match after going dense', () => {
    const h = new HyperLogLog(12);
    expect(h.estimate()).toBe(0);
    addRange(h, 0, 100);
    expect(h.isSparse).toBe(true);
    expect(Math.abs(h.estimate() - 100)).toBeLessThan(3);
    addRange(h, 100, 50_000);
    expect(h.isSparse).toBe(false);
    expect(Math.abs(h.estimate() / 50_000 - 1)).toBeLessThan(0.05);
  });

  it('merges to the union, whatever the storage mode of each side', () => {
    const a = new HyperLogLog(12);
    const b = new HyperLogLog(12);
    const c = new HyperLogLog(12);
    addRange(a, 0, 30_000);
    addRange(b, 20_000, 20_050); // sparse
    addRange(c, 25_000, 60_000);
    a.merge(b);
    a.merge(c);
    const all = new HyperLogLog(12);
    addRange(all, 0, 60_000);
    expect(a.estimate()).toBeCloseTo(all.estimate(), 6);
    const small = new HyperLogLog(12);
    addRange(small, 0, 10);
    small.merge(all.clone());
    expect(small.estimate()).toBeCloseTo(all.estimate(), 6);
  });

  it('round-trips through versioned bytes, sparse and dense', () => {
    for (const n of [5, 40_000]) {
      const h = new HyperLogLog(12);
      addRange(h, 0, n);
      const back = HyperLogLog.fromBytes(h.toBytes());
      expect(back.estimate()).toBe(h.estimate());
      expect(back.isSparse).toBe(h.isSparse);
    }
  });

  it('refuses bad parameters, self-merge, other precisions, other seeds and foreign bytes', () => {
    expect(() => new HyperLogLog(3)).toThrow(/precision p must be an integer in \[4, 18\]/);
    const h = new HyperLogLog(12);
    expect(() => h.merge(h)).toThrow(SketchError);
    expect(() => h.merge(new HyperLogLog(13))).toThrow(/p=13 into p=12/);
    expect(() => h.merge(new HyperLogLog(12, 99))).toThrow(/different hash seeds/);
    const bytes = h.toBytes();
    bytes[1] = 9;
    expect(() => HyperLogLog.fromBytes(bytes)).toThrow(/serial version 9/);
    expect(() => HyperLogLog.fromBytes(new HyperLogLog(12, 99).toBytes())).toThrow(/another hash seed/);
  });
});

describe('HyperLogLog.bytesOf', () => {
  it('builds the same bytes as adding the hashes one by one, sparse and dense', () => {
    for (const n of [0, 3, 900, 5000]) {
      const his: number[] = [];
      const los: number[] = [];
      const h = new HyperLogLog(12);
      for (let i = 0; i < n; i++) {
        hashWords(i, 9, 9, 9, 3);
        his.push(hash64[0]!);
        los.push(hash64[1]!);
        h.add(hash64[0]!, hash64[1]!);
      }
      expect(Buffer.from(HyperLogLog.bytesOf(12, his, los, n)).equals(Buffer.from(h.toBytes()))).toBe(true);
    }
  });

  it('is the same with another seed and with repeated hashes (sparse codes deduplicated, the largest rank kept)', () => {
    const his: number[] = [];
    const los: number[] = [];
    const h = new HyperLogLog(12, 77);
    for (let i = 0; i < 600; i++) {
      hashWords(i % 200, 1, 2, 3, 5);
      // Same index, other ranks: the low word shifted.
      const lo = i < 200 ? hash64[1]! : hash64[1]! >>> (i % 7);
      his.push(hash64[0]!);
      los.push(lo);
      h.add(hash64[0]!, lo);
    }
    const got = HyperLogLog.bytesOf(12, his, los, his.length, 77);
    expect(got[3]).toBe(1); // sparse
    expect(Buffer.from(got).equals(Buffer.from(h.toBytes()))).toBe(true);
    expect(() => HyperLogLog.bytesOf(3, his, los, 1)).toThrow(/precision/);
  });
});

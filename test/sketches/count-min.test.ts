import { describe, expect, it } from 'vitest';
import { CountMin } from '../../src/sketches/count-min.js';
import { hash64, hashWords } from '../../src/sketches/hash.js';
import { Random } from '../../src/util/random.js';

function zipfStream(n: number, keys: number, seed: number): Float64Array {
  const rnd = new Random(seed);
  const cdf = Random.zipfCdf(keys, 1.1);
  const truth = new Float64Array(keys);
  for (let i = 0; i < n; i++) truth[rnd.fromCdf(cdf)]!++;
  return truth;
}

describe('CountMin', () => {
  it('never underestimates and stays within its stated εN bound for at least 1 - δ of keys', () => {
    for (const conservative of [false, true]) {
      const cms = CountMin.forError(0.001, 0.01, { conservative });
      expect(cms.width).toBe(Math.ceil(Math.E / 0.001));
      expect(cms.depth).toBe(Math.ceil(Math.log(100)));
      const truth = zipfStream(200_000, 20_000, 42);
      for (let k = 0; k < truth.length; k++) {
        if (truth[k] === 0) continue;
        hashWords(k, 0, 0, 0, 1);
        cms.add(hash64[0]!, hash64[1]!, truth[k]!);
      }
      const bound = cms.epsilon * cms.total;
      let within = 0;
      let seen = 0;
      for (let k = 0; k < truth.length; k++) {
        if (truth[k] === 0) continue;
        hashWords(k, 0, 0, 0, 1);
        const est = cms.estimate(hash64[0]!, hash64[1]!);
        expect(est).toBeGreaterThanOrEqual(truth[k]!);
        seen++;
        if (est - truth[k]! <= bound) within++;
      }
      expect(within / seen).toBeGreaterThanOrEqual(1 - cms.delta);
    }
  });

  it('merges by adding counters and decays by scaling', () => {
    const a = new CountMin(500, 4);
    const b = new CountMin(500, 4);
    hashWords(1, 2, 3, 4, 0);
    a.add(hash64[0]!, hash64[1]!, 10);
    b.add(hash64[0]!, hash64[1]!, 5);
    a.merge(b);
    expect(a.estimate(hash64[0]!, hash64[1]!)).toBe(15);
    a.scale(0.5);
    expect(a.estimate(hash64[0]!, hash64[1]!)).toBe(7.5);
    expect(a.total).toBe(7.5);
    expect(CountMin.fromBytes(a.toBytes()).estimate(hash64[0]!, hash64[1]!)).toBe(7.5);
  });

  it('refuses self-merge and shape mismatches with messages that explain the sizing', () => {
    const a = new CountMin(100, 3);
    expect(() => a.merge(a)).toThrow(/itself/);
    expect(() => a.merge(new CountMin(101, 3))).toThrow(/101×3 into 100×3/);
    expect(() => new CountMin(1, 3)).toThrow(/w = e\/ε/);
    expect(() => CountMin.forError(0, 0.1)).toThrow(/ε must be in/);
  });
});

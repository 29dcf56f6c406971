/**
 * Micro-benches of hot pieces beside their obvious alternatives (undici style), run at the
 * end of `npm run bench`. The numbers justify the choices recorded in the README:
 *  - our HyperLogLog vs the `bloom-filters` package's, same keys (strings, as a user of
 *    that package would pass them), updates/s and error at the end;
 *  - our count-min vs `bloom-filters`' CountMinSketch;
 *  - the closing-quote scan in the line parser: memchr (Buffer#indexOf) vs a byte loop.
 */
import { createRequire } from 'node:module';
import { CountMin } from '../src/sketches/count-min.js';
import { hash64, hashBytes } from '../src/sketches/hash.js';
import { HyperLogLog } from '../src/sketches/hyperloglog.js';

interface BloomHll {
  update(e: string): void;
  count(round?: boolean): number;
}
interface BloomCms {
  update(e: string, c?: number): void;
  count(e: string): number;
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** The keys as strings (what a bloom-filters user passes) and as ranges of one buffer (what a chunk is). */
function keys(n: number): { strings: string[]; all: Buffer; offsets: Int32Array } {
  const strings: string[] = [];
  for (let i = 0; i < n; i++) strings.push(`203.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
  const all = Buffer.from(strings.join(''));
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + strings[i]!.length;
  return { strings, all, offsets };
}

export async function runMicro(): Promise<void> {
  const N = 200_000;
  const k = keys(N);
  console.log('micro-benches (higher is better):');

  let ours = new HyperLogLog(14);
  const tOurs = time(() => {
    for (let i = 0; i < N; i++) {
      hashBytes(k.all, k.offsets[i]!, k.offsets[i + 1]!, 1);
      ours.add(hash64[0]!, hash64[1]!);
    }
  });
  ours = ours.clone();
  const estOurs = ours.estimate();
  let bloom: { HyperLogLog: new (m: number) => BloomHll; CountMinSketch: new (c: number, r: number) => BloomCms } | null = null;
  try {
    bloom = createRequire(import.meta.url)('bloom-filters');
  } catch {
    console.log('  bloom-filters not installed (dev dependency): comparison skipped');
  }
  console.log(`  HLL p=14, ${N.toLocaleString('en-US')} distinct keys`);
  console.log(`    floodscope HyperLogLog   ${Math.round(N / (tOurs / 1000)).toLocaleString('en-US').padStart(12)} updates/s   error ${((estOurs / N - 1) * 100).toFixed(2)}%`);
  if (bloom) {
    const sub = k.strings.slice(0, 20_000);
    const h = new bloom.HyperLogLog(1 << 14);
    const t = time(() => {
      for (const s of sub) h.update(s);
    });
    console.log(`    bloom-filters HyperLogLog ${Math.round(sub.length / (t / 1000)).toLocaleString('en-US').padStart(11)} updates/s   error ${((h.count() / sub.length - 1) * 100).toFixed(2)}% (on ${sub.length.toLocaleString('en-US')} keys)`);
  }

  const cms = CountMin.forError(0.001, 0.01);
  const tCms = time(() => {
    for (let i = 0; i < N; i++) {
      hashBytes(k.all, k.offsets[i]!, k.offsets[i + 1]!, 1);
      cms.add(hash64[0]!, hash64[1]!);
    }
  });
  console.log(`  count-min ε=0.001 δ=0.01 (${cms.width}×${cms.depth})`);
  console.log(`    floodscope CountMin      ${Math.round(N / (tCms / 1000)).toLocaleString('en-US').padStart(12)} updates/s`);
  if (bloom) {
    const c = new bloom.CountMinSketch(cms.width, cms.depth);
    const sub = k.strings.slice(0, 50_000);
    const t = time(() => {
      for (const s of sub) c.update(s);
    });
    console.log(`    bloom-filters CountMin   ${Math.round(sub.length / (t / 1000)).toLocaleString('en-US').padStart(12)} updates/s (on ${sub.length.toLocaleString('en-US')} keys)`);
  }

  // The quoted-field scan: a user agent line of ~200 bytes, closing quote near the end.
  const line = Buffer.from(`"${'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 '.repeat(1)}"\n`.repeat(20_000));
  let found = 0;
  const tMem = time(() => {
    for (let rep = 0; rep < 5; rep++) {
      let p = 0;
      while (p < line.length) {
        const q = line.indexOf(34, p + 1);
        found += q;
        p = line.indexOf(10, q) + 1;
      }
    }
  });
  const tLoop = time(() => {
    for (let rep = 0; rep < 5; rep++) {
      let p = 0;
      while (p < line.length) {
        let q = p + 1;
        while (line[q] !== 34) q += line[q] === 92 ? 2 : 1;
        found += q;
        p = line.indexOf(10, q) + 1;
      }
    }
  });
  const mb = (line.length * 5) / 1e6;
  console.log('  closing-quote scan over user agents');
  console.log(`    memchr (Buffer#indexOf)  ${(mb / (tMem / 1000)).toFixed(0).padStart(12)} MB/s`);
  console.log(`    byte loop                ${(mb / (tLoop / 1000)).toFixed(0).padStart(12)} MB/s${found === 0 ? ' ' : ''}`);
}

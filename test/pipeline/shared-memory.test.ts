/**
 * Chunks and Partials cross threads in shared memory, never by transfer: a transfer detaches
 * the sender's ArrayBuffer, and V8 then throws away every optimized function of that thread
 * that reads a typed array and compiles it again with a detach check on each access (its
 * ArrayBufferDetaching protector, invalidated for good by the first detach). Measured: a
 * worker's second chunk ran in the interpreter (fold 90 → 190 ms) and every later one ~15 %
 * slower (README, Performance). V8 says when the protector goes: these runs must not make it.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateCapture, writePcap } from '../../dist/src/index.js';
import { LogFolder } from '../../dist/src/partial/log-folder.js';
import { packPartial } from '../../dist/src/partial/partial.js';
import { BIN, generated, tmp } from '../helpers.js';

const DETACH = 'Invalidating protector cell ArrayBufferDetaching';

/** The CLI under `node --trace-protector-invalidation` (V8 writes its trace on stdout); the report goes to a file. */
function traced(args: string[], stdin?: Buffer): Promise<{ code: number | null; trace: string; report: string }> {
  const out = join(tmp(), 'report.json');
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--trace-protector-invalidation', BIN, '--format', 'json', '-o', out, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.resume();
    child.on('error', rej);
    child.on('close', (code) => res({ code, trace: Buffer.concat(chunks).toString(), report: code === 0 ? readFileSync(out, 'utf8') : '' }));
    child.stdin.end(stdin);
  });
}

describe('threads share memory, nothing is transferred', () => {
  const log = generated();
  const lines = log.text.split('\n').length - 1;

  it('no thread detaches a buffer: a plain log (workers read ranges), gzip and a pipe (the main thread frames chunks)', async () => {
    const gz = join(tmp(), 'access.log.gz');
    writeFileSync(gz, gzipSync(log.text));
    for (const [args, stdin] of [[[log.path]], [[gz]], [['-'], Buffer.from(log.text)]] as [string[], Buffer?][]) {
      const r = await traced(['--threads', '2', ...args], stdin);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.report).input.lines).toBe(lines);
      expect(r.trace).not.toContain(DETACH);
    }
  });

  it('nor for a capture', async () => {
    const pcap = join(tmp(), 'flood.pcap');
    const g = generateCapture(42, 0.25);
    writeFileSync(pcap, writePcap(g.packets));
    const r = await traced(['--threads', '2', pcap]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.report).input.packets).toBe(g.packets.length);
    expect(r.trace).not.toContain(DETACH);
  });

  it("packs a Partial into one shared buffer, in new objects, leaving the worker's own as it was", () => {
    const folder = new LogFolder({ format: 'combined', step: 10, clientIp: 'remote', trustedProxies: [], maxSamples: 10, maxLineBytes: 65536, geo: null });
    const text = readFileSync(log.path);
    const partial = folder.fold(new Uint8Array(text.subarray(0, text.indexOf(10, 1 << 20) + 1)), 0);
    const before = structuredClone(partial);
    const packed = packPartial(partial);
    // The worker's Partial is untouched (its arrays are its own, not views on the shared buffer).
    expect(partial).toEqual(before);
    expect(packed).toEqual(before);
    const shared = packed.reasons.buffer;
    expect(shared).toBeInstanceOf(SharedArrayBuffer);
    expect(packed.buckets.length).toBeGreaterThan(3);
    for (const [b, old] of packed.buckets.map((b, i) => [b, partial.buckets[i]!] as const)) {
      expect(b).not.toBe(old);
      for (const a of [b.perSecond, b.counters, b.hll, b.srcWords, b.srcCounts]) expect(a.buffer).toBe(shared);
      expect(old.srcWords.buffer).not.toBe(shared);
      for (const [d, o] of b.urls.map((d, i) => [d, old.urls[i]!] as const)) {
        expect(d).not.toBe(o);
        expect(d.perSecond.buffer).toBe(shared);
        expect(o.perSecond.buffer).not.toBe(shared);
      }
    }
  });
});

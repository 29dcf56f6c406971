import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, generateCapture, writePcap, type CaptureTruth, type Packet } from '../../dist/src/index.js';
import { tmp, spawnLive } from '../helpers.js';

interface Event {
  type: string;
  alert?: { signature: string; target: string; start: string; end: string; topSources: { ip: string; count: number; country?: string }[] };
  packets?: number;
  report?: { input: { packets: number }; attacks: { signature: string; target: string; start: string; end: string }[] };
}

let packets: Packet[];
let truth: CaptureTruth;
let bytes: Buffer;
/** Bytes and packets up to 30 s into the SYN flood: enough for it to qualify. */
let cut: number;
let cutPackets: number;

beforeAll(() => {
  ({ packets, truth } = generateCapture(42, 0.25));
  bytes = writePcap(packets);
  cut = 24;
  cutPackets = 0;
  for (const p of packets) {
    if (p.time >= truth.synFlood.start + 30) break;
    cut += 16 + p.data.length;
    cutPackets++;
  }
});

/** `tcpdump -U -w - | floodscope`: the CLI with a capture written into its stdin over time. */
const live = () => spawnLive<Event>(['--no-window-events']);

describe('live captures: tcpdump -U -w - | floodscope', () => {
  it('emits alert.open for the SYN flood while the pipe is open; SIGINT gives the report of what was read', async () => {
    const l = live();
    l.child.stdin.write(bytes.subarray(0, cut));
    const open = await l.waitFor((e) => e.type === 'alert.open' && e.alert!.signature === 'tcp.syn-flood', 20_000);
    expect(open.alert!.target).toBe(truth.synFlood.target);
    l.child.kill('SIGINT');
    expect(await l.exit).toBe(0);
    const last = l.events[l.events.length - 1]!;
    expect(last.type).toBe('report');
    expect(last.report!.input.packets).toBe(cutPackets);
  });

  it('finds the same attacks as the same capture read from a file', async () => {
    const file = join(tmp(), 'gen.pcap');
    writeFileSync(file, bytes);
    const batch = await analyze({ inputs: [file], threads: 2 });
    const l = live();
    l.child.stdin.write(bytes.subarray(0, cut));
    await l.waitFor((e) => e.type === 'alert.open', 20_000);
    l.child.stdin.end(bytes.subarray(cut));
    expect(await l.exit).toBe(0);
    const report = l.events[l.events.length - 1]!.report!;
    const key = (a: { signature: string; target: string; start: string; end: string }) => `${a.signature} ${a.target} ${a.start} ${a.end}`;
    expect(report.attacks.map(key)).toEqual(batch.attacks.map(key));
    expect(report.attacks.length).toBeGreaterThanOrEqual(3);
    expect(report.input.packets).toBe(truth.packets);
    // Live alerts name their sources' countries, as the report does.
    const closed = l.events.filter((e) => e.type === 'alert.close');
    for (const e of closed) {
      const inBatch = batch.attacks.find((a) => key(a) === key(e.alert!))!;
      const top = e.alert!.topSources[0]!;
      expect(top.country).toBeDefined();
      expect(top.country).toBe(inBatch.topSources.find((s) => s.ip === top.ip)!.country);
    }
  });
});

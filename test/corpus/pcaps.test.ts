/**
 * Every real capture in ../shared/corpus/pcaps parses with the packet count tshark
 * reports, and with its protocol counts (test/corpus/pcap-counts.json, from SOURCES.md),
 * except where floodscope counts differently on purpose (each such file says why).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ByteSource } from '../../src/sources/byte-source.js';
import { frameCapture, type CaptureIssues } from '../../src/framing/captures.js';
import { walkChunk } from '../../src/parsers/packet/records.js';
import { PacketRecord, PROTO, TCP_FLAG } from '../../src/parsers/packet/decode.js';
import { CORPUS, HAVE_CORPUS, NO_CORPUS_MESSAGE, ROOT } from '../helpers.js';

type Counts = Record<'frames' | 'ipv4' | 'ipv6' | 'vlan' | 'tcp' | 'syn' | 'synack' | 'udp' | 'icmp' | 'icmpv6' | 'sources', number>;
const expected = JSON.parse(readFileSync(join(ROOT, 'test/corpus/pcap-counts.json'), 'utf8')) as {
  files: Record<string, Counts & { floodscope?: Partial<Counts>; why?: string }>;
};

async function countCapture(path: string): Promise<{ counts: Counts; issues: CaptureIssues }> {
  const src = await ByteSource.open({ name: path, path });
  await src.peek(16);
  const issues: CaptureIssues = { warnings: [], error: null };
  const r = new PacketRecord();
  const c: Counts = { frames: 0, ipv4: 0, ipv6: 0, vlan: 0, tcp: 0, syn: 0, synack: 0, udp: 0, icmp: 0, icmpv6: 0, sources: 0 };
  const sources = new Set<string>();
  try {
    for await (const ch of frameCapture((t, o, l) => src.read(t, o, l), path, issues)) {
      walkChunk(ch.bytes, ch.context, r, () => {
        c.frames++;
        if (r.vlan) c.vlan++;
        if (r.ipVersion === 4) c.ipv4++;
        if (r.ipVersion === 6) c.ipv6++;
        if (r.ipVersion !== 0) sources.add(`${r.s0}:${r.s1}:${r.s2}:${r.s3}`);
        if (!r.l4) return;
        if (r.proto === PROTO.TCP) {
          c.tcp++;
          const sa = r.tcpFlags & (TCP_FLAG.SYN | TCP_FLAG.ACK);
          if (sa === TCP_FLAG.SYN) c.syn++;
          if (sa === (TCP_FLAG.SYN | TCP_FLAG.ACK)) c.synack++;
        } else if (r.proto === PROTO.UDP) c.udp++;
        else if (r.proto === PROTO.ICMP) c.icmp++;
        else if (r.proto === PROTO.ICMPV6) c.icmpv6++;
      });
    }
  } finally {
    src.close();
  }
  c.sources = sources.size;
  return { counts: c, issues };
}

describe.skipIf(!HAVE_CORPUS)('corpus captures: containers, link layers and decoding', () => {
  it('has counts for every capture in the corpus', () => {
    expect(readdirSync(join(CORPUS, 'pcaps')).sort()).toEqual(Object.keys(expected.files).sort());
  });

  it.each(Object.keys(expected.files).sort())('%s', async (name) => {
    const e = expected.files[name]!;
    const { counts, issues } = await countCapture(join(CORPUS, 'pcaps', name));
    expect(issues.error).toBeNull();
    const { floodscope, why, ...tshark } = e;
    expect(counts, why).toEqual({ ...tshark, ...floodscope });
  });

  it('reads the capture statistics a real pcapng ends with (zeek ldap: 38 received on "any", none dropped)', async () => {
    const { issues } = await countCapture(join(CORPUS, 'pcaps', 'zeek_ldap_issue-32.pcapng'));
    expect(issues.drops).toEqual([{ section: 0, interface: 0, name: 'any', received: 38, droppedByInterface: 0, droppedByOs: null }]);
    expect(issues.warnings).toEqual([]);
  });
});

if (!HAVE_CORPUS) {
  console.warn(`floodscope: ${NO_CORPUS_MESSAGE}`);
  describe('corpus captures', () => {
    it.skip(NO_CORPUS_MESSAGE, () => {});
  });
}

/** What floodscope finds in the real captures of ../shared/corpus/pcaps. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type PacketReport } from '../../dist/src/index.js';
import { CORPUS, HAVE_CORPUS } from '../helpers.js';

const pcap = (n: string) => join(CORPUS, 'pcaps', n);
async function capture(n: string, threads = 2): Promise<PacketReport> {
  const r = await analyze({ inputs: [pcap(n)], threads });
  if (r.kind !== 'capture') throw new Error(`${n} was not read as a capture`);
  return r;
}

describe.skipIf(!HAVE_CORPUS)('detection on real captures', () => {
  it('the spoofed SYN flood: tcp.syn-flood on 10.10.10.10:25565 from ≥ 30,000 sources, same for any thread count', async () => {
    const r = await capture('StopDDoS-packet-captures_pkt.TCP.synflood.spoofed.pcap', 1);
    const f = r.attacks.filter((a) => a.signature === 'tcp.syn-flood');
    expect(f.map((a) => a.target)).toEqual(['10.10.10.10:25565']);
    expect(f[0]!.distinctSources).toBeGreaterThanOrEqual(30_000);
    expect(f[0]!.packets).toBe(37_841);
    expect(f[0]!.evidence).toMatchObject({ halfOpenShare: 1, spoofingLikely: 'yes' });
    expect(r.victims[0]).toMatchObject({ ip: '10.10.10.10', packets: 37_841, rankByBytes: 1 });
    // Countries are counted in the workers over every SYN, not over the listed sources.
    expect(f[0]!.countries!.reduce((a, c) => a + c.count, 0)).toBe(37_841);
    expect(f[0]!.topSources.length).toBe(1000);
    // Captured during the flood: under way from the capture's first second to its last.
    expect(f[0]!.underWay).toEqual({ atStart: true, atEnd: true });
    expect(r.summary.verdict).toMatch(/\(under way for the whole input\)$/);
    const four = await capture('StopDDoS-packet-captures_pkt.TCP.synflood.spoofed.pcap', 4);
    expect(JSON.stringify(four)).toBe(JSON.stringify(r));
  });

  it('the SYN-ACK reflection capture yields tcp.synack-reflection on the victim', async () => {
    const r = await capture('StopDDoS-packet-captures_amp.TCP.reflection.SYNACK.pcap');
    expect(r.attacks.find((a) => a.signature === 'tcp.synack-reflection')?.target).toBe('10.10.10.10');
  });

  it('the DNS RRSIG capture yields udp.amplification', async () => {
    const r = await capture('StopDDoS-packet-captures_amp.dns.RRSIG.fragmented.pcap');
    const a = r.attacks.find((x) => x.signature === 'udp.amplification');
    expect(a?.target).toBe('10.10.10.10');
    expect(a!.evidence.requestsSent).toBe(0);
  });

  it.each(['StopDDoS-packet-captures_amp.UDP.bacnet.IOT.37810.pcapng', 'StopDDoS-packet-captures_amp.UDP.snmp.src161.pcapng', 'StopDDoS-packet-captures_amp.UDP.isakmp.pcap'])(
    '%s (reflection from IoT/SNMP/IKE ports) yields udp.amplification',
    async (n) => {
      const r = await capture(n);
      expect(r.attacks.some((a) => a.signature === 'udp.amplification')).toBe(true);
    },
  );

  it.each(['Pcaphunt_ps-tcp_syn.pcap', 'chrissanders-packets_synscan.pcapng', 'chrissanders-packets_ppa1e_portscan.pcap'])('the port scan %s is not a SYN flood', async (n) => {
    const r = await capture(n);
    expect(r.attacks.filter((a) => a.signature === 'tcp.syn-flood')).toEqual([]);
    for (const a of r.attacks) expect(a.signature).toBe('tcp.port-scan');
    for (const a of r.attacks) expect(a.attack).toBe(false);
  });

  it('reports the nmap scans as tcp.port-scan at info level', async () => {
    const r = await capture('Pcaphunt_ps-tcp_syn.pcap');
    expect(r.attacks.map((a) => [a.signature, a.severity, a.target])).toEqual([['tcp.port-scan', 'info', '10.0.0.140']]);
  });

  it.each([
    'chrissanders-packets_tcp_handshake.pcapng',
    'chrissanders-packets_http_google.pcapng',
    'chrissanders-packets_http_ip4and6.pcapng',
    'zeek_http_bro.org.pcap',
    'zeek_wikipedia.pcap',
    'chrissanders-packets_tcp_ports.pcapng',
  ])('normal traffic %s yields no attack', async (n) => {
    const r = await capture(n);
    expect(r.attacks).toEqual([]);
    expect(r.summary.verdict).toBe('no attack found');
  });

  it('the ICMPv6 floods yield icmp.flood', async () => {
    const r = await capture('suricata-verify_ipv6-dos-with-ext-headers-6_denial6-6.pcap');
    expect(r.attacks.find((a) => a.signature === 'icmp.flood')?.target).toBe('2001:db8:1::1');
  });

  it('a capture whose packets all share one timestamp gives finite rates (no division by zero)', async () => {
    const r = await capture('suricata-verify_dhcp-request-flood_test.pcap');
    expect(r.input.durationSeconds).toBe(1);
    expect(Number.isFinite(r.summary.averagePps)).toBe(true);
    for (const a of r.attacks) {
      expect(Number.isFinite(a.peakRate)).toBe(true);
      expect(Number.isFinite(a.windowRate)).toBe(true);
    }
  });
});

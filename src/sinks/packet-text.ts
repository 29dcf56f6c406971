/**
 * The terminal report of a capture: inputs, totals and protocol mix, the victims (which
 * of your addresses take the traffic), a packet-rate timeline, then every finding.
 */
import type { PacketReport } from '../report/packet-report.js';
import { printable } from '../report/printable.js';
import { briefLines, bytes, clip, duration, edgeLines, episodeLines, fmt, endLine, footerLines, geoLines, partOfLine, sameTrafficLine, severityTag, sourceLines, timelineRows, when, type TextOptions } from './text.js';
import { groupSeverity } from '../report/groups.js';

export function bps(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} Gbit/s` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} Mbit/s` : `${(n / 1e3).toFixed(1)} kbit/s`;
}

export function renderPacketText(r: PacketReport, o: TextOptions): string {
  const c = (code: string, s: string) => (o.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const bold = (s: string) => c('1', s);
  const dim = (s: string) => c('2', s);
  const out: string[] = [];
  const i = r.input;
  out.push(bold(`floodscope ${r.tool.version}`) + dim(' — packet-capture analysis'));
  for (const f of i.files) {
    out.push(
      `Input    ${printable(f.name)}${f.compressed ? ' (gzip)' : ''}: ${f.format ?? '?'}, link type ${f.linkTypes.join(', ') || '-'}, ${bytes(f.bytes)}, ${fmt(f.packets)} packets` +
        (f.damage ? c('31', `  [${f.damage}]`) : ''),
    );
  }
  if (i.start && i.end) out.push(`Span     ${when(i.start)} → ${when(i.end)} ${i.timeZone} (${duration(i.durationSeconds)})`);
  const s = r.summary;
  const p = s.protocols;
  out.push(`Traffic  ${fmt(s.packets)} packets, ${bytes(s.bytes)} from ~${fmt(s.distinctSources)} sources; peak ${fmt(s.peakRate)} packets/s, ${bps(s.peakBps)}`);
  out.push(`Mix      TCP ${fmt(p.tcp)} (SYN ${fmt(p.syn)}, SYN-ACK ${fmt(p.synack)}), UDP ${fmt(p.udp)}, ICMP ${fmt(p.icmp)}, other IP ${fmt(p.other)}, non-IP ${fmt(p.nonIp)}; IPv4 ${fmt(p.ipv4)}, IPv6 ${fmt(p.ipv6)}`);
  if (i.truncated || i.unknownLink || i.fragments) out.push(dim(`         ${fmt(i.fragments)} fragments, ${fmt(i.truncated)} truncated packets, ${fmt(i.unknownLink)} of unknown link type`));
  for (const w of i.warnings) out.push(c('33', `Warning  ${printable(w)}`));
  for (const e of i.errors) out.push(c('31', `Error    ${printable(e)}`));
  if (r.victims.length > 0) {
    out.push('');
    out.push(bold('Victims (destinations by packets)'));
    out.push(dim(`  ${'address'.padEnd(39)} ${'packets'.padStart(10)} ${'bytes'.padStart(10)}  by bytes   tcp/udp/icmp`));
    for (const v of r.victims.slice(0, 10)) {
      out.push(`  ${v.ip.padEnd(39)} ${fmt(v.packets).padStart(10)} ${bytes(v.bytes).padStart(10)}  #${String(v.rankByBytes).padEnd(8)} ${fmt(v.tcp)}/${fmt(v.udp)}/${fmt(v.icmp)}`);
    }
  }
  const counts = r.timeline.packets;
  if (counts.length > 1 && r.timeline.start) {
    const { per, max, rows } = timelineRows(counts, r.timeline.resolution, r.timeline.start);
    out.push('');
    out.push(bold(`Packets per ${per === 1 ? 'minute' : `${per} minutes`} (${i.timeZone})`));
    for (const { label, n } of rows) out.push(`${label}  ${'█'.repeat(max > 0 ? Math.round((n / max) * 50) : 0) || (n > 0 ? '▏' : '')} ${dim(fmt(n))}`);
  }
  out.push('');
  out.push(bold(`Verdict: ${printable(s.verdict)}`));
  const shown = o.topSources ?? 10;
  const byId = new Map(r.attacks.map((a) => [a.id, a]));
  for (const a of r.attacks) {
    if (a.episodeOf !== undefined || a.inBrief) continue;
    out.push('');
    out.push(`${severityTag(groupSeverity(a), c)} ${bold(a.signature)}  ${clip(a.target, 100)}${a.attack ? '' : dim('  (not an attack)')}`);
    out.push(...episodeLines(a, byId, i.timeZone, 'capture', dim));
    out.push(`  ${when(a.start)} → ${when(a.end).slice(11)} ${i.timeZone}  (${duration(a.durationSeconds)})`);
    out.push(...edgeLines(a, 'capture'));
    // net.bandwidth measures bytes: its peak is in bits per second (peakRate holds bytes).
    const peak = a.signature === 'net.bandwidth' ? bps(a.peakBps) : `${fmt(a.peakRate)} packets/s`;
    out.push(`  peak ${peak} at ${when(a.peakAt).slice(11)}${a.peakBps && a.signature !== 'net.bandwidth' ? `, ${bps(a.peakBps)}` : ''}, ${fmt(a.packets)} packets, ${bytes(a.bytes)}, ~${fmt(a.distinctSources)} sources`);
    out.push(dim(`  evidence: ${Object.entries(a.evidence).map(([k, v]) => `${k}=${v}`).join(' ')}`));
    const part = partOfLine(a, byId, 'packets');
    if (part !== null) out.push(part);
    const same = sameTrafficLine(a, byId);
    if (same !== null) {
      out.push(same);
      continue;
    }
    out.push(...geoLines(a));
    if (a.topSources.length > 0) {
      out.push('  top sources:');
      out.push(...sourceLines(a.topSources, shown, dim));
      const v = a.visitorSources.length;
      if (v > 0) out.push(`    ${fmt(v)} of them ${v === 1 ? 'is a client' : 'are clients'} caught in the flood (completed their handshakes; the flood leaves them half-open): not blocked`);
    }
  }
  out.push(...briefLines(r.attacks, byId, (a) => a.packets, 'packets', i.timeZone, c));
  out.push('');
  out.push(...footerLines(r));
  return endLine(out.join('\n'));
}

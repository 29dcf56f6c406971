/**
 * Block lists in the formats operators load by hand, each entry carrying a comment with
 * the signature and the evidence (sources, hits, time span):
 *
 *   plain     one address or CIDR per line, "# comment" after it
 *   ipset     an `ipset restore` file: hash:net sets for IPv4 and IPv6, with timeout and comments
 *   nft       an `nft -f` file: table inet floodscope, interval+timeout sets, drop rules
 *   iptables  an `iptables-restore` file (IPv4) and, when there are IPv6 entries, an
 *             `ip6tables-restore` file: a FLOODSCOPE chain jumped to from INPUT
 *   route     a shell script of `ip route add blackhole CIDR` lines
 */
import type { BlockEntry, BlockPlan } from '../geo/blocklist.js';

export const BLOCKLIST_FORMATS = ['plain', 'ipset', 'nft', 'iptables', 'route'] as const;
export type BlocklistFormat = (typeof BLOCKLIST_FORMATS)[number];

/** A comment safe inside double quotes for every tool, within their length limits. */
function quoted(s: string, max: number): string {
  const clean = s.replace(/["\\\n\r]/g, "'").replace(/[^\x20-\x7e]/g, '?');
  return `"${clean.length > max ? `${clean.slice(0, max - 1)}~` : clean}"`;
}

function header(plan: BlockPlan, what: string): string[] {
  return [
    `# floodscope block list (${what}): ${plan.entries.length} entries, prefixes: ${plan.prefix}, timeout ${plan.ttlSeconds}s`,
    ...plan.excluded.map((e) => `# left out: ${e.what}${e.count > 1 ? ` (×${e.count})` : ''}: ${e.reason}`),
  ];
}

export interface RenderedBlocklist {
  /** Main file content. */
  text: string;
  /** Extra file (iptables: the ip6tables-restore file), with the suffix to add to the name. */
  extra: { suffix: string; text: string } | null;
}

export function renderBlocklist(plan: BlockPlan, format: BlocklistFormat): RenderedBlocklist {
  const v4 = plan.entries.filter((e) => e.v === 4);
  const v6 = plan.entries.filter((e) => e.v === 6);
  const ttl = plan.ttlSeconds;
  switch (format) {
    case 'plain':
      return { text: [...header(plan, 'plain'), ...plan.entries.map((e) => `${e.cidr} # ${e.comment}`)].join('\n') + '\n', extra: null };
    case 'ipset': {
      const lines = header(plan, 'ipset restore');
      const set = (name: string, family: string, es: BlockEntry[]) => {
        lines.push(`create ${name} hash:net family ${family} timeout ${ttl} comment -exist`);
        for (const e of es) lines.push(`add ${name} ${e.cidr} timeout ${ttl} comment ${quoted(e.comment, 255)} -exist`);
      };
      set('floodscope_v4', 'inet', v4);
      set('floodscope_v6', 'inet6', v6);
      return { text: lines.join('\n') + '\n', extra: null };
    }
    case 'nft': {
      const el = (es: BlockEntry[]) =>
        es.length === 0 ? '' : `\n    elements = {\n${es.map((e) => `      ${e.cidr} timeout ${ttl}s comment ${quoted(e.comment, 127)}`).join(',\n')}\n    }`;
      const text = [
        ...header(plan, 'nft -f'),
        'table inet floodscope {',
        '  set v4 {',
        '    type ipv4_addr',
        `    flags interval, timeout${el(v4)}`,
        '  }',
        '  set v6 {',
        '    type ipv6_addr',
        `    flags interval, timeout${el(v6)}`,
        '  }',
        '  chain input {',
        '    type filter hook input priority -10; policy accept;',
        '    ip saddr @v4 drop',
        '    ip6 saddr @v6 drop',
        '  }',
        '}',
      ].join('\n');
      return { text: text + '\n', extra: null };
    }
    case 'iptables': {
      const file = (es: BlockEntry[], what: string) =>
        [
          ...header(plan, what),
          '# no timeouts in iptables: remove the FLOODSCOPE chain by hand when the attack is over',
          '*filter',
          ':FLOODSCOPE - [0:0]',
          '-A INPUT -j FLOODSCOPE',
          ...es.map((e) => `-A FLOODSCOPE -s ${e.cidr} -m comment --comment ${quoted(e.comment, 255)} -j DROP`),
          'COMMIT',
        ].join('\n') + '\n';
      return { text: file(v4, 'iptables-restore'), extra: v6.length > 0 ? { suffix: '.v6', text: file(v6, 'ip6tables-restore') } : null };
    }
    case 'route':
      return {
        text: ['#!/bin/sh', ...header(plan, 'sh FILE'), ...plan.entries.flatMap((e) => [`# ${e.comment}`, `ip route add blackhole ${e.cidr}`])].join('\n') + '\n',
        extra: null,
      };
  }
}

/**
 * Block lists in the formats operators load by hand, each entry carrying a comment with
 * the signature and the evidence (sources, hits, time span), and a header saying how to
 * apply it. Each applies safely next to the machine's own firewall rules, and again later
 * (a newer list from a later run):
 *
 *   plain     one address or CIDR per line, "# comment" after it
 *   ipset     an `ipset restore` file: hash:net sets for IPv4 and IPv6, with timeout and
 *             comments (added to what the sets hold); the header gives the rule that uses them
 *   nft       an `nft -f` file: table inet floodscope, interval+timeout sets, drop rules; it
 *             replaces the table a previous list made (its rules would otherwise be doubled)
 *   iptables  an `iptables-restore --noflush` file (IPv4) and, when there are IPv6 entries, an
 *             `ip6tables-restore --noflush` file: a FLOODSCOPE chain (replaced on each load)
 *             jumped to from the top of INPUT. Without --noflush, iptables-restore replaces
 *             every rule of the filter table — the machine's own firewall — so the header says so
 *   route     a shell script of `ip route replace blackhole CIDR` lines (runs again cleanly)
 */
import { describeExclusion, type BlockEntry, type BlockPlan } from '../geo/blocklist.js';
import { printable } from '../report/printable.js';

export const BLOCKLIST_FORMATS = ['plain', 'ipset', 'nft', 'iptables', 'route'] as const;
export type BlocklistFormat = (typeof BLOCKLIST_FORMATS)[number];

/** A comment safe inside double quotes for every tool, within their length limits. */
function quoted(s: string, max: number): string {
  const clean = s.replace(/["\\\n\r]/g, "'").replace(/[^\x20-\x7e]/g, '?');
  return `"${clean.length > max ? `${clean.slice(0, max - 1)}~` : clean}"`;
}

/** How to load each format (FILE: the file's name), said in its header and when it is written. */
export function applyHint(format: BlocklistFormat, file: string, v6File?: string): string {
  switch (format) {
    case 'plain':
      return `any tool that reads one address or CIDR per line (${file})`;
    case 'ipset':
      return `ipset restore < ${file}, then once: iptables -I INPUT -m set --match-set floodscope_v4 src -j DROP; ip6tables -I INPUT -m set --match-set floodscope_v6 src -j DROP`;
    case 'nft':
      return `nft -f ${file}`;
    case 'iptables':
      return `iptables-restore --noflush < ${file}${v6File !== undefined ? ` and ip6tables-restore --noflush < ${v6File}` : ''} (without --noflush it replaces every rule of the filter table, your own included)`;
    case 'route':
      return `sh ${file}`;
  }
}

function header(plan: BlockPlan, what: string, entries: number, notes: string[]): string[] {
  return [
    `# floodscope block list (${what}): ${entries} entries, prefixes: ${plan.prefix}, timeout ${plan.ttlSeconds}s`,
    ...notes.map((n) => `# ${n}`),
    // Targets are the attacker's words (URLs): never raw into a file read on a terminal or run by sh.
    ...plan.excluded.map((e) => `# left out: ${printable(describeExclusion(e))}`),
  ];
}

export interface RenderedBlocklist {
  /** Main file content, and the entries it holds. */
  text: string;
  entries: number;
  /** Extra file (iptables: the ip6tables-restore file), with the suffix to add to the name. */
  extra: { suffix: string; text: string; entries: number } | null;
}

export function renderBlocklist(plan: BlockPlan, format: BlocklistFormat): RenderedBlocklist {
  const v4 = plan.entries.filter((e) => e.v === 4);
  const v6 = plan.entries.filter((e) => e.v === 6);
  const ttl = plan.ttlSeconds;
  const n = plan.entries.length;
  switch (format) {
    case 'plain':
      return { text: [...header(plan, 'plain', n, []), ...plan.entries.map((e) => `${e.cidr} # ${printable(e.comment)}`)].join('\n') + '\n', entries: n, extra: null };
    case 'ipset': {
      const lines = header(plan, 'ipset restore', n, [
        `load: ${applyHint('ipset', 'FILE')}`,
        'loading again adds to the sets; entries leave them after the timeout',
      ]);
      const set = (name: string, family: string, es: BlockEntry[]) => {
        lines.push(`create ${name} hash:net family ${family} timeout ${ttl} comment -exist`);
        for (const e of es) lines.push(`add ${name} ${e.cidr} timeout ${ttl} comment ${quoted(e.comment, 255)} -exist`);
      };
      set('floodscope_v4', 'inet', v4);
      set('floodscope_v6', 'inet6', v6);
      return { text: lines.join('\n') + '\n', entries: n, extra: null };
    }
    case 'nft': {
      const el = (es: BlockEntry[]) =>
        es.length === 0 ? '' : `\n    elements = {\n${es.map((e) => `      ${e.cidr} timeout ${ttl}s comment ${quoted(e.comment, 127)}`).join(',\n')}\n    }`;
      const text = [
        ...header(plan, 'nft -f', n, [`load: ${applyHint('nft', 'FILE')} (it replaces the floodscope table of a previous list: one transaction, nothing else touched)`, 'remove: nft delete table inet floodscope']),
        // Declared (a no-op when it exists), deleted, and made again: loading twice neither
        // fails nor doubles the drop rules.
        'table inet floodscope',
        'delete table inet floodscope',
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
      return { text: text + '\n', entries: n, extra: null };
    }
    case 'iptables': {
      const file = (es: BlockEntry[], tool: string, cmd: string) =>
        [
          ...header(plan, `${tool} --noflush`, es.length, [
            `load: ${tool} --noflush < FILE — without --noflush, ${tool} replaces every rule of the filter table (your own firewall included)`,
            'loading again replaces the FLOODSCOPE chain\'s entries and adds one more jump from INPUT (harmless)',
            `no timeouts in iptables; remove when the attack is over: ${cmd} -D INPUT -j FLOODSCOPE (once per load); ${cmd} -F FLOODSCOPE; ${cmd} -X FLOODSCOPE`,
          ]),
          '*filter',
          // With --noflush, declaring the chain creates it, or empties the one a previous list made.
          ':FLOODSCOPE - [0:0]',
          // At the top of INPUT: after an ACCEPT for the web ports, a jump would never be reached.
          '-I INPUT -j FLOODSCOPE',
          ...es.map((e) => `-A FLOODSCOPE -s ${e.cidr} -m comment --comment ${quoted(e.comment, 255)} -j DROP`),
          'COMMIT',
        ].join('\n') + '\n';
      return {
        text: file(v4, 'iptables-restore', 'iptables'),
        entries: v4.length,
        extra: v6.length > 0 ? { suffix: '.v6', text: file(v6, 'ip6tables-restore', 'ip6tables'), entries: v6.length } : null,
      };
    }
    case 'route':
      return {
        text:
          [
            '#!/bin/sh',
            ...header(plan, 'sh FILE', n, [`load: ${applyHint('route', 'FILE')} (again: the routes are replaced, not doubled)`, 'remove: ip route del blackhole CIDR for each line']),
            ...plan.entries.flatMap((e) => [`# ${printable(e.comment)}`, `ip route replace blackhole ${e.cidr}`]),
          ].join('\n') + '\n',
        entries: n,
        extra: null,
      };
  }
}

/** Ctrl-C on a batch run: the report of what was read says where reading stopped. */

/** The warning of an interrupted batch run: where it stopped, and what was not read at all. */
export function interruptedWarning(at: { name: string; offset: number; size: number | null; compressed: boolean } | null, unread: string[]): string {
  const where =
    at === null
      ? 'between inputs'
      : `in ${at.name} at ${at.compressed ? 'compressed ' : ''}byte ${at.offset}${at.size !== null && at.size > 0 ? ` of ${at.size} (${Math.floor((at.offset / at.size) * 100)} %)` : ''}`;
  const rest = unread.length === 0 ? '' : `; not read: ${unread.slice(0, 5).join(', ')}${unread.length > 5 ? ` and ${unread.length - 5} more` : ''}`;
  return `interrupted ${where}: this report covers what was read before${rest}`;
}

// The plan command's text output: the campaign matrix drawn as one grid per slot.
import type { CampaignMatrix, MicrosegConfig } from '../config';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** One grid per slot: segments × dates, a letter per campaign, and a legend. */
export function formatMatrix(config: MicrosegConfig, m: CampaignMatrix): string {
  const ids = config.campaigns?.map((c) => c.id) ?? [];
  const code = (id: string) => {
    const i = ids.indexOf(id);
    return i < 26 ? String.fromCharCode(65 + i) : String.fromCharCode(65 + Math.floor(i / 26) - 1) + String.fromCharCode(65 + (i % 26));
  };
  const width = Math.max(3, ...ids.map((id) => code(id).length + 1));
  const label = Math.max(...m.rows.map((r) => r.segment.length + (r.fallback ? 2 : 0)), 4) + 2;
  const cells = (values: string[]) => values.map((v) => v.padEnd(width)).join('').trimEnd();
  const months = m.dates.map((d, i) => (i === 0 || d.slice(8) === '01' ? MONTHS[Number(d.slice(5, 7)) - 1]! : ''));
  const weekdays = m.dates.map((d) => 'SuMoTuWeThFrSa'.substr(new Date(d + 'T00:00:00Z').getUTCDay() * 2, 2));
  const lines: string[] = [`campaign matrix of ${config.version}, ${m.dates[0]} → ${m.dates.at(-1)}`];
  if (!m.slots.length) lines.push('', 'no campaigns');
  for (const slot of m.slots) {
    const used = new Set<string>();
    lines.push('', `${('slot ' + slot).padEnd(label)}${cells(months)}`, `${''.padEnd(label)}${cells(m.dates.map((d) => d.slice(8)))}`, `${''.padEnd(label)}${cells(weekdays)}`);
    for (const row of m.rows) {
      const marks = row.slots[slot]!.map((cell) => (cell ? (used.add(cell.campaign), code(cell.campaign)) : '·'));
      lines.push(`${(row.segment + (row.fallback ? ' *' : '')).padEnd(label)}${cells(marks)}`);
    }
    lines.push('');
    const idWidth = Math.max(...[...used].map((id) => id.length));
    for (const c of config.campaigns ?? []) {
      if (!used.has(c.id)) continue;
      const facts = [`priority ${c.priority ?? 0}`];
      if (c.holdout) facts.push(`holdout ${+(c.holdout * 100).toFixed(2)}%`);
      if (c.duration) facts.push(`duration ${c.duration}`);
      if (c.start || c.end) facts.push(`${c.start ?? '…'} → ${c.end ?? '…'}`);
      lines.push(`  ${code(c.id).padEnd(width)}${c.id.padEnd(idWidth)}  ${facts.join(' · ')}`);
    }
  }
  lines.push('', '· = default content   * = fallback segment   (per-visitor caps, duration periods and suppressions not shown)');
  return lines.join('\n');
}

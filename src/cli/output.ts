/** Text output for people: tables and labelled fields. Scripts use --json instead. */

type Cell = string | number | boolean | null | undefined;

const text = (cell: Cell): string => (cell === null || cell === undefined ? '' : String(cell));

/** A plain table, columns padded to their widest cell; "(none)" when there are no rows. */
export function table(headers: string[], rows: Cell[][]): string {
  if (rows.length === 0) return '(none)';
  const cells = [headers, ...rows.map((r) => r.map(text))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `label  value` lines, labels aligned; fields whose value is null or undefined are left out. */
export function fields(pairs: [string, Cell][]): string {
  const shown = pairs.filter(([, v]) => v !== null && v !== undefined && v !== '');
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${text(v)}`).join('\n');
}

/** ISO time without milliseconds. */
export const when = (iso: string | null | undefined): string | null =>
  iso ? iso.replace(/\.\d+Z$/, 'Z') : null;

/** The line that pages on: the next command's flag. */
export const moreLine = (cursor: string | null): string => (cursor ? `\nmore: --cursor ${cursor}` : '');

/** Aligned plain-text tables for the terminal; colour only when writing to a TTY. */

export interface TableStyle {
  color: boolean;
}

const BOLD = '\x1b[1m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/** Visible width (code points; good enough for names and JSON). */
function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function truncate(text: string, max: number): string {
  if (width(text) <= max) return text;
  return `${[...text].slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Renders rows under a header; the last column is not padded. */
export function renderTable(headers: string[], rows: string[][], style: TableStyle): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - width(c))))
      .join('  ')
      .trimEnd();
  const head = line(headers);
  const out = [style.color ? `${BOLD}${head}${RESET}` : head];
  for (const r of rows) out.push(line(r));
  return `${out.join('\n')}\n`;
}

export function dim(text: string, style: TableStyle): string {
  return style.color ? `${DIM}${text}${RESET}` : text;
}

/** `key   value` lines, keys aligned. */
export function renderFields(fields: [string, string][], style: TableStyle): string {
  const w = Math.max(...fields.map(([k]) => width(k)));
  return fields.map(([k, v]) => `${style.color ? BOLD : ''}${k.padEnd(w)}${style.color ? RESET : ''}  ${v}`).join('\n') + '\n';
}

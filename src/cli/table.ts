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

/** Characters that take no column: combining marks, joiners, variation selectors. */
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}]/u;
/** Characters that take two columns: emoji shown as emoji, CJK and other East Asian wide forms. */
const WIDE =
  /[\p{Emoji_Presentation}\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;

function charWidth(char: string): number {
  if (char < '\u0300') return 1; // fast path: ASCII and Latin-1
  return ZERO_WIDTH.test(char) ? 0 : WIDE.test(char) ? 2 : 1;
}

/** Columns a text takes on a terminal (good enough for names and JSON). */
export function displayWidth(text: string): number {
  let n = 0;
  for (const char of text) n += charWidth(char);
  return n;
}

const width = displayWidth;

export function truncate(text: string, max: number): string {
  if (width(text) <= max) return text;
  let out = '';
  let used = 0;
  for (const char of text) {
    const w = charWidth(char);
    if (used + w > max - 1) break;
    out += char;
    used += w;
  }
  return `${out}…`;
}

/**
 * Renders rows under a header; the last column is not padded. `widths` (the columns' widths so
 * far) is widened in place, so tables printed page by page stay aligned as far as they can.
 */
export function renderTable(headers: string[], rows: string[][], style: TableStyle, widths: number[] = []): string {
  headers.forEach((h, i) => {
    let w = Math.max(widths[i] ?? 0, width(h));
    for (const r of rows) w = Math.max(w, width(r[i] ?? ''));
    widths[i] = w;
  });
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

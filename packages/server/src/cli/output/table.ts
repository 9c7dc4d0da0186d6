/**
 * Plain-text tables and key/value blocks for the terminal: columns aligned with two spaces, no
 * borders, no colour, so the output also reads well in logs and through `grep`/`awk`. Cell text
 * from the server is made printable (control characters escaped) so a crafted name cannot drive
 * the terminal.
 */

/** One column: its heading and how to read the cell from a row. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => unknown;
  /** Cut longer cells to this many characters with `…` (tables only). */
  maxWidth?: number;
  align?: 'left' | 'right';
}

/** Longest cell, in characters, unless a column says otherwise. */
export const DEFAULT_MAX_CELL_WIDTH = 60;

/** Escapes control characters (ANSI escapes, newlines) so server text prints as one inert line. */
export function toPrintable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Text for one value: strings as they are, lists joined with spaces, nothing as `-`. */
export function formatCell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (typeof value === 'string') return toPrintable(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '-';
    if (value.every((item) => typeof item === 'string' || typeof item === 'number')) {
      return toPrintable(value.join(' '));
    }
  }
  return toPrintable(JSON.stringify(value));
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

function width(text: string): number {
  return Array.from(text).length;
}

/** Renders rows under upper-case headings with aligned columns; ends without a newline. */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) =>
    columns.map((column) =>
      truncate(formatCell(column.value(row)), column.maxWidth ?? DEFAULT_MAX_CELL_WIDTH),
    ),
  );
  const headers = columns.map((column) => column.header.toUpperCase());
  const widths = headers.map((header, i) =>
    Math.max(width(header), ...cells.map((line) => width(line[i] ?? ''))),
  );
  const render = (line: readonly string[]) =>
    line
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - width(cell));
        if (columns[i]?.align === 'right') return pad + cell;
        return i === line.length - 1 ? cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [render(headers), ...cells.map(render)].join('\n');
}

/** Renders `label  value` lines with the values aligned; values are not truncated. */
export function formatDetails(entries: readonly (readonly [string, unknown])[]): string {
  const labelWidth = Math.max(0, ...entries.map(([label]) => width(label)));
  return entries
    .map(([label, value]) =>
      `${label}${' '.repeat(labelWidth - width(label))}  ${formatCell(value)}`.trimEnd(),
    )
    .join('\n');
}

/** Indents every line of a block by `spaces`. */
export function indent(text: string, spaces = 2): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

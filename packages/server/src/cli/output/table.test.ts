import { describe, expect, it } from 'vitest';
import { formatCell, formatDetails, formatTable, indent, toPrintable } from './table.ts';

interface Row {
  id: string;
  name?: string;
  scopes: string[];
  n: number;
}

const columns = [
  { header: 'id', value: (row: Row) => row.id },
  { header: 'name', value: (row: Row) => row.name, maxWidth: 8 },
  { header: 'scopes', value: (row: Row) => row.scopes },
  { header: 'n', value: (row: Row) => row.n, align: 'right' as const },
];

describe('formatTable', () => {
  it('aligns columns under upper-case headings with two spaces between them', () => {
    const text = formatTable(columns, [
      { id: 'a1', name: 'Contacts', scopes: ['read:c', 'write:c'], n: 3600 },
      { id: 'b22222', scopes: [], n: 60 },
    ]);
    expect(text).toBe(
      [
        'ID      NAME      SCOPES             N',
        'a1      Contacts  read:c write:c  3600',
        'b22222  -         -                 60',
      ].join('\n'),
    );
  });

  it('cuts long cells with an ellipsis at the column maximum', () => {
    const text = formatTable(columns, [{ id: 'x', name: 'A very long name', scopes: [], n: 1 }]);
    expect(text.split('\n')[1]).toContain('A very …');
  });

  it('prints only the headings for no rows', () => {
    expect(formatTable(columns, [])).toBe('ID  NAME  SCOPES  N');
  });

  it('escapes terminal control sequences that a server sent in a cell', () => {
    const text = formatTable(columns, [{ id: 'x', name: '\u001b[2J', scopes: [], n: 1 }]);
    expect(text).not.toContain('\u001b');
    expect(text).toContain('\\u001b');
  });
});

describe('formatCell', () => {
  it('shows missing values as a dash and lists joined by spaces', () => {
    expect(formatCell(undefined)).toBe('-');
    expect(formatCell(null)).toBe('-');
    expect(formatCell('')).toBe('-');
    expect(formatCell([])).toBe('-');
    expect(formatCell(['a', 'b'])).toBe('a b');
    expect(formatCell(false)).toBe('false');
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
  });

  it('keeps a multi-line value on one line', () => {
    expect(toPrintable('a\nb\tc')).toBe('a\\nb\\tc');
  });
});

describe('formatDetails', () => {
  it('aligns values after the longest label', () => {
    expect(
      formatDetails([
        ['id', 'x'],
        ['token_lifetime', 3600],
      ]),
    ).toBe('id              x\ntoken_lifetime  3600');
  });
});

describe('indent', () => {
  it('indents non-empty lines only', () => {
    expect(indent('a\n\nb')).toBe('  a\n\n  b');
  });
});

import { describe, expect, it } from 'vitest';
import { formatRecord } from './record.ts';

describe('formatRecord', () => {
  it('puts the first fields in order, then other plain fields, then the last ones', () => {
    const text = formatRecord(
      { secret: 's', extra: true, name: 'N', id: '1', nested: { a: 1 }, list: ['a', 'b'] },
      { first: ['id', 'name'], last: ['secret'] },
    );
    expect(text.split('\n')).toEqual(['id      1', 'name    N', 'extra   true', 'list    a b', 'secret  s']);
  });

  it('leaves out omitted fields even when listed first', () => {
    expect(
      formatRecord(
        { id: '1', client_secret: 'x' },
        { first: ['id', 'client_secret'], omit: ['client_secret'] },
      ),
    ).toBe('id  1');
  });
});

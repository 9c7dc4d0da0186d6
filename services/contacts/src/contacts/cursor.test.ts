import { describe, expect, it } from 'vitest';
import { ValidationError } from '../problems/errors.ts';
import { createContactId } from './contact-id.ts';
import { formatCursor, parseCursor } from './cursor.ts';

describe('list cursor', () => {
  it('round-trips a store position', () => {
    const id = createContactId();
    expect(parseCursor(formatCursor(id))).toBe(id);
  });

  it('refuses anything it did not issue', () => {
    const id = createContactId();
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const cases = [
      '',
      'not base64!',
      enc({ v: 2, a: id }),
      enc({ v: 1, a: 'DROP TABLE' }),
      enc({ v: 1, a: id, extra: true }),
      enc([id]),
      `${formatCursor(id)}A`, // trailing garbage decodes to the same bytes: not canonical
      'A'.repeat(300),
    ];
    for (const cursor of cases) expect(() => parseCursor(cursor), cursor).toThrow(ValidationError);
  });
});

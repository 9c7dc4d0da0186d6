import { describe, expect, it } from 'vitest';
import { LogQueryError, parseLogDate, parseLogQ, toLogFilters } from './log-query.ts';

describe('log query', () => {
  it('reads field:value terms joined by spaces or AND, quoted values and a date range', () => {
    expect(
      parseLogQ(
        'type:fapi AND client_id:abc target_type:client target_id:"a \\"b\\" c" date:[2026-01-01 TO *]',
      ),
    ).toEqual({
      type: 'fapi',
      clientId: 'abc',
      targetType: 'client',
      targetId: 'a "b" c',
      from: Date.UTC(2026, 0, 1),
    });
    expect(parseLogQ('date:[* TO 2026-01-31T12:00:00+01:00]')).toEqual({ to: Date.UTC(2026, 0, 31, 11) });
    expect(parseLogQ('   ')).toEqual({});
  });

  it('combines the plain parameters with q, refusing a field set two ways', () => {
    expect(toLogFilters({ type: 'sapi', from_date: '2026-01-01', q: 'action:client.created' })).toEqual({
      type: 'sapi',
      from: Date.UTC(2026, 0, 1),
      action: 'client.created',
    });
    expect(toLogFilters({ type: 'sapi', q: 'type:sapi' })).toEqual({ type: 'sapi' });
    expect(() => toLogFilters({ type: 'sapi', q: 'type:fapi' })).toThrow(/type is given twice/);
    expect(() => toLogFilters({ from_date: '2026-01-01', q: 'date:[2026-01-02 TO *]' })).toThrow(
      /given twice/,
    );
  });

  it.each([
    ['type:sapi OR type:fapi', /'OR' is not supported/],
    ['NOT type:sapi', /'NOT' is not supported/],
    ['(type:sapi)', /'\(type:sapi\)' is not supported/],
    ['-type:sapi', /not supported/],
    ['sapi', /'sapi' is not a field:value term/],
    ['AND type:sapi', /AND must stand between two terms/],
    ['type:sapi AND', /AND must stand between two terms/],
    ['user_name:bob', /'user_name' is not a searchable field/],
    ['client_id:a*', /wildcards/],
    ['client_id:"open', /not closed/],
    ['client_id:', /client_id must be 1 to 600 characters/],
    ['date:[2026-01-01 TO 2025-01-01]', /ends before it starts/],
    ['date:[2026-13-45 TO *]', /ISO 8601/],
    ['date:today', /date must be a range/],
    ['target_type:user', /target_type must be one of/],
    ['type:"sapi"type:fapi', /separated by spaces or AND/],
  ])('refuses %s', (q, message) => {
    expect(() => parseLogQ(q)).toThrow(LogQueryError);
    expect(() => parseLogQ(q)).toThrow(message);
  });

  it('reads dates only in ISO 8601 with a zone', () => {
    expect(parseLogDate('2026-03-01', 'd')).toBe(Date.UTC(2026, 2, 1));
    expect(parseLogDate('2026-03-01T10:20:30.5Z', 'd')).toBe(Date.UTC(2026, 2, 1, 10, 20, 30, 500));
    for (const bad of ['2026-03-01T10:20', '1 March 2026', '1700000000000', '2026-02-30x']) {
      expect(() => parseLogDate(bad, 'from_date')).toThrow(/from_date must be an ISO 8601/);
    }
  });
});

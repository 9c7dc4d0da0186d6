import { describe, expect, it } from 'vitest';
import { CliResponseError } from '../errors.ts';
import { formatPagingFooter, parseListAnswer } from './paging.ts';

describe('parseListAnswer', () => {
  it('reads a bare array (no totals asked for)', () => {
    expect(parseListAnswer([{ a: 1 }], 'clients')).toEqual({ items: [{ a: 1 }], total: undefined });
  });

  it('reads the include_totals shape with its total', () => {
    expect(parseListAnswer({ start: 0, limit: 50, total: 7, clients: [{}, {}] }, 'clients')).toEqual({
      items: [{}, {}],
      total: 7,
    });
  });

  it('refuses an answer without the expected list', () => {
    expect(() => parseListAnswer({ total: 1 }, 'clients')).toThrow(CliResponseError);
    expect(() => parseListAnswer('nope', 'clients')).toThrow(/no "clients" array/);
  });
});

describe('formatPagingFooter', () => {
  it('says how many there are and where the next page is', () => {
    expect(formatPagingFooter({ page: 0, perPage: 2 }, 2, 5, 'clients')).toBe(
      'Showing 1-2 of 5 clients; next page: --page 1',
    );
    expect(formatPagingFooter({ page: 2, perPage: 2 }, 1, 5, 'clients')).toBe('Showing 5 of 5 clients');
  });

  it('guesses a next page from a full page when the total is unknown', () => {
    expect(formatPagingFooter({ page: 0, perPage: 3 }, 3, undefined, 'APIs')).toBe(
      'Showing 1-3 APIs; next page: --page 1',
    );
    expect(formatPagingFooter({ page: 0, perPage: 3 }, 2, undefined, 'APIs')).toBe('Showing 1-2 APIs');
  });

  it('says when there is nothing, and when a page is past the end', () => {
    expect(formatPagingFooter({ page: 0, perPage: 50 }, 0, 0, 'grants')).toBe('No grants.');
    expect(formatPagingFooter({ page: 3, perPage: 50 }, 0, 12, 'grants')).toBe(
      'No grants on page 3 (12 in all).',
    );
  });
});

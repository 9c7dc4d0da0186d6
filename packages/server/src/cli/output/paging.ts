/**
 * Reads the Management API's list answers (Auth0 v2: a bare array, or with `include_totals=true`
 * an object `{start, limit, total, <items key>: [...]}`) and describes where a page sits.
 */
import { z } from 'zod';
import { CliResponseError } from '../errors.ts';

/** The items of one page, and the total when the server sent it. */
export interface ListPage {
  items: unknown[];
  total: number | undefined;
}

const TotalsSchema = z.looseObject({ total: z.number().int().nonnegative().optional() });

/** Parses a list answer whose items sit under `key` when totals are included. */
export function parseListAnswer(json: unknown, key: string): ListPage {
  if (Array.isArray(json)) return { items: json, total: undefined };
  if (typeof json === 'object' && json !== null) {
    const items = (json as Record<string, unknown>)[key];
    if (Array.isArray(items)) {
      const totals = TotalsSchema.safeParse(json);
      return { items, total: totals.success ? totals.data.total : undefined };
    }
  }
  throw new CliResponseError(`the server's list answer has no "${key}" array`);
}

/** Which page was asked for. */
export interface PageRequest {
  page: number;
  perPage: number;
}

/**
 * A line under a table such as `Showing 1-50 of 120 clients; next page: --page 1`, or
 * `No APIs.` for an empty first page.
 */
export function formatPagingFooter(
  request: PageRequest,
  count: number,
  total: number | undefined,
  noun: string,
): string {
  if (count === 0) {
    if (request.page === 0) return `No ${noun}.`;
    return `No ${noun} on page ${request.page}${total === undefined ? '' : ` (${total} in all)`}.`;
  }
  const first = request.page * request.perPage + 1;
  const last = first + count - 1;
  const range = first === last ? `${first}` : `${first}-${last}`;
  const more = total === undefined ? count === request.perPage : last < total;
  const of = total === undefined ? '' : ` of ${total}`;
  return `Showing ${range}${of} ${noun}${more ? `; next page: --page ${request.page + 1}` : ''}`;
}

/**
 * Auth0's list paging: `page` (from 0), `per_page` (default 50, at most 100), `include_totals`.
 * Without `include_totals=true` a list answers a plain array; with it, `{start, limit, length,
 * total, <entity>: [...]}`.
 */
import { z } from 'zod';
import type { Page, PageQuery } from '../store/store.ts';

/** Default and largest `per_page`. */
export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 100;
/** Pages past this are refused: nobody pages a million entries through 100-entry pages. */
const MAX_PAGE = 100_000;

const wholeNumber = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,7}$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be between ${min} and ${max}`);

const booleanString = (name: string) =>
  z.enum(['true', 'false'], { error: `${name} must be true or false` }).transform((v) => v === 'true');

/** Zod shape of the paging query parameters, to spread into a list route's strict query schema. */
export const pagingQueryShape = {
  page: wholeNumber('page', 0, MAX_PAGE).optional(),
  per_page: wholeNumber('per_page', 1, MAX_PER_PAGE).optional(),
  include_totals: booleanString('include_totals').optional(),
};

/** Parsed paging parameters. */
export interface Paging extends PageQuery {
  includeTotals: boolean;
}

/** Applies the defaults to parsed paging parameters. */
export function toPaging(q: {
  page?: number | undefined;
  per_page?: number | undefined;
  include_totals?: boolean | undefined;
}): Paging {
  return {
    page: q.page ?? 0,
    perPage: q.per_page ?? DEFAULT_PER_PAGE,
    includeTotals: q.include_totals ?? false,
  };
}

/** The list answer in Auth0's shape, `entity` naming the array member (`clients`, `resource_servers`, ...). */
export function formatPage<T, R>(
  entity: string,
  page: Page<T>,
  paging: Paging,
  serialize: (item: T) => R,
): unknown {
  const items = page.items.map(serialize);
  if (!paging.includeTotals) return items;
  return {
    start: paging.page * paging.perPage,
    limit: paging.perPage,
    length: items.length,
    total: page.total,
    [entity]: items,
  };
}

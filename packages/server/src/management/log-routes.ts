/**
 * `/api/v2/logs`: the audit log, Auth0's log-event shapes, paged (`page`, `per_page`,
 * `include_totals`), sorted by date and filtered by the plain parameters and `q`
 * (audit/log-query.ts).
 * @see https://auth0.com/docs/api/management/v2/logs/get-logs
 * @see https://auth0.com/docs/api/management/v2/logs/get-logs-by-id
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { type LogEventResponse, toLogEventResponse } from '../audit/log-event.ts';
import { LogQueryError, toLogFilters } from '../audit/log-query.ts';
import { BadRequest, NotFound } from '../http/errors.ts';
import type { AuditEventRecord, AuditLogStore } from '../store/audit-log.ts';
import type { ManagementAuth, ManagementEnv } from './management-auth.ts';
import { formatPage, pagingQueryShape, toPaging } from './paging.ts';
import { parsePathParam, parseQuery } from './parse-input.ts';

/** A log id: a ULID. */
const LOG_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;
const text = z.string().max(1000, 'is too long');
/** Top-level members `fields` may name (Auth0's field selection). */
const LOG_FIELDS = [
  'log_id',
  'date',
  'type',
  'description',
  'client_id',
  'client_name',
  'ip',
  'user_agent',
  'details',
] as const;

/** Keeps (or, with `include` false, drops) the named members of each event. */
function selectFields(fields: string | undefined, include: boolean) {
  if (fields === undefined) return toLogEventResponse;
  const names = new Set(fields.split(','));
  return (e: AuditEventRecord): Partial<LogEventResponse> =>
    Object.fromEntries(Object.entries(toLogEventResponse(e)).filter(([k]) => names.has(k) === include));
}

const listQuery = z.strictObject({
  ...pagingQueryShape,
  sort: z.enum(['date:1', 'date:-1'], { error: 'sort must be date:1 or date:-1' }).optional(),
  q: text.optional(),
  type: text.optional(),
  client_id: text.optional(),
  action: text.optional(),
  target_type: text.optional(),
  target_id: text.optional(),
  from_date: text.optional(),
  to_date: text.optional(),
  fields: z
    .string()
    .max(200)
    .refine(
      (v) => v.split(',').every((f) => LOG_FIELDS.some((k) => k === f)),
      `fields must be a comma-separated list of ${LOG_FIELDS.join(', ')}`,
    )
    .optional(),
  include_fields: z.enum(['true', 'false'], { error: 'include_fields must be true or false' }).optional(),
  // Auth0's checkpoint paging names a log id in `from`; gatehouse pages by page/per_page only.
  from: z
    .never({ error: 'checkpoint paging (from/take) is not supported; use page and per_page' })
    .optional(),
  take: z
    .never({ error: 'checkpoint paging (from/take) is not supported; use page and per_page' })
    .optional(),
});

/** Creates the `/logs` routes (mounted under `/api/v2`). */
export function createLogRoutes(opts: { store: AuditLogStore; auth: ManagementAuth }): Hono<ManagementEnv> {
  const { store, auth } = opts;
  const app = new Hono<ManagementEnv>();

  app.get('/', auth.requireScope('read:logs'), async (c) => {
    const query = parseQuery(c.req, listQuery);
    const paging = toPaging(query);
    let filters: ReturnType<typeof toLogFilters>;
    try {
      filters = toLogFilters(query);
    } catch (err) {
      if (err instanceof LogQueryError)
        throw new BadRequest('invalid_query_string', `Query validation error: ${err.message}`);
      throw err;
    }
    const page = await store.listAuditEvents({
      page: paging.page,
      perPage: paging.perPage,
      now: Date.now(),
      order: query.sort === 'date:1' ? 'asc' : 'desc',
      countTotal: paging.includeTotals,
      ...filters,
    });
    return c.json(
      formatPage('logs', page, paging, selectFields(query.fields, query.include_fields !== 'false')),
    );
  });

  app.get('/:id', auth.requireScope('read:logs'), async (c) => {
    const id = parsePathParam(c.req, 'id', LOG_ID, 'a log id');
    const event = await store.getAuditEvent(id.toUpperCase(), Date.now());
    if (event === null) throw new NotFound('inexistent_log', 'The log event does not exist');
    return c.json(toLogEventResponse(event));
  });

  return app;
}

/**
 * `/api/v2/stats/tokens` (gatehouse's own; Auth0 has `/stats/daily` under the same `read:stats`
 * scope): tokens issued per client and API over time, token-endpoint failures by error code, and
 * the clients that do not cache their tokens (audit/token-stats.ts). The answering instance first
 * flushes its own counters, so what it just counted is in the answer; other instances' counts arrive
 * with their next flush (each minute).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { LogQueryError, parseLogDate } from '../audit/log-query.ts';
import { INTERVAL_MS, type StatsInterval, summarizeTokenUsage } from '../audit/token-stats.ts';
import type { TokenUsageCounter } from '../audit/token-usage-counter.ts';
import { BadRequest } from '../http/errors.ts';
import type { Store } from '../store/store.ts';
import type { ManagementAuth, ManagementEnv } from './management-auth.ts';
import { parseQuery } from './parse-input.ts';

/** Most buckets one answer holds, per interval: a month of hours, a year of days. */
const MAX_BUCKETS: Record<StatsInterval, number> = { hour: 744, day: 366 };
/** Range answered when `from` is not given: a day of hours, or 30 days. */
const DEFAULT_SPAN: Record<StatsInterval, number> = { hour: 24, day: 30 };
/** Client names looked up per answer at most (the rest answer `client_name: null`). */
const MAX_NAMED_CLIENTS = 500;

const statsQuery = z.strictObject({
  from: z.string().max(64).optional(),
  to: z.string().max(64).optional(),
  interval: z.enum(['hour', 'day'], { error: 'interval must be hour or day' }).optional(),
  client_id: z.string().min(1).max(128).optional(),
  min_ratio: z
    .string()
    .regex(/^\d{1,6}(\.\d{1,3})?$/, 'min_ratio must be a positive number, e.g. 10')
    .transform(Number)
    .refine((n) => n > 0, 'min_ratio must be a positive number, e.g. 10')
    .optional(),
});

/** Creates the `/stats` routes (mounted under `/api/v2`). */
export function createStatsRoutes(opts: {
  store: Store;
  usage: TokenUsageCounter;
  auth: ManagementAuth;
}): Hono<ManagementEnv> {
  const { store, usage, auth } = opts;
  const app = new Hono<ManagementEnv>();

  app.get('/tokens', auth.requireScope('read:stats'), async (c) => {
    const query = parseQuery(c.req, statsQuery);
    const interval = query.interval ?? 'hour';
    const width = INTERVAL_MS[interval];
    let from: number;
    let to: number;
    try {
      const rawTo = query.to === undefined ? Date.now() : parseLogDate(query.to, 'to');
      to = Math.ceil(rawTo / width) * width;
      from =
        query.from === undefined
          ? to - DEFAULT_SPAN[interval] * width
          : Math.floor(parseLogDate(query.from, 'from') / width) * width;
    } catch (err) {
      if (err instanceof LogQueryError)
        throw new BadRequest('invalid_query_string', `Query validation error: ${err.message}`);
      throw err;
    }
    if (to <= from)
      throw new BadRequest('invalid_query_string', 'Query validation error: to must be after from');
    if ((to - from) / width > MAX_BUCKETS[interval]) {
      throw new BadRequest(
        'invalid_query_string',
        `Query validation error: at most ${MAX_BUCKETS[interval]} ${interval}s per request; narrow from/to or use a wider interval`,
      );
    }
    await usage.flush();
    const rows = await store.listTokenUsage({
      from,
      to,
      ...(query.client_id === undefined ? {} : { clientId: query.client_id }),
    });
    const ids = [...new Set(rows.map((r) => r.clientId).filter((id) => id !== ''))].slice(
      0,
      MAX_NAMED_CLIENTS,
    );
    const clients = await Promise.all(ids.map((id) => store.getClient(id)));
    const clientNames = new Map<string, string>();
    for (const client of clients) if (client !== null) clientNames.set(client.clientId, client.name);
    return c.json(
      summarizeTokenUsage(rows, { from, to, interval, minRatio: query.min_ratio ?? 10, clientNames }),
    );
  });

  return app;
}

/**
 * An audit log event as `GET /api/v2/logs` answers it (Auth0's log event shape), parsed for
 * display, with its table and detail views.
 * @see https://auth0.com/docs/api/management/v2/logs/get-logs
 */
import { z } from 'zod';
import { CliResponseError } from '../errors.ts';
import { formatRecord } from '../output/record.ts';
import { type Column, formatTable } from '../output/table.ts';

const LogEventSchema = z.looseObject({
  log_id: z.string(),
  date: z.string(),
  type: z.string(),
  description: z.string().optional(),
  client_id: z.string().nullable().optional(),
  client_name: z.string().nullable().optional(),
  ip: z.string().nullable().optional(),
  details: z
    .looseObject({
      action: z.string().optional(),
      outcome: z.string().optional(),
      target: z
        .looseObject({ type: z.string().nullable().optional(), id: z.string().nullable().optional() })
        .optional(),
      error: z.looseObject({ errorCode: z.string().optional(), message: z.string().optional() }).optional(),
    })
    .optional(),
});

/** A log event answer; unknown members are kept. */
export type LogEvent = z.infer<typeof LogEventSchema>;

/** Parses one log event from an answer; throws `CliResponseError` when it is not one. */
export function parseLogEvent(json: unknown): LogEvent {
  const parsed = LogEventSchema.safeParse(json);
  if (!parsed.success) throw new CliResponseError('the server answered something that is not a log event');
  return parsed.data;
}

const target = (e: LogEvent) =>
  e.details?.target?.id ? `${e.details.target.type ?? '?'} ${e.details.target.id}` : e.details?.target?.type;

const COLUMNS: Column<LogEvent>[] = [
  { header: 'date', value: (e) => e.date },
  { header: 'type', value: (e) => e.type },
  { header: 'action', value: (e) => e.details?.action },
  { header: 'target', value: target, maxWidth: 48 },
  { header: 'by', value: (e) => e.client_name ?? e.client_id, maxWidth: 32 },
  { header: 'ip', value: (e) => e.ip },
  { header: 'error', value: (e) => e.details?.error?.errorCode },
  { header: 'log id', value: (e) => e.log_id },
];

/** The `logs list` table. */
export function formatLogEventTable(events: readonly LogEvent[]): string {
  return formatTable(COLUMNS, events);
}

/** The `logs get` view: the summary fields, then before/after and the request as JSON. */
export function formatLogEventDetails(e: LogEvent): string {
  const summary = formatRecord(
    {
      log_id: e.log_id,
      date: e.date,
      type: e.type,
      description: e.description,
      action: e.details?.action,
      outcome: e.details?.outcome,
      target: target(e),
      client_id: e.client_id,
      client_name: e.client_name,
      ip: e.ip,
      user_agent: e.user_agent,
      error:
        e.details?.error === undefined
          ? undefined
          : `${e.details.error.errorCode}: ${e.details.error.message}`,
    },
    { first: ['log_id', 'date', 'type', 'description'] },
  );
  const block = (name: string, value: unknown) =>
    value === undefined || value === null ? '' : `\n\n${name}:\n${JSON.stringify(value, null, 2)}`;
  return `${summary}${block('before', e.details?.before)}${block('after', e.details?.after)}${block('request', e.details?.request)}`;
}

/**
 * The filters of `GET /api/v2/logs`: the plain query parameters and `q`, a small documented subset
 * of the Lucene syntax Auth0's log search takes. `q` is a list of `field:value` terms, separated by
 * spaces or ` AND `, all of which must match:
 *
 *     type:fapi AND client_id:abc target_type:client date:[2026-01-01 TO 2026-02-01T12:00:00Z]
 *
 * Fields: `type`, `client_id`, `action`, `target_type`, `target_id` (a bare value, or a quoted one
 * with `\"` and `\\` escapes) and `date:[A TO B]` (ISO 8601 dates or date-times, `*` for an open end;
 * A inclusive, B exclusive). Anything else (OR, NOT, parentheses, wildcards, other fields, a field
 * twice) is refused with a message naming it, never guessed at.
 * @see https://auth0.com/docs/deploy-monitor/logs/log-search-query-syntax
 */
import { AUDIT_EVENT_TYPES, type AuditEventType } from '../store/audit-log.ts';
import { AUDIT_TARGET_TYPES, isAuditAction } from './audit-actions.ts';

/** Filters of a log query, every one optional. */
export interface LogFilters {
  type?: AuditEventType;
  clientId?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive, epoch ms. */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
}

/** A filter that cannot be understood; its message names the problem (for a 400). */
export class LogQueryError extends Error {
  readonly code = 'ERR_LOG_QUERY';
  constructor(message: string) {
    super(message);
    this.name = 'LogQueryError';
  }
}

/** Longest accepted `q`. */
export const MAX_Q_LENGTH = 1000;
const MAX_VALUE_LENGTH = 600;
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Parses an ISO 8601 date (`2026-01-31`, UTC midnight) or date-time with zone into epoch ms. */
export function parseLogDate(value: string, name: string): number {
  const ms = DATE.test(value) ? Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new LogQueryError(
      `${name} must be an ISO 8601 date or date-time with a zone, e.g. 2026-01-31T12:00:00Z`,
    );
  }
  return ms;
}

type TextField = 'type' | 'client_id' | 'action' | 'target_type' | 'target_id';
const TEXT_FIELDS: readonly TextField[] = ['type', 'client_id', 'action', 'target_type', 'target_id'];

/** Checks and stores one `field = value` filter. */
function setText(filters: LogFilters, field: TextField, value: string, where: string): void {
  if (value === '' || value.length > MAX_VALUE_LENGTH) {
    throw new LogQueryError(`${where}${field} must be 1 to ${MAX_VALUE_LENGTH} characters`);
  }
  const key = (
    {
      type: 'type',
      client_id: 'clientId',
      action: 'action',
      target_type: 'targetType',
      target_id: 'targetId',
    } as const
  )[field];
  if (filters[key] !== undefined && filters[key] !== value) {
    throw new LogQueryError(`${where}${field} is given twice with different values`);
  }
  if (field === 'type') {
    const type = AUDIT_EVENT_TYPES.find((t) => t === value);
    if (type === undefined)
      throw new LogQueryError(`${where}type must be one of ${AUDIT_EVENT_TYPES.join(', ')}`);
    filters.type = type;
    return;
  }
  if (field === 'target_type' && !AUDIT_TARGET_TYPES.some((t) => t === value)) {
    throw new LogQueryError(`${where}target_type must be one of ${AUDIT_TARGET_TYPES.join(', ')}`);
  }
  if (field === 'action' && !isAuditAction(value)) {
    throw new LogQueryError(`${where}action '${value.slice(0, 64)}' is not a known action`);
  }
  if (key === 'clientId') filters.clientId = value;
  else if (key === 'action') filters.action = value;
  else if (key === 'targetType') filters.targetType = value;
  else filters.targetId = value;
}

/** Sets a date bound, refusing one given twice with different values. */
function setBound(filters: LogFilters, bound: 'from' | 'to', ms: number, where: string): void {
  if (filters[bound] !== undefined && filters[bound] !== ms) {
    throw new LogQueryError(`${where}the date ${bound === 'from' ? 'start' : 'end'} is given twice`);
  }
  filters[bound] = ms;
}

/** Parses `q` into filters, adding to `into` (already holding the plain parameters' filters). */
export function parseLogQ(q: string, into: LogFilters = {}): LogFilters {
  if (q.length > MAX_Q_LENGTH) throw new LogQueryError(`q: is longer than ${MAX_Q_LENGTH} characters`);
  const filters = into;
  let i = 0;
  const skipSpace = () => {
    while (i < q.length && /\s/.test(q[i]!)) i += 1;
  };
  let terms = 0;
  for (skipSpace(); i < q.length; skipSpace()) {
    if (q.startsWith('AND', i) && (i + 3 === q.length || /\s/.test(q[i + 3]!))) {
      if (terms === 0) throw new LogQueryError('q: AND must stand between two terms');
      i += 3;
      skipSpace();
      if (i >= q.length) throw new LogQueryError('q: AND must stand between two terms');
      continue;
    }
    const field = /^[A-Za-z_.]+(?=:)/.exec(q.slice(i))?.[0];
    if (field === undefined) {
      const word = q.slice(i).split(/\s/)[0]!.slice(0, 40);
      if (
        word === 'OR' ||
        word === 'NOT' ||
        word.startsWith('(') ||
        word.startsWith('-') ||
        word.startsWith('+')
      ) {
        throw new LogQueryError(`q: '${word}' is not supported; only field:value terms joined by AND`);
      }
      throw new LogQueryError(`q: '${word}' is not a field:value term`);
    }
    i += field.length + 1;
    if (field === 'date') {
      const range = /^\[(\S+) TO (\S+)\]/.exec(q.slice(i));
      if (range === null) throw new LogQueryError('q: date must be a range, e.g. date:[2026-01-01 TO *]');
      if (range[1] !== '*') setBound(filters, 'from', parseLogDate(range[1]!, 'q: date range start'), 'q: ');
      if (range[2] !== '*') setBound(filters, 'to', parseLogDate(range[2]!, 'q: date range end'), 'q: ');
      i += range[0].length;
    } else if (TEXT_FIELDS.some((f) => f === field)) {
      let value: string;
      if (q[i] === '"') {
        const quoted = /^"((?:[^"\\]|\\["\\])*)"/.exec(q.slice(i));
        if (quoted === null) throw new LogQueryError(`q: the quoted value of ${field} is not closed`);
        value = quoted[1]!.replace(/\\(["\\])/g, '$1');
        i += quoted[0].length;
      } else {
        value = /^\S*/.exec(q.slice(i))![0];
        i += value.length;
        if (/[*?~^()[\]{}"\\]/.test(value)) {
          throw new LogQueryError(`q: ${field}: wildcards and special characters need a quoted value`);
        }
      }
      const textField = TEXT_FIELDS.find((f) => f === field)!;
      setText(filters, textField, value, 'q: ');
    } else {
      throw new LogQueryError(
        `q: '${field.slice(0, 40)}' is not a searchable field; use type, client_id, action, target_type, target_id or date`,
      );
    }
    if (i < q.length && !/\s/.test(q[i]!))
      throw new LogQueryError(`q: terms must be separated by spaces or AND`);
    terms += 1;
  }
  if (filters.from !== undefined && filters.to !== undefined && filters.to <= filters.from) {
    throw new LogQueryError('the date range ends before it starts');
  }
  return filters;
}

/** The plain parameters' filters, then `q`'s; a field set both ways must agree. */
export function toLogFilters(params: {
  type?: string | undefined;
  client_id?: string | undefined;
  action?: string | undefined;
  target_type?: string | undefined;
  target_id?: string | undefined;
  from_date?: string | undefined;
  to_date?: string | undefined;
  q?: string | undefined;
}): LogFilters {
  const filters: LogFilters = {};
  for (const field of TEXT_FIELDS) {
    const value = params[field];
    if (value !== undefined) setText(filters, field, value, '');
  }
  if (params.from_date !== undefined) filters.from = parseLogDate(params.from_date, 'from_date');
  if (params.to_date !== undefined) filters.to = parseLogDate(params.to_date, 'to_date');
  return parseLogQ(params.q ?? '', filters);
}

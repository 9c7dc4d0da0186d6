/**
 * An audit event as `GET /api/v2/logs` answers it: Auth0's log event shape (`log_id`, `date`,
 * `type`, `description`, `client_id`, `client_name`, `ip`, `user_agent`, `details`), with the
 * action, outcome and target in `details` next to the request and the before/after states.
 * @see https://auth0.com/docs/api/management/v2/logs/get-logs
 */
import type { AuditEventRecord } from '../store/audit-log.ts';

/** One log event on the wire. */
export interface LogEventResponse {
  log_id: string;
  date: string;
  type: string;
  description: string;
  client_id: string | null;
  client_name: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

/** Serializes a stored audit event. */
export function toLogEventResponse(e: AuditEventRecord): LogEventResponse {
  return {
    log_id: e.id,
    date: new Date(e.at).toISOString(),
    type: e.type,
    description: e.description,
    client_id: e.clientId,
    client_name: e.clientName,
    ip: e.ip,
    user_agent: e.userAgent,
    details: {
      action: e.action,
      outcome: e.outcome,
      target: { type: e.targetType, id: e.targetId },
      ...e.details,
    },
  };
}

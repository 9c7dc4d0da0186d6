/**
 * Audit of Management API changes. Each changing route carries `audit.on(action)` in front of its
 * scope check; the route handler reports what it changed with `recordChange` (the target's id and
 * its public before/after shapes). After the handler, the middleware records one event: `sapi` when
 * the change succeeded, `fapi` when it was refused or failed, for any authenticated caller (an
 * unauthenticated request is not an administrator's act; it is in the request log and limits).
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AuditAction } from '../audit/audit-actions.ts';
import type { AuditRecorder } from '../audit/audit-recorder.ts';
import { toManagementError } from '../http/error-response.ts';
import type { ManagementCaller, ManagementEnv } from './management-auth.ts';

/** What a route changed: the target's id and its state before and after (public shapes only). */
export interface AuditChange {
  targetId: string;
  before?: unknown;
  after?: unknown;
}

/** The audit middleware factory handed to the route files. */
export interface Audit {
  /** Middleware that records `action` once the route has run (place it before the scope check). */
  on(action: AuditAction): MiddlewareHandler<ManagementEnv>;
}

/** Reports the change the current request made, for its audit event. */
export function recordChange(c: Context<ManagementEnv>, change: AuditChange): void {
  c.set('auditChange', change);
}

/** The target named by the path, for an event whose route failed before reporting one. */
function targetFromPath(c: Context<ManagementEnv>): string | null {
  const value = c.req.param('credentialId') ?? c.req.param('kid') ?? c.req.param('id');
  return value === undefined ? null : value.slice(0, 200);
}

/** Creates the audit middleware over a recorder. */
export function createAudit(recorder: AuditRecorder): Audit {
  return {
    on(action) {
      return async (c, next) => {
        await next();
        const caller: ManagementCaller | undefined = c.get('caller');
        if (caller === undefined) return;
        const change: AuditChange | undefined = c.get('auditChange');
        const status = c.res.status;
        const failed = c.error !== undefined || status >= 400;
        const mapped = c.error === undefined ? undefined : toManagementError(c.error);
        await recorder.record({
          action,
          outcome: failed ? 'failure' : 'success',
          clientId: caller.clientId,
          targetId: change?.targetId ?? targetFromPath(c),
          context: c,
          statusCode: status,
          ...(failed ? {} : { before: change?.before, after: change?.after }),
          ...(failed
            ? {
                error:
                  mapped !== undefined
                    ? { errorCode: mapped.errorCode, message: mapped.message }
                    : c.error !== undefined
                      ? { errorCode: 'internal_error', message: 'Internal error' }
                      : { errorCode: 'failed', message: `answered ${status}` },
              }
            : {}),
        });
      };
    },
  };
}

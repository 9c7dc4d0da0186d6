/** One structured log line per Management API change: what changed, and who changed it. */
import type { Logger } from '../observability/logger.ts';
import type { ManagementCaller } from './management-auth.ts';

/** Records a change; `fields` hold ids only, never secrets. */
export type Audit = (
  event: string,
  caller: ManagementCaller,
  fields: Record<string, string | number | boolean>,
) => void;

/** Creates the audit recorder over the server log. */
export function createAudit(logger: Logger): Audit {
  const log = logger.child({ audit: true });
  return (event, caller, fields) => log.info({ event, actor: caller.clientId, ...fields }, event);
}

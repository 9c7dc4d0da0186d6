/**
 * The audit log's upkeep on a long-running server: flushes the token usage counters every minute
 * (so several instances' counts sum in the store) and prunes audit events and usage rows past
 * their retention every hour. `stop()` flushes once more, so a clean shutdown loses no count.
 * Without a long-running process (AWS Lambda) nothing calls this; the counter then flushes itself
 * (`autoFlushMs`, see createApp) and expired events are left to the store (DynamoDB TTL).
 */
import type { Logger } from '../observability/logger.ts';
import type { AuditLogStore } from '../store/audit-log.ts';
import type { TokenUsageCounter } from './token-usage-counter.ts';

/** Options of `startAuditMaintenance`. */
export interface AuditMaintenanceOptions {
  store: AuditLogStore;
  usage: TokenUsageCounter;
  logger: Logger;
  /** Between flushes (default 60 s). */
  flushMs?: number;
  /** Between prunes (default 1 h). */
  pruneMs?: number;
  now?: () => number;
}

/** A running maintenance loop. */
export interface AuditMaintenance {
  /** One prune round now (also run by the timer); answers how many events and rows went. */
  prune(): Promise<{ events: number; usageRows: number }>;
  /** Stops the timers and flushes the counters a last time. */
  stop(): Promise<void>;
}

/** Starts the flush and prune timers (unref'd: they never keep the process alive). */
export function startAuditMaintenance(opts: AuditMaintenanceOptions): AuditMaintenance {
  const { store, usage, logger, flushMs = 60_000, pruneMs = 3_600_000, now = Date.now } = opts;
  const prune = async () => {
    const t = now();
    const [events, usageRows] = await Promise.all([store.pruneAuditEvents(t), store.pruneTokenUsage(t)]);
    if (events + usageRows > 0) logger.info({ events, usage_rows: usageRows }, 'audit log pruned');
    return { events, usageRows };
  };
  const flushTimer = setInterval(() => {
    void usage.flush();
  }, flushMs);
  const pruneTimer = setInterval(() => {
    prune().catch((err: unknown) =>
      logger.warn({ err: err instanceof Error ? err.message : 'unknown' }, 'audit log prune failed'),
    );
  }, pruneMs);
  flushTimer.unref();
  pruneTimer.unref();
  return {
    prune,
    async stop() {
      clearInterval(flushTimer);
      clearInterval(pruneTimer);
      await usage.flush();
    },
  };
}

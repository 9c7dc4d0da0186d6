/**
 * Key upkeep on AWS Lambda, where no timer runs between invocations (the process is frozen): each
 * invocation first runs a round of `key-maintenance.ts` when `GATEHOUSE_SYNC_SECONDS` have passed
 * since the last one, so a Lambda instance follows rotations and revocations made through other
 * instances, retires old keys from its JWKS and rotates on schedule, as a long-running server
 * does on its timer. The round is awaited inside the invocation: work left running after the
 * answer would be frozen with the process. It costs one store read per interval per instance.
 */
import { type KeyMaintenanceOptions, startKeyMaintenance } from '../keys/key-maintenance.ts';

/** Options of `createInvocationUpkeep`: those of the key maintenance, without its timer. */
export type InvocationUpkeepOptions = Omit<KeyMaintenanceOptions, 'timer'>;

/** Per-invocation key upkeep. */
export interface InvocationUpkeep {
  /** Runs one round now (at cold start, before the first request); never throws. */
  runNow(now?: number): Promise<void>;
  /** Runs a round when the interval has passed since the last one; never throws. */
  beforeInvocation(now?: number): Promise<void>;
}

/** Creates the per-invocation upkeep (no timer). */
export function createInvocationUpkeep(opts: InvocationUpkeepOptions): InvocationUpkeep {
  const maintenance = startKeyMaintenance({ ...opts, timer: false });
  let last: number | undefined;
  const runNow = (now: number = Date.now()): Promise<void> => {
    last = now;
    return maintenance.runOnce(now);
  };
  return {
    runNow,
    beforeInvocation(now = Date.now()) {
      if (last !== undefined && now - last < opts.intervalMs) return Promise.resolve();
      return runNow(now);
    },
  };
}

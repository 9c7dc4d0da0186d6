/**
 * The port behind shared lockout counters. Back-ends keep one `FailureRecord` per key and apply a
 * failure atomically, so instances sharing a store (one SQLite file, one PostgreSQL database)
 * share counters. Written only when a client fails to authenticate; never read on a success.
 */
import type { FailureUpdate, LockoutRule } from './lockout-policy.ts';

/** Shared (or in-memory) failure counters. */
export interface FailureCounterStore {
  /** Applies one failure to `key` atomically and answers the state before and after. */
  recordFailure(key: string, now: number, rule: LockoutRule): Promise<FailureUpdate>;
  /** Keys locked at `now` with their `lockedUntil`, to warm a starting instance (bounded). */
  listLocked(now: number, limit: number): Promise<Array<{ key: string; lockedUntil: number }>>;
  close(): Promise<void>;
}

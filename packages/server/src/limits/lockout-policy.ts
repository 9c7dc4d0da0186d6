/**
 * The pure rules of lockout after failed client authentication: failures are counted per key in
 * a fixed window; reaching the threshold locks the key for a time that doubles with each lockout
 * (capped), and the history is forgotten once the key has been quiet for a full lock period.
 * No I/O: the counter stores apply `applyFailure` inside their own atomic update.
 * @see https://www.rfc-editor.org/rfc/rfc6819#section-5.1.4.2.3
 */

/** How one kind of key (address, client, client + address) is counted and locked. */
export interface LockoutRule {
  /** Failures within `windowMs` that lock the key; 0 turns this kind of key off. */
  maxFailures: number;
  windowMs: number;
  /** First lockout; each further lockout doubles it. */
  baseLockMs: number;
  /** Longest lockout. */
  maxLockMs: number;
}

/** The stored state of one key. Times are epoch milliseconds. */
export interface FailureRecord {
  failures: number;
  windowStartedAt: number;
  lastFailureAt: number;
  /** 0 when never locked; a lock holds while `lockedUntil > now`. */
  lockedUntil: number;
  /** Lockouts so far (the exponent of the next lock's length). */
  lockouts: number;
}

/** A key's state before and after one failure. */
export interface FailureUpdate {
  before: FailureRecord | null;
  after: FailureRecord;
}

/** When a record may be deleted: nothing in it matters any more after this time. */
export function forgetAt(record: FailureRecord, rule: LockoutRule): number {
  return Math.max(record.lockedUntil, record.lastFailureAt) + rule.maxLockMs + rule.windowMs;
}

/** The state after one more failure at `now`. */
export function applyFailure(prev: FailureRecord | null, now: number, rule: LockoutRule): FailureRecord {
  const fresh: FailureRecord = {
    failures: 0,
    windowStartedAt: now,
    lastFailureAt: now,
    lockedUntil: 0,
    lockouts: 0,
  };
  let r: FailureRecord = prev === null || now >= forgetAt(prev, rule) ? fresh : { ...prev };
  if (now - r.windowStartedAt >= rule.windowMs) r = { ...r, failures: 0, windowStartedAt: now };
  r.failures += 1;
  r.lastFailureAt = now;
  if (r.lockedUntil <= now && rule.maxFailures > 0 && r.failures >= rule.maxFailures) {
    const lockMs = Math.min(rule.baseLockMs * 2 ** Math.min(r.lockouts, 30), rule.maxLockMs);
    r.lockedUntil = now + lockMs;
    r.lockouts += 1;
    r.failures = 0;
    r.windowStartedAt = now;
  }
  return r;
}

/** Milliseconds a record stays locked after `now` (0: not locked). */
export function lockRemainingMs(record: FailureRecord | null, now: number): number {
  return record === null ? 0 : Math.max(0, record.lockedUntil - now);
}

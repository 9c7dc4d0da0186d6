import { describe, expect, it } from 'vitest';
import { applyFailure, type FailureRecord, type LockoutRule, lockRemainingMs } from './lockout-policy.ts';

const rule: LockoutRule = { maxFailures: 3, windowMs: 60_000, baseLockMs: 10_000, maxLockMs: 40_000 };

function fail(times: number, start: FailureRecord | null, now: number): FailureRecord {
  let r = start;
  for (let i = 0; i < times; i++) r = applyFailure(r, now, rule);
  return r!;
}

describe('lockout policy', () => {
  it('locks a key when failures reach the threshold within the window', () => {
    const r = fail(2, null, 1000);
    expect(lockRemainingMs(r, 1000)).toBe(0);
    const locked = applyFailure(r, 1000, rule);
    expect(lockRemainingMs(locked, 1000)).toBe(10_000);
  });

  it('does not count failures of an earlier window', () => {
    const r = fail(2, null, 0);
    const later = applyFailure(r, 61_000, rule);
    expect(later.failures).toBe(1);
    expect(lockRemainingMs(later, 61_000)).toBe(0);
  });

  it('doubles each further lockout up to the maximum', () => {
    let r = fail(3, null, 0);
    expect(r.lockedUntil).toBe(10_000);
    r = fail(3, r, 10_000);
    expect(r.lockedUntil - 10_000).toBe(20_000);
    r = fail(3, r, 30_000);
    expect(r.lockedUntil - 30_000).toBe(40_000);
    r = fail(3, r, 70_000);
    expect(r.lockedUntil - 70_000).toBe(40_000);
  });

  it('keeps counting without extending a lock that is in force', () => {
    const r = fail(3, null, 0);
    const during = fail(10, r, 5000);
    expect(during.lockedUntil).toBe(10_000);
  });

  it('forgets the history of a key quiet for a full lock period', () => {
    const r = fail(6, null, 0);
    expect(r.lockouts).toBe(1);
    const muchLater = applyFailure(r, 1_000_000, rule);
    expect(muchLater.lockouts).toBe(0);
    expect(muchLater.failures).toBe(1);
  });

  it('never locks a key whose rule is off', () => {
    const off = { ...rule, maxFailures: 0 };
    let r: FailureRecord | null = null;
    for (let i = 0; i < 50; i++) r = applyFailure(r, 0, off);
    expect(lockRemainingMs(r, 0)).toBe(0);
  });
});

/**
 * Brute-force protection for client authentication (token, revocation, introspection endpoints and
 * the admin console's sign-in). Three kinds of key, each with its own `LockoutRule`:
 * - `address`: failures from one source address, whatever client they name;
 * - `pair`: failures for one client id from one source address;
 * - `client`: failures for one client id from anywhere. Reaching its threshold does not lock the
 *   client (that would let anyone lock a real client out by guessing): it marks the client as
 *   under attack, and while it is, one failure locks the `pair`, so each guessing address gets a
 *   single try while the real client, which does not fail, goes on from its own addresses.
 *
 * Locks are checked in memory only (two Map lookups, none while nothing is locked), so a
 * successful request costs nothing more; failures go to the `FailureCounterStore`, shared when
 * the store is. An instance learns of a lock another instance set on its own next failure for
 * that key (then it answers 429 at once), and from `syncLocks`, which a timer calls.
 * @see https://www.rfc-editor.org/rfc/rfc6819#section-4.4.4.1
 */
import { createHash } from 'node:crypto';
import { RateLimited } from '../http/errors.ts';
import type { FailureCounterStore } from './failure-counter-store.ts';
import { type FailureUpdate, type LockoutRule, lockRemainingMs } from './lockout-policy.ts';

/** Who is trying: the client id named (if any) and the source address (if known). */
export interface AuthSubject {
  clientId?: string | undefined;
  address?: string | undefined;
}

/** The three rules (see the module comment). */
export interface LockoutPolicy {
  address: LockoutRule;
  pair: LockoutRule;
  client: LockoutRule;
}

/** A lock that just started, for the audit log. */
export interface LockoutEvent {
  kind: 'address' | 'pair' | 'client';
  clientId: string | undefined;
  address: string | undefined;
  seconds: number;
}

/** Options of `createAuthLimiter`. */
export interface AuthLimiterOptions {
  counters: FailureCounterStore;
  policy: LockoutPolicy;
  /** Called when a lock starts (or a client comes under attack). */
  onLockout?: (event: LockoutEvent) => void;
  /** Called when the counter store fails; the failed authentication is then answered as usual. */
  onStoreError?: (err: unknown) => void;
  /** Clock (tests). */
  now?: () => number;
  /** Most locks held in memory. */
  maxLocks?: number;
}

/** The limiter the authenticator wrapper and the console sign-in share. */
export interface AuthLimiter {
  /** @throws RateLimited (`too_many_attempts`, with `retryAfterSeconds`) while the subject is locked out. */
  assertAllowed(subject: AuthSubject): void;
  /** Counts a failed authentication; answers the 429 to give instead when the subject was already locked out. */
  recordFailure(subject: AuthSubject): Promise<RateLimited | undefined>;
  /** Copies locks set by other instances from the shared store into memory. */
  syncLocks(): Promise<void>;
  close(): Promise<void>;
}

/** Default policy: 20 failures a minute per address, 5 per client and address, 100 per client. */
export const DEFAULT_LOCKOUT_POLICY: LockoutPolicy = {
  address: { maxFailures: 20, windowMs: 60_000, baseLockMs: 30_000, maxLockMs: 3_600_000 },
  pair: { maxFailures: 5, windowMs: 60_000, baseLockMs: 30_000, maxLockMs: 3_600_000 },
  client: { maxFailures: 100, windowMs: 60_000, baseLockMs: 30_000, maxLockMs: 3_600_000 },
};

/** Long attacker-chosen values are stored by their hash, so keys stay small. */
function keyPart(value: string): string {
  return value.length <= 160 ? value : `sha256:${createHash('sha256').update(value).digest('base64url')}`;
}

const addressKey = (address: string): string => `a|${keyPart(address)}`;
const pairKey = (clientId: string, address: string): string => `p|${keyPart(clientId)}|${keyPart(address)}`;
const clientKey = (clientId: string): string => `c|${keyPart(clientId)}`;

/** Creates the limiter. */
export function createAuthLimiter(opts: AuthLimiterOptions): AuthLimiter {
  const { counters, policy } = opts;
  const now = opts.now ?? Date.now;
  const maxLocks = opts.maxLocks ?? 100_000;
  /** key -> lockedUntil, for `address` and `pair` keys only. */
  const locks = new Map<string, number>();

  const remember = (key: string, lockedUntil: number, t: number): void => {
    if (lockedUntil <= t) return;
    locks.delete(key);
    if (locks.size >= maxLocks) {
      for (const [k, until] of locks) if (until <= t) locks.delete(k);
      if (locks.size >= maxLocks) locks.delete(locks.keys().next().value as string);
    }
    locks.set(key, lockedUntil);
  };
  const remaining = (key: string, t: number): number => {
    const until = locks.get(key);
    if (until === undefined) return 0;
    if (until <= t) {
      locks.delete(key);
      return 0;
    }
    return until - t;
  };
  const tooMany = (ms: number): RateLimited =>
    new RateLimited(
      'too_many_attempts',
      'too many failed client authentications; retry later',
      Math.ceil(ms / 1000),
    );
  const lockout = (kind: LockoutEvent['kind'], subject: AuthSubject, u: FailureUpdate, t: number): void => {
    const started = lockRemainingMs(u.before, t) === 0 && u.after.lockedUntil > t;
    if (started) {
      opts.onLockout?.({
        kind,
        clientId: subject.clientId,
        address: subject.address,
        seconds: Math.ceil((u.after.lockedUntil - t) / 1000),
      });
    }
  };

  return {
    assertAllowed(subject) {
      if (locks.size === 0 || subject.address === undefined) return;
      const t = now();
      let ms = remaining(addressKey(subject.address), t);
      if (subject.clientId !== undefined)
        ms = Math.max(ms, remaining(pairKey(subject.clientId, subject.address), t));
      if (ms > 0) throw tooMany(ms);
    },

    async recordFailure(subject) {
      const t = now();
      const { clientId, address } = subject;
      try {
        let wasLockedMs = 0;
        if (address !== undefined && policy.address.maxFailures > 0) {
          const key = addressKey(address);
          const u = await counters.recordFailure(key, t, policy.address);
          remember(key, u.after.lockedUntil, t);
          lockout('address', subject, u, t);
          wasLockedMs = Math.max(wasLockedMs, lockRemainingMs(u.before, t));
        }
        if (clientId === undefined) return wasLockedMs > 0 ? tooMany(wasLockedMs) : undefined;
        let underAttack = false;
        if (policy.client.maxFailures > 0) {
          const u = await counters.recordFailure(clientKey(clientId), t, policy.client);
          lockout('client', subject, u, t);
          underAttack = u.after.lockedUntil > t;
        }
        if (address !== undefined && policy.pair.maxFailures > 0) {
          const key = pairKey(clientId, address);
          const rule = underAttack ? { ...policy.pair, maxFailures: 1 } : policy.pair;
          const u = await counters.recordFailure(key, t, rule);
          remember(key, u.after.lockedUntil, t);
          lockout('pair', subject, u, t);
          wasLockedMs = Math.max(wasLockedMs, lockRemainingMs(u.before, t));
        }
        return wasLockedMs > 0 ? tooMany(wasLockedMs) : undefined;
      } catch (err) {
        opts.onStoreError?.(err);
        return undefined;
      }
    },

    async syncLocks() {
      const t = now();
      try {
        for (const { key, lockedUntil } of await counters.listLocked(t, 10_000)) {
          if (!key.startsWith('c|')) remember(key, lockedUntil, t);
        }
      } catch (err) {
        opts.onStoreError?.(err);
      }
    },

    close: () => counters.close(),
  };
}
